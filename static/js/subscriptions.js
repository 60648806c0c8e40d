// What the subscription pages share (subscriptions/pages.py): the access token they call the
// /v1/oauth/subscriptions routes with, money and intervals in words, and the Stripe.js card.
//
// The routes take an OAuth access token with the subscriptions scope (reference
// subscriptions.md §4). The page gets one from its session token with the fxa-credentials
// grant of the pages' own public client (<body data-client-id>, migration 0002), and keeps it
// in this tab's sessionStorage until shortly before it expires.
import { ApiError, Errno, post, request } from "./api.js";
import { format, gettext, language } from "./i18n.js";

const TOKEN_KEY = "fxa.subscriptions.token";
const EXPIRY_MARGIN_MS = 60_000;

// The subscription errnos the pages explain (subscriptions.md §10).
export const SubErrno = Object.freeze({
  UNKNOWN_CUSTOMER: 176,
  UNKNOWN_PLAN: 178,
  PAYMENT_REJECTED: 179,
  ALREADY_CANCELLED: 180,
  INVALID_PLAN_UPDATE: 185,
  PAYMENT_FAILED: 186,
  ALREADY_SUBSCRIBED: 187,
  INVALID_PROMOTION_CODE: 199,
  INVALID_CURRENCY: 211,
});

function heldToken(account) {
  try {
    const held = JSON.parse(sessionStorage.getItem(TOKEN_KEY) || "null");
    if (held && held.uid === account.uid && held.expiresAt - EXPIRY_MARGIN_MS > Date.now()) return held.token;
  } catch {
    // Unreadable: a new one is bought below.
  }
  return null;
}

/** An access token for `account` with the subscriptions scope (held, or granted now). */
export async function accessToken(account) {
  const held = heldToken(account);
  if (held) return held;
  const { clientId, scope } = document.body.dataset;
  const answer = await post("/oauth/token", {
    client_id: clientId, grant_type: "fxa-credentials", scope, access_type: "online",
  }, { token: account.sessionToken });
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify({
    uid: account.uid, token: answer.access_token, expiresAt: Date.now() + answer.expires_in * 1000,
  }));
  return answer.access_token;
}

export function forgetAccessToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** One call of a subscription route; a token the server no longer knows is replaced once. */
export async function subscriptionCall(account, method, path, body) {
  const send = async () => request(method, path, { bearer: `Bearer ${await accessToken(account)}`, body });
  try {
    return await send();
  } catch (error) {
    if (!(error instanceof ApiError) || error.errno !== Errno.INVALID_TOKEN || !account) throw error;
    forgetAccessToken();
    return send();
  }
}

/** An amount in minor units as the page's language writes it ("US$5.00", "5,00 €"). */
export function money(amount, currency) {
  const formatter = new Intl.NumberFormat(language(), { style: "currency", currency: currency.toUpperCase() });
  const digits = formatter.resolvedOptions().maximumFractionDigits;
  return formatter.format(amount / 10 ** digits);
}

/** "US$5.00 monthly", "US$50.00 every 2 years". */
export function priceText(plan) {
  const price = money(plan.amount, plan.currency);
  const count = plan.interval_count || 1;
  if (count === 1) {
    const once = {
      day: gettext("%(price)s daily"), week: gettext("%(price)s weekly"),
      month: gettext("%(price)s monthly"), year: gettext("%(price)s yearly"),
    }[plan.interval];
    if (once) return format(once, { price });
  }
  const every = {
    day: gettext("%(price)s every %(count)s days"), week: gettext("%(price)s every %(count)s weeks"),
    month: gettext("%(price)s every %(count)s months"), year: gettext("%(price)s every %(count)s years"),
  }[plan.interval] || "%(price)s";
  return format(every, { price, count });
}

/** A Stripe timestamp (seconds) as a date in the page's language. */
export function longDate(seconds) {
  return new Date(seconds * 1000).toLocaleDateString(language(), { year: "numeric", month: "long", day: "numeric" });
}

/** The product's plans, rendered by the server into <script type=application/json id=plans-data>. */
export function pagePlans() {
  const element = document.getElementById("plans-data");
  return element ? JSON.parse(element.textContent) : [];
}

