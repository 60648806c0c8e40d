// The new-password rules every page that sets a password applies (sign-up, reset, the settings):
// live feedback in the page's rules list while the password is typed, and the same rules checked
// on submit. The page's list names the rules that apply (data-rule="length|email|common").
//
// static/data/common-passwords.txt is Django's own list (django/contrib/auth/common-passwords.txt.gz)
// cut to the entries of 8 characters or more (shorter ones fail the length rule anyway).
import { gettext } from "./i18n.js";
import { FieldError, setFieldError } from "./ui.js";

const MINIMUM_LENGTH = 8;
const COMMON_PASSWORDS_URL = "/static/data/common-passwords.txt";

let commonPasswords = null; // a Set once fetched

function loadCommonPasswords() {
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
function passwordRules(password, email) {
  const lower = password.toLowerCase();
  const address = email.toLowerCase();
  const localPart = address.split("@")[0];
  return {
    length: password.length >= MINIMUM_LENGTH,
    email: lower !== address && lower !== localPart,
    common: !(commonPasswords && commonPasswords.has(lower)),
  };
}

const BROKEN_RULE = {
  length: () => gettext("Use at least 8 characters."),
  email: () => gettext("Do not use your email address as your password."),
  common: () => gettext("This password is too common. Choose one that is harder to guess."),
};

/**
 * Bind the rules list `rules` to the `password` field: met in green, unmet in red once there is
 * something to judge (an empty field is neither). check() is the submit's test: it throws
 * FieldError for an empty password, a broken rule of the list, or a `confirmation` that differs.
 */
export function newPasswordRules(password, confirmation, rules, email) {
  const applied = [...rules.querySelectorAll("[data-rule]")].map((item) => item.dataset.rule);
  const loaded = applied.includes("common") ? loadCommonPasswords() : Promise.resolve();
  const show = () => {
    const state = passwordRules(password.value, email);
    for (const item of rules.querySelectorAll("[data-rule]")) {
      if (!password.value) item.removeAttribute("data-state");
      else item.dataset.state = state[item.dataset.rule] ? "met" : "unmet";
    }
    return state;
  };
  password.addEventListener("input", () => {
    show();
    setFieldError(password, "");
  });
  confirmation.addEventListener("input", () => setFieldError(confirmation, ""));
  loaded.then(show);
  return {
    async check() {
      await loaded;
      const state = show();
      if (!password.value) throw new FieldError(password, gettext("Enter a password."));
      const broken = applied.find((rule) => !state[rule]);
      if (broken) throw new FieldError(password, BROKEN_RULE[broken]());
      if (confirmation.value !== password.value) {
        throw new FieldError(confirmation, gettext("The passwords do not match."));
      }
    },
    /** Back to "not yet judged", after the form was reset. */
    clear() {
      for (const item of rules.querySelectorAll("[data-rule]")) item.removeAttribute("data-state");
    },
  };
}
