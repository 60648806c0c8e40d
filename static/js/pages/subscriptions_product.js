// /subscriptions/products/<productId> (issue 20): the plan, its price with the tax that applies
// (subscriptions.md §6.3: the invoice preview once the customer is known), a promotion code
// (POST /oauth/subscriptions/coupon, §4), sign-in or sign-up on the page itself, then the card
// (Stripe.js) and POST /oauth/subscriptions/active/new (§6). The password is stretched here with
// the sign-in and sign-up pages' own functions and never sent.
import { ApiError, Errno, post } from "../api.js";
import { format, gettext } from "../i18n.js";
import { newPasswordRules } from "../password_rules.js";
import { currentAccount, liveAccount, signOut, storeAccount } from "../session.js";
import {
  CardError, SubErrno, collectCard, completeFirstPayment, forgetAccessToken, money, mountCard,
  pagePlans, priceText, subscriptionCall, subscriptionErrorMessage,
} from "../subscriptions.js";
import {
  FieldError, bindPasswordToggles, cleanCode, errorMessage, isCodeError, onSubmit, showError, showSuccess,
} from "../ui.js";
import { login } from "./signin.js";
import { TOO_YOUNG_KEY, createAccount, isTooYoung } from "./signup.js";

const MINIMUM_AGE = 13;
const STEPS = ["email-step", "signin-step", "signup-step", "code-step", "payment-step", "already-subscribed"];

const productId = document.body.dataset.productId;
const plans = pagePlans();
let account = null;
let coupon = null; // the promotion code the coupon route accepted for the chosen plan
let email = "";

function chosenPlan() {
  const checked = document.querySelector("input[name=plan]:checked");
  return plans.find((plan) => plan.id === checked?.value) || plans[0];
}

function showStep(id) {
  for (const step of STEPS) document.getElementById(step).hidden = step !== id;
  const section = document.getElementById(id);
  section.querySelector("input:not([hidden]):not([type=checkbox])")?.focus();
}

export async function init() {
  for (const plan of plans) {
    document.querySelector(`[data-plan-label="${CSS.escape(plan.id)}"]`).textContent = priceText(plan);
  }
  const wanted = new URLSearchParams(location.search).get("plan");
  const radio = wanted && document.getElementById(`plan-${wanted}`);
  if (radio) radio.checked = true;
  for (const input of document.querySelectorAll("input[name=plan]")) {
    input.addEventListener("change", () => {
      coupon = null;
      showCoupon();
      showPrice();
    });
  }
  for (const icon of document.querySelectorAll("[data-icon-background]")) {
    if (icon.dataset.iconBackground) icon.style.background = icon.dataset.iconBackground;
  }
  bindPasswordToggles();
  bindCoupon();
  bindAccountSteps();
  const stripeCard = mountCard(document.querySelector("[data-card-element]"));
  bindPayment(stripeCard);

  const held = currentAccount() && (await liveAccount().catch(() => null));
  if (held && held.verified && held.emailVerified !== false) {
    await signedIn(held);
  } else {
    showStep("email-step");
    showPrice();
  }
}

// The price (§6.3): the plan's list price before the customer is known; after, Stripe's invoice
// preview for this customer, with its tax lines (inclusive or added) and any promotion.
async function showPrice() {
  const plan = chosenPlan();
  document.querySelector("[data-price]").textContent = priceText(plan);
  const lines = document.querySelector("[data-preview]");
  if (!account) {
    lines.hidden = true;
    return;
  }
  const body = { priceId: plan.id };
  if (coupon) body.promotionCode = coupon.promotionCode;
  let preview;
  try {
    preview = await subscriptionCall(account, "POST", "/oauth/subscriptions/invoice/preview", body);
  } catch (error) {
    lines.hidden = true;
    return pageError(subscriptionErrorMessage(error));
  }
  const currency = plan.currency;
  lines.querySelector("[data-subtotal]").textContent = money(preview.subtotal, currency);
  lines.querySelector("[data-total]").textContent = money(preview.total, currency);
  const discount = lines.querySelector("[data-discount-line]");
  discount.hidden = !preview.discount;
  if (preview.discount) lines.querySelector("[data-discount]").textContent = `−${money(preview.discount.amount, currency)}`;
  // One row per tax, just above the total (a <dl> takes one level of <div> around each pair).
  for (const row of lines.querySelectorAll("[data-tax-line]")) row.remove();
  for (const tax of preview.tax || []) {
    const row = document.createElement("div");
    const term = document.createElement("dt");
    const value = document.createElement("dd");
    // Stripe names a tax by its rate, which an invoice may not carry expanded.
    const name = tax.display_name || gettext("Tax");
    row.dataset.taxLine = "";
    term.textContent = tax.inclusive ? format(gettext("%(tax)s (included)"), { tax: name }) : name;
    value.textContent = money(tax.amount, currency);
    row.append(term, value);
    lines.querySelector(".price-total").before(row);
  }
  document.querySelector("[data-tax-note]").textContent = (preview.tax || []).length
    ? gettext("Taxes are worked out from your location.")
    : gettext("No tax applies to this purchase at your location.");
  lines.hidden = false;
}

