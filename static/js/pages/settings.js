// /settings: needs a live session (else sign in first, then come back here). The sections come
// with the settings pages; this is the signed-in landing with sign out.
import { get } from "../api.js";
import { go } from "../flow.js";
import { liveAccount, onAccountChange, signOut } from "../session.js";
import { onSubmit } from "../ui.js";

export async function init() {
  const account = await liveAccount();
  if (!account) return signInFirst();
  if (account.emailVerified === false) return go("/confirm_signup_code");
  if (!account.verified) return go("/signin_token_code");
  for (const element of document.querySelectorAll("[data-account-email]")) element.textContent = account.email;
  document.querySelector("[data-signed-in]").hidden = false;
  get("/account/profile", { token: account.sessionToken })
    .then((profile) => {
      if (profile.email) document.querySelector("[data-account-email]").textContent = profile.email;
    })
    .catch(() => {});
  onAccountChange((current) => {
    if (!current || current.uid !== account.uid) signInFirst();
  });
  onSubmit(document.getElementById("signout-form"), async () => {
    await signOut();
    location.assign("/");
  });
}

function signInFirst() {
  location.replace("/?" + new URLSearchParams({ redirect_to: location.pathname }));
}
