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
from decimal import Decimal
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
    return _plain(obj.to_dict() if hasattr(obj, "to_dict") else obj)


def _plain(value):
    """JSON-ready: the library reads Stripe's decimal strings (``amount_decimal``, …) as
    ``Decimal``, which the cache's JSON columns cannot hold; they go back to strings."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


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


def normalise_discount(discount):
    """A discount as ``{promotion_code, coupon: {...}, end}`` (ids where Stripe did not expand),
    or None: acacia's ``discount``; newer versions' ``discounts`` list (its first one)."""
    if not isinstance(discount, dict):
        return None
    coupon = discount.get("coupon") or (discount.get("source") or {}).get("coupon") or {}
    coupon = {"id": coupon} if isinstance(coupon, str) else coupon
    return {
        "promotion_code": expanded_id(discount.get("promotion_code")),
        "coupon": {key: coupon.get(key) for key in (
            "id", "name", "duration", "duration_in_months", "amount_off", "percent_off")},
        "end": discount.get("end"),
    }


def _first_discount(obj):
    listed = [entry for entry in obj.get("discounts") or [] if isinstance(entry, dict)]
    return normalise_discount(obj.get("discount") or (listed[0] if listed else None))


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
        "discount": _first_discount(sub),
        "plan_id": price.get("id"),
        "product_id": expanded_id(price.get("product")),
        "items": {"data": [
            {"id": item.get("id"), "created": item.get("created"), "price": item_price(item)}
            for item in items
        ]},
    }


def invoice_taxes(invoice):
    """``[{amount, inclusive, display_name}]``: acacia's ``total_tax_amounts`` (its tax rate
    expanded for the name), or newer versions' ``total_taxes`` (``tax_behavior``)."""
    taxes = []
    for tax in invoice.get("total_tax_amounts") or []:
        rate = tax.get("tax_rate")
        taxes.append({"amount": tax.get("amount") or 0, "inclusive": bool(tax.get("inclusive")),
                      "display_name": rate.get("display_name") if isinstance(rate, dict) else None})
    for tax in invoice.get("total_taxes") or []:
        rate = (tax.get("tax_rate_details") or {}).get("tax_rate")
        taxes.append({"amount": tax.get("amount") or 0,
                      "inclusive": tax.get("tax_behavior") == "inclusive",
                      "display_name": rate.get("display_name") if isinstance(rate, dict) else None})
    return taxes


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
        "amount_paid": invoice.get("amount_paid"),
        # What credit notes took off it: before payment (a void) or after (a refund, a credit).
        "pre_payment_credit_notes_amount": invoice.get("pre_payment_credit_notes_amount") or 0,
        "post_payment_credit_notes_amount": invoice.get("post_payment_credit_notes_amount") or 0,
        "tax": invoice.get("tax"),
        "taxes": invoice_taxes(invoice),
        "discount": _first_discount(invoice),
        "total_discount_amounts": [entry.get("amount") or 0 for entry in
                                   invoice.get("total_discount_amounts") or []],
        "metadata": invoice.get("metadata") or {},
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


def find_promotion_code(code, active_only=True):
    """The promotion code named exactly ``code`` (§6.2), its coupon's product restriction
    expanded, or None. ``active_only=False`` finds inactive ones too (to say why they fail)."""
    params = {"code": code, "limit": 10, "expand": ["data.coupon.applies_to"]}
    if active_only:
        params["active"] = True
    page = _call(client().promotion_codes.list, params)
    return next((found for found in page["data"] if found.get("code") == code), None)


def retrieve_promotion_code(promotion_id):
    """The promotion code of that id, or None when Stripe has none."""
    try:
        return _call(client().promotion_codes.retrieve, promotion_id,
                     {"expand": ["coupon.applies_to"]}, refused=Errno.INVALID_PROMOTION_CODE)
    except AppError as error:
        if error.errno == Errno.INVALID_PROMOTION_CODE:
            return None
        raise


# Customers and payment methods.


def create_customer(uid, email, display_name="", location=None):
    """``location``: ``(country, postal code)`` from geo-IP, the address Stripe Tax reads (§6)."""
    params = {"email": email, "description": uid,
              "metadata": {"userid": uid, "geoip_date": time.strftime("%Y-%m-%d")}}
    if display_name:
        params["name"] = display_name
    if location:
        params["shipping"] = {"name": email, "address": {"country": location[0],
                                                         "postal_code": location[1]}}
    return _call(client().customers.create, params, {"idempotency_key": idempotency_key(uid)})


def retrieve_customer(customer_id, tax=False):
    """``tax``: with Stripe Tax's view of the customer (``tax.automatic_tax``, its location)."""
    expand = ["invoice_settings.default_payment_method"] + (["tax"] if tax else [])
    return _call(client().customers.retrieve, customer_id, {"expand": expand})


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


def set_invoice_custom_fields(customer_id, fields):
    """``fields``: ``[{name, value}]``, printed on the customer's invoices."""
    return _call(client().customers.update, customer_id, {
        "invoice_settings": {"custom_fields": fields},
        "expand": ["invoice_settings.default_payment_method"],
    })


def set_customer_location(customer_id, country, postal_code, name=""):
    """The customer's ``shipping`` address, the one Stripe Tax locates it by."""
    return _call(client().customers.update, customer_id, {
        "shipping": {"name": name, "address": {"country": country, "postal_code": postal_code}},
        "expand": ["invoice_settings.default_payment_method"],
    })


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
        params["discounts"] = [{"promotion_code": promotion_code_id}]
    if automatic_tax:
        params["automatic_tax"] = {"enabled": True}
    sub = _call(client().subscriptions.create, params, {"idempotency_key": key})
    return normalise_subscription(sub), normalise_invoice(sub.get("latest_invoice") or {})


def update_subscription(subscription_id, params, refused=Errno.BACKEND_SERVICE_FAILURE):
    return normalise_subscription(_call(client().subscriptions.update, subscription_id, params,
                                        refused=refused))


def cancel_subscription(subscription_id):
    return normalise_subscription(_call(client().subscriptions.cancel, subscription_id))


# The tax rates expanded: their names are what invoices show next to each tax.
INVOICE_EXPAND = ["payment_intent", "total_tax_amounts.tax_rate"]


def retrieve_invoice(invoice_id):
    return normalise_invoice(_call(client().invoices.retrieve, invoice_id,
                                   {"expand": INVOICE_EXPAND}))


def pay_invoice(invoice_id):
    return normalise_invoice(_call(client().invoices.pay, invoice_id,
                                   {"expand": INVOICE_EXPAND}))


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