/**
 * Stripe.js and its card element mounted in `container`. The publishable key is
 * <body data-stripe-key>; Stripe.js itself was loaded by the page (STRIPE_JS_URL).
 */
export function mountCard(container) {
  if (typeof globalThis.Stripe !== "function") throw new Error("Stripe.js did not load");
  const stripe = globalThis.Stripe(document.body.dataset.stripeKey);
  // The card's own iframe takes no stylesheet: it is given the page's text colour and font
  // (dark mode included).
  const computed = getComputedStyle(container);
  const style = { base: { color: computed.color, fontFamily: computed.fontFamily, fontSize: "16px" } };
  const card = stripe.elements({ locale: language() }).create("card", { hidePostalCode: false, style });
  card.mount(container);
  return { stripe, card };
}

/**
 * A new card of the signed-in customer, as a PaymentMethod id: a SetupIntent confirmed by
 * Stripe.js with the card element (the card goes to Stripe, never here). Throws CardError
 * with Stripe's own sentence when the card is refused.
 */
export async function collectCard(account, { stripe, card }, name) {
  const intent = await subscriptionCall(account, "POST", "/oauth/subscriptions/setupintent/create");
  const result = await stripe.confirmCardSetup(intent.client_secret, {
    payment_method: { card, billing_details: { name } },
  });
  if (result.error) throw new CardError(result.error.message || gettext("Your card was declined."));
  const method = result.setupIntent.payment_method;
  return typeof method === "string" ? method : method.id;
}

/**
 * After active/new: a first payment that needs 3-D Secure (§6 step 4) is confirmed by the card
 * holder through Stripe.js. Resolves to null when the subscription is paid for, else to
 * `{invoice, reason}`: the open invoice (to retry with another card) and why, in words.
 */
export async function completeFirstPayment(stripe, subscription) {
  if (subscription.status !== "incomplete") return null;
  const invoice = subscription.latest_invoice || {};
  const intent = invoice.payment_intent;
  if (intent?.status === "requires_action") {
    const result = await stripe.confirmCardPayment(intent.client_secret);
    if (!result.error && result.paymentIntent?.status === "succeeded") return null;
  }
  return { invoice: invoice.id || "", reason: gettext("The bank did not confirm the payment.") };
}

export class CardError extends Error {
  constructor(message) {
    super(message);
    this.name = "CardError";
  }
}

/** Stripe's decline codes in words of the page's language (Stripe's own message is English). */
function cardProblem(code) {
  switch (code) {
    case "expired_card":
      return gettext("Your card has expired. Try another card.");
    case "incorrect_cvc":
      return gettext("The security code of your card is wrong. Check it and try again.");
    case "insufficient_funds":
      return gettext("Your card was declined for insufficient funds. Try another card.");
    case "processing_error":
      return gettext("Your bank could not process the payment. Try again in a moment.");
    default:
      return gettext("Your card was declined. Try another card.");
  }
}

/** A sentence about a failed subscription call. */
export function subscriptionErrorMessage(error) {
  if (error instanceof CardError) return error.message;
  if (!(error instanceof ApiError)) return gettext("Something went wrong. Reload the page and try again.");
  switch (error.errno) {
    case SubErrno.PAYMENT_REJECTED:
    case SubErrno.PAYMENT_FAILED:
      return cardProblem(error.body.stripeCode);
    case SubErrno.ALREADY_SUBSCRIBED:
      return gettext("You already subscribe to this product.");
    case SubErrno.INVALID_PROMOTION_CODE:
      return gettext("This promo code cannot be used with this plan.");
    case SubErrno.INVALID_CURRENCY:
      return gettext("This card cannot pay in this plan’s currency. Try another card.");
    case SubErrno.INVALID_PLAN_UPDATE:
      return gettext("This plan cannot replace your current one.");
    case SubErrno.ALREADY_CANCELLED:
      return gettext("This subscription has already been cancelled.");
    case SubErrno.UNKNOWN_PLAN:
      return gettext("This plan is no longer offered.");
    default:
      return error.status >= 500
        ? gettext("Our payment system is not answering. Try again in a moment.")
        : gettext("Something went wrong on the server. Try again in a moment.");
  }
}
