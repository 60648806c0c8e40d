// /settings/two_step_authentication (content-server.md §3 "Settings", Two-step authentication):
// off → setup behind the step-up (scope mfa:2fa): /mfa/totp/create gives the QR code and key, a
// code of the app proves it (/mfa/totp/setup/verify), the backup codes made here are shown and one
// typed back, then /mfa/recoveryCodes stores them and /mfa/totp/setup/complete turns it on (this
// session becomes AAL2). On: the codes left (a warning under 2), links to replace the codes or
// the app, and turning it off (/mfa/totp/destroy) after a confirmation.
import { get, post } from "../api.js";
import { format, gettext } from "../i18n.js";
import { openSettings, toast, withStepUp } from "../settings.js";
import {
  appCode, checkBackupCode, guarded, newBackupCodes, showBackupCodes, showSecret,
} from "../settings_security.js";
import { FieldError, isCodeError, onSubmit } from "../ui.js";

const LOW_CODES = 2;

export async function init() {
  const account = await openSettings();
  if (!account) return;
  const steps = document.querySelectorAll("[data-state], [data-step]");
  const show = (selector) => {
    for (const element of steps) element.hidden = !element.matches(selector);
    const shown = document.querySelector(selector);
    const heading = shown.querySelector("h2");
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  };
  const token = { token: account.sessionToken };
  const twoStep = (path, body) => withStepUp(account, "2fa", (bearer) => post(path, body, { bearer }));

  async function showState() {
    const status = await get("/totp/exists", token);
    if (!status.verified) return show('[data-state="off"]');
    const { count } = await get("/recoveryCodes/exists", token);
    document.querySelector("[data-codes-left]").textContent = format(
      count === 1 ? gettext("%(count)s code left") : gettext("%(count)s codes left"), { count },
    );
    const low = document.querySelector("[data-codes-low]");
    low.hidden = count >= LOW_CODES;
    low.textContent = count === 0
      ? gettext("You have no backup authentication codes left. Get new ones so that you can still sign in without your phone.")
      : gettext("You have fewer than 2 backup authentication codes left. Get new ones so that you can still sign in without your phone.");
    show('[data-state="on"]');
  }

  // Setup.
  let codes = [];
  onSubmit(document.getElementById("setup-form"), guarded(async () => {
    showSecret(document.querySelector('[data-step="scan"]'), await twoStep("/mfa/totp/create", {}));
    show('[data-step="scan"]');
    document.getElementById("totp-code").focus();
  }));
  const codeInput = document.getElementById("totp-code");
  onSubmit(document.getElementById("verify-form"), guarded(async () => {
    const code = appCode(codeInput);
    try {
      await twoStep("/mfa/totp/setup/verify", { code });
    } catch (error) {
      if (isCodeError(error)) throw new FieldError(codeInput, gettext("That code is wrong or has expired. Enter the code your app shows now."));
      throw error;
    }
    codes = newBackupCodes();
    showBackupCodes(document.querySelector('[data-step="codes"]'), codes, account.email);
    show('[data-step="codes"]');
  }));
  const backupInput = document.getElementById("backup-code");
  onSubmit(document.getElementById("confirm-codes-form"), guarded(async () => {
    checkBackupCode(backupInput, codes);
    await twoStep("/mfa/recoveryCodes", { recoveryCodes: codes });
    await twoStep("/mfa/totp/setup/complete", {});
    codes = [];
    document.querySelector("[data-backup-codes]").replaceChildren();
    await showState();
    toast(gettext("Two-step authentication is on."));
  }));

  // Turning it off.
  const dialog = document.querySelector("[data-disable-dialog]");
  document.querySelector("[data-disable]").addEventListener("click", () => dialog.showModal());
  dialog.querySelector("[data-disable-cancel]").addEventListener("click", () => dialog.close());
  onSubmit(document.getElementById("disable-form"), guarded(async () => {
    await twoStep("/mfa/totp/destroy", {});
    dialog.close();
    await showState();
    toast(gettext("Two-step authentication is off."));
  }));

  await showState();
}
