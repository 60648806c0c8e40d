// OAuth for web relying parties once the user is signed in (oauth.md §5, content-server.md §3):
// decide whether the RP may have a code now — a fresh password for prompt=login/max_age, two-step
// authentication for acr_values=AAL2, consent for untrusted clients — then get the code with the
// session (POST /v1/oauth/authorization) and hand it to the RP in its response_mode.
//
// Anything sent back to the RP goes to the redirect_uri the server checked: the `redirect` of the
// authorization answer, or /authorization/response, which checks it again. Nothing here builds a
// URL to the RP from the query alone.
import { ApiError, Errno, get, post } from "./api.js";
import * as firefox from "./firefox.js";
import { go, goToSyncLanding, pageUrl, params } from "./flow.js";
import { oauthClient } from "./service.js";
import { liveAccount } from "./session.js";

// Accepted scopes per account uid and client id, as upstream remembers them: in this browser.
// Kept apart from the session so that signing out does not ask the same questions again.
const CONSENT_KEY = "fxa.oauth.consent";
// How a session reaches AAL2 (GET /session/status details.sessionVerificationMethod).
const SECOND_FACTOR_METHODS = new Set(["totp-2fa", "recovery-code", "sms-2fa"]);
// prompt=login and max_age=0 want the password typed in this flow: this recently (seconds).
const FRESH_LOGIN_SECONDS = 600;
// The errnos of /v1/oauth/authorization that the error page explains (oauth/views.py PROBLEMS).
const EXPLAINED_ERRNOS = new Set([107, 162, 163, 167, 168, 169, 170, 204]);

export function prompts() {
  return new Set((params.get("prompt") || "").split(/\s+/).filter(Boolean));
}

/** The requested scopes, each once (`email` is OIDC's name of profile:email). */
export function requestedScopes() {
  const scopes = (params.get("scope") || "").split(/\s+/).filter(Boolean);
  return [...new Set(scopes.map((scope) => (scope === "email" ? "profile:email" : scope)))];
}

// Whether holding `held` grants `scope` (oauth/scopes.py implies, for the short names).
function implies(held, scope) {
  if (held === scope) return true;
  if (held.startsWith("https://") || scope.startsWith("https://")) return false;
  const writes = held.endsWith(":write");
  if (scope.endsWith(":write") && !writes) return false;
  const base = writes ? held.slice(0, -":write".length) : held;
  return scope === base || scope.startsWith(base + ":");
}

function consents() {
  try {
    return JSON.parse(localStorage.getItem(CONSENT_KEY) || "{}") || {};
  } catch {
    return {};
  }
}

function clientId() {
  return (params.get("client_id") || "").toLowerCase();
}

/** Whether this account already accepted every requested scope for this client. */
export function hasConsent(account, scopes = requestedScopes()) {
  const accepted = consents()[account.uid]?.[clientId()] || [];
  return scopes.every((scope) => accepted.some((held) => implies(held, scope)));
}

export function rememberConsent(account, scopes = requestedScopes()) {
  const all = consents();
  const forAccount = (all[account.uid] ||= {});
  forAccount[clientId()] = [...new Set([...(forAccount[clientId()] || []), ...scopes])];
  localStorage.setItem(CONSENT_KEY, JSON.stringify(all));
}

function consentNeeded(client, account) {
  if (prompts().has("consent")) return true;
  return !client.trusted && !hasConsent(account);
}

// The server's clock (the Timestamp header of every answer), so that a wrong clock here can
// neither skip nor endlessly repeat the password step.
async function serverNow() {
  try {
    const response = await fetch("/__lbheartbeat__", { cache: "no-store", credentials: "omit" });
    const timestamp = Number(response.headers.get("Timestamp"));
    if (timestamp) return timestamp;
  } catch {
    // Fall back to this browser's clock.
  }
  return Math.floor(Date.now() / 1000);
}

/** Seconds within which the password must have been typed (max_age, prompt=login), or null. */
function authAgeLimit() {
  const maxAge = params.get("max_age");
  let limit = null;
  if (maxAge !== null && /^\d+$/.test(maxAge)) limit = Number(maxAge) || FRESH_LOGIN_SECONDS;
  if (prompts().has("login")) limit = Math.min(limit ?? FRESH_LOGIN_SECONDS, FRESH_LOGIN_SECONDS);
  return limit;
}

async function signedInTooLongAgo(account) {
  const limit = authAgeLimit();
  if (limit === null) return false;
  if (!account.authAt) return true; // a session from before this browser kept the time
  return (await serverNow()) - account.authAt > limit;
}

function twoStepRequired() {
  return (params.get("acr_values") || "").split(/\s+/).includes("AAL2");
}

async function sessionIsAal2(account) {
  const status = await get("/session/status", { token: account.sessionToken });
  return SECOND_FACTOR_METHODS.has(status.details?.sessionVerificationMethod);
}

async function hasTwoStep(account) {
  const status = await get("/totp/exists", { token: account.sessionToken }).catch(() => ({}));
  return Boolean(status.exists);
}

/** What stops the sign-in, on our error page (oauth/views.py authorization_error_page). */
function showProblem(problem, errno) {
  location.assign(pageUrl("/authorization/error", { problem, errno }));
}

/** The routing fields of an answer to the RP, for /authorization/response. */
function answerFields(fields) {
  const answer = { client_id: clientId() };
  for (const key of ["redirect_uri", "response_mode"]) {
    if (params.get(key)) answer[key] = params.get(key);
  }
  return { ...answer, ...fields, state: params.get("state") || "" };
}

