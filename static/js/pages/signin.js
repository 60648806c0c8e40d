// Sign-in (content-server.md §3 "Sign-in", "Sign-in unblock"): stretch the password here (v2 when
// the account has a clientSalt, else v1 with the sign-up email's case), log in, then follow the
// server: a code step, the unblock step (a state of this page: it needs the password it holds),
// or on to where the user was going.
import { ApiError, Errno, post } from "../api.js";
import { bytesToHex, stretchV1, stretchV2 } from "../crypto.js";
import { continueAfterLogin, flowFields, go, pageUrl, params } from "../flow.js";
import { gettext } from "../i18n.js";
import { describeService } from "../service.js";
import { currentAccount } from "../session.js";
import { FieldError, bindPasswordToggles, cleanCode, errorMessage, onSubmit, showError, showSuccess } from "../ui.js";

const BOUNCED = new Set([Errno.BOUNCE_COMPLAINT, Errno.BOUNCE_HARD, Errno.BOUNCE_SOFT]);

export async function init() {
  const email = params.get("email") || currentAccount()?.email;
  if (!email) return go("/", {}, { replace: true });
  describeService();
  bindPasswordToggles();
  for (const element of document.querySelectorAll("[data-email]")) element.textContent = email;
  document.getElementById("username").value = email;
  for (const link of document.querySelectorAll("[data-change-email]")) {
    link.href = pageUrl(location.pathname.startsWith("/oauth") ? "/oauth/" : "/", { email: null });
  }
  for (const link of document.querySelectorAll("[data-carry-query]")) {
    link.href = pageUrl(link.getAttribute("href"), { email });
  }

  const password = document.getElementById("password");
  let credentials = null; // kept in memory only, for the unblock retry

  onSubmit(document.getElementById("signin-form"), async () => {
    if (!password.value) throw new FieldError(password, gettext("Enter your password."));
    credentials = { email, password: password.value };
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
async function authPW(email, password, saltEmail) {
  const status = await post("/account/credentials/status", { email });
  if (status.currentVersion === "v2" && status.clientSalt) {
    return (await stretchV2(status.clientSalt, password)).authPW;
  }
  return (await stretchV1(saltEmail, password)).authPW;
}

async function login(email, password, { saltEmail = email, unblockCode } = {}) {
  const body = {
    email: saltEmail,
    authPW: bytesToHex(await authPW(email, password, saltEmail)),
    reason: "signin",
    verificationMethod: "email-otp",
    ...flowFields(),
  };
  if (saltEmail !== email) body.originalLoginEmail = email;
  if (unblockCode) body.unblockCode = unblockCode;
  return post("/account/login", body, { query: { keys: "true" } });
}

async function signIn({ email, password }, unblockCode) {
  let response;
  try {
    response = await login(email, password, { unblockCode });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.errno === Errno.INCORRECT_EMAIL_CASE && error.body.email) {
      // The v1 salt is the sign-up address with its original case (onepw.md §2.1).
      response = await login(email, password, { saltEmail: error.body.email, unblockCode }).catch((retry) => handle(retry, email));
    } else {
      return handle(error, email);
    }
  }
  if (response) return continueAfterLogin(response, email);
}

async function handle(error, email) {
  if (error.errno === Errno.ACCOUNT_UNKNOWN) {
    document.getElementById("password-step").hidden = true;
    document.getElementById("unknown-account").hidden = false;
    return;
  }
  if (BOUNCED.has(error.errno)) return go("/signin_bounced", { email });
  if ((error.errno === Errno.THROTTLED || error.errno === Errno.REQUEST_BLOCKED)
      && error.body.verificationMethod === "email-captcha") {
    return startUnblock(email);
  }
  if (error.errno === Errno.INCORRECT_PASSWORD) {
    throw new FieldError(document.getElementById("password"), gettext("Incorrect password."));
  }
  throw error;
}

// The server wants proof of the mailbox before this sign-in: mail an unblock code, ask for it.
async function startUnblock(email) {
  const unblock = document.getElementById("unblock-step");
  if (unblock.hidden) {
    await post("/account/login/send_unblock_code", { email, ...flowFields() });
    document.getElementById("password-step").hidden = true;
    unblock.hidden = false;
    history.replaceState(null, "", pageUrl(location.pathname.startsWith("/oauth") ? "/oauth/signin_unblock" : "/signin_unblock", { email }));
    document.getElementById("unblock-code").focus();
    return;
  }
  throw new FieldError(document.getElementById("unblock-code"), gettext("That authorization code is wrong or has expired."));
}
