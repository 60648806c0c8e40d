// What every settings page shares (content-server.md §2–§3): the session it needs, the toast that
// says an action worked, and the MFA step-up of the sensitive sections.
import { ApiError, Errno, post } from "./api.js";
import { go } from "./flow.js";
import { format, gettext } from "./i18n.js";
import { forgetAccount, liveAccount, onAccountChange } from "./session.js";
import { cleanCode, FieldError, isCodeError, onSubmit, showSuccess } from "./ui.js";

/**
 * The signed-in account a settings page works for, or null after sending the browser on: no
 * session → the front door, which comes back here; an unconfirmed session → its code step; a
 * two-step account whose session is not AAL2 → the TOTP step. A sign-out in another tab (or a
 * session destroyed elsewhere, seen on the next call) leaves the page the same way.
 */
export async function openSettings() {
  const account = await liveAccount();
  const here = { redirect_to: location.pathname + location.hash };
  if (!account) {
    signInFirst();
    return null;
  }
  // A two-step account's unconfirmed sign-in is confirmed by TOTP, not by the emailed code.
  const step = account.emailVerified === false ? "/confirm_signup_code"
    : account.meetsMinimumAal === false ? "/signin_totp_code"
    : !account.verified ? "/signin_token_code"
    : null;
  if (step) {
    go(step, here);
    return null;
  }
  onAccountChange((current) => {
    if (!current || current.uid !== account.uid) signInFirst();
  });
  return account;
}

export function signInFirst() {
  location.replace("/?" + new URLSearchParams({ redirect_to: location.pathname + location.hash }));
}

/** A call failed because the session is gone: forget it and go sign in (true), else false. */
export function endedSession(error) {
  if (error instanceof ApiError && error.errno === Errno.INVALID_TOKEN) {
    forgetAccount();
    signInFirst();
    return true;
  }
  return false;
}

let toastTimer;

/** "Saved" and friends: a polite message that goes away by itself. */
export function toast(message) {
  const element = document.querySelector("[data-toast]");
  element.textContent = message;
  element.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { element.hidden = true; }, 6000);
}

// The step-up tokens bought on this tab, per action, until a little before they expire.
const STEP_UP_KEY = "fxa.mfa";
const EXPIRY_MARGIN_MS = 30_000;

export class StepUpCancelled extends Error {
  constructor() {
    super("step-up cancelled");
    this.name = "StepUpCancelled";
  }
}

function heldStepUps() {
  try {
    return JSON.parse(sessionStorage.getItem(STEP_UP_KEY) || "{}");
  } catch {
    return {};
  }
}

function holdStepUp(account, action, accessToken) {
  const claims = JSON.parse(atob(accessToken.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  const held = heldStepUps();
  held[action] = { uid: account.uid, accessToken, expiresAt: claims.exp * 1000 };
  sessionStorage.setItem(STEP_UP_KEY, JSON.stringify(held));
}

/** Forget a step-up token the server refused (expired, or its session replaced). */
export function dropStepUp(action) {
  const held = heldStepUps();
  delete held[action];
  sessionStorage.setItem(STEP_UP_KEY, JSON.stringify(held));
}

/**
 * The `Authorization` value for a /v1/mfa/* route of `action` ("2fa", "email", "password",
 * "recovery_key"): a token held from earlier, or one bought now with the code mailed by
 * /mfa/otp/request, typed into the step-up dialog. Rejects with StepUpCancelled if the user closes it.
 */
export async function stepUp(account, action) {
  const held = heldStepUps()[action];
  if (held && held.uid === account.uid && held.expiresAt - EXPIRY_MARGIN_MS > Date.now()) {
    return `Bearer ${held.accessToken}`;
  }
  const accessToken = await askForStepUpCode(account, action);
  holdStepUp(account, action, accessToken);
  return `Bearer ${accessToken}`;
}

function askForStepUpCode(account, action) {
  const dialog = document.querySelector("[data-step-up]");
  const form = dialog.querySelector("form");
  const code = form.elements.code;
  const sent = dialog.querySelector("[data-step-up-sent]");
  const token = account.sessionToken;
  const request = () => post("/mfa/otp/request", { action }, { token });
  return new Promise((resolve, reject) => {
    const controller = new AbortController();
    const done = (settle, value) => {
      controller.abort();
      dialog.close();
      settle(value);
    };
    sent.textContent = format(gettext("Enter the code we sent to %(email)s."), { email: account.email || "" });
    code.value = "";
    dialog.showModal();
    request().catch((error) => done(reject, error));
    onSubmit(form, async () => {
      const value = cleanCode(code.value);
      if (!/^\d{6}$/.test(value)) throw new FieldError(code, gettext("Enter the 6-digit code."));
      try {
        const answer = await post("/mfa/otp/verify", { action, code: value }, { token });
        done(resolve, answer.accessToken);
      } catch (error) {
        if (isCodeError(error)) throw new FieldError(code, gettext("That code is wrong or has expired. Check it, or ask for a new one."));
        throw error;
      }
    }, { signal: controller.signal });
    dialog.querySelector("[data-step-up-resend]").addEventListener("click", async () => {
      await request();
      showSuccess(form, gettext("A new code is on its way."));
    }, { signal: controller.signal });
    dialog.querySelector("[data-step-up-cancel]").addEventListener("click", () => done(reject, new StepUpCancelled()), { signal: controller.signal });
    dialog.addEventListener("cancel", () => done(reject, new StepUpCancelled()), { signal: controller.signal });
  });
}

/**
 * `call(authorization)` for a /v1/mfa/* route of `action`, with the step-up token from stepUp().
 * A token the server refuses (401: expired, or its session replaced) is dropped and bought once
 * more; a session gone for good then fails the step-up request itself (110, for endedSession).
 */
export async function withStepUp(account, action, call) {
  try {
    return await call(await stepUp(account, action));
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
    dropStepUp(action);
    return call(await stepUp(account, action));
  }
}
