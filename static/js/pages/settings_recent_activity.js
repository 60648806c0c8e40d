// /settings/recent_activity (content-server.md §3 "Settings"): GET /v1/securityEvents in words.
// Each event name upstream records has its sentence here; a name without one (a newer server)
// is still listed, under a general sentence.
import { get } from "../api.js";
import { format, gettext, language } from "../i18n.js";
import { endedSession, openSettings } from "../settings.js";
import { errorMessage, showError } from "../ui.js";

// Functions, so that the translations are looked up once the catalog is loaded.
const EVENTS = {
  "account.create": () => gettext("Account created"),
  "account.login": () => gettext("Signed in"),
  "account.login.failure": () => gettext("A sign-in failed: wrong password"),
  "account.login.rejectedUnblockCode": () => gettext("A sign-in authorization code was reported as not yours"),
  "account.reset": () => gettext("Password reset"),
  "account.password_reset_requested": () => gettext("Password reset requested"),
  "account.password_reset_otp_sent": () => gettext("Password reset code sent"),
  "account.password_reset_otp_verified": () => gettext("Password reset code confirmed"),
  "account.password_reset_success": () => gettext("Password reset completed"),
  "account.password_changed": () => gettext("Password changed"),
  "account.password_added": () => gettext("Password created"),
  "account.password_upgraded": () => gettext("Password protection upgraded"),
  "account.password_upgrade_success": () => gettext("Password protection upgraded"),
  "account.primary_secondary_swapped": () => gettext("Primary email changed"),
  "account.secondary_email_added": () => gettext("Secondary email added"),
  "account.secondary_email_removed": () => gettext("Secondary email removed"),
  "account.recovery_key_added": () => gettext("Account recovery key created"),
  "account.recovery_key_removed": () => gettext("Account recovery key removed"),
  "account.recovery_key_challenge_success": () => gettext("Account recovery key used"),
  "account.recovery_key_challenge_failure": () => gettext("A wrong account recovery key was tried"),
  "account.two_factor_added": () => gettext("Two-step authentication turned on"),
  "account.two_factor_removed": () => gettext("Two-step authentication turned off"),
  "account.two_factor_replace_success": () => gettext("Authenticator app changed"),
  "account.two_factor_challenge_success": () => gettext("Two-step authentication code accepted"),
  "account.two_factor_challenge_failure": () => gettext("A wrong two-step authentication code was tried"),
  "account.recovery_codes_created": () => gettext("Backup authentication codes created"),
  "account.recovery_codes_set": () => gettext("Backup authentication codes created"),
  "account.recovery_codes_replaced": () => gettext("Backup authentication codes replaced"),
  "account.recovery_codes_signin_complete": () => gettext("Signed in with a backup authentication code"),
  "account.mfa_send_otp_code": () => gettext("Confirmation code sent for a security change"),
  "account.mfa_verify_otp_code_success": () => gettext("Confirmation code accepted for a security change"),
  "account.mfa_verify_otp_code_failed": () => gettext("A wrong confirmation code was tried for a security change"),
  "emails.clearBounces": () => gettext("Email delivery problems cleared"),
  "session.destroy": () => gettext("Signed out"),
};

function describeEvent(name) {
  const sentence = EVENTS[name];
  return sentence ? sentence() : gettext("Other account activity");
}

export async function init() {
  const account = await openSettings();
  if (!account) return;
  const list = document.querySelector("[data-activity-list]");
  let events;
  try {
    events = await get("/securityEvents", { token: account.sessionToken });
  } catch (error) {
    if (endedSession(error)) return;
    showError(document.querySelector(".card"), errorMessage(error));
    return;
  } finally {
    list.removeAttribute("aria-busy");
  }
  const template = document.querySelector("template[data-activity-item]");
  const dates = new Intl.DateTimeFormat(language(), { dateStyle: "medium", timeStyle: "short" });
  for (const event of events) {
    const item = template.content.firstElementChild.cloneNode(true);
    item.dataset.event = event.name;
    item.querySelector("[data-name]").textContent = describeEvent(event.name);
    const time = item.querySelector("[data-time]");
    time.dateTime = new Date(event.createdAt).toISOString();
    time.textContent = dates.format(event.createdAt);
    const where = [event.location && [event.location.city, event.location.country].filter(Boolean).join(", "), event.ipAddr]
      .filter(Boolean).join(" · ");
    item.querySelector("[data-where]").textContent = where ? format(gettext("from %(place)s"), { place: where }) : "";
    list.append(item);
  }
  document.querySelector("[data-activity-empty]").hidden = events.length > 0;
}
