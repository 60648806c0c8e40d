// The page session: the signed-in account, kept in the browser's localStorage as upstream's
// settings app does (README, "Web pages"). Nothing here is a cookie, so /v1 calls carry it as a
// Bearer token and no page request can be forged with it (no CSRF surface). Every page that relies
// on it asks the server first, so a session destroyed elsewhere ends here too.
import { ApiError, Errno, get, post } from "./api.js";

const KEY = "fxa.account";

export function currentAccount() {
  try {
    const account = JSON.parse(localStorage.getItem(KEY) || "null");
    return account && account.sessionToken ? account : null;
  } catch {
    return null;
  }
}

export function storeAccount(account) {
  const merged = { ...(currentAccount() || {}), ...account };
  localStorage.setItem(KEY, JSON.stringify(merged));
  return merged;
}

export function forgetAccount() {
  localStorage.removeItem(KEY);
}

/** The held account if the server still knows its session (with its state), else null. */
export async function liveAccount() {
  const account = currentAccount();
  if (!account) return null;
  try {
    const status = await get("/session/status", { token: account.sessionToken });
    return storeAccount({
      verified: status.state === "verified",
      // A session can be verified while the account's address is not yet (a sign-in soon after
      // sign-up): the sign-up code is still owed.
      emailVerified: status.details ? Boolean(status.details.accountEmailVerified) : undefined,
      // A two-step account's session must have passed TOTP (AAL2) to open the settings.
      meetsMinimumAal: status.details ? status.details.sessionVerificationMeetsMinimumAAL !== false : undefined,
      uid: status.uid || account.uid,
    });
  } catch (error) {
    if (error instanceof ApiError && error.errno === Errno.INVALID_TOKEN) {
      forgetAccount();
      return null;
    }
    throw error;
  }
}

/** Sign out: destroy the session on the server, then forget it here whatever the answer. */
export async function signOut() {
  const account = currentAccount();
  forgetAccount();
  if (account) {
    try {
      await post("/session/destroy", {}, { token: account.sessionToken });
    } catch {
      // Already gone (110) or unreachable: the browser has forgotten it either way.
    }
  }
}

/** Another tab signed out (or in as someone else): follow it. */
export function onAccountChange(callback) {
  window.addEventListener("storage", (event) => {
    if (event.key === KEY || event.key === null) callback(currentAccount());
  });
}
