// /connect_another_device (Sync's landing after a sign-in, the page Firefox opens for "connect
// another device", and a link of the mails): Firefox is asked who is signed in to it, then one
// of three states is shown: signed in here (on to another device), Firefox not signed in (sign
// it in), or another browser (how to set up Firefox elsewhere).
import { params } from "../flow.js";
import { beginSyncSignIn } from "../firefox.js";
import { currentAccount } from "../session.js";
import { firefoxContext, fxaStatus } from "../webchannel.js";

function show(selector) {
  for (const element of document.querySelectorAll(selector)) element.hidden = false;
}

export async function init() {
  for (const element of document.querySelectorAll("[data-origin]")) element.textContent = location.origin;
  const status = firefoxContext() ? await fxaStatus() : null;
  const user = status?.signedInUser;
  const account = currentAccount();
  const email = (user && user.email) || (account && account.email);
  if (email) {
    for (const element of document.querySelectorAll("[data-email]")) element.textContent = email;
  }
  const success = params.get("showSuccessMessage") === "true";
  if (user && user.verified) {
    show('[data-state="signed-in"], [data-signed-in]');
    if (success) show('[data-banner="signed-in"]');
    const button = document.querySelector("[data-show-steps]");
    button.addEventListener("click", () => {
      show("[data-steps]");
      button.setAttribute("aria-expanded", "true");
      document.getElementById("other-device").scrollIntoView({ block: "nearest" });
    });
  } else if (status) {
    show('[data-state="sign-in-here"]');
    const button = document.querySelector("[data-sign-in]");
    button.addEventListener("click", async () => {
      button.disabled = true;
      if (!(await beginSyncSignIn(email))) {
        // Firefox did not start a flow (an older one): the usual way in, from its menu.
        button.hidden = true;
        show('[data-state="elsewhere"], [data-steps]');
      }
    });
  } else {
    if (success) show('[data-banner="signin"]');
    show('[data-state="elsewhere"], [data-steps]');
    if (account) show("[data-manage]");
  }
}
