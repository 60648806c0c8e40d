// Sign-up (content-server.md §3 "Sign-up"): a new password with live strength feedback, the age
// check, then /account/create with key stretching v2 and v1 both, so that v1-only clients (older
// Firefox, PyFxA 0.8) can sign in to the account too. kB is made here, and only its wrapped forms
// (kB ⊕ unwrapBKey of each stretch) are sent: the password and kB never leave the browser.
import { ApiError, Errno, post } from "../api.js";
import { bytesToHex, hexToBytes, newPasswordCredentials, randomBytes, xor } from "../crypto.js";
import {
  canLinkAccount, holdKeyMaterial, linkRefusedMessage, saveSyncChoice, sendLogin, startFirefoxPage,
} from "../firefox.js";
import { flowFields, go, pagePath, pageUrl, params } from "../flow.js";
import { gettext } from "../i18n.js";
import { describeService } from "../service.js";
import { newPasswordRules } from "../password_rules.js";
import { storeAccount } from "../session.js";
import { FieldError, bindPasswordToggles, onSubmit } from "../ui.js";

// Set when someone said they are under 13; this browser is then refused sign-up (as upstream's
// `tooyoung` cookie does) instead of letting the age simply be typed again.
export const TOO_YOUNG_KEY = "fxa.tooyoung";
const MINIMUM_AGE = 13;

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
  const status = await startFirefoxPage();
  if (params.get("service") === "sync") showSyncEngines(status?.capabilities?.engines || []);
  describeService();
  bindPasswordToggles();

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
  const rules = newPasswordRules(password, confirmation, document.getElementById("new-password-rules"), email);

  onSubmit(form, async () => {
    await rules.check();
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
    if (!(await canLinkAccount(email))) throw new FieldError(password, linkRefusedMessage());
    saveChosenEngines();
    try {
      const { response, kB, unwrapBKey } = await createAccount(email, password.value);
      const account = storeAccount({ uid: response.uid, email, sessionToken: response.sessionToken, verified: false });
      holdKeyMaterial({ uid: response.uid, kB, keyFetchToken: response.keyFetchToken, unwrapBKey });
      await sendLogin(account);
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

/**
 * POST /account/create?keys=true with both stretches wrapping one random kB (onepw.md §2). Also
 * returns kB and the v1 unwrapBKey (kB ⊕ wrapKb), which Firefox's keys are made from later.
 */
export async function createAccount(email, password) {
  const kB = randomBytes(32);
  const credentials = await newPasswordCredentials(email, password, kB);
  const body = { email, ...credentials, verificationMethod: "email-otp", ...flowFields() };
  const response = await post("/account/create", body, { query: { keys: "true" } });
  const unwrapBKey = bytesToHex(xor(kB, hexToBytes(credentials.wrapKb)));
  return { response, kB: bytesToHex(kB), unwrapBKey };
}

/** Choose what to sync: one box per engine Firefox offers (capabilities.engines). */
function showSyncEngines(engines) {
  const fieldset = document.getElementById("sync-engines");
  for (const input of fieldset.querySelectorAll("input[name=engine]")) {
    input.closest("label").hidden = !engines.includes(input.value);
  }
  fieldset.hidden = engines.length === 0;
}

function saveChosenEngines() {
  const fieldset = document.getElementById("sync-engines");
  if (fieldset.hidden) return;
  const offered = [...fieldset.querySelectorAll("label:not([hidden]) input[name=engine]")];
  saveSyncChoice(offered.map((input) => input.value), offered.filter((input) => !input.checked).map((input) => input.value));
}
