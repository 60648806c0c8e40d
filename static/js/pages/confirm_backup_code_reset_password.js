// /confirm_backup_code_reset_password: one of the account's backup authentication codes stands in
// for the app (POST /v1/totp/verify/recoveryCode with the passwordForgotToken); it is spent.
import { Errno, post } from "../api.js";
import { gettext } from "../i18n.js";
import { exchangeForgotToken, loadReset, onResetSubmit, resetUrl, showRestart } from "../reset.js";
import { FieldError, cleanCode } from "../ui.js";

export async function init() {
  const state = loadReset();
  if (!state.forgotToken) return showRestart();
  document.querySelector("[data-reset-link]").href = resetUrl("/confirm_totp_reset_password");

  const input = document.getElementById("code");
  onResetSubmit(document.getElementById("backup-code-form"), async () => {
    const code = cleanCode(input.value).toLowerCase();
    // Ours have 10 characters; codes set through PUT /v1/recoveryCodes may have up to 20.
    if (!/^[a-z0-9]{1,20}$/.test(code)) throw new FieldError(input, gettext("Enter one of your backup authentication codes: letters and numbers only."));
    try {
      await post("/totp/verify/recoveryCode", { code }, { token: state.forgotToken, tokenType: "passwordForgotToken" });
    } catch (error) {
      if (error.errno === Errno.RECOVERY_CODE_NOT_FOUND) {
        throw new FieldError(input, gettext("That backup authentication code is wrong or was already used."));
      }
      throw error;
    }
    await exchangeForgotToken();
  });
}
