// What every page's forms share: submit handling with a busy button, errors in words in the
// form's aria-live region or under the field they belong to, and the password show/hide toggle.
import { ApiError, Errno } from "./api.js";
import { format, gettext } from "./i18n.js";

const CODE_ERRNOS = new Set([
  Errno.INVALID_VERIFICATION_CODE,
  Errno.INVALID_SIGNIN_CODE,
  Errno.INVALID_TOKEN_VERIFICATION_CODE,
  Errno.EXPIRED_TOKEN_VERIFICATION_CODE,
  Errno.INVALID_EXPIRED_OTP_CODE,
]);

/** A wrong or expired code (an answer to show under the code field). */
export function isCodeError(error) {
  return error instanceof ApiError && CODE_ERRNOS.has(error.errno);
}

/** A sentence for the user about a failed call (or any other error). */
export function errorMessage(error) {
  if (!(error instanceof ApiError)) {
    return gettext("Something went wrong. Reload the page and try again.");
  }
  if (error.errno === Errno.NETWORK) {
    return gettext("We could not reach the server. Check your connection and try again.");
  }
  if (error.errno === Errno.REQUEST_BLOCKED) {
    // Customs' 400 errno 125: an address or IP it refuses outright (an operator's blocklist).
    if (error.retryAfterLocalized) {
      return format(gettext("This request was blocked for your security. Try again %(when)s."), { when: error.retryAfterLocalized });
    }
    return gettext("This request was blocked for your security. Try again later.");
  }
  if (error.errno === Errno.THROTTLED) {
    // Customs' 429 errno 114, with the wait in the request's language (retryAfterLocalized).
    if (error.retryAfterLocalized) {
      return format(gettext("You have tried too many times. Try again %(when)s."), { when: error.retryAfterLocalized });
    }
    return gettext("You have tried too many times. Wait a while, then try again.");
  }
  if (error.errno === Errno.SERVER_BUSY || error.status === 503) {
    if (error.retryAfterLocalized) {
      return format(gettext("The server is busy or down for maintenance. Try again %(when)s."), { when: error.retryAfterLocalized });
    }
    return gettext("The server is busy or down for maintenance. Try again in a few minutes.");
  }
  if (isCodeError(error)) return gettext("That code is wrong or has expired. Check it, or ask for a new one.");
  switch (error.errno) {
    case Errno.INCORRECT_PASSWORD:
      return gettext("Incorrect password.");
    case Errno.ACCOUNT_UNKNOWN:
      return gettext("There is no account with this email address.");
    case Errno.ACCOUNT_EXISTS:
      return gettext("An account with this email address already exists.");
    case Errno.INVALID_TOKEN:
      return gettext("Your session has ended. Sign in again.");
    case Errno.INVALID_UNBLOCK_CODE:
      return gettext("That authorization code is wrong or has expired.");
    case Errno.LOGIN_WITH_SECONDARY_EMAIL:
      return gettext("Sign in with your account’s primary email address.");
    case Errno.BOUNCE_COMPLAINT:
    case Errno.BOUNCE_HARD:
    case Errno.BOUNCE_SOFT:
      return gettext("Mail to this address could not be delivered. Check the address or try another one.");
    default:
      return gettext("Something went wrong on the server. Try again in a moment.");
  }
}

function regionOf(form) {
  return form.querySelector("[data-form-error]");
}

export function showError(form, message) {
  const region = regionOf(form);
  region.textContent = message;
  region.className = "notice notice-error";
}

export function showSuccess(form, message) {
  const region = regionOf(form);
  region.textContent = message;
  region.className = "notice notice-success";
}

export function clearMessages(form) {
  const region = regionOf(form);
  if (region) region.textContent = "";
  for (const input of form.querySelectorAll("[aria-invalid]")) setFieldError(input, "");
}

/** An error under one field (its element is named by the input's aria-describedby). */
export function setFieldError(input, message) {
  const target = document.getElementById(`${input.id}-error`);
  if (target) target.textContent = message;
  if (message) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

/** Thrown by a submit handler for input it refuses before calling the server. */
export class FieldError extends Error {
  constructor(input, message) {
    super(message);
    this.name = "FieldError";
    this.input = input;
  }
}

/**
 * Run `handler(form)` on submit, once at a time, with the submit button disabled meanwhile. An error
 * it throws is shown in the form's region; the handler itself navigates on success. `signal`
 * (an AbortSignal) unbinds it, for forms that are bound again each time they open.
 */
export function onSubmit(form, handler, { signal } = {}) {
  const button = form.querySelector('[type="submit"]');
  let running = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (running) return;
    clearMessages(form);
    running = true;
    button.disabled = true;
    try {
      await handler(form);
    } catch (error) {
      if (error instanceof FieldError) {
        setFieldError(error.input, error.message);
        error.input.focus();
      } else {
        if (!(error instanceof ApiError)) console.error(error);
        showError(form, errorMessage(error));
      }
    } finally {
      running = false;
      button.disabled = false;
    }
  }, { signal });
}

/** The "Show"/"Hide" buttons next to password fields. */
export function bindPasswordToggles(root = document) {
  for (const button of root.querySelectorAll("[data-toggle-password]")) {
    const input = document.getElementById(button.dataset.togglePassword);
    button.addEventListener("click", () => {
      const show = input.type === "password";
      input.type = show ? "text" : "password";
      button.textContent = show ? gettext("Hide") : gettext("Show");
      button.setAttribute("aria-pressed", String(show));
    });
  }
}

/** Codes are typed or pasted with spaces and dashes; keep what the server expects. */
export function cleanCode(value) {
  return value.replace(/[\s-]/g, "");
}
