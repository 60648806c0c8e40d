"""The Stripe events this server acts on (reference subscriptions.md §7): each refreshes the
local cache from Stripe's latest copy of the object, and so signals the capability changes.

Handled once per event id: the event's row is written in the transaction that handles it, so a
failure leaves no row and the task's retry (or Stripe's redelivery) handles it again.
"""
import logging

from django.db import IntegrityError, transaction

from accounts.errors import AppError
from accounts.services.lookup import find_account

from . import services, stripe_gateway
from .models import Invoice, PaymentMethod, StripeCustomer, WebhookEvent

logger = logging.getLogger("fxa.subscriptions")

CATALOGUE_EVENTS = ("product.", "plan.", "price.")


def _customer_row(customer_id):
    row = StripeCustomer.objects.filter(customer_id=customer_id).first()
    if row is None:
        logger.info("Stripe event for customer %s, who is no account's", customer_id)
    return row


def _subscription_event(event, obj):
    row = _customer_row(stripe_gateway.normalise_subscription(obj)["customer"])
    if row is not None:
        services._store_subscriptions(row, [stripe_gateway.retrieve_subscription(obj["id"])])


def _invoice_event(event, obj):
    row = _customer_row(stripe_gateway.expanded_id(obj.get("customer")))
    if row is None:
        return
    if event["type"] == "invoice.deleted":
        Invoice.objects.filter(invoice_id=obj["id"]).delete()
        return
    invoice = stripe_gateway.retrieve_invoice(obj["id"])
    # A paid first invoice is what turns an incomplete subscription (3-D Secure) active.
    subscription_id = invoice["subscription"]
    subs = [stripe_gateway.retrieve_subscription(subscription_id)] if subscription_id else []
    services._store_subscriptions(row, subs, [invoice])


def _credit_note_event(event, obj):
    """A credit note changes what its invoice owes or paid (upstream refunds PayPal invoices
    here; Stripe refunds cards itself): the invoice is re-read into the cache."""
    invoice_id = stripe_gateway.expanded_id(obj.get("invoice"))
    if invoice_id:
        _invoice_event(event, {"id": invoice_id, "customer": obj.get("customer")})


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
    "invoice.": _invoice_event,
    "credit_note.": _credit_note_event,
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
