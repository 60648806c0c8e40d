"""The Stripe events this server acts on (reference subscriptions.md §7): each refreshes the
local cache from Stripe's latest copy of the object, and so signals the capability changes, and
queues the subscription mails the event stands for (``subscriptions.mails``).

Handled once per event id: the event's row is written in the transaction that handles it (with
the outbox rows of its mails), so a failure leaves no row and mails nothing, and the task's retry
(or Stripe's redelivery) handles it again.
"""
import logging

from django.db import IntegrityError, transaction

from accounts.errors import AppError
from accounts.services.lookup import find_account

from . import mails, services, stripe_gateway
from .models import Invoice, PaymentMethod, StripeCustomer, WebhookEvent

logger = logging.getLogger("fxa.subscriptions")

CATALOGUE_EVENTS = ("product.", "plan.", "price.")


def _mail(send, *args):
    """Queue an event's mail in a savepoint: a mail its data cannot make (a value Stripe left
    out) is logged and skipped, so it neither loses the cache update nor makes the event fail
    for good. Stripe being unreachable (AppError) still fails the event, to be retried."""
    try:
        with transaction.atomic():
            send(*args)
    except (ValueError, KeyError, TypeError):
        logger.exception("Stripe event mail %s not sent", send.__name__)


def _customer_row(customer_id):
    row = StripeCustomer.objects.filter(customer_id=customer_id).first()
    if row is None:
        logger.info("Stripe event for customer %s, who is no account's", customer_id)
    return row


def _subscription_event(event, obj):
    sub = stripe_gateway.normalise_subscription(obj)
    row = _customer_row(sub["customer"])
    if row is None:
        return
    services._store_subscriptions(row, [stripe_gateway.retrieve_subscription(obj["id"])])
    if event["type"] == "customer.subscription.updated":
        _mail(mails.subscription_updated, row, sub,
              event["data"].get("previous_attributes") or {})
    elif event["type"] == "customer.subscription.deleted":
        reason = (obj.get("cancellation_details") or {}).get("reason")
        _mail(mails.subscription_deleted, row, sub, reason)


def _invoice_event(event, obj):
    row = _customer_row(stripe_gateway.expanded_id(obj.get("customer")))
    if row is None:
        return
    if event["type"] == "invoice.deleted":
        Invoice.objects.filter(invoice_id=obj["id"]).delete()
        return
    if event["type"] == "invoice.upcoming":
        _invoice_upcoming(row)
        return
    invoice = _refresh_invoice(row, obj["id"])
    if event["type"] in PAID_EVENTS and invoice["status"] == "paid":
        _mail(mails.invoice_paid, row, invoice)
    elif event["type"] == "invoice.payment_failed":
        _mail(mails.invoice_payment_failed, row, invoice)


# Older API versions (and localstripe) say payment_succeeded where newer ones say paid; Stripe
# sends both today, and the mail goes once per invoice whichever comes first.
PAID_EVENTS = ("invoice.paid", "invoice.payment_succeeded")


def _refresh_invoice(row, invoice_id):
    invoice = stripe_gateway.retrieve_invoice(invoice_id)
    # A paid first invoice is what turns an incomplete subscription (3-D Secure) active.
    subscription_id = invoice["subscription"]
    subs = [stripe_gateway.retrieve_subscription(subscription_id)] if subscription_id else []
    services._store_subscriptions(row, subs, [invoice])
    return invoice


def _invoice_upcoming(row):
    """An upcoming invoice has no id and is not re-read (§7 step 2): what matters is whether
    the card it will be charged to expires before then."""
    customer = stripe_gateway.retrieve_customer(row.customer_id)
    card = (customer.get("invoice_settings") or {}).get("default_payment_method")
    if isinstance(card, dict) and (card.get("card") or {}).get("exp_year"):
        details = {"id": card["id"], **card["card"]}
        if mails.card_expires_by_this_month(details):
            _mail(mails.card_expiring, row, details)


def _source_expiring(event, obj):
    """``customer.source.expiring``: a legacy card source (not a PaymentMethod) expires at the
    end of the month."""
    row = _customer_row(stripe_gateway.expanded_id(obj.get("customer")))
    if row is not None:
        _mail(mails.card_expiring, row, obj)


def _refund_event(event, obj):
    """``credit_note.*`` and ``charge.refunded``: the invoice they credit is re-read into the
    cache. Stripe refunds a card itself; a credit to the balance or out of band is reported,
    as upstream reports it, since the user sees no refund on their card."""
    invoice_id = stripe_gateway.expanded_id(obj.get("invoice"))
    row = _customer_row(stripe_gateway.expanded_id(obj.get("customer")))
    if row is None or not invoice_id:
        return
    if obj.get("object") == "credit_note" and (obj.get("customer_balance_transaction")
                                               or obj.get("out_of_band_amount")):
        logger.warning("Credit note %s credits the balance or out of band, not the card",
                       obj.get("id"))
    _refresh_invoice(row, invoice_id)


def _coupon_event(event, obj):
    # Promotion codes are checked per plan (§6.2); a coupon restricted to products is reported.
    if (obj.get("applies_to") or {}).get("products"):
        logger.warning("Coupon %s has a product restriction", obj.get("id"))


def _customer_event(event, obj):
    row = _customer_row(obj["id"])
    if row is None:
        return
    if event["type"] == "customer.deleted":
        services.forget_customer(row)
    else:
        services.refresh_customer(row)


def _customer_created(event, obj):
    """A customer made in the dashboard (no API request behind the event; ours are linked by
    POST /customer) belongs to the account of its email address, if it has none yet."""
    if (event.get("request") or {}).get("id") or not obj.get("email"):
        return
    if StripeCustomer.objects.filter(customer_id=obj["id"]).exists():
        return
    try:
        account, _ = find_account(obj["email"])
    except AppError:
        logger.info("Stripe customer %s has no account's address", obj["id"])
        return
    row, created = StripeCustomer.objects.get_or_create(
        account=account, defaults={"customer_id": obj["id"]})
    if created:
        services.refresh_customer(row)


def _payment_method_event(event, obj):
    if event["type"] == "payment_method.detached":
        PaymentMethod.objects.filter(payment_method_id=obj["id"]).delete()
        return
    row = _customer_row(stripe_gateway.expanded_id(obj.get("customer")))
    if row is not None:
        services._cache_payment_method(row, stripe_gateway.retrieve_payment_method(obj["id"]))


HANDLERS = {
    "customer.subscription.": _subscription_event,
    "customer.source.expiring": _source_expiring,
    "invoice.": _invoice_event,
    "credit_note.": _refund_event,
    "charge.refunded": _refund_event,
    "coupon.": _coupon_event,
    "customer.created": _customer_created,
    "customer.updated": _customer_event,
    "customer.deleted": _customer_event,
    "payment_method.": _payment_method_event,
}


def handle_event(event):
    """Act on one verified Stripe event, unless its id was handled already; whether it was new."""
    try:
        with transaction.atomic():
            WebhookEvent.objects.create(event_id=event["id"], type=event["type"])
            _dispatch(event)
    except IntegrityError:
        if WebhookEvent.objects.filter(event_id=event["id"]).exists():
            logger.info("Stripe event %s already handled", event["id"])
            return False
        raise
    return True


def _dispatch(event):
    kind, obj = event["type"], event["data"]["object"]
    if kind.startswith(CATALOGUE_EVENTS):
        services.refresh_catalogue()
        return
    handler = next((handler for prefix, handler in HANDLERS.items() if kind.startswith(prefix)),
                   None)
    if handler is None:
        logger.info("Stripe event %s not handled", kind)
        return
    handler(event, obj)
