// /subscriptions (issue 20, upstream's "manage subscriptions"): each web subscription with its
// plan, next invoice and latest invoice (billing-and-subscriptions, §4.3, and
// invoice/preview-subsequent), cancel at period end and reactivate (§6.1), the upgrades the
// catalogue offers (plan-eligibility "upgrade", PUT active/{id}), and a new default card
// (a SetupIntent confirmed by Stripe.js, then paymentmethod/default).
import { ApiError } from "../api.js";
import { format, gettext } from "../i18n.js";
import { endedSession, openSettings, toast } from "../settings.js";
import {
  CardError, SubErrno, collectCard, longDate, money, mountCard, pagePlans, priceText,
  subscriptionCall, subscriptionErrorMessage,
} from "../subscriptions.js";
import { FieldError, onSubmit } from "../ui.js";

const plans = pagePlans();
let account = null;

function pageError(message) {
  const region = document.querySelector("[data-page-error]");
  region.textContent = message;
  region.className = message ? "notice notice-error" : "notice";
}

export async function init() {
  account = await openSettings();
  if (!account) return;
  bindCardForm();
  await show();
}

async function show() {
  let billing;
  try {
    billing = await subscriptionCall(account, "GET", "/oauth/mozilla-subscriptions/customer/billing-and-subscriptions");
  } catch (error) {
    if (endedSession(error)) return;
    if (error instanceof ApiError && error.errno === SubErrno.UNKNOWN_CUSTOMER) {
      document.querySelector("[data-no-subscriptions]").hidden = false;
      return;
    }
    return pageError(subscriptionErrorMessage(error));
  }
  const web = billing.subscriptions.filter((sub) => sub._subscription_type === "web");
  document.querySelector("[data-no-subscriptions]").hidden = web.length > 0;
  document.querySelector("[data-payment-section]").hidden = billing.payment_provider !== "stripe";
  document.querySelector("[data-card-summary]").textContent = billing.last4
    ? format(gettext("%(brand)s ending in %(last4)s, expires %(month)s/%(year)s"), {
      brand: (billing.brand || "").toUpperCase(), last4: billing.last4,
      month: String(billing.exp_month).padStart(2, "0"), year: billing.exp_year,
    })
    : gettext("No card on file");
  let next = [];
  try {
    next = web.length ? await subscriptionCall(account, "GET", "/oauth/subscriptions/invoice/preview-subsequent") : [];
  } catch {
    next = []; // the next invoice is a nicety: the list still shows without it
  }
  const list = document.querySelector("[data-subscription-list]");
  list.replaceChildren(...await Promise.all(web.map((sub) => renderSubscription(sub, next))));
}

async function renderSubscription(sub, next) {
  const item = document.getElementById("subscription-template").content.firstElementChild.cloneNode(true);
  const plan = plans.find((candidate) => candidate.id === sub.plan_id);
  item.dataset.subscription = sub.subscription_id;
  item.querySelector("[data-product-name]").textContent = sub.product_name;
  item.querySelector("[data-plan]").textContent = plan ? priceText(plan) : sub.plan_id;
  const state = item.querySelector("[data-state]");
  const end = sub.current_period_end ? longDate(sub.current_period_end) : "";
  if (sub.cancel_at_period_end) {
    state.textContent = format(gettext("Cancelled: your subscription ends on %(date)s."), { date: end });
    state.classList.add("subscription-ending");
  } else if (sub.status === "past_due") {
    state.textContent = gettext("Your last payment failed. Update your card to keep your subscription.");
    state.classList.add("subscription-ending");
  } else {
    state.textContent = format(gettext("Active: renews on %(date)s."), { date: end });
  }
  const upcoming = next.find((preview) => (preview.subscription_id ?? preview.subscriptionId) === sub.subscription_id);
  const nextRow = item.querySelector("[data-next-row]");
  nextRow.hidden = sub.cancel_at_period_end || !upcoming;
  if (upcoming) {
    item.querySelector("[data-next]").textContent = format(gettext("%(amount)s on %(date)s"), {
      // Charged when this period ends (the preview's own period dates follow Stripe's version).
      amount: money(upcoming.total, upcoming.currency), date: end,
    });
  }
  const invoiceRow = item.querySelector("[data-invoice-row]");
  invoiceRow.hidden = !sub.latest_invoice && !sub.latest_invoice_url;
  const items = sub.latest_invoice_items;
  const invoice = item.querySelector("[data-invoice]");
  const amount = items && plan ? money(items.total, plan.currency) : "";
  invoice.textContent = sub.latest_invoice && amount
    ? format(gettext("%(number)s: %(amount)s"), { number: sub.latest_invoice, amount })
    : sub.latest_invoice || amount;
  if (sub.latest_invoice_url) {
    const link = document.createElement("a");
    link.href = sub.latest_invoice_url;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = gettext("View invoice");
    link.dataset.invoiceLink = "";
    invoice.append(" ", link);
  }

  const cancel = item.querySelector("[data-cancel]");
  const reactivate = item.querySelector("[data-reactivate]");
  cancel.hidden = sub.cancel_at_period_end;
  reactivate.hidden = !sub.cancel_at_period_end;
  cancel.addEventListener("click", () => confirmCancel(sub, end));
  reactivate.addEventListener("click", () => act(reactivate, async () => {
    await subscriptionCall(account, "POST", "/oauth/subscriptions/reactivate", { subscriptionId: sub.subscription_id });
    toast(format(gettext("Your subscription to %(product)s will go on."), { product: sub.product_name }));
  }));
  if (!sub.cancel_at_period_end) await offerUpgrade(item, sub, plan);
  return item;
}

