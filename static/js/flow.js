// Where a page sends the user next. The query of the page (OAuth parameters, service, context,
// flow_id, redirect_to, email...) is carried from page to page, as upstream's pages do, so an RP's
// request survives sign-up, codes and resets (content-server.md §2–§4).
import { storeAccount } from "./session.js";

export const params = new URLSearchParams(location.search);

/** True when a relying party sent the user here (/authorization, /oauth/...). */
export function isOAuth() {
  return params.has("client_id");
}

/** `path` under /oauth/ when this page is there (the RP's flow stays on its twin pages). */
export function pagePath(path) {
  const underOAuth = location.pathname === "/oauth" || location.pathname.startsWith("/oauth/");
  return underOAuth ? "/oauth" + path : path;
}

/** `path` with the current query, changed by `changes` (a null value removes a parameter). */
export function pageUrl(path, changes = {}) {
  const query = new URLSearchParams(params);
  for (const [name, value] of Object.entries(changes)) {
    if (value === null || value === undefined) query.delete(name);
    else query.set(name, value);
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

export function go(path, changes = {}, { replace = false } = {}) {
  const url = pageUrl(path, changes);
  if (replace) location.replace(url);
  else location.assign(url);
}

/** The `service` the auth server is told about: the RP's client id in OAuth flows. */
export function service() {
  return params.get("service") || params.get("client_id") || undefined;
}

/** metricsContext from flow_id/flow_begin_time (events.md §4), when the RP or /metrics-flow gave one. */
export function metricsContext() {
  const flowId = params.get("flow_id");
  const flowBeginTime = Number(params.get("flow_begin_time"));
  if (!flowId || !/^[0-9a-f]{64}$/.test(flowId) || !Number.isSafeInteger(flowBeginTime)) return undefined;
  const context = { flowId, flowBeginTime };
  const deviceId = params.get("device_id");
  if (deviceId && /^[0-9a-f]{32}$/.test(deviceId)) context.deviceId = deviceId;
  return context;
}

/** Fields sent with every create/login/reset so the server can tie the request to the flow. */
export function flowFields() {
  const fields = {};
  const name = service();
  if (name) fields.service = name;
  const context = metricsContext();
  if (context) fields.metricsContext = context;
  return fields;
}

/** A same-origin path to return to (never another site: an open redirect). */
export function redirectTarget() {
  const target = params.get("redirect_to");
  if (!target || !target.startsWith("/") || target.startsWith("//") || target.includes("\\")) return null;
  return target;
}

/**
 * After /account/login (or create, or an unblocked login): keep the session, then go to the step
 * the server asks for, or on if the session is already verified.
 */
export async function continueAfterLogin(response, email) {
  const account = storeAccount({
    uid: response.uid,
    email,
    sessionToken: response.sessionToken,
    verified: Boolean(response.verified),
    authAt: response.authAt, // when the password was typed (s): max_age and prompt=login
  });
  const { sendLogin } = await import("./firefox.js");
  await sendLogin(account, { verified: Boolean(response.verified) });
  if (response.verified) return finish("signin");
  if (response.verificationReason === "signup" || response.emailVerified === false) {
    return go("/confirm_signup_code");
  }
  if (response.verificationMethod === "totp-2fa") return go("/signin_totp_code");
  return go("/signin_token_code");
}

/** On to where a confirmed Sync sign-up or sign-in lands (content-server.md §3, upstream's pages). */
export function goToSyncLanding(kind, options = {}) {
  if (kind === "signup") return go("/signup_confirmed_sync", {}, options);
  return go("/connect_another_device", { showSuccessMessage: "true" }, options);
}

/** The session is verified: authorize the RP, return where the user came from, or settings. */
export async function finish(kind) {
  const account = storeAccount({ verified: true });
  const firefox = await import("./firefox.js");
  if (firefox.codeGoesToFirefox() && !isOAuth()) await firefox.resumeFirefoxFlow();
  else if (!isOAuth()) await firefox.sendLogin(account, { verified: true });
  if (isOAuth()) {
    const { authorize } = await import("./oauth.js");
    return authorize({ kind });
  }
  const target = redirectTarget();
  if (target) return location.assign(target);
  const name = params.get("service");
  if (name === "sync") return goToSyncLanding(kind);
  // Another service without OAuth (an app that polls its session): say it worked, stay put.
  if (name) return go(kind === "signup" ? "/signup_confirmed" : "/signin_confirmed");
  return go("/settings", {}, { replace: true });
}
