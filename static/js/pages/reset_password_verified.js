// /reset_password_verified and /reset_password_with_recovery_key_verified: the reset is done and
// the user holds the new session. The recovery key was spent: suggest making a new one.
import { finish, go } from "../flow.js";
import { clearReset, resetUrl } from "../reset.js";
import { currentAccount } from "../session.js";

export async function init() {
  clearReset();
  const withKey = location.pathname.endsWith("/reset_password_with_recovery_key_verified");
  const account = currentAccount();
  const button = document.getElementById("continue");
  if (withKey) {
    document.getElementById("new-recovery-key").hidden = false;
    button.classList.add("button-secondary");
  }
  if (!account) {
    button.hidden = true;
    const signin = document.getElementById("signin-instead");
    signin.querySelector("a").href = resetUrl("/signin");
    signin.hidden = false;
    return;
  }
  for (const element of document.querySelectorAll("[data-email]")) element.textContent = account.email;
  document.querySelector("[data-signed-in]").hidden = false;
  button.addEventListener("click", () => {
    // A two-step account's new session waits for its second factor (onepw.md §6.4).
    if (!account.verified) return go("/signin_totp_code");
    return finish("signin");
  });
}
