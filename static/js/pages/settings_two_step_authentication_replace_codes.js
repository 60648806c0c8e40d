// /settings/two_step_authentication/replace_codes: a new set of backup authentication codes, made
// here, shown with copy, download and print; once one is typed back, PUT /v1/mfa/recoveryCodes
// (step-up scope mfa:2fa) replaces the old set, which keeps working until then.
import { get, request } from "../api.js";
import { gettext } from "../i18n.js";
import { openSettings, toast, withStepUp } from "../settings.js";
import { checkBackupCode, guarded, newBackupCodes, showBackupCodes } from "../settings_security.js";
import { onSubmit } from "../ui.js";

export async function init() {
  const account = await openSettings();
  if (!account) return;
  const status = await get("/totp/exists", { token: account.sessionToken });
  if (!status.verified) return location.replace("/settings/two_step_authentication");

  const section = document.querySelector('[data-step="codes"]');
  const codes = newBackupCodes();
  showBackupCodes(section, codes, account.email);
  section.hidden = false;
  const input = document.getElementById("backup-code");
  onSubmit(document.getElementById("confirm-codes-form"), guarded(async () => {
    checkBackupCode(input, codes);
    await withStepUp(account, "2fa", (bearer) => request("PUT", "/mfa/recoveryCodes", { body: { recoveryCodes: codes }, bearer }));
    section.hidden = true;
    section.querySelector("[data-backup-codes]").replaceChildren();
    document.querySelector('[data-step="done"]').hidden = false;
    toast(gettext("Your backup authentication codes were replaced."));
  }));
}
