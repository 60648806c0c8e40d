"""Every call to Stripe, on the official library's ``StripeClient``, and the one place that knows
Stripe's shapes (reference subscriptions.md §11).

The API version is pinned to upstream's (acacia), so Stripe answers the shapes FxA was built
on whatever version the account defaults to. The normalisers still read the newer shapes
(``price`` or ``plan`` on an item, the period on the item or the subscription, the invoice's
subscription under ``parent``), so cached objects and fixtures of either era read the same.

Errors leave as the errno table's: a card refused is 179, anything else Stripe says is 203.
"""
import base64
import hashlib
import time
from functools import lru_cache

import stripe
from django.conf import settings

from accounts.errors import AppError, Errno

API_VERSION = "2024-11-20.acacia"
# Plan changes are invoiced at once, as upstream does (§6.1), not at the next renewal.
ALWAYS_INVOICE = "always_invoice"


@lru_cache(maxsize=4)
def _client(api_key, api_base):
    return stripe.StripeClient(
        api_key, stripe_version=API_VERSION, base_addresses={"api": api_base},
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
    )


def client():
    return _client(settings.STRIPE_API_KEY, settings.STRIPE_API_BASE).v1


def _to_dict(obj):
    return obj.to_dict() if hasattr(obj, "to_dict") else obj


def _call(method, *args, refused=Errno.BACKEND_SERVICE_FAILURE):
    """One Stripe request; its answer as plain dicts. ``refused``: the errno of a request Stripe
    calls invalid."""
    try:
        return _to_dict(method(*args))
    except stripe.CardError as error:
        raise AppError(Errno.REJECTED_SUBSCRIPTION_PAYMENT_TOKEN, message=error.user_message
                       or Errno.REJECTED_SUBSCRIPTION_PAYMENT_TOKEN.message,
                       stripeCode=error.code) from error
    except stripe.InvalidRequestError as error:
        raise AppError(refused) from error
    except stripe.StripeError as error:
        raise AppError(Errno.BACKEND_SERVICE_FAILURE) from error


