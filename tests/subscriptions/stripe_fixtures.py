"""Stripe API answers in the pinned version's shapes (2024-11-20.acacia), for the fixture tests.

Each fixture says which real Stripe behaviour it stands for; the numbers are Stripe's own
arithmetic (a 10 % coupon on 10.00 leaves 9.00, 8 % sales tax on that is 0.72).
"""
import copy
import time

from .conftest import CLIENT_ID, OFFER_METADATA

NOW = int(time.time())
PERIOD_START = NOW - 86400
PERIOD_END = PERIOD_START + 30 * 86400
CUSTOMER_ID = "cus_fixture"

# A product with the §2.1 metadata; ``promotionCodes`` on the product applies to all its plans.
PRODUCT = {
    "id": "prod_pro", "object": "product", "active": True, "name": "123Done Pro",
    "description": None, "created": NOW - 10 ** 6, "livemode": False, "type": "service",
    "metadata": {**OFFER_METADATA, "productSet": "123done", "productOrder": "2",
                 f"capabilities:{CLIENT_ID}": "123donePro", "promotionCodes": "LAUNCH, EXPIRED"},
}


def plan(plan_id, amount, currency, interval="month", **metadata):
    """An element of GET /v1/plans?expand[]=data.product: a Plan object (the Plans API answers
    ``amount`` and ``interval`` where a Price says ``unit_amount`` and ``recurring``)."""
    return {
        "id": plan_id, "object": "plan", "active": True, "amount": amount,
        "amount_decimal": str(amount), "billing_scheme": "per_unit", "created": NOW - 10 ** 6,
        "currency": currency, "interval": interval, "interval_count": 1, "livemode": False,
        "nickname": f"Pro {currency}", "product": copy.deepcopy(PRODUCT), "tiers_mode": None,
        "transform_usage": None, "trial_period_days": None, "usage_type": "licensed",
        "metadata": metadata,
    }


# Plan-level promotionCodes add to the product's (upstream checks both lists).
PLAN_USD = plan("price_pro_usd", 1000, "usd", promotionCodes="SPRING,MAXED,ARCHIVED,ELSEWHERE")
PLAN_EUR = plan("price_pro_eur", 1000, "eur")
PLAN_YEARLY = plan("price_pro_year", 10000, "usd", interval="year", promotionCodes="THREEMONTHS")
PLANS = {"object": "list", "url": "/v1/plans", "has_more": False,
         "data": [PLAN_USD, PLAN_EUR, PLAN_YEARLY]}


def coupon(coupon_id, **fields):
    """A Coupon as GET /v1/promotion_codes answers it inside each code (``applies_to`` only
    with expand[]=data.coupon.applies_to, and then only when the coupon is restricted)."""
    return {
        "id": coupon_id, "object": "coupon", "amount_off": None, "currency": None,
        "created": NOW - 10 ** 5, "duration": "once", "duration_in_months": None,
        "livemode": False, "max_redemptions": None, "metadata": {}, "name": "Launch 10%",
        "percent_off": 10.0, "redeem_by": None, "times_redeemed": 3, "valid": True, **fields,
    }


def promotion_code(promo_id, code, coupon_object, **fields):
    return {
        "id": promo_id, "object": "promotion_code", "active": True, "code": code,
        "coupon": coupon_object, "created": NOW - 10 ** 5, "customer": None,
        "expires_at": None, "livemode": False, "max_redemptions": None, "metadata": {},
        "restrictions": {"first_time_transaction": False, "minimum_amount": None,
                         "minimum_amount_currency": None},
        "times_redeemed": 3, **fields,
    }


PROMOTION_CODES = [
    # A live 10 % once-off code.
    promotion_code("promo_launch", "LAUNCH", coupon("co_launch")),
    # 5.00 off for three months on a monthly plan: whole periods, so usable.
    promotion_code("promo_spring", "SPRING", coupon("co_spring", percent_off=None,
                                                   amount_off=500, currency="usd",
                                                   duration="repeating", duration_in_months=3,
                                                   name="Spring")),
    # A coupon past its redeem_by: Stripe then reports the coupon valid=false.
    promotion_code("promo_expired", "EXPIRED", coupon("co_expired", redeem_by=NOW - 3600,
                                                     valid=False)),
    # A promotion code used max_redemptions times: Stripe turns it inactive.
    promotion_code("promo_maxed", "MAXED", coupon("co_maxed"), active=False,
                   max_redemptions=100, times_redeemed=100),
    # A code the operator archived in the dashboard: active=false, and the list of active codes
    # (active=true) leaves it out.
    promotion_code("promo_archived", "ARCHIVED", coupon("co_archived"), active=False),
    # A coupon restricted to another product (applies_to, expanded).
    promotion_code("promo_elsewhere", "ELSEWHERE",
                   coupon("co_elsewhere", applies_to={"products": ["prod_other"]})),
    # Three months off a yearly plan would end inside a period: upstream refuses that.
    promotion_code("promo_three", "THREEMONTHS", coupon("co_three", duration="repeating",
                                                       duration_in_months=3)),
]


