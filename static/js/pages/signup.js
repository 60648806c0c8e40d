// Sign-up (content-server.md §3 "Sign-up"): a new password with live strength feedback, the age
// check, then /account/create with key stretching v2 and v1 both, so that v1-only clients (older
// Firefox, PyFxA 0.8) can sign in to the account too. kB is made here, and only its wrapped forms
// (kB ⊕ unwrapBKey of each stretch) are sent: the password and kB never leave the browser.
//
// static/data/common-passwords.txt is Django's own list (django/contrib/auth/common-passwords.txt.gz)
// cut to the entries of 8 characters or more (shorter ones fail the length rule anyway).
import { ApiError, Errno, post } from "../api.js";
import { newPasswordCredentials, randomBytes } from "../crypto.js";
import { flowFields, go, pagePath, pageUrl, params } from "../flow.js";
import { gettext } from "../i18n.js";
import { describeService } from "../service.js";
import { storeAccount } from "../session.js";
import { FieldError, bindPasswordToggles, onSubmit } from "../ui.js";

// Set when someone said they are under 13; this browser is then refused sign-up (as upstream's
// `tooyoung` cookie does) instead of letting the age simply be typed again.
export const TOO_YOUNG_KEY = "fxa.tooyoung";
const MINIMUM_AGE = 13;
const MINIMUM_LENGTH = 8;
const COMMON_PASSWORDS_URL = "/static/data/common-passwords.txt";

let commonPasswords = null; // a Set once fetched

export function loadCommonPasswords() {
  return fetch(COMMON_PASSWORDS_URL, { credentials: "omit" })
    .then((response) => (response.ok ? response.text() : ""))
    .then((text) => {
      commonPasswords = new Set(text.split("\n").map((line) => line.trim()).filter(Boolean));
    })
    .catch(() => {
      commonPasswords = new Set();
    });
}

/** The state of each rule for `password`: true (met), false (not met). */
export function passwordRules(password, email) {
  const lower = password.toLowerCase();
  const address = email.toLowerCase();
  const localPart = address.split("@")[0];
  return {
    length: password.length >= MINIMUM_LENGTH,
    email: lower !== address && lower !== localPart,
    common: !(commonPasswords && commonPasswords.has(lower)),
  };
}

export function isTooYoung() {
  try {
    return localStorage.getItem(TOO_YOUNG_KEY) === "1";
  } catch {
    return false;
  }
}


export async function init() {
  if (isTooYoung()) return go("/cannot_create_account", {}, { replace: true });
  const email = params.get("email");
  if (!email) return go(pagePath("/"), {}, { replace: true });
  describeService();
  bindPasswordToggles();
  const commonLoaded = loadCommonPasswords();

  for (const element of document.querySelectorAll("[data-email]")) element.textContent = email;
  document.getElementById("username").value = email;
  for (const link of document.querySelectorAll("[data-change-email]")) {
    link.href = pageUrl(pagePath("/"), { email: null });
  }
  for (const link of document.querySelectorAll("[data-signin-link]")) {
    link.href = pageUrl(pagePath("/signin"), { email });
  }

  const form = document.getElementById("signup-form");
  const password = document.getElementById("new-password");
  const confirmation = document.getElementById("confirm-password");
  const age = document.getElementById("age");
  const rules = document.getElementById("password-rules");

  // The rules light up as the password is typed: met in green; unmet in red once there is
  // something to judge (an empty field is neither).
  const showRules = () => {
    const state = passwordRules(password.value, email);
    for (const item of rules.querySelectorAll("[data-rule]")) {
      if (!password.value) item.removeAttribute("data-state");
      else item.dataset.state = state[item.dataset.rule] ? "met" : "unmet";
    }
  };
  password.addEventListener("input", showRules);
  commonLoaded.then(showRules);

  onSubmit(form, async () => {
    await commonLoaded;
    const state = passwordRules(password.value, email);
    showRules();
    if (!password.value) throw new FieldError(password, gettext("Enter a password."));
    if (!state.length) throw new FieldError(password, gettext("Use at least 8 characters."));
    if (!state.email) throw new FieldError(password, gettext("Do not use your email address as your password."));
    if (!state.common) {
      throw new FieldError(password, gettext("This password is too common. Choose one that is harder to guess."));
    }
    if (confirmation.value !== password.value) {
      throw new FieldError(confirmation, gettext("The passwords do not match."));
    }
    const years = Number(age.value);
    if (!age.value.trim() || !Number.isInteger(years) || years < 1 || years > 130) {
      throw new FieldError(age, gettext("Enter your age in years."));
    }
    if (years < MINIMUM_AGE) {
      try {
        localStorage.setItem(TOO_YOUNG_KEY, "1");
      } catch {
        // Storage refused (private mode): this visit is refused all the same.
      }
      return go("/cannot_create_account", { email: null }, { replace: true });
    }
    try {
      const response = await createAccount(email, password.value);
      storeAccount({ uid: response.uid, email, sessionToken: response.sessionToken, verified: false });
      return go(pagePath("/confirm_signup_code"), { email });
    } catch (error) {
      if (error instanceof ApiError && error.errno === Errno.ACCOUNT_EXISTS) {
        document.getElementById("signup-step").hidden = true;
        document.getElementById("account-exists").hidden = false;
        document.querySelector("#account-exists [data-signin-link]").focus();
        return;
      }
      throw error;
    }
  });
}

/** POST /account/create?keys=true with both stretches wrapping one random kB (onepw.md §2). */
async function createAccount(email, password) {
  const body = {
    email,
    ...(await newPasswordCredentials(email, password, randomBytes(32))),
    verificationMethod: "email-otp",
    ...flowFields(),
  };
  return post("/account/create", body, { query: { keys: "true" } });
}