function pageError(message) {
  const region = document.querySelector("[data-page-error]");
  region.textContent = message;
  region.className = message ? "notice notice-error" : "notice";
}

// Promotion codes: POST /oauth/subscriptions/coupon {priceId, promotionCode} (oauth optional),
// answering {promotionCode, type, durationInMonths, valid, discountAmount, expired,
// maximallyRedeemed}; a code the plan does not allow is errno 199.
function bindCoupon() {
  const form = document.getElementById("coupon-form");
  const input = document.getElementById("promotion-code");
  onSubmit(form, async () => {
    const code = input.value.trim();
    if (!code) throw new FieldError(input, gettext("Enter a promo code."));
    const body = { priceId: chosenPlan().id, promotionCode: code };
    let answer;
    try {
      answer = account
        ? await subscriptionCall(account, "POST", "/oauth/subscriptions/coupon", body)
        : await post("/oauth/subscriptions/coupon", body);
    } catch (error) {
      if (error instanceof ApiError && error.errno === SubErrno.INVALID_PROMOTION_CODE) {
        throw new FieldError(input, gettext("This promo code cannot be used with this plan."));
      }
      throw new FieldError(input, subscriptionErrorMessage(error));
    }
    if (answer.expired) throw new FieldError(input, gettext("This promo code has expired."));
    if (answer.maximallyRedeemed) throw new FieldError(input, gettext("This promo code has been used up."));
    if (!answer.valid) throw new FieldError(input, gettext("This promo code is not valid."));
    coupon = answer;
    showCoupon();
    await showPrice();
  });
  document.querySelector("[data-coupon-remove]").addEventListener("click", () => {
    coupon = null;
    showCoupon();
    showPrice();
  });
}

function showCoupon() {
  const applied = document.querySelector("[data-coupon-applied]");
  const form = document.getElementById("coupon-form");
  applied.hidden = !coupon;
  form.hidden = Boolean(coupon);
  if (!coupon) return;
  const plan = chosenPlan();
  const text = coupon.discountAmount
    ? format(gettext("Promo code %(code)s applied: %(amount)s off."), {
      code: coupon.promotionCode, amount: money(coupon.discountAmount, plan.currency),
    })
    : format(gettext("Promo code %(code)s applied."), { code: coupon.promotionCode });
  applied.querySelector("[data-coupon-text]").textContent = text;
}

// Sign-in or sign-up, inline: the email first (/account/status), then the password step that
// fits, then the emailed code when the session needs confirming.
function bindAccountSteps() {
  const emailInput = document.getElementById("email");
  const newPassword = document.getElementById("new-password");
  const confirmation = document.getElementById("confirm-password");
  const age = document.getElementById("age");
  let rules = null;
  onSubmit(document.getElementById("email-form"), async () => {
    const value = emailInput.value.trim();
    if (!/^[^@\s]+@[^@\s]+$/.test(value)) throw new FieldError(emailInput, gettext("Enter a valid email address."));
    email = value;
    const { exists } = await post("/account/status", { email });
    for (const element of document.querySelectorAll("[data-email]")) element.textContent = email;
    for (const element of document.querySelectorAll("[data-username]")) element.value = email;
    document.querySelector("[data-reset-link]").href = "/reset_password?" + new URLSearchParams({ email });
    // Bound for this address (a later one binds again; the newest listener has the last word).
    if (!exists) rules = newPasswordRules(newPassword, confirmation, document.getElementById("new-password-rules"), email);
    showStep(exists ? "signin-step" : "signup-step");
  });
  for (const button of document.querySelectorAll("[data-change-email]")) {
    button.addEventListener("click", () => showStep("email-step"));
  }
  // Another account: this browser's session ends, as the front door's "use a different account".
  document.querySelector("[data-use-another]").addEventListener("click", async () => {
    await signOut();
    forgetAccessToken();
    account = null;
    showStep("email-step");
    showPrice();
  });

  const password = document.getElementById("password");
  onSubmit(document.getElementById("signin-form"), async () => {
    if (!password.value) throw new FieldError(password, gettext("Enter your password."));
    let response;
    try {
      response = await login({ email, password: password.value });
    } catch (error) {
      if (error instanceof ApiError && error.errno === Errno.INCORRECT_PASSWORD) {
        throw new FieldError(password, gettext("Incorrect password."));
      }
      if (error instanceof ApiError && error.errno === Errno.ACCOUNT_UNKNOWN) return showStep("signup-step");
      throw error;
    }
    password.value = "";
    const held = storeAccount({ uid: response.uid, email, sessionToken: response.sessionToken, verified: response.verified });
    if (!response.verified) return showStep("code-step");
    return signedIn(held);
  });

  onSubmit(document.getElementById("signup-form"), async () => {
    await rules.check();
    const years = Number(age.value);
    if (!age.value.trim() || !Number.isInteger(years) || years < 1 || years > 130) {
      throw new FieldError(age, gettext("Enter your age in years."));
    }
    if (isTooYoung() || years < MINIMUM_AGE) {
      try {
        localStorage.setItem(TOO_YOUNG_KEY, "1");
      } catch {
        // Storage refused: this visit is refused all the same.
      }
      return location.assign("/cannot_create_account");
    }
    const { response } = await createAccount(email, newPassword.value);
    newPassword.value = confirmation.value = "";
    storeAccount({ uid: response.uid, email, sessionToken: response.sessionToken, verified: false });
    return showStep("code-step");
  });

  const codeForm = document.getElementById("code-form");
  const code = document.getElementById("code");
  onSubmit(codeForm, async () => {
    const value = cleanCode(code.value);
    if (!/^\d{6}$/.test(value)) throw new FieldError(code, gettext("Enter the 6-digit code from the email."));
    const held = currentAccount();
    try {
      await post("/session/verify_code", { code: value }, { token: held.sessionToken });
    } catch (error) {
      if (isCodeError(error)) throw new FieldError(code, errorMessage(error));
      throw error;
    }
    return signedIn(storeAccount({ verified: true, emailVerified: true }));
  });
  const resend = codeForm.querySelector("[data-resend]");
  resend.addEventListener("click", async () => {
    resend.disabled = true;
    try {
      await post("/session/resend_code", {}, { token: currentAccount().sessionToken });
      showSuccess(codeForm, gettext("Email sent. Check your inbox for the code."));
    } catch (error) {
      showError(codeForm, errorMessage(error));
    } finally {
      resend.disabled = false;
    }
  });
}

