// What the password-reset pages share (content-server.md §3 "Reset password", onepw.md §6.4, §7):
// the state of one reset carried from page to page, the passwordForgotToken → accountResetToken
// exchange with the second-factor step it may need, and the reset's error messages.
import { ApiError, Errno, post } from "./api.js";
import { pagePath, pageUrl } from "./flow.js";
import { format, gettext } from "./i18n.js";
import { errorMessage, onSubmit, showError } from "./ui.js";

const KEY = "fxa.reset";
// Errnos only the reset pages meet (accounts/errors.py).
export const RESET_WITH_SECONDARY_EMAIL = 145;
// Parameters of the older link from the `recovery` mail: they must not follow the user around.
const LINK_PARAMS = ["uid", "token", "code", "emailToHashWith", "reset_password_confirm"];

/**
 * The reset in progress: {email, emailToHashWith, uid, forgotToken, passCode, hasRecoveryKey,
 * resetToken, kB, recoveryKeyId}. Empty when none is.
 */
export function loadReset() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || "null") || {};
  } catch {
    return {};
  }
}

// sessionStorage, not localStorage: the reset's tokens (and a recovered kB) stay in this tab, die with it, and clearReset() drops them when the reset ends.
export function saveReset(changes) {
  const state = { ...loadReset(), ...changes };
  for (const [name, value] of Object.entries(changes)) {
    if (value === null || value === undefined) delete state[name];
  }
  sessionStorage.setItem(KEY, JSON.stringify(state));
  return state;
}

export function clearReset() {
  sessionStorage.removeItem(KEY);
}

/** The reset page at `path` (under /oauth/ when this one is), without the mail link's parameters. */
export function resetUrl(path, changes = {}) {
  const cleared = Object.fromEntries(LINK_PARAMS.map((name) => [name, null]));
  return pageUrl(pagePath(path), { ...cleared, ...changes });
}

export function resetGo(path, changes = {}, { replace = false } = {}) {
  const url = resetUrl(path, changes);
  if (replace) location.replace(url);
  else location.assign(url);
}

/** The address whose case the v1 stretch uses: the one the account was created with (§2.1). */
export function emailToHashWith(state) {
  return state.emailToHashWith || state.email;
}

/**
 * Trade the proven passwordForgotToken (its passCode, and the second factor when the account has
 * one) for an accountResetToken, kept in the state. False when the account's second factor must
 * be proven first: the server answers 138 then, and spends none of the code's tries.
 */
export async function tradeForgotToken({ withRecoveryKey }) {
  const state = loadReset();
  let answer;
  try {
    // With the key, the server leaves the "password reset" mail to /account/reset, which sends
    // the recovery-key one instead.
    answer = await post(
      "/password/forgot/verify_code",
      { code: state.passCode, accountResetWithRecoveryKey: Boolean(withRecoveryKey) },
      { token: state.forgotToken, tokenType: "passwordForgotToken" },
    );
  } catch (error) {
    if (error instanceof ApiError && error.errno === Errno.SESSION_UNVERIFIED) return false;
    throw error;
  }
  saveReset({ resetToken: answer.accountResetToken, forgotToken: null, passCode: null });
  return true;
}

/** Whether the account has an account recovery key (asked once per reset: it is rate-limited). */
export async function hasRecoveryKey() {
  const state = loadReset();
  if (typeof state.hasRecoveryKey === "boolean") return state.hasRecoveryKey;
  const { exists } = await post("/recoveryKey/exists", { email: state.email });
  saveReset({ hasRecoveryKey: Boolean(exists) });
  return Boolean(exists);
}

/**
 * The next step once the passwordForgotToken is proven: the TOTP step for a two-step account,
 * else the recovery key (when the account has one) or the new password.
 */
export async function exchangeForgotToken() {
  const withKey = await hasRecoveryKey();
  const { email } = loadReset();
  if (!(await tradeForgotToken({ withRecoveryKey: withKey }))) {
    return resetGo("/confirm_totp_reset_password", { email });
  }
  return resetGo(withKey ? "/account_recovery_confirm_key" : "/complete_reset_password", { email });
}

/** The reset's own words for an error, else the common ones (ui.js). */
export function resetErrorMessage(error) {
  if (error instanceof ApiError) {
    switch (error.errno) {
      case Errno.INVALID_TOKEN:
        return gettext("This password reset has expired or was already used. Start again to get a new code.");
      case Errno.ACCOUNT_UNKNOWN:
        return gettext("There is no account with this email address.");
      case Errno.RECOVERY_KEY_NOT_FOUND:
        return gettext("This account no longer has an account recovery key. Continue without it.");
      case RESET_WITH_SECONDARY_EMAIL:
        return gettext("Reset your password with your account’s primary email address.");
      case Errno.INVALID_VERIFICATION_CODE:
        if (error.body.tries !== undefined) {
          return format(gettext("That code is wrong or has expired. Tries left: %(tries)s."), { tries: error.body.tries });
        }
        break;
      default:
        break;
    }
  }
  return errorMessage(error);
}

/** Show `error` in the form's alert region, in the reset's words. */
export function showResetError(form, error) {
  if (!(error instanceof ApiError)) console.error(error);
  showError(form, resetErrorMessage(error));
}

/** onSubmit (ui.js) with the reset's words for the server's errors. */
export function onResetSubmit(form, handler) {
  onSubmit(form, async () => {
    try {
      await handler(form);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.errno === Errno.INVALID_TOKEN && document.getElementById("reset-restart")) {
        return showRestart(resetErrorMessage(error)); // the tab's token is dead: start again
      }
      showResetError(form, error);
    }
  });
}

/**
 * Hide the page's step and show its "start again" section: this tab holds no reset (it expired,
 * finished, or was begun in another tab).
 */
export function showRestart(message) {
  for (const element of document.querySelectorAll("[data-reset-step]")) element.hidden = true;
  const section = document.getElementById("reset-restart");
  if (message) section.querySelector("[data-restart-message]").textContent = message;
  section.hidden = false;
  const email = loadReset().email || new URLSearchParams(location.search).get("email");
  const [restart, signin] = section.querySelectorAll("a");
  restart.href = resetUrl("/reset_password", { email });
  signin.href = resetUrl("/", { email: null });
}
