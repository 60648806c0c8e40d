// Sign-in (content-server.md §3 "Sign-in", "Sign-in unblock"): stretch the password here (v2 when
// the account has a clientSalt, else v1 with the sign-up email's case), log in, then follow the
// server: a code step, the unblock step (a state of this page: it needs the password it holds),
// or on to where the user was going.
import { ApiError, Errno, post } from "../api.js";
import { bytesToHex, stretchV1, stretchV2 } from "../crypto.js";
import { continueAfterLogin, flowFields, go, pagePath, pageUrl, params } from "../flow.js";
import { gettext } from "../i18n.js";
import { canLinkAccount, holdKeyMaterial, linkRefusedMessage, startFirefoxPage } from "../firefox.js";
import { describeService } from "../service.js";
import { currentAccount } from "../session.js";
import {
  FieldError, bindPasswordToggles, cleanCode, clearMessages, errorMessage, onSubmit, showError, showSuccess,
} from "../ui.js";

const BOUNCED = new Set([Errno.BOUNCE_COMPLAINT, Errno.BOUNCE_HARD, Errno.BOUNCE_SOFT]);

export async function init() {
  await startFirefoxPage();
  const email = params.get("email") || currentAccount()?.email;
  if (!email) return go(pagePath("/"), {}, { replace: true });
  describeService();
  bindPasswordToggles();
  for (const element of document.querySelectorAll("[data-email]")) element.textContent = email;
  document.getElementById("username").value = email;
  for (const link of document.querySelectorAll("[data-change-email]")) {
    link.href = pageUrl(pagePath("/"), { email: null });
  }
  for (const link of document.querySelectorAll("[data-carry-query]")) {
    link.href = pageUrl(pagePath(link.getAttribute("href")), { email });
  }

  const password = document.getElementById("password");
  // Kept in memory only, for the unblock retry; `saltEmail` is the sign-up address once a 120
  // has named it, so later attempts stretch with the right case straight away.
  let credentials = null;

  onSubmit(document.getElementById("signin-form"), async () => {
    if (!password.value) throw new FieldError(password, gettext("Enter your password."));
    if (!(await canLinkAccount(email))) throw new FieldError(password, linkRefusedMessage());
    credentials = { email, password: password.value, saltEmail: credentials?.saltEmail };
    await signIn(credentials);
  });

  onSubmit(document.getElementById("unblock-form"), async () => {
    const input = document.getElementById("unblock-code");
    const code = cleanCode(input.value).toUpperCase();
    if (!/^[A-Z0-9]{8}$/.test(code)) throw new FieldError(input, gettext("Enter the 8-character code from the email."));
    await signIn(credentials, code);
  });

  const resend = document.getElementById("resend-unblock");
  resend.addEventListener("click", async () => {
    resend.disabled = true;
    const form = document.getElementById("unblock-form");
    try {
      await post("/account/login/send_unblock_code", { email, ...flowFields() });
      showSuccess(form, gettext("A new code was sent. Check your email."));
    } catch (error) {
      showError(form, errorMessage(error));
    } finally {
      resend.disabled = false;
    }
  });
}

/** v2 stretch when the account has a client salt, v1 (with `saltEmail`'s case) otherwise. */
async function stretch(email, password, saltEmail) {
  const status = await post("/account/credentials/status", { email });
  if (status.currentVersion === "v2" && status.clientSalt) {
    return stretchV2(status.clientSalt, password);
  }
  return stretchV1(saltEmail, password);
}

export async function login(credentials, unblockCode) {
  const { email, password, saltEmail = email } = credentials;
  const stretched = await stretch(email, password, saltEmail);
  // The keyFetchToken of this login unwraps with the same stretch's unwrapBKey (Firefox's keys).
  credentials.unwrapBKey = bytesToHex(stretched.unwrapBKey);
  const body = {
    email: saltEmail,
    authPW: bytesToHex(stretched.authPW),
    reason: "signin",
    verificationMethod: "email-otp",
    ...flowFields(),
  };
  if (saltEmail !== email) body.originalLoginEmail = email;
  if (unblockCode) body.unblockCode = unblockCode;
  return post("/account/login", body, { query: { keys: "true" } });
}