// Upgrades: the catalogue's plans in the subscription's currency that plan-eligibility calls an
// upgrade from this very plan (§5; downgrades are not offered, the API refuses them).
async function offerUpgrade(item, sub, current) {
  if (!current) return;
  const candidates = plans.filter((plan) => plan.id !== current.id && plan.currency === current.currency);
  for (const plan of candidates) {
    let answer;
    try {
      answer = await subscriptionCall(account, "GET",
        `/oauth/mozilla-subscriptions/customer/plan-eligibility/${encodeURIComponent(plan.id)}`);
    } catch {
      continue;
    }
    const source = answer.current_plan ?? answer.currentPlan;
    if (answer.eligibility !== "upgrade" || source?.plan_id !== current.id) continue;
    const row = item.querySelector("[data-upgrade-row]");
    row.hidden = false;
    row.querySelector("[data-upgrade-text]").textContent = format(gettext("%(product)s, %(price)s"), {
      product: plan.product_name, price: priceText(plan),
    });
    const button = row.querySelector("[data-upgrade]");
    button.addEventListener("click", () => confirmUpgrade(sub, plan));
    return;
  }
}

// The change is invoiced at once (the proration, §6.1): the dialog says what today's charge is,
// from the preview of the upgrade.
async function confirmUpgrade(sub, plan) {
  const dialog = document.querySelector("[data-upgrade-dialog]");
  dialog.querySelector("[data-upgrade-dialog-text]").textContent = format(
    gettext("%(product)s at %(price)s replaces %(current)s from today."),
    { product: plan.product_name, price: priceText(plan), current: sub.product_name });
  const charge = dialog.querySelector("[data-upgrade-dialog-charge]");
  charge.hidden = true;
  try {
    const preview = await subscriptionCall(account, "POST", "/oauth/subscriptions/invoice/preview", { priceId: plan.id });
    if (preview.one_time_charge !== undefined) {
      charge.textContent = format(gettext("You will be charged %(amount)s today, for the rest of this period."),
        { amount: money(Math.max(preview.one_time_charge, 0), plan.currency) });
      charge.hidden = false;
    }
  } catch {
    // Without a preview the dialog still says what changes.
  }
  dialog.returnValue = "";
  dialog.addEventListener("close", () => {
    if (dialog.returnValue !== "confirm") return;
    act(null, async () => {
      await subscriptionCall(account, "PUT", `/oauth/subscriptions/active/${encodeURIComponent(sub.subscription_id)}`, { planId: plan.id });
      toast(format(gettext("You now subscribe to %(product)s."), { product: plan.product_name }));
    });
  }, { once: true });
  dialog.showModal();
}

function confirmCancel(sub, end) {
  const dialog = document.querySelector("[data-cancel-dialog]");
  dialog.querySelector("[data-cancel-text]").textContent = format(
    gettext("You keep %(product)s until %(date)s; you will not be charged after that."),
    { product: sub.product_name, date: end });
  dialog.returnValue = "";
  dialog.addEventListener("close", () => {
    if (dialog.returnValue !== "confirm") return;
    act(null, async () => {
      await subscriptionCall(account, "DELETE", `/oauth/subscriptions/active/${encodeURIComponent(sub.subscription_id)}`);
      toast(format(gettext("Your subscription to %(product)s is cancelled; it ends on %(date)s."), { product: sub.product_name, date: end }));
    });
  }, { once: true });
  dialog.showModal();
}

/** Run one action, then show the subscriptions again as the server now has them. */
async function act(button, call) {
  if (button) button.disabled = true;
  pageError("");
  try {
    await call();
  } catch (error) {
    if (endedSession(error)) return;
    pageError(subscriptionErrorMessage(error));
  } finally {
    if (button) button.disabled = false;
  }
  await show();
}

function bindCardForm() {
  const form = document.getElementById("card-form");
  const name = document.getElementById("card-name");
  let stripeCard = null;
  document.querySelector("[data-change-card]").addEventListener("click", () => {
    form.hidden = false;
    stripeCard = stripeCard || mountCard(document.querySelector("[data-card-element]"));
    name.focus();
  });
  document.querySelector("[data-cancel-card]").addEventListener("click", () => { form.hidden = true; });
  onSubmit(form, async () => {
    if (!name.value.trim()) throw new FieldError(name, gettext("Enter the name on your card."));
    try {
      const paymentMethodId = await collectCard(account, stripeCard, name.value.trim());
      await subscriptionCall(account, "POST", "/oauth/subscriptions/paymentmethod/default", { paymentMethodId });
    } catch (error) {
      if (error instanceof CardError) throw new FieldError(document.querySelector("[data-card-element]"), error.message);
      if (endedSession(error)) return;
      throw new FieldError(name, subscriptionErrorMessage(error));
    }
    form.hidden = true;
    toast(gettext("Your new card will be charged from now on."));
    await show();
  });
}
