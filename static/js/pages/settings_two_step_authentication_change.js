// /settings/two_step_authentication/change: replace the authentication app while two-step
// authentication stays on (upstream's newest flow). /mfa/totp/replace/start (step-up scope
// mfa:2fa) gives a new secret; a code of the new app (/mfa/totp/replace/confirm) swaps it in.
import { get, post } from "../api.js";
import { gettext } from "../i18n.js";
import { openSettings, toast, withStepUp } from "../settings.js";
import { appCode, guarded, showSecret } from "../settings_security.js";
import { FieldError, isCodeError, onSubmit } from "../ui.js";

export async function init() {
  const account = await openSettings();
  if (!account) return;
  const status = await get("/totp/exists", { token: account.sessionToken });
  if (!status.verified) return location.replace("/settings/two_step_authentication");

  const step = (name) => {
    for (const element of document.querySelectorAll("[data-step]")) element.hidden = element.dataset.step !== name;
  };
  const twoStep = (path, body) => withStepUp(account, "2fa", (bearer) => post(path, body, { bearer }));
  step("start");
  const scan = document.querySelector('[data-step="scan"]');
  const input = document.getElementById("totp-code");
  onSubmit(document.getElementById("start-form"), guarded(async () => {
    showSecret(scan, await twoStep("/mfa/totp/replace/start", {}));
    step("scan");
    input.focus();
  }));
  onSubmit(document.getElementById("verify-form"), guarded(async () => {
    const code = appCode(input);
    try {
      await twoStep("/mfa/totp/replace/confirm", { code });
    } catch (error) {
      if (isCodeError(error)) throw new FieldError(input, gettext("That code is wrong or has expired. Enter the code the new app shows now."));
      throw error;
    }
    step("done");
    toast(gettext("Your authentication app was changed."));
  }));
}
