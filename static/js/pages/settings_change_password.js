// /settings/change_password (content-server.md §3 "Settings", Password; onepw.md §6.3): the
// current password proves itself on this session (/session/reauth?keys=true), which hands back
// the keyFetchToken that unwraps kB here; the new password is stretched v1 and v2 and wraps the
// same kB, so Sync data survives. /v1/mfa/password/change (step-up token, scope mfa:password)
// stores it and answers the session that replaces this one; the other sessions are signed out.
import { ApiError, Errno, get, post } from "../api.js";
import { bytesToHex, deriveKB, newPasswordCredentials, stretchV1, stretchV2, unbundleKeys } from "../crypto.js";
import { format, gettext } from "../i18n.js";
import { notifyPasswordChange } from "../firefox.js";
import { newPasswordRules } from "../password_rules.js";
import { storeAccount } from "../session.js";
import { dropStepUp, openSettings, toast, withStepUp } from "../settings.js";
import { formatDate, guarded } from "../settings_security.js";
import { FieldError, bindPasswordToggles, clearMessages, onSubmit } from "../ui.js";

// The step-up tokens of the old session die with it.
const STEP_UP_ACTIONS = ["2fa", "email", "password", "recovery_key"];

export async function init() {
  const account = await openSettings();
  if (!account) return;
  const details = await get("/account", { token: account.sessionToken });
  if (!details.hasPassword) return location.replace("/settings/create_password");
  showCreated(details.passwordCreatedAt);

  bindPasswordToggles();
  document.getElementById("username").value = account.email;
  document.querySelector("[data-forgot-link]").href = "/reset_password?" + new URLSearchParams({ email: account.email });
  const form = document.getElementById("password-form");
  const current = document.getElementById("current-password");
  const password = document.getElementById("new-password");
  const confirmation = document.getElementById("confirm-password");
  const rules = newPasswordRules(password, confirmation, document.getElementById("new-password-rules"), account.email);

  onSubmit(form, guarded(async () => {
    if (!current.value) throw new FieldError(current, gettext("Enter your current password."));
    await rules.check();
    if (password.value === current.value) {
      throw new FieldError(password, gettext("Choose a password that is different from the current one."));
    }
    const held = storeAccount({});
    const answer = await changePassword(held, current.value, password.value);
    for (const action of STEP_UP_ACTIONS) dropStepUp(action);
    const changed = storeAccount({ sessionToken: answer.sessionToken, verified: Boolean(answer.verified), authAt: answer.authAt });
    await notifyPasswordChange(changed);
    form.reset();
    clearMessages(form);
    rules.clear();
    const fresh = await get("/account", { token: answer.sessionToken });
    showCreated(fresh.passwordCreatedAt);
    toast(gettext("Your password was changed."));
  }));
}

function showCreated(passwordCreatedAt) {
  const created = document.querySelector("[data-password-created]");
  created.textContent = format(gettext("Password created %(date)s"), { date: formatDate(passwordCreatedAt) });
  created.hidden = false;
}

/**
 * The old password's kB, re-wrapped by the new one: reauth for the keyFetchToken of the stretch
 * the account uses (v2 when it has a clientSalt), then the mfa route with both new stretches.
 */
async function changePassword(account, oldPassword, newPassword) {
  const old = await oldCredentials(account, oldPassword);
  const keys = await unbundleKeys(old.keyFetchToken, (await get("/account/keys", {
    token: old.keyFetchToken, tokenType: "keyFetchToken",
  })).bundle);
  const kB = deriveKB(keys.wrapKB, old.unwrapBKey);
  const body = { oldAuthPW: old.authPW, ...(await newPasswordCredentials(old.saltEmail, newPassword, kB)) };
  return withStepUp(account, "password", (bearer) => post("/mfa/password/change", body, { bearer }));
}

async function oldCredentials(account, password, saltEmail = account.email) {
  const status = await post("/account/credentials/status", { email: account.email });
  const v2 = status.currentVersion === "v2" && status.clientSalt;
  const stretched = v2 ? await stretchV2(status.clientSalt, password) : await stretchV1(saltEmail, password);
  const authPW = bytesToHex(stretched.authPW);
  const body = { email: saltEmail, authPW };
  if (saltEmail !== account.email) body.originalLoginEmail = account.email;
  let answer;
  try {
    answer = await post("/session/reauth", body, { token: account.sessionToken, query: { keys: "true" } });
  } catch (error) {
    if (error instanceof ApiError && error.errno === Errno.INCORRECT_EMAIL_CASE && error.body.email && saltEmail === account.email) {
      // The v1 stretch is salted with the address as it was typed at sign-up.
      return oldCredentials(account, password, error.body.email);
    }
    if (error instanceof ApiError && error.errno === Errno.INCORRECT_PASSWORD) {
      throw new FieldError(document.getElementById("current-password"), gettext("Incorrect password."));
    }
    throw error;
  }
  return {
    authPW,
    saltEmail,
    unwrapBKey: stretched.unwrapBKey,
    keyFetchToken: v2 ? answer.keyFetchTokenVersion2 : answer.keyFetchToken,
  };
}