def promotion_codes_list(params):
    """GET /v1/promotion_codes?code=…[&active=true]: the filter is by exact code."""
    found = [code for code in PROMOTION_CODES if code["code"] == params.get("code")
             and (params.get("active") != "true" or code["active"])]
    return {"object": "list", "url": "/v1/promotion_codes", "has_more": False, "data": found}


def promotion_by_id(promo_id):
    return next(code for code in PROMOTION_CODES if code["id"] == promo_id)


def discount(promo):
    """An invoice's or subscription's ``discount`` once a promotion code applied (acacia still
    answers the single ``discount`` next to the ``discounts`` list of ids)."""
    return {"id": "di_1", "object": "discount", "coupon": promo["coupon"], "customer": CUSTOMER_ID,
            "end": None if promo["coupon"]["duration"] == "once" else PERIOD_START + 90 * 86400,
            "invoice": None, "promotion_code": promo["id"], "start": PERIOD_START,
            "subscription": None}


def line(amount, currency, price):
    return {
        "id": "il_tmp_1", "object": "line_item", "amount": amount, "currency": currency,
        "description": f"1 × 123Done Pro (at {amount / 100:.2f} / month)", "discountable": True,
        "livemode": False, "metadata": {}, "period": {"end": PERIOD_END, "start": PERIOD_START},
        "plan": price, "price": {**price, "object": "price", "unit_amount": price["amount"]},
        "proration": False, "quantity": 1, "type": "subscription",
    }


def preview(*, currency="usd", subtotal=1000, promo=None, tax=None, inclusive=False,
            tax_name="Sales Tax", price=PLAN_USD):
    """POST /v1/invoices/create_preview with automatic_tax and, optionally, a promotion code.

    Exclusive tax (US sales tax) is added on top: total = subtotal - discount + tax.
    Inclusive tax (EU VAT) is inside the price: total = subtotal - discount, and
    total_excluding_tax = total - tax.
    """
    off = 0
    if promo:
        coupon_object = promo["coupon"]
        off = coupon_object["amount_off"] or round(subtotal * coupon_object["percent_off"] / 100)
    taxed = subtotal - off
    tax_amount = tax or 0
    total = taxed if inclusive else taxed + tax_amount
    body = {
        "id": "upcoming_in_1", "object": "invoice", "account_country": "US",
        "amount_due": total, "amount_paid": 0, "amount_remaining": total,
        "automatic_tax": {"enabled": tax is not None, "liability": {"type": "self"},
                          "status": "complete" if tax is not None else None},
        "billing_reason": "upcoming", "collection_method": "charge_automatically",
        "created": NOW, "currency": currency, "customer": None, "customer_tax_exempt": "none",
        "discount": discount(promo) if promo else None,
        "discounts": ["di_1"] if promo else [],
        "lines": {"object": "list", "data": [line(subtotal, currency, price)], "has_more": False},
        "livemode": False, "metadata": {}, "number": None, "status": "draft",
        "subscription": None, "subtotal": subtotal,
        "subtotal_excluding_tax": subtotal - tax_amount if inclusive else subtotal,
        "tax": tax, "total": total,
        "total_discount_amounts": [{"amount": off, "discount": "di_1"}] if promo else [],
        "total_excluding_tax": total - tax_amount if inclusive else taxed,
        "total_tax_amounts": [] if tax is None else [{
            "amount": tax_amount, "inclusive": inclusive, "taxability_reason": "standard_rated",
            "taxable_amount": taxed - tax_amount if inclusive else taxed,
            # Expanded (expand[]=total_tax_amounts.tax_rate): the name clients show.
            "tax_rate": {"id": "txr_1", "object": "tax_rate", "active": True,
                         "display_name": tax_name, "inclusive": inclusive,
                         "percentage": 19.0 if inclusive else 8.0},
        }],
    }
    return body


# The customer Stripe Tax knows the location of (its shipping address, set at creation from
# geo-IP): ``expand[]=tax`` answers automatic_tax "supported".
CUSTOMER = {
    "id": CUSTOMER_ID, "object": "customer", "address": None, "balance": 0,
    "created": NOW - 10 ** 5, "currency": None, "default_source": None, "deleted": None,
    "description": "uid", "email": "subscriber@example.com", "invoice_prefix": "ABC123",
    "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None},
    "livemode": False, "metadata": {}, "name": "Jane",
    "shipping": {"address": {"country": "US", "postal_code": "10001"}, "name": "Jane"},
    "tax": {"automatic_tax": "supported", "ip_address": None,
            "location": {"country": "US", "source": "shipping_destination", "state": "NY"}},
    "tax_exempt": "none",
}


