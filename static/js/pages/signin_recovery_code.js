// /signin_recovery_code (content-server.md §3 "Sign-in"): a backup authentication code stands in
// for the authenticator app (POST /session/verify/recoveryCode); each code works once.
import { ApiError, Errno, post } from "../api.js";
import { finish, pagePath, pageUrl } from "../flow.js";
import { gettext } from "../i18n.js";
import { FieldError, cleanCode, onSubmit } from "../ui.js";
import { secondFactorError, sessionToConfirm } from "./signin_totp_code.js";

export async function init() {
  const account = await sessionToConfirm();
  if (!account) return;
  document.querySelector("[data-totp-link]").href = pageUrl(pagePath("/signin_totp_code"));

  const form = document.getElementById("code-form");
  const input = document.getElementById("code");
  onSubmit(form, async () => {
    const code = cleanCode(input.value).toLowerCase();
    if (!/^[a-z0-9]{10}$/.test(code)) throw new FieldError(input, gettext("Enter a 10-character backup code."));
    try {
      await post("/session/verify/recoveryCode", { code }, { token: account.sessionToken });
    } catch (error) {
      if (error instanceof ApiError && error.errno === Errno.RECOVERY_CODE_NOT_FOUND) {
        throw new FieldError(input, gettext("That backup code is wrong or was already used."));
      }
      throw secondFactorError(error, input);
    }
    return finish("signin");
  });
}
