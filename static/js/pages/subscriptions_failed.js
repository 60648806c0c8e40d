// The failure page of a product (issue 20): why the payment failed, and another card. An open
// invoice (a payment that needed 3-D Secure and was not confirmed) is paid with the new card by
// POST /oauth/subscriptions/invoice/retry (§6 step 5); without one, the subscription is tried
// again from the start (a declined first payment leaves no subscription behind).
import { gettext } from "../i18n.js";
import { liveAccount } from "../session.js";
import {
  CardError, collectCard, completeFirstPayment, mountCard, subscriptionCall, subscriptionErrorMessage,
} from "../subscriptions.js";
import { FieldError, onSubmit, showError } from "../ui.js";

const FAILURE_KEY = "fxa.subscriptions.failure";

export async function init() {
  const query = new URLSearchParams(location.search);
  const plan = query.get("plan") || "";
  const invoice = query.get("invoice") || "";
  const productId = document.body.dataset.productId;
  const reason = sessionStorage.getItem(FAILURE_KEY);
  if (reason) document.querySelector("[data-failure-reason]").textContent = reason;
  document.querySelector("[data-back-link]").href = `/subscriptions/products/${encodeURIComponent(productId)}?` + new URLSearchParams({ plan });

  const account = await liveAccount().catch(() => null);
  if (!account || !account.verified || !plan) return;
  const form = document.getElementById("retry-form");
  form.hidden = false;
  const stripeCard = mountCard(document.querySelector("[data-card-element]"));
  const name = document.getElementById("card-name");
  onSubmit(form, async () => {
    if (!name.value.trim()) throw new FieldError(name, gettext("Enter the name on your card."));
    try {
      const paymentMethodId = await collectCard(account, stripeCard, name.value.trim());
      if (invoice) {
        await subscriptionCall(account, "POST", "/oauth/subscriptions/invoice/retry", {
          invoiceId: invoice, paymentMethodId, idempotencyKey: crypto.randomUUID(),
        });
      } else {
        const { subscription } = await subscriptionCall(account, "POST", "/oauth/subscriptions/active/new",
          { priceId: plan, paymentMethodId });
        const unpaid = await completeFirstPayment(stripeCard.stripe, subscription);
        if (unpaid) throw new CardError(unpaid.reason);
      }
    } catch (error) {
      if (error instanceof CardError) throw new FieldError(document.querySelector("[data-card-element]"), error.message);
      return showError(form, subscriptionErrorMessage(error));
    }
    sessionStorage.removeItem(FAILURE_KEY);
    location.assign(`/subscriptions/products/${encodeURIComponent(productId)}/success?` + new URLSearchParams({ plan }));
  });
}
