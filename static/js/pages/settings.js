// /settings (content-server.md §3 "Settings"): the main page. openSettings() holds the gate (a
// session, confirmed, AAL2 for two-step accounts); each section is then filled from its /v1 call,
// so the page shows what the server holds on every load. The actions that need more than one
// field live on the sub-pages linked from here; sign out, the connected services and the data
// collection toggle are done in place.
import { ApiError, get, post } from "../api.js";
import { format, gettext, language } from "../i18n.js";
import { notifyLogout } from "../firefox.js";
import { forgetAccount, signOut } from "../session.js";
import { endedSession, openSettings, toast } from "../settings.js";
import { clearMessages, errorMessage, onSubmit, showError } from "../ui.js";

const LOW_BACKUP_CODES = 2;  // upstream warns below 2 remaining codes

export async function init() {
  const account = await openSettings();
  if (!account) return;
  const token = account.sessionToken;
  for (const element of document.querySelectorAll("[data-account-email]")) element.textContent = account.email;

  onSubmit(document.getElementById("signout-form"), async () => {
    notifyLogout(account.uid);
    await signOut();
    location.assign("/");
  });

  try {
    const [profile, data, totp, codes, recoveryKey] = await Promise.all([
      get("/account/profile", { token }),
      get("/account", { token }),
      get("/totp/exists", { token }),
      get("/recoveryCodes/exists", { token }),
      post("/recoveryKey/exists", {}, { token }),
    ]);
    showProfile(profile);
    showSecurity(data, totp, codes, recoveryKey);
    bindMetrics(token, profile.metricsEnabled);
    // The profile server (display name, picture) and the connected services fill in after.
    showNameAndPicture(token);
    await showConnectedServices(token);
  } catch (error) {
    if (endedSession(error)) return;
    showNotice(document.querySelector("[data-page-error]"), errorMessage(error));
  }
  document.querySelector("[data-signed-in]").hidden = false;
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
}

function showNotice(region, message) {
  region.textContent = message;
  region.className = "notice notice-error";
}

function longDate(ms) {
  return new Date(ms).toLocaleDateString(language(), { year: "numeric", month: "long", day: "numeric" });
}

function showProfile(profile) {
  document.querySelector("[data-primary-email]").textContent = profile.email;
  for (const element of document.querySelectorAll("[data-account-email]")) element.textContent = profile.email;
  document.querySelector("[data-monogram]").textContent = profile.email.slice(0, 1).toUpperCase();
}

/** The display name and picture from the profile server; the monogram stays if it cannot answer. */
async function showNameAndPicture(token) {
  let profile;
  try {
    profile = await get("/profile", { token });
  } catch (error) {
    if (!(error instanceof ApiError)) console.error(error);
    return;
  }
  if (profile.displayName) document.querySelector("[data-display-name]").textContent = profile.displayName;
  if (profile.avatar && profile.avatarDefault === false) {
    const image = document.querySelector("[data-avatar]");
    image.src = profile.avatar;
    image.hidden = false;
    document.querySelector("[data-monogram]").hidden = true;
  }
}

function setRow(name, value, action, href) {
  document.querySelector(`[data-${name}-state]`).textContent = value;
  const link = document.querySelector(`[data-${name}-action]`);
  link.textContent = action;
  link.href = href;
}

function showSecurity(data, totp, codes, recoveryKey) {
  if (data.hasPassword) {
    setRow("password", format(gettext("Created %(date)s"), { date: longDate(data.passwordCreatedAt) }),
      gettext("Change"), "/settings/change_password");
  } else {
    setRow("password", gettext("No password set"), gettext("Create"), "/settings/create_password");
  }
  const twoStep = totp.exists && totp.verified;
  setRow("two-step", twoStep ? gettext("On") : gettext("Off"),
    twoStep ? gettext("Manage") : gettext("Add"), "/settings/two_step_authentication");
  document.querySelector("[data-backup-codes-low]").hidden = !(twoStep && codes.count < LOW_BACKUP_CODES);
  setRow("recovery-key", recoveryKey.exists ? gettext("Enabled") : gettext("Not set"),
    recoveryKey.exists ? gettext("Manage") : gettext("Create"), "/settings/account_recovery");
}

// Data collection and use.

function bindMetrics(token, enabled) {
  const toggle = document.querySelector("[data-metrics-toggle]");
  const region = document.querySelector("[data-metrics-error]");
  toggle.setAttribute("aria-checked", String(enabled));
  toggle.addEventListener("click", async () => {
    const turnOn = toggle.getAttribute("aria-checked") !== "true";
    region.textContent = "";
    toggle.disabled = true;
    try {
      await post("/account/metrics_opt", { state: turnOn ? "in" : "out" }, { token });
      toggle.setAttribute("aria-checked", String(turnOn));
      toast(turnOn ? gettext("Thanks for helping improve Mozilla accounts.") : gettext("Mozilla accounts will no longer collect this data."));
    } catch (error) {
      if (!endedSession(error)) showNotice(region, errorMessage(error));
    } finally {
      toggle.disabled = false;
    }
  });
}