// Signed in: the customer exists from here on (POST /customer returns it when it does), so the
// preview can price this customer's taxes; a product already subscribed to is not sold twice.
async function signedIn(held) {
  account = held;
  for (const element of document.querySelectorAll("[data-account-email]")) element.textContent = held.email;
  try {
    await subscriptionCall(account, "POST", "/oauth/subscriptions/customer", {});
    const eligibility = await subscriptionCall(account, "GET",
      `/oauth/mozilla-subscriptions/customer/plan-eligibility/${encodeURIComponent(chosenPlan().id)}`);
    if (eligibility.eligibility !== "create") {
      // "upgrade"/"downgrade": another tier of the set is held, and changes from /subscriptions.
      const kind = ["upgrade", "downgrade"].includes(eligibility.eligibility) ? "change" : "invalid";
      for (const notice of document.querySelectorAll("[data-already]")) notice.hidden = notice.dataset.already !== kind;
      showStep("already-subscribed");
      return showPrice();
    }
  } catch (error) {
    pageError(subscriptionErrorMessage(error));
  }
  showStep("payment-step");
  return showPrice();
}

function bindPayment(stripeCard) {
  const form = document.getElementById("payment-form");
  const name = document.getElementById("card-name");
  const consent = document.getElementById("consent");
  onSubmit(form, async () => {
    if (!name.value.trim()) throw new FieldError(name, gettext("Enter the name on your card."));
    if (!consent.checked) throw new FieldError(consent, gettext("Agree to the charge to subscribe."));
    const plan = chosenPlan();
    let subscription;
    try {
      const paymentMethodId = await collectCard(account, stripeCard, name.value.trim());
      const body = { priceId: plan.id, paymentMethodId };
      if (coupon) body.promotionCode = coupon.promotionCode;
      ({ subscription } = await subscriptionCall(account, "POST", "/oauth/subscriptions/active/new", body));
    } catch (error) {
      if (error instanceof CardError) throw new FieldError(document.querySelector("[data-card-element]"), error.message);
      if (error instanceof ApiError && error.errno === SubErrno.PAYMENT_REJECTED) {
        return failed({ plan: plan.id, reason: subscriptionErrorMessage(error) });
      }
      return showError(form, subscriptionErrorMessage(error));
    }
    const unpaid = await completeFirstPayment(stripeCard.stripe, subscription);
    if (unpaid) return failed({ plan: plan.id, ...unpaid });
    location.assign(`/subscriptions/products/${encodeURIComponent(productId)}/success?` + new URLSearchParams({ plan: plan.id }));
  });
}

/** The failure page: the reason travels in this tab's sessionStorage, not in the URL. */
function failed({ plan, invoice = "", reason = "" }) {
  sessionStorage.setItem("fxa.subscriptions.failure", reason);
  location.assign(`/subscriptions/products/${encodeURIComponent(productId)}/failed?` + new URLSearchParams({ plan, invoice }));
}
