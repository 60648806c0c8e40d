// /settings/emails/verify?email=… (content-server.md §3 "Secondary emails"): the 6-digit code mailed
// to a new secondary address, checked by /v1/mfa/recovery_email/secondary/verify_code; then back to
// /settings/emails, which says it worked.
import { format, gettext } from "../i18n.js";
import { openSettings } from "../settings.js";
import { FieldError, cleanCode, isCodeError, onSubmit, showError, showSuccess } from "../ui.js";
import { emailChange, emailErrorMessage, noticeForEmailsPage } from "./settings_emails.js";

export async function init() {
  const account = await openSettings();
  if (!account) return;
  const email = new URLSearchParams(location.search).get("email");
  if (!email) return location.replace("/settings/emails");
  document.querySelector("[data-email]").textContent = email;

  const form = document.getElementById("code-form");
  const input = document.getElementById("code");
  onSubmit(form, async () => {
    const code = cleanCode(input.value);
    if (!/^\d{6}$/.test(code)) throw new FieldError(input, gettext("Enter the 6-digit code."));
    try {
      if (!(await emailChange(account, "/mfa/recovery_email/secondary/verify_code", { email, code }))) return;
    } catch (error) {
      if (isCodeError(error)) throw new FieldError(input, gettext("That code is wrong or has expired. Check it, or ask for a new one."));
      throw new FieldError(input, emailErrorMessage(error));
    }
    noticeForEmailsPage(format(gettext("%(email)s is confirmed."), { email }));
    location.assign("/settings/emails");
  });

  const resend = form.querySelector("[data-resend]");
  resend.addEventListener("click", async () => {
    resend.disabled = true;
    try {
      if (await emailChange(account, "/mfa/recovery_email/secondary/resend_code", { email })) {
        showSuccess(form, gettext("A new code is on its way."));
      }
    } catch (error) {
      showError(form, emailErrorMessage(error));
    } finally {
      resend.disabled = false;
    }
  });
}