/** Send the RP an OAuth error (access_denied, login_required…) through the server's check. */
export function respondWithError(error) {
  location.assign("/authorization/response?" + new URLSearchParams(answerFields({ error })));
}

// A code in the fragment instead of the query of the (server-checked) redirect.
function fragmentUrl(result) {
  const url = new URL(result.redirect);
  url.searchParams.delete("code");
  url.searchParams.delete("state");
  url.hash = new URLSearchParams({ code: result.code, state: result.state }).toString();
  return url.toString();
}

// response_mode=form_post: our server renders the form that posts to the RP (only that page's
// CSP may allow the RP's origin as a form target; ours allows 'self').
function postCode(result) {
  const form = document.createElement("form");
  form.method = "post";
  form.action = "/authorization/response";
  form.hidden = true;
  for (const [name, value] of Object.entries(answerFields({ code: result.code, response_mode: "form_post" }))) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.append(input);
  }
  document.body.append(form);
  form.submit();
}

function deliver(result) {
  const mode = params.get("response_mode") || "query";
  if (mode === "form_post") return postCode(result);
  location.assign(mode === "fragment" ? fragmentUrl(result) : result.redirect);
}

function authorizationBody() {
  const body = { client_id: clientId(), state: params.get("state") || "", response_type: "code" };
  for (const key of ["scope", "access_type", "code_challenge", "code_challenge_method", "redirect_uri", "acr_values", "nonce"]) {
    if (params.get(key)) body[key] = params.get(key);
  }
  return body;
}

// The account the silent request names (login_hint, or the id_token_hint's sub) is this one.
async function matchesHint(account, hint) {
  if (hint.opaque && !hint.email) return false; // a pairwise sub: cannot tell who it is
  if (hint.uid && hint.uid !== account.uid) return false;
  if (hint.email) {
    // The primary address now (it may have changed since this browser stored it).
    const status = await get("/recovery_email/status", { token: account.sessionToken }).catch(() => account);
    if ((status.email || "").toLowerCase() !== hint.email.toLowerCase()) return false;
  }
  return true;
}

/**
 * Authorize the RP of this flow with the held session, or take the user to the step it needs first.
 *
 * `kind` ("signin" or "signup") picks the consent page's address; `consented` says the user just
 * allowed this request on it. With `silent` (prompt=none: the request's hint, {email, uid, opaque})
 * nothing is asked: each step that would need the user answers the RP with an error instead.
 */
export async function authorize({ kind = "signin", consented = false, silent = null } = {}) {
  const ask = (error, step) => (silent ? respondWithError(error) : step());
  // Scoped keys need kB, which only a password typed in this flow gives: never silently.
  if (silent && params.has("keys_jwk")) return respondWithError("invalid_request");
  const account = await liveAccount();
  if (!account) return ask("login_required", () => go("/oauth/", {}, { replace: true }));
  if (silent && !(await matchesHint(account, silent))) {
    return respondWithError(silent.opaque ? "interaction_required" : "account_selection_required");
  }
  if (!account.verified) return ask("interaction_required", () => go("/oauth/signin", { email: account.email }));
  const client = await oauthClient();
  if (!client) return ask("invalid_request", () => showProblem("unexpected"));
  if (await signedInTooLongAgo(account)) {
    return ask("login_required", () => go("/oauth/signin", { email: account.email }));
  }
  if (twoStepRequired() && !(await sessionIsAal2(account))) {
    if (silent) return respondWithError("interaction_required");
    if (await hasTwoStep(account)) return go("/signin_totp_code");
    return showProblem("two_step_required", Errno.INSUFFICIENT_ACR_VALUES);
  }
  if (!consented && consentNeeded(client, account)) {
    return ask("consent_required", () => go(kind === "signup" ? "/oauth/signup_permissions" : "/oauth/signin_permissions"));
  }
  const body = authorizationBody();
  if (firefox.codeGoesToFirefox()) body.redirect_uri = firefox.firefoxRedirect();
  let result;
  try {
    if (params.has("keys_jwk")) {
      body.keys_jwe = await firefox.sealScopedKeys(account, clientId(), body.scope || "");
      // Nothing held to make the keys from (a "continue as", a new tab): the password again.
      if (!body.keys_jwe) return go("/oauth/signin", { email: account.email });
    }
    result = await post("/oauth/authorization", body, { token: account.sessionToken });
  } catch (error) {
    return refused(error, account, ask);
  }
  if (!firefox.codeGoesToFirefox()) return deliver(result);
  await firefox.sendOAuthLogin(result, kind);
  if (params.get("service") === "sync") return goToSyncLanding(kind, { replace: true });
  return go(`/${kind}_confirmed`, {}, { replace: true });
}

function refused(error, account, ask) {
  if (!(error instanceof ApiError)) throw error;
  switch (error.errno) {
    case Errno.INVALID_TOKEN: // the session ended meanwhile (or is below the account's AAL)
      return ask("login_required", () => go("/oauth/signin", { email: account.email }));
    case Errno.ACCOUNT_UNVERIFIED:
      return ask("interaction_required", () => go("/confirm_signup_code"));
    case Errno.SESSION_UNVERIFIED:
      return ask("interaction_required", () => go("/signin_token_code"));
    case Errno.INSUFFICIENT_ACR_VALUES:
      return ask("interaction_required", () => showProblem("two_step_required", error.errno));
    default:
      if (EXPLAINED_ERRNOS.has(error.errno)) return ask("invalid_request", () => showProblem(null, error.errno));
      throw error; // network, busy server, throttling: the page says so and the user may retry
  }
}
