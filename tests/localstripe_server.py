"""Runs localstripe (the stateful fake Stripe of the subscription tests) on 127.0.0.1:<port>.

``python -m tests.localstripe_server PORT``. localstripe itself listens on every interface and
saves its store to one file in /tmp after each write; here it listens on loopback only and keeps
its store in memory, so that each test process can run its own.
"""
import sys

from aiohttp import web
from localstripe import resources, server


def _accept_newer_update_parameters():
    """Subscription updates as Stripe makes them, where localstripe falls short.

    It refuses the parameters it does not model: the gateway sends ``proration_behavior`` (real
    Stripe then invoices the proration at once) and ``payment_behavior``; they are accepted and
    ignored (localstripe invoices a plan change only when the interval changes, so the tests
    read a proration from the preview instead). And it drops ``metadata``; here it is merged as
    Stripe merges it, an empty value removing the key.
    """
    update = resources.Subscription._update

    def _update(self, proration_behavior=None, payment_behavior=None, metadata=None, **data):
        if metadata:
            merged = {**self.metadata, **metadata}
            self.metadata = {key: value for key, value in merged.items() if value != ""}
        return update(self, **data)

    resources.Subscription._update = _update


def _setup_intents_attach_their_payment_method():
    """A customer's SetupIntent attaches the payment method it confirms to that customer, as
    Stripe does (localstripe leaves it unattached; the change of card relies on it). It is
    attached as soon as the card is accepted, before any 3-D Secure step (localstripe completes
    that step in a branch there is no hook for)."""
    attach = resources.SetupIntent._attach_pm

    def _attach_pm(self, pm):
        attach(self, pm)
        if self.customer and pm.customer is None:
            pm.customer = self.customer

    resources.SetupIntent._attach_pm = _attach_pm


def _customer_currency(customer):
    """Stripe sets a customer's currency with its first subscription or invoice (localstripe
    answers "eur" for every customer)."""
    subscriptions = customer.subscriptions._list
    return subscriptions[0].plan.currency if subscriptions else None


def _customer_tax(customer):
    """The includable ``tax`` of a customer (``expand=["tax"]``), as Stripe answers it for a
    customer whose location Stripe Tax does not know: localstripe has no Stripe Tax."""
    return {"automatic_tax": "unrecognized_location", "ip_address": None, "location": None}


def _invoice_hosted_page():
    """Stripe's ``hosted_invoice_url`` on every invoice, its page for viewing and downloading
    it (localstripe has none; /subscriptions links it)."""
    init = resources.Invoice.__init__

    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.hosted_invoice_url = f"https://invoice.stripe.com/i/{self.id}"

    resources.Invoice.__init__ = __init__


def _invoice_billing_reason():
    """Stripe's ``billing_reason`` on a subscription's invoices: ``subscription_create`` on the
    one that starts it, ``subscription_cycle`` on the renewals (localstripe leaves it null; the
    webhook's invoice mails tell the first from the others by it)."""
    init = resources.Invoice.__init__

    def __init__(self, *args, subscription=None, **kwargs):
        first = subscription is not None and not any(
            key.startswith("invoice:") and value.subscription == subscription
            for key, value in resources.store.items())
        init(self, *args, subscription=subscription, **kwargs)
        if subscription is not None:
            self.billing_reason = "subscription_create" if first else "subscription_cycle"

    resources.Invoice.__init__ = __init__


def main(port):
    resources.Store.dump_to_disk = lambda store: None
    _invoice_billing_reason()
    _invoice_hosted_page()
    resources.Customer.currency = property(_customer_currency)
    resources.Customer.tax = property(_customer_tax)
    _accept_newer_update_parameters()
    _setup_intents_attach_their_payment_method()
    web.run_app(server.app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main(int(sys.argv[1]))
