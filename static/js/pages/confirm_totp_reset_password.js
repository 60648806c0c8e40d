// /confirm_totp_reset_password (step 3 of a two-step account): the authentication app's code,
// proven with the passwordForgotToken (POST /v1/totp/verify), which verify_code then accepts.
import { post } from "../api.js";
import { gettext } from "../i18n.js";
import { exchangeForgotToken, loadReset, onResetSubmit, resetUrl, showRestart } from "../reset.js";
import { FieldError, cleanCode } from "../ui.js";

export async function init() {
  const state = loadReset();
  if (!state.forgotToken) return showRestart();
  document.querySelector("[data-reset-link]").href = resetUrl("/confirm_backup_code_reset_password");

  const input = document.getElementById("code");
  onResetSubmit(document.getElementById("totp-form"), async () => {
    const code = cleanCode(input.value);
    if (!/^\d{6}$/.test(code)) throw new FieldError(input, gettext("Enter the 6-digit code from your authentication app."));
    const { success } = await post("/totp/verify", { code }, { token: state.forgotToken, tokenType: "passwordForgotToken" });
    if (!success) throw new FieldError(input, gettext("That code is wrong or has expired. Enter the code your app shows now."));
    await exchangeForgotToken();
  });
}
