// Signing Firefox in (content-server.md §5 "Current Desktop sign-in sequence"): what the pages
// tell the browser over the WebChannel at each step, and the scoped keys they seal for it.
//
// The password's unwrapBKey and the keyFetchToken (or, at sign-up, kB itself) are needed after
// the code step, a page later, to make the keys: they are kept in this tab's sessionStorage
// until then and dropped as soon as the keys are sealed. They never go to the server.
import { get, post } from "./api.js";
import { deriveKB, hexToBytes, unbundleKeys } from "./crypto.js";
import { params } from "./flow.js";
import { gettext } from "./i18n.js";
import { OLDSYNC, deriveScopedKeys, encryptToKeysJwk } from "./scoped_keys.js";
import { currentAccount, forgetAccount, storeAccount } from "./session.js";
import {
  LEGACY_CONTEXT, OAUTH_CONTEXT, WEBCHANNEL_REDIRECT, firefoxContext, fxaStatus, request, send, syncEngines,
} from "./webchannel.js";

const KEYS_KEY = "fxa.firefox.keys";
const ENGINES_KEY = "fxa.firefox.engines";
// Firefox answers oauth_flow_begin at once; an older one that does not know it never answers.
const FLOW_BEGIN_TIMEOUT_MS = 3000;

function isSync() {
  return params.get("service") === "sync";
}

/**
 * On a page Firefox opened: ask for its status (its signed-in user is preferred to ours), then
 * say the page is shown. Returns the status, or null outside such a flow or outside Firefox.
 */
export async function startFirefoxPage({ adoptUser = false } = {}) {
  if (!firefoxContext()) return null;
  const status = await fxaStatus();
  if (!status) return null;
  const user = status.signedInUser;
  if (adoptUser && user && user.sessionToken) {
    if (currentAccount()?.uid !== user.uid) forgetAccount();
    storeAccount({ uid: user.uid, email: user.email, sessionToken: user.sessionToken, verified: Boolean(user.verified) });
  }
  send("fxaccounts:loaded");
  return status;
}

/** fxaccounts:can_link_account: whether Firefox lets this account replace the previous one there. */
export async function canLinkAccount(email, uid) {
  if (!firefoxContext() || !(await fxaStatus())) return true;
  const answer = await request("fxaccounts:can_link_account", uid ? { email, uid } : { email });
  return Boolean(answer && answer.ok);
}

/** Why the sign-in stopped when Firefox said no to can_link_account (the user cancelled there). */
export function linkRefusedMessage() {
  return gettext("Firefox did not connect this account. Use another account, or try again.");
}

/** What the user chose to sync ({offeredEngines, declinedEngines}); all offered by default. */
export async function syncChoice() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(ENGINES_KEY) || "null");
    if (saved) return saved;
  } catch {
    // A damaged entry: fall back to every engine.
  }
  return { offeredEngines: await syncEngines(), declinedEngines: [] };
}

export function saveSyncChoice(offeredEngines, declinedEngines) {
  sessionStorage.setItem(ENGINES_KEY, JSON.stringify({ offeredEngines, declinedEngines }));
}

/**
 * Keep what the keys are made from (hex): `{uid, keyFetchToken, unwrapBKey}`, and `kB` too
 * after a sign-up, where this page chose it.
 */
export function holdKeyMaterial(material) {
  if (!firefoxContext() && !params.has("keys_jwk")) return;
  sessionStorage.setItem(KEYS_KEY, JSON.stringify(material));
}

function heldKeyMaterial(uid) {
  try {
    const material = JSON.parse(sessionStorage.getItem(KEYS_KEY) || "null");
    return material && material.uid === uid ? material : null;
  } catch {
    return null;
  }
}

/**
 * fxaccounts:login after a sign-in or sign-up (verified or not yet). The older fx_desktop_v3
 * flow also hands over keyFetchToken and unwrapBKey for the browser to fetch kB itself.
 */
export async function sendLogin(account, { verified = false } = {}) {
  if (!firefoxContext() || !(await fxaStatus())) return;
  const data = {
    email: account.email, uid: account.uid, sessionToken: account.sessionToken, verified,
    verifiedCanLinkAccount: true,
  };
  if (account.authAt) data.authAt = account.authAt;
  if (isSync()) {
    const { offeredEngines, declinedEngines } = await syncChoice();
    data.services = { sync: { offeredEngines, declinedEngines } };
  }
  const material = heldKeyMaterial(account.uid);
  if (firefoxContext() === LEGACY_CONTEXT && material) {
    data.keyFetchToken = material.keyFetchToken;
    data.unwrapBKey = material.unwrapBKey;
  }
  await request("fxaccounts:login", data);
}