def card_payment_method(pm_id, country, customer=None):
    """GET /v1/payment_methods/<id>: a card, with the issuing country Stripe reads off it."""
    return {
        "id": pm_id, "object": "payment_method", "type": "card", "created": NOW,
        "customer": customer, "livemode": False, "metadata": {},
        "billing_details": {"address": {"country": country, "postal_code": "10001"},
                            "email": None, "name": "Jane", "phone": None},
        "card": {"brand": "visa", "country": country, "exp_month": 12, "exp_year": 2040,
                 "fingerprint": f"fp_{pm_id}", "funding": "credit", "last4": "4242"},
    }


def subscription(sub_id="sub_fixture", *, price=PLAN_USD, status="active", promo=None,
                 metadata=None, price_object=False, latest_invoice="in_fixture"):
    """A subscription as Stripe answers it. ``price_object``: its item carries a Price object
    only (``unit_amount``, ``recurring``), as the Prices API and API versions from basil do."""
    price_shape = {
        "id": price["id"], "object": "price", "active": True, "currency": price["currency"],
        "metadata": price["metadata"], "nickname": price["nickname"],
        "product": price["product"]["id"], "recurring": {
            "interval": price["interval"], "interval_count": 1, "usage_type": "licensed"},
        "type": "recurring", "unit_amount": price["amount"],
    }
    item = {"id": "si_fixture", "object": "subscription_item", "created": PERIOD_START,
            "metadata": {}, "price": price_shape, "quantity": 1, "subscription": sub_id}
    if not price_object:
        item["plan"] = {**price, "product": price["product"]["id"]}
    return {
        "id": sub_id, "object": "subscription", "cancel_at": None, "cancel_at_period_end": False,
        "canceled_at": None, "collection_method": "charge_automatically",
        "created": PERIOD_START, "currency": price["currency"], "customer": CUSTOMER_ID,
        "current_period_end": PERIOD_END, "current_period_start": PERIOD_START,
        "discount": discount(promo) if promo else None,
        "discounts": ["di_1"] if promo else [], "ended_at": None,
        "items": {"object": "list", "data": [item], "has_more": False},
        "latest_invoice": latest_invoice, "livemode": False, "metadata": metadata or {},
        "status": status,
    }


def paid_invoice(invoice_id="in_fixture", sub_id="sub_fixture", *, promo=None,
                 billing_reason="subscription_create"):
    """An invoice once paid: status "paid", its payment intent succeeded."""
    body = preview(promo=promo)
    body.update({
        "id": invoice_id, "billing_reason": billing_reason, "customer": CUSTOMER_ID,
        "number": "ABC123-0001", "status": "paid", "subscription": sub_id,
        "amount_paid": body["total"], "amount_remaining": 0,
        "hosted_invoice_url": f"https://invoice.stripe.com/i/acct_fixture/{invoice_id}",
        "payment_intent": {"id": "pi_fixture", "object": "payment_intent",
                           "client_secret": "pi_fixture_secret_x", "created": NOW,
                           "last_payment_error": None, "next_action": None,
                           "payment_method": "pm_us", "status": "succeeded"},
    })
    return body


def event(event_type, obj, *, previous=None, event_id="evt_fixture"):
    """A webhook Event as Stripe posts it (``request.id`` set: the change came from the API)."""
    data = {"object": obj}
    if previous is not None:
        data["previous_attributes"] = previous
    return {"id": event_id, "object": "event", "api_version": "2024-11-20.acacia",
            "created": NOW, "data": data, "livemode": False, "pending_webhooks": 1,
            "request": {"id": "req_fixture", "idempotency_key": None}, "type": event_type}


def credit_note(invoice_id="in_fixture", amount=972):
    """A credit note a support agent issues in the dashboard on a paid card invoice, refunding it
    to the card (Stripe then refunds the charge itself and sends charge.refunded)."""
    return {
        "id": "cn_fixture", "object": "credit_note", "amount": amount, "created": NOW,
        "currency": "usd", "customer": CUSTOMER_ID, "invoice": invoice_id, "livemode": False,
        "memo": None, "number": "ABC123-0001-CN-01", "out_of_band_amount": None,
        "reason": "requested_by_customer", "refund": "re_fixture", "status": "issued",
        "subtotal": amount, "total": amount, "type": "post_payment",
    }
