// /confirm_reset_password (step 2): the 8-digit code from the mail buys a passwordForgotToken and
// its passCode (POST /v1/password/forgot/verify_otp), which are traded at once for an
// accountResetToken, unless the account's second factor has to be proven first.
import { Errno, post } from "../api.js";
import { flowFields, params } from "../flow.js";
import { format, gettext } from "../i18n.js";
import { clearReset, exchangeForgotToken, loadReset, onResetSubmit, resetErrorMessage, resetUrl, saveReset, showResetError, showRestart } from "../reset.js";
import { FieldError, cleanCode, showSuccess } from "../ui.js";

export async function init() {
  const state = loadReset();
  const email = params.get("email") || state.email;
  if (!email) return showRestart();
  if (state.email !== email) {
    clearReset(); // a reset for another address: start this one afresh
    saveReset({ email });
  }
  for (const element of document.querySelectorAll("[data-email]")) element.textContent = email;
  document.querySelector("[data-change-email]").href = resetUrl("/reset_password", { email });

  const form = document.getElementById("code-form");
  const input = document.getElementById("code");
  onResetSubmit(form, async () => {
    const code = cleanCode(input.value);
    if (!/^\d{8}$/.test(code)) throw new FieldError(input, gettext("Enter the 8-digit code from the email."));
    // A code already accepted in this tab (the next step then failed, or the user came back):
    // it was spent, and the token it bought may still be good.
    if (loadReset().forgotToken) {
      try {
        return await exchangeForgotToken();
      } catch (error) {
        if (error.errno !== Errno.INVALID_TOKEN) throw error;
        saveReset({ forgotToken: null, passCode: null });
      }
    }
    let answer;
    try {
      answer = await post("/password/forgot/verify_otp", { email, code });
    } catch (error) {
      if (error.errno === Errno.INVALID_VERIFICATION_CODE) throw new FieldError(input, resetErrorMessage(error));
      throw error;
    }
    saveReset({
      email,
      emailToHashWith: answer.emailToHashWith,
      uid: answer.uid,
      forgotToken: answer.token,
      passCode: answer.code,
      resetToken: null,
      kB: null,
      recoveryKeyId: null,
    });
    await exchangeForgotToken();
  });

  const resend = document.getElementById("resend-code");
  resend.addEventListener("click", async () => {
    resend.disabled = true;
    try {
      await post("/password/forgot/send_otp", { email, ...flowFields() });
      saveReset({ forgotToken: null, passCode: null, resetToken: null }); // the new code starts over
      input.value = "";
      showSuccess(form, format(gettext("A new code was sent to %(email)s."), { email }));
      input.focus();
    } catch (error) {
      showResetError(form, error);
    } finally {
      resend.disabled = false;
    }
  });
}