async function accountKB(material) {
  if (material.kB) return hexToBytes(material.kB);
  const { bundle } = await get("/account/keys", { token: material.keyFetchToken, tokenType: "keyFetchToken" });
  const { wrapKB } = await unbundleKeys(material.keyFetchToken, bundle);
  return deriveKB(wrapKB, hexToBytes(material.unwrapBKey));
}

/**
 * The keys_jwe of this authorization (oauth.md §9): kB from what was held, each keyed scope's
 * metadata from /account/scoped-key-data, the derived keys sealed to the request's keys_jwk.
 * Null when nothing is held (the password has to be typed again).
 */
export async function sealScopedKeys(account, clientId, scope) {
  const material = heldKeyMaterial(account.uid);
  if (!material) return null;
  const kB = await accountKB(material);
  const metadata = await post("/account/scoped-key-data", { client_id: clientId, scope }, { token: account.sessionToken });
  const bundle = await deriveScopedKeys(kB, account.uid, metadata);
  const jwe = await encryptToKeysJwk(params.get("keys_jwk"), JSON.stringify(bundle));
  sessionStorage.removeItem(KEYS_KEY);
  return jwe;
}

/** Whether the code goes to Firefox over the WebChannel rather than to a redirect URI. */
export function codeGoesToFirefox() {
  return firefoxContext() === OAUTH_CONTEXT;
}

/** The redirect_uri Firefox's authorization uses (it sends none itself). */
export function firefoxRedirect() {
  return params.get("redirect_uri") || WEBCHANNEL_REDIRECT;
}

/** fxaccounts:oauth_login: Firefox redeems the code itself, with its PKCE verifier. */
export async function sendOAuthLogin(result, kind) {
  const data = { code: result.code, state: result.state, redirect: WEBCHANNEL_REDIRECT, action: kind };
  if (isSync()) {
    const { offeredEngines, declinedEngines } = await syncChoice();
    data.offeredSyncEngines = offeredEngines;
    data.declinedSyncEngines = declinedEngines;
  }
  await request("fxaccounts:oauth_login", data);
  sessionStorage.removeItem(ENGINES_KEY);
}

/**
 * fxaccounts:oauth_flow_begin: this page lost the browser's OAuth parameters (it came from a link
 * in an email, say), so ask Firefox for a fresh flow and carry on with its parameters.
 */
export async function resumeFirefoxFlow() {
  if (!(await fxaStatus())) return;
  const scopes = isSync() ? ["profile", OLDSYNC] : ["profile"];
  const fresh = await request("fxaccounts:oauth_flow_begin", { scopes });
  for (const [name, value] of Object.entries(fresh || {})) params.set(name, value);
  history.replaceState(null, "", `${location.pathname}?${params}`);
}

/**
 * From /connect_another_device in a Firefox not signed in: ask Firefox for a fresh Sync flow
 * (fxaccounts:oauth_flow_begin) and start its sign-in here. False when Firefox gives none.
 */
export async function beginSyncSignIn(email) {
  const fresh = await request("fxaccounts:oauth_flow_begin", { scopes: ["profile", OLDSYNC] },
    { timeout: FLOW_BEGIN_TIMEOUT_MS }).catch(() => null);
  if (!fresh || !fresh.state) return false;
  const query = new URLSearchParams({
    context: OAUTH_CONTEXT, service: "sync", action: "email", entrypoint: "fxa_connect_another_device", ...fresh,
  });
  if (email) query.set("email", email);
  location.assign(`/?${query}`);
  return true;
}

/** fxaccounts:sync_preferences: Firefox opens about:preferences#sync. */
export function openSyncPreferences() {
  send("fxaccounts:sync_preferences", {});
}

// From the settings pages (content-server.md §5): Firefox follows what happened to the account
// it is signed in to (it compares the uid and ignores other accounts').

export function notifyLogout(uid) {
  send("fxaccounts:logout", { uid });
}

export function notifyDelete(uid) {
  send("fxaccounts:delete", { uid });
}

export function notifyProfileChange(uid) {
  send("profile:change", { uid });
}

/** The new session after a password change, to the Firefox signed in to this account only. */
export async function notifyPasswordChange(account) {
  const status = await fxaStatus();
  if (status?.signedInUser?.uid !== account.uid) return;
  await request("fxaccounts:change_password", {
    email: account.email, uid: account.uid, sessionToken: account.sessionToken, verified: Boolean(account.verified),
  });
}
