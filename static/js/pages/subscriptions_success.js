// The success page of a product (issue 20): which plan was bought, and where the receipt goes.
import { format, gettext } from "../i18n.js";
import { currentAccount } from "../session.js";
import { pagePlans, priceText } from "../subscriptions.js";

export function init() {
  const wanted = new URLSearchParams(location.search).get("plan");
  const plan = pagePlans().find((candidate) => candidate.id === wanted);
  if (plan) {
    document.querySelector("[data-success-plan]").textContent = format(
      gettext("Your subscription is active: %(price)s."), { price: priceText(plan) });
  }
  const account = currentAccount();
  if (account?.email) {
    const line = document.querySelector("[data-success-email]");
    line.textContent = format(gettext("Invoices will be sent to %(email)s."), { email: account.email });
    line.hidden = false;
  }
}
