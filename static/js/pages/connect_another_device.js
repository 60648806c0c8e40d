// /connect_another_device (Sync's landing after sign-up or sign-in, and a link of the mails):
// who is signed in, and how to add Firefox on another device pointed at this server.
import { currentAccount } from "../session.js";

export function init() {
  for (const element of document.querySelectorAll("[data-origin]")) element.textContent = location.origin;
  const account = currentAccount();
  if (account && account.email) {
    for (const element of document.querySelectorAll("[data-email]")) element.textContent = account.email;
    document.querySelector("[data-signed-in]").hidden = false;
  }
}