def idempotency_key(*parts):
    """upstream's keys: base64url of SHA-256 over the parts (§6)."""
    digest = hashlib.sha256("".join(str(part) for part in parts).encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# Normalising the shapes of old and new API versions.


def item_price(item):
    """The price (= plan) of a subscription item: ``price`` in newer versions, ``plan`` before."""
    price = item.get("price") or item.get("plan") or {}
    return {"id": price} if isinstance(price, str) else price


def expanded_id(value):
    return value.get("id") if isinstance(value, dict) else value


def invoice_subscription_id(invoice):
    """``invoice.subscription`` until basil, ``parent.subscription_details.subscription`` after."""
    parent = (invoice.get("parent") or {}).get("subscription_details") or {}
    return expanded_id(invoice.get("subscription") or parent.get("subscription")) or ""


def normalise_subscription(sub):
    """A subscription in acacia's shape, with ``plan_id``/``product_id`` of its one item."""
    items = (sub.get("items") or {}).get("data") or []
    first = items[0] if items else {}
    price = item_price(first)
    return {
        "id": sub["id"],
        "customer": expanded_id(sub.get("customer")),
        "status": sub.get("status"),
        "created": sub.get("created"),
        # basil moved the period onto each item.
        "current_period_start": sub.get("current_period_start") or first.get("current_period_start"),
        "current_period_end": sub.get("current_period_end") or first.get("current_period_end"),
        "cancel_at_period_end": bool(sub.get("cancel_at_period_end")),
        "cancel_at": sub.get("cancel_at"),
        "canceled_at": sub.get("canceled_at"),
        "ended_at": sub.get("ended_at"),
        "collection_method": sub.get("collection_method") or "charge_automatically",
        "latest_invoice": expanded_id(sub.get("latest_invoice")),
        "metadata": sub.get("metadata") or {},
        "plan_id": price.get("id"),
        "product_id": expanded_id(price.get("product")),
        "items": {"data": [
            {"id": item.get("id"), "created": item.get("created"), "price": item_price(item)}
            for item in items
        ]},
    }


def normalise_invoice(invoice):
    payment_intent = invoice.get("payment_intent")
    return {
        "id": invoice.get("id"),
        "object": "invoice",
        "customer": expanded_id(invoice.get("customer")),
        "subscription": invoice_subscription_id(invoice),
        "status": invoice.get("status"),
        "number": invoice.get("number"),
        # Stripe's page of the invoice, and when it was paid: what the invoice mails show.
        "hosted_invoice_url": invoice.get("hosted_invoice_url"),
        "paid_at": (invoice.get("status_transitions") or {}).get("paid_at"),
        "billing_reason": invoice.get("billing_reason"),
        "currency": invoice.get("currency"),
        "created": invoice.get("created") or int(time.time()),
        "subtotal": invoice.get("subtotal"),
        "subtotal_excluding_tax": invoice.get("subtotal_excluding_tax", invoice.get("subtotal")),
        "total": invoice.get("total"),
        "total_excluding_tax": invoice.get("total_excluding_tax", invoice.get("total")),
        "tax": invoice.get("tax"),
        "lines": invoice.get("lines") or {"data": []},
        "payment_intent": payment_intent if isinstance(payment_intent, dict) else None,
        "payment_intent_id": expanded_id(payment_intent),
    }


def normalise_plan(plan):
    """A plan or a price (``unit_amount``, ``recurring``), with its product expanded."""
    recurring = plan.get("recurring") or {}
    return {
        "id": plan["id"],
        "nickname": plan.get("nickname") or "",
        "amount": plan.get("amount", plan.get("unit_amount")) or 0,
        "currency": plan.get("currency"),
        "interval": plan.get("interval") or recurring.get("interval"),
        "interval_count": plan.get("interval_count") or recurring.get("interval_count") or 1,
        "active": plan.get("active", True),
        "metadata": plan.get("metadata") or {},
        "product": plan.get("product"),
    }


# Catalogue.


def list_plans():
    """Every plan, products expanded (§2), all pages."""
    plans, params = [], {"limit": 100, "expand": ["data.product"]}
    while True:
        page = _call(client().plans.list, params)
        plans += [normalise_plan(plan) for plan in page["data"]]
        if not page.get("has_more") or not page["data"]:
            return plans
        params["starting_after"] = page["data"][-1]["id"]


def retrieve_plan(plan_id):
    return normalise_plan(_call(client().plans.retrieve, plan_id, {"expand": ["product"]}))


def retrieve_product(product_id):
    return _call(client().products.retrieve, product_id)


def find_promotion_code(code):
    """The active promotion code named exactly ``code`` (§6.2), or None."""
    page = _call(client().promotion_codes.list, {"code": code, "active": True, "limit": 10})
    return next((found for found in page["data"] if found.get("code") == code), None)


# Customers and payment methods.


def create_customer(uid, email, display_name=""):
    params = {"email": email, "description": uid,
              "metadata": {"userid": uid, "geoip_date": time.strftime("%Y-%m-%d")}}
    if display_name:
        params["name"] = display_name
    return _call(client().customers.create, params, {"idempotency_key": idempotency_key(uid)})


def retrieve_customer(customer_id):
    return _call(client().customers.retrieve, customer_id,
                 {"expand": ["invoice_settings.default_payment_method"]})


def delete_customer(customer_id):
    return _call(client().customers.delete, customer_id)


def attach_payment_method(payment_method_id, customer_id, key=None):
    options = {"idempotency_key": key} if key else {}
    return _call(client().payment_methods.attach, payment_method_id,
                 {"customer": customer_id}, options)


def set_default_payment_method(customer_id, payment_method_id):
    return _call(client().customers.update, customer_id,
                 {"invoice_settings": {"default_payment_method": payment_method_id},
                  "expand": ["invoice_settings.default_payment_method"]})


def detach_payment_method(payment_method_id):
    return _call(client().payment_methods.detach, payment_method_id)


def retrieve_payment_method(payment_method_id):
    return _call(client().payment_methods.retrieve, payment_method_id)


def create_setup_intent(customer_id):
    return _call(client().setup_intents.create, {"customer": customer_id})


# Subscriptions and invoices.


def list_subscriptions(customer_id):
    page = _call(client().subscriptions.list, {"customer": customer_id, "status": "all",
                                               "limit": 100})
    return [normalise_subscription(sub) for sub in page["data"]]


def retrieve_subscription(subscription_id):
    return normalise_subscription(_call(client().subscriptions.retrieve, subscription_id))


def create_subscription(customer_id, plan_id, *, key, promotion_code_id=None,
                        automatic_tax=False):
    """``items[].plan`` rather than ``price``: both name the same object on Stripe (§2), and the
    older parameter is the one the test stand-in knows."""
    params = {"customer": customer_id, "items": [{"plan": plan_id}],
              "expand": ["latest_invoice.payment_intent"]}
    if promotion_code_id:
        params["promotion_code"] = promotion_code_id
    if automatic_tax:
        params["automatic_tax"] = {"enabled": True}
    sub = _call(client().subscriptions.create, params, {"idempotency_key": key})
    return normalise_subscription(sub), normalise_invoice(sub.get("latest_invoice") or {})


def update_subscription(subscription_id, params):
    return normalise_subscription(_call(client().subscriptions.update, subscription_id, params))


def cancel_subscription(subscription_id):
    return normalise_subscription(_call(client().subscriptions.cancel, subscription_id))


def retrieve_invoice(invoice_id):
    return normalise_invoice(_call(client().invoices.retrieve, invoice_id,
                                   {"expand": ["payment_intent"]}))


def pay_invoice(invoice_id):
    return normalise_invoice(_call(client().invoices.pay, invoice_id,
                                   {"expand": ["payment_intent"]}))


def preview_invoice(params):
    """``invoices/create_preview`` (``upcoming`` is gone in newer versions); Stripe's refusal of
    the request itself is 209."""
    return normalise_invoice(_call(client().invoices.create_preview, params,
                                   refused=Errno.INVALID_INVOICE_PREVIEW_REQUEST))


# Webhooks.


def construct_event(payload, signature):
    """The event of a webhook body, once its ``Stripe-Signature`` checks out (default tolerance:
    five minutes, against replays); ``stripe.SignatureVerificationError`` otherwise."""
    event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    return event.to_dict()
