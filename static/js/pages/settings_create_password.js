// /settings/create_password (content-server.md §3 "Settings", Password): a first password for an
// account that has none (GET /v1/account hasPassword false). Stretched here v1 and v2 around a
// new kB, stored by /v1/mfa/password/create behind the step-up (scope mfa:password).
import { get, post } from "../api.js";
import { newPasswordCredentials, randomBytes } from "../crypto.js";
import { gettext } from "../i18n.js";
import { newPasswordRules } from "../password_rules.js";
import { openSettings, toast, withStepUp } from "../settings.js";
import { guarded } from "../settings_security.js";
import { bindPasswordToggles, onSubmit } from "../ui.js";

export async function init() {
  const account = await openSettings();
  if (!account) return;
  const details = await get("/account", { token: account.sessionToken });
  if (details.hasPassword) return location.replace("/settings/change_password");

  bindPasswordToggles();
  document.getElementById("username").value = account.email;
  const form = document.getElementById("password-form");
  const password = document.getElementById("new-password");
  const confirmation = document.getElementById("confirm-password");
  const rules = newPasswordRules(password, confirmation, document.getElementById("new-password-rules"), account.email);

  onSubmit(form, guarded(async () => {
    await rules.check();
    const body = await newPasswordCredentials(account.email, password.value, randomBytes(32));
    await withStepUp(account, "password", (bearer) => post("/mfa/password/create", body, { bearer }));
    form.hidden = true;
    document.querySelector("[data-password-done]").hidden = false;
    toast(gettext("Your password was created."));
  }));
}