async function signIn(credentials, unblockCode) {
  let response;
  try {
    response = await login(credentials, unblockCode);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const saltEmail = error.body.email;
    if (error.errno !== Errno.INCORRECT_EMAIL_CASE || !saltEmail || saltEmail === credentials.saltEmail) {
      return handle(error, credentials.email);
    }
    // The v1 salt is the sign-up address with its original case (onepw.md §2.1).
    credentials.saltEmail = saltEmail;
    // The server spends an unblock code before it checks the password: the attempt that told
    // us the case used it up, so the retry needs a new one.
    if (unblockCode) return renewUnblockCode(credentials.email);
    try {
      response = await login(credentials);
    } catch (retry) {
      if (!(retry instanceof ApiError)) throw retry;
      return handle(retry, credentials.email);
    }
  }
  // A v2 login answers with keyFetchTokenVersion2, which the v2 unwrapBKey opens.
  const keyFetchToken = response.keyFetchTokenVersion2 || response.keyFetchToken;
  holdKeyMaterial({ uid: response.uid, keyFetchToken, unwrapBKey: credentials.unwrapBKey });
  return continueAfterLogin(response, credentials.email);
}

async function handle(error, email) {
  const unblocking = !document.getElementById("unblock-step").hidden;
  if (error.errno === Errno.ACCOUNT_UNKNOWN) {
    showStep("unknown-account");
    return;
  }
  if (BOUNCED.has(error.errno)) return go("/signin_bounced", { email });
  if ((error.errno === Errno.THROTTLED || error.errno === Errno.REQUEST_BLOCKED)
      && error.body.verificationMethod === "email-captcha") {
    if (!unblocking) return startUnblock(email);
    // Refused again after a code: a wrong code is errno 127, so this one was right and spent,
    // and the sign-in failed on something the server keeps to itself while the block lasts
    // (most likely the password). Back to the password; the next attempt mails a new code.
    backToPassword(email);
    throw new FieldError(document.getElementById("password"),
      gettext("Your code worked, but the sign-in failed. Check your password and try again."));
  }
  if (error.errno === Errno.INCORRECT_PASSWORD) {
    // Also after an unblock code: the code was right, the password is what failed.
    if (unblocking) backToPassword(email);
    throw new FieldError(document.getElementById("password"), gettext("Incorrect password."));
  }
  if (error.errno === Errno.INVALID_UNBLOCK_CODE && unblocking) {
    throw new FieldError(document.getElementById("unblock-code"), errorMessage(error));
  }
  throw error;
}

/** From the unblock step back to the password, which the user types again. */
function backToPassword(email) {
  showStep("password-step");
  history.replaceState(null, "", pageUrl(pagePath("/signin"), { email }));
  document.getElementById("password").value = "";
  document.getElementById("unblock-code").value = "";
}

/** Show one of the page's states (sections) and hide the others. */
function showStep(id) {
  for (const section of document.querySelectorAll("#password-step, #unknown-account, #unblock-step")) {
    section.hidden = section.id !== id;
  }
}

// The code was spent by an attempt that failed on the email's case: mail a fresh one.
async function renewUnblockCode(email) {
  await post("/account/login/send_unblock_code", { email, ...flowFields() });
  const input = document.getElementById("unblock-code");
  input.value = "";
  input.focus();
  showSuccess(document.getElementById("unblock-form"),
    gettext("That code has been used up, so we sent you a new one. Enter the code from the newest email."));
}

// The server wants proof of the mailbox before this sign-in: mail an unblock code, ask for it.
async function startUnblock(email) {
  await post("/account/login/send_unblock_code", { email, ...flowFields() });
  showStep("unblock-step");
  history.replaceState(null, "", pageUrl(pagePath("/signin_unblock"), { email }));
  clearMessages(document.getElementById("unblock-form"));
  document.getElementById("unblock-code").focus();
}
