// /complete_reset_password and /account_recovery_reset_password (onepw.md §6.4): the new password,
// stretched here (v1 and v2), wraps kB (the one recovered with the account recovery key, else a
// new random one: synced data is lost, as the page says first), then POST /v1/account/reset
// signs the user in with a new session.
//
// The older link of the `recovery` mail (/complete_reset_password?uid=&token=&code=&email=) also
// lands here: its passwordForgotToken and code are only spent when the user submits the form,
// never on opening the page (mail scanners open links and may run their scripts).
import { ApiError, Errno, get, post } from "../api.js";
import { hexToBytes, newPasswordCredentials, randomBytes } from "../crypto.js";
import { pageUrl, params } from "../flow.js";
import { gettext } from "../i18n.js";
import {
  clearReset, emailToHashWith, exchangeForgotToken, hasRecoveryKey, loadReset, onResetSubmit,
  resetGo, saveReset, showResetError, showRestart, tradeForgotToken,
} from "../reset.js";
import { newPasswordRules } from "../password_rules.js";
import { describeService } from "../service.js";
import { forgetAccount, storeAccount } from "../session.js";
import { bindPasswordToggles, showError } from "../ui.js";

const LINK = { uid: /^[0-9a-fA-F]{32}$/, token: /^[0-9a-fA-F]{64}$/, code: /^[0-9a-fA-F]{32}$/ };

export async function init() {
  if (params.has("token") || params.has("code")) {
    if (!startFromLink()) {
      return showRestart(gettext("This reset link is incomplete or damaged. Open it again from the newest reset email, or copy the whole link into the address bar."));
    }
  }
  const state = loadReset();
  const fromLink = !state.resetToken;
  if (fromLink && !(state.forgotToken && state.passCode)) return showRestart();

  describeService();
  bindPasswordToggles();
  for (const element of document.querySelectorAll("[data-email]")) element.textContent = state.email;
  document.getElementById("username").value = state.email;
  const withKey = Boolean(state.kB && state.recoveryKeyId);
  document.getElementById("key-kept").hidden = !withKey;
  document.getElementById("data-loss-warning").hidden = withKey;

  const password = document.getElementById("new-password");
  const confirm = document.getElementById("confirm-password");
  const rules = newPasswordRules(password, confirm, document.getElementById("new-password-rules"), state.email);

  const form = document.getElementById("password-form");
  onResetSubmit(form, async () => {
    await rules.check();
    if (!loadReset().resetToken) {
      // The link's code is spent now, on the user's request. A two-step account proves its
      // second factor first, then comes back here.
      if (!(await tradeForgotToken({ withRecoveryKey: false }))) {
        return resetGo("/confirm_totp_reset_password", { email: state.email });
      }
    }
    await reset(loadReset(), password.value);
  });

  if (fromLink) await checkLink(form);
}

/** Keep the link's token and code for this tab, and take them out of the address bar. */
function startFromLink() {
  const link = Object.fromEntries(Object.keys(LINK).map((name) => [name, params.get(name) || ""]));
  const email = params.get("email");
  if (!email || Object.entries(LINK).some(([name, pattern]) => !pattern.test(link[name]))) return false;
  clearReset();
  saveReset({
    email,
    emailToHashWith: params.get("emailToHashWith") || email,
    uid: link.uid.toLowerCase(),
    forgotToken: link.token.toLowerCase(),
    passCode: link.code.toLowerCase(),
  });
  history.replaceState(null, "", pageUrl(location.pathname, { uid: null, token: null, code: null, emailToHashWith: null }));
  return true;
}

/**
 * A link's token may be spent or expired: say so before the user types a password (GET status
 * changes nothing). An account with a recovery key is offered it, to keep its synced data.
 */
async function checkLink(form) {
  const state = loadReset();
  try {
    await get("/password/forgot/status", { token: state.forgotToken, tokenType: "passwordForgotToken" });
  } catch (error) {
    if (error instanceof ApiError && error.errno === Errno.INVALID_TOKEN) {
      return showRestart(gettext("This reset link has expired or was already used. Start again to get a new one."));
    }
    return showError(form, gettext("We could not check this reset link. Try again in a moment."));
  }
  if (await hasRecoveryKey().catch(() => false)) {
    document.getElementById("recovery-key-offer").hidden = false;
    const button = document.getElementById("use-recovery-key");
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await exchangeForgotToken();
      } catch (error) {
        showResetError(form, error);
        button.disabled = false;
      }
    });
  }
}

/**
 * POST /v1/account/reset?keys=true: both stretches wrap the same kB, so v1 and v2 clients both
 * unwrap it; with recoveryKeyId the server keeps the account's keys (keysChangedAt unchanged).
 */
async function reset(state, password) {
  const withKey = Boolean(state.kB && state.recoveryKeyId);
  const kB = withKey ? hexToBytes(state.kB) : randomBytes(32);
  const body = {
    ...(await newPasswordCredentials(emailToHashWith(state), password, kB)),
    sessionToken: true,
  };
  if (withKey) body.recoveryKeyId = state.recoveryKeyId;
  const answer = await post("/account/reset", body, {
    token: state.resetToken, tokenType: "accountResetToken", query: { keys: "true" },
  });
  // Every earlier session of the account is gone; so is any other account this tab held.
  forgetAccount();
  storeAccount({
    uid: answer.uid,
    email: state.email,
    sessionToken: answer.sessionToken,
    verified: Boolean(answer.verified),
    authAt: answer.authAt, // the password was just typed: max_age and prompt=login count from here
  });
  clearReset();
  resetGo(withKey ? "/reset_password_with_recovery_key_verified" : "/reset_password_verified",
    { email: state.email }, { replace: true });
}