// Connected services.

const DEVICE_TYPES = {
  desktop: () => gettext("Computer"),
  mobile: () => gettext("Phone"),
  tablet: () => gettext("Tablet"),
  vr: () => gettext("VR headset"),
  tv: () => gettext("TV"),
};

/** "device", "app" (an OAuth client without a device record) or "web" (a browser session). */
function kindOf(client) {
  if (client.deviceId) return "device";
  return client.clientId ? "app" : "web";
}

function typeLabel(client) {
  const kind = kindOf(client);
  if (kind === "device") return (DEVICE_TYPES[client.deviceType] || DEVICE_TYPES.desktop)();
  return kind === "app" ? gettext("App") : gettext("Web session");
}

function relativeTime(ms) {
  const seconds = Math.round((ms - Date.now()) / 1000);
  const units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];
  const formatter = new Intl.RelativeTimeFormat(language(), { numeric: "auto" });
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return formatter.format(Math.round(seconds / size), unit);
  }
  return formatter.format(0, "minute");
}

function place(location) {
  if (!location) return "";
  return [location.city, location.stateCode || location.state, location.country].filter(Boolean).join(", ");
}

/** The line under a client's name: its type (unless it is the name), where, and when last used. */
function describe(client) {
  const parts = client.name ? [typeLabel(client)] : [];
  const where = place(client.location);
  if (where) parts.push(where);
  if (client.lastAccessTime) parts.push(format(gettext("Last active %(when)s"), { when: relativeTime(client.lastAccessTime) }));
  return parts.join(" · ");
}

async function showConnectedServices(token) {
  const clients = await get("/account/attached_clients", { token });
  const list = document.querySelector("[data-connected-list]");
  const template = document.querySelector("template[data-connected-item]");
  list.replaceChildren();
  for (const client of clients) {
    const item = template.content.firstElementChild.cloneNode(true);
    item.dataset.kind = kindOf(client);
    if (client.deviceType) item.dataset.deviceType = client.deviceType;
    const name = client.name || typeLabel(client);
    item.querySelector("[data-name]").textContent = name;
    item.querySelector("[data-current]").hidden = !client.isCurrentSession;
    item.querySelector("[data-meta]").textContent = describe(client);
    const button = item.querySelector("[data-sign-out]");
    button.setAttribute("aria-label", format(gettext("Sign out of %(name)s"), { name }));
    button.addEventListener("click", () => signOutClient(token, client, name, item, button));
    list.append(item);
  }
  document.querySelector("[data-connected-empty]").hidden = clients.length > 0;
}

/** The fields /account/attached_client/destroy takes, as the list named them. */
function clientIds(client) {
  const body = {};
  for (const field of ["clientId", "deviceId", "sessionTokenId", "refreshTokenId"]) {
    if (client[field]) body[field] = client[field];
  }
  return body;
}

async function signOutClient(token, client, name, item, button) {
  const region = document.querySelector("[data-connected-error]");
  const advice = document.querySelector("[data-connected-advice]");
  region.textContent = "";
  let reason = null;
  if (client.deviceId) {
    reason = await askWhy(name);
    if (!reason) return;
  }
  button.disabled = true;
  try {
    await post("/account/attached_client/destroy", clientIds(client), { token });
  } catch (error) {
    button.disabled = false;
    if (!endedSession(error)) showNotice(region, errorMessage(error));
    return;
  }
  if (client.isCurrentSession) {
    // This browser's own session: it is gone, so the page is signed out too.
    forgetAccount();
    location.assign("/");
    return;
  }
  item.remove();
  document.querySelector("[data-connected-empty]").hidden = document.querySelector("[data-connected-list]").children.length > 0;
  advice.hidden = !(reason === "lost" || reason === "suspicious");
  toast(format(gettext("Signed out of %(name)s."), { name }));
}

/** Why a Sync device is signed out ("lost", "suspicious", "other"), or null if the user cancels. */
function askWhy(name) {
  const dialog = document.querySelector("[data-device-reason]");
  const form = dialog.querySelector("form");
  dialog.querySelector("[data-device-reason-name]").textContent = name;
  form.reset();
  clearMessages(form);
  dialog.showModal();
  return new Promise((resolve) => {
    const controller = new AbortController();
    const done = (value) => {
      controller.abort();
      dialog.close();
      resolve(value);
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const chosen = form.elements.reason.value;
      if (chosen) done(chosen);
      else showError(form, gettext("Choose a reason to continue."));
    }, { signal: controller.signal });
    dialog.querySelector("[data-device-reason-cancel]").addEventListener("click", () => done(null), { signal: controller.signal });
    dialog.addEventListener("cancel", () => done(null), { signal: controller.signal });
  });
}
