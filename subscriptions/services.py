"""Subscription use cases (reference subscriptions.md §3, §5, §6, §7): the catalogue, the
customer, subscribe / change / cancel / reactivate, capabilities and their change signal.

Stripe is called through ``stripe_gateway`` before the local transaction opens (a network call
holds no row lock); what Stripe answered is then cached, and capability changes signalled, in
one transaction.
"""
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import translation

from accounts.devices import notifications
from accounts.errors import AppError, Errno
from accounts.models import Account, now_ms

from . import capabilities, mails, stripe_gateway
from .models import (
    ACTIVE_STATUSES, Invoice, PaymentMethod, Plan, Product, StripeCustomer, Subscription,
)
from .signals import capabilities_changed

logger = logging.getLogger("fxa.subscriptions")


# §2.1: the merged metadata a plan needs to be offered (plus one ``capabilities*`` key).
REQUIRED_METADATA = (
    "productSet", "webIconURL", "successActionButtonURL", "product:termsOfServiceURL",
    "product:termsOfServiceDownloadURL", "product:privacyNoticeURL",
)


def require_stripe():
    if not settings.STRIPE_API_KEY:
        raise AppError(Errno.FEATURE_NOT_ENABLED)


# The catalogue (products and plans).


@transaction.atomic
def refresh_catalogue():
    """Replace the local copy of Stripe's products and plans with Stripe's."""
    plans = stripe_gateway.list_plans()
    products = {}
    for plan in plans:
        product = plan["product"]
        if isinstance(product, dict) and not product.get("deleted"):
            products[product["id"]] = product
    for product in products.values():
        Product.objects.update_or_create(product_id=product["id"], defaults={
            "name": product.get("name") or "", "active": product.get("active", True),
            "metadata": _trimmed(product.get("metadata")), "data": product,
        })
    kept = []
    for plan in plans:
        product_id = stripe_gateway.expanded_id(plan["product"])
        if product_id not in products:
            continue  # §2: a plan whose product is missing or deleted is skipped
        Plan.objects.update_or_create(plan_id=plan["id"], defaults={
            "product_id": product_id, "nickname": plan["nickname"], "amount": plan["amount"],
            "currency": plan["currency"], "interval": plan["interval"],
            "interval_count": plan["interval_count"], "active": plan["active"],
            "metadata": _trimmed(plan["metadata"]),
        })
        kept.append(plan["id"])
    Plan.objects.exclude(plan_id__in=kept).delete()
    Product.objects.exclude(product_id__in=products).delete()
    cache.set(catalogue_fresh_key(), True, settings.SUBSCRIPTIONS_PLANS_CACHE_SECONDS)


def catalogue_fresh_key():
    """The cache flag of a fresh catalogue, per database: it says how fresh that database's
    Product and Plan rows are (the cache may be shared by several, as the test runs share it)."""
    return f"subscriptions:catalogue-fresh:{connection.settings_dict['NAME']}"


def _trimmed(metadata):
    return {key: str(value).strip() for key, value in (metadata or {}).items()}


def ensure_catalogue():
    require_stripe()
    if not cache.get(catalogue_fresh_key()):
        refresh_catalogue()


def metadata_problems(metadata):
    """Why a plan's merged metadata is not offered (§2.1), or an empty list."""
    problems = [key for key in REQUIRED_METADATA if not metadata.get(key)]
    if not any(key.startswith("capabilities") for key in metadata):
        problems.append("capabilities")
    return problems


def offered_plans():
    """Plans users can see: active, of an active product, with valid merged metadata."""
    ensure_catalogue()
    plans = Plan.objects.select_related("product").filter(active=True, product__active=True)
    return [plan for plan in plans.order_by("plan_id")
            if not metadata_problems(plan.merged_metadata())]


def find_plan(plan_id):
    plan = next((plan for plan in offered_plans() if plan.plan_id == plan_id), None)
    if plan is None:
        raise AppError(Errno.UNKNOWN_SUBSCRIPTION_PLAN)
    return plan


def localized(metadata, key, language):
    """``key:<locale>`` for the request's language (full tag, then its base), else ``key``."""
    for candidate in (language, language.split("-")[0]):
        if metadata.get(f"{key}:{candidate}"):
            return metadata[f"{key}:{candidate}"]
    return metadata.get(key)


def abbreviated_plan(plan, language=None):
    """The element of GET /oauth/subscriptions/plans (§2), metadata sanitised."""
    language = language or translation.get_language() or "en"
    merged = plan.merged_metadata()
    return {
        "plan_id": plan.plan_id,
        "plan_name": plan.nickname,
        "plan_metadata": capabilities.strip(plan.metadata),
        "product_id": plan.product_id,
        "product_name": localized(merged, "product:name", language) or plan.product.name,
        "product_metadata": capabilities.strip(plan.product.metadata),
        "interval": plan.interval,
        "interval_count": plan.interval_count,
        "amount": plan.amount,
        "currency": plan.currency,
        "active": plan.active,
        "configuration": None,
    }


def product_name(product_id):
    ensure_catalogue()
    product = Product.objects.filter(product_id=product_id).first()
    if product is None:
        raise AppError(Errno.UNKNOWN_SUBSCRIPTION_PLAN)
    return product.name


# Capabilities (§3).


def granted_capabilities(account):
    """``{client | "*": {capability}}`` over the account's active subscriptions (cached)."""
    subscribed = Subscription.objects.filter(
        customer__account=account, status__in=ACTIVE_STATUSES
    ).values_list("plan_id", flat=True)
    plans = Plan.objects.select_related("product").filter(plan_id__in=list(subscribed))
    return capabilities.merge(*(capabilities.of_plan(plan.product.metadata, plan.metadata)
                                for plan in plans))


def capabilities_for_client(account, client_id):
    return capabilities.for_client(granted_capabilities(account), client_id)


def capabilities_by_client_id(account):
    """GET /account/profile's ``subscriptionsByClientId`` (a session caller: every client)."""
    granted = granted_capabilities(account)
    return {client: sorted(names) for client, names in granted.items()}


def every_capability(account):
    return capabilities.every_capability(granted_capabilities(account))


def clients_capabilities():
    """GET /oauth/subscriptions/clients (§3.3): each client named by a ``capabilities:<cid>``
    key, with its capabilities and every bare one."""
    ensure_catalogue()
    plans = Plan.objects.select_related("product").all()
    granted = capabilities.merge(*(capabilities.of_plan(plan.product.metadata, plan.metadata)
                                   for plan in plans))
    clients = sorted(client for client in granted if client != capabilities.ALL_CLIENTS)
    return [{"client_id": client, "capabilities": capabilities.for_client(granted, client)}
            for client in clients]


def _signal_changes(account, before, after):
    """``capabilities_changed`` once for what was granted and once for what was revoked (§3.4),
    the bare capabilities spread over every client the catalogue names."""
    clients = {entry["client_id"] for entry in clients_capabilities()}
    clients |= (set(before) | set(after)) - {capabilities.ALL_CLIENTS}
    old = capabilities.by_client(before, clients)
    new = capabilities.by_client(after, clients)
    change_time = now_ms()
    if old != new:
        # §13: the profile shows the capabilities, so it changed: RPs and browsers that keep
        # it by profileChangedAt (and the devices, told by push) fetch it again, as upstream's
        # customerChanged has them do.
        Account.objects.filter(pk=account.pk).update(profile_changed_at=change_time)
        account.profile_changed_at = change_time
        notifications.profile_updated(account.uid)
    for is_active, gained, lost in ((True, new, old), (False, old, new)):
        changed = {}
        for client in sorted(clients):
            names = sorted(set(gained.get(client, [])) - set(lost.get(client, [])))
            if names:
                changed[client] = names
        if changed:
            capabilities_changed.send(
                sender=Subscription, account=account, capabilities_by_client=changed,
                is_active=is_active, change_time=change_time,
            )


# The local cache of a customer's Stripe objects.


def _cache_subscription(customer, sub):
    Subscription.objects.update_or_create(subscription_id=sub["id"], defaults={
        "customer": customer, "plan_id": sub["plan_id"] or "", "product_id": sub["product_id"] or "",
        "status": sub["status"] or "", "cancel_at_period_end": sub["cancel_at_period_end"],
        "created": sub["created"] or 0, "current_period_end": sub["current_period_end"],
        "canceled_at": sub["canceled_at"], "data": sub,
    })


def _cache_invoice(customer, invoice):
    if not invoice.get("id"):
        return
    Invoice.objects.update_or_create(invoice_id=invoice["id"], defaults={
        "customer": customer, "subscription_id": invoice["subscription"],
        "status": invoice["status"] or "", "total": invoice["total"] or 0,
        "currency": invoice["currency"] or "", "created": invoice["created"],
        "data": {key: value for key, value in invoice.items() if key != "payment_intent"},
    })


def _cache_payment_method(customer, method):
    if not isinstance(method, dict) or method.get("type", "card") != "card":
        return
    card = method.get("card") or {}
    PaymentMethod.objects.update_or_create(payment_method_id=method["id"], defaults={
        "customer": customer, "brand": card.get("brand") or "", "last4": card.get("last4") or "",
        "exp_month": card.get("exp_month"), "exp_year": card.get("exp_year"),
        "funding": card.get("funding") or "", "country": card.get("country") or "",
    })


def _cache_customer(row, customer):
    row.data = {key: customer.get(key) for key in ("id", "email", "name", "currency",
                                                   "invoice_settings", "metadata")}
    row.currency = customer.get("currency") or ""
    row.updated_at = now_ms()
    row.save()
    _cache_payment_method(row, (customer.get("invoice_settings") or {}).get("default_payment_method"))


def _store_subscriptions(row, subscriptions, invoices=()):
    """Cache ``subscriptions`` (and ``invoices``) of ``row``'s customer, signalling what changed
    for the account's capabilities. Capabilities come from the cached catalogue, so a plan it
    does not hold yet (made since the last refresh) refreshes it first."""
    ensure_catalogue()
    plan_ids = {sub["plan_id"] for sub in subscriptions if sub["plan_id"]}
    if Plan.objects.filter(plan_id__in=plan_ids).count() < len(plan_ids):
        refresh_catalogue()
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=row.account_id)
        before = granted_capabilities(account)
        for sub in subscriptions:
            _cache_subscription(row, sub)
        for invoice in invoices:
            _cache_invoice(row, invoice)
        _signal_changes(account, before, granted_capabilities(account))


def refresh_customer(row):
    """Re-read ``row``'s customer, subscriptions and invoices from Stripe into the cache."""
    customer = stripe_gateway.retrieve_customer(row.customer_id)
    if customer.get("deleted"):
        forget_customer(row)
        return None
    subscriptions = stripe_gateway.list_subscriptions(row.customer_id)
    with transaction.atomic():
        _cache_customer(row, customer)
    _store_subscriptions(row, subscriptions)
    return row


@transaction.atomic
def forget_customer(row):
    account = Account.objects.select_for_update().get(pk=row.account_id)
    before = granted_capabilities(account)
    row.delete()
    _signal_changes(account, before, granted_capabilities(account))


# The customer (§6 step 1).


def customer_of(account):
    row = StripeCustomer.objects.filter(account=account).first()
    if row is None:
        raise AppError(Errno.UNKNOWN_SUBSCRIPTION_CUSTOMER)
    return row


def ensure_customer(account, display_name="", location=None):
    """POST /oauth/subscriptions/customer: the account's customer, created on first use (at the
    geo-IP ``location``, where Stripe Tax places it, §6 step 1)."""
    require_stripe()
    row = StripeCustomer.objects.filter(account=account).first()
    if row is not None:
        return row
    customer = stripe_gateway.create_customer(
        account.uid, account.primary_email.email, display_name, location
    )
    if (customer.get("metadata") or {}).get("userid", account.uid) != account.uid:
        raise AppError(Errno.BACKEND_SERVICE_FAILURE)
    with transaction.atomic():
        row, _ = StripeCustomer.objects.get_or_create(
            account=account, defaults={"customer_id": customer["id"]}
        )
        _cache_customer(row, customer)
    return row


def filtered_customer(row):
    """§4.1: the customer as clients see it."""
    default = (row.data.get("invoice_settings") or {}).get("default_payment_method")
    return {
        "invoice_settings": {"default_payment_method": stripe_gateway.expanded_id(default)},
        "sources": {"data": []},
        "subscriptions": {"data": [filtered_subscription(sub) for sub in
                                   row.subscriptions.exclude(status__startswith="incomplete")
                                   .order_by("created")]},
    }


def _filtered_price(price):
    price = dict(price or {})
    product = price.get("product")
    if isinstance(product, dict):
        product = {key: product.get(key) for key in ("id", "active", "description", "name")} | {
            "metadata": capabilities.strip(product.get("metadata"))}
    return {
        "id": price.get("id"), "active": price.get("active"), "currency": price.get("currency"),
        "metadata": capabilities.strip(price.get("metadata")), "nickname": price.get("nickname"),
        "product": product, "recurring": price.get("recurring") or (
            {"interval": price.get("interval"), "interval_count": price.get("interval_count")}
            if price.get("interval") else None),
        "type": price.get("type", "recurring"),
        "unit_amount": price.get("unit_amount", price.get("amount")),
    }


def filtered_subscription(sub):
    data = sub.data
    return {
        **{key: data.get(key) for key in (
            "id", "status", "created", "current_period_start", "current_period_end",
            "cancel_at_period_end", "cancel_at", "canceled_at", "ended_at", "latest_invoice")},
        "items": {"data": [{"id": item["id"], "created": item.get("created"),
                            "price": _filtered_price(item.get("price"))}
                           for item in data["items"]["data"]]},
    }


def _filtered_intent(intent):
    if not intent:
        return None
    return {key: intent.get(key) for key in
            ("client_secret", "created", "next_action", "payment_method", "status")}


def filtered_invoice(invoice):
    return {"id": invoice["id"], "object": "invoice", "status": invoice["status"],
            "payment_intent": _filtered_intent(invoice["payment_intent"])}


# Eligibility (§5).


def _product_sets(metadata):
    return {name.strip() for name in (metadata.get("productSet") or "").split(",") if name.strip()}


def _order(metadata):
    try:
        return float(metadata.get("productOrder"))
    except (TypeError, ValueError):
        return None


def eligibility(account, target):
    """``(create|upgrade|downgrade|invalid, current Plan or None)`` for subscribing to ``target``
    (IAP is not built: ``blocked_iap`` never arises)."""
    target_meta = target.merged_metadata()
    target_sets = _product_sets(target_meta)
    if not target_sets:
        return "invalid", None
    subscribed = Subscription.objects.filter(
        customer__account=account, status__in=ACTIVE_STATUSES
    ).values_list("plan_id", flat=True)
    current = [plan for plan in Plan.objects.select_related("product")
               .filter(plan_id__in=list(subscribed))]
    if not any(_product_sets(plan.merged_metadata()) & target_sets for plan in current):
        return "create", None
    for plan in current:
        meta = plan.merged_metadata()
        if plan.plan_id == target.plan_id or not (_product_sets(meta) & target_sets):
            continue
        mine, theirs = _order(meta), _order(target_meta)
        if mine is None or theirs is None or mine == theirs:
            continue
        return ("upgrade" if theirs > mine else "downgrade"), plan
    return "invalid", None


# Subscribe, change, cancel, reactivate (§6).


# Promotion codes (§6.2).

# Stripe's minimum charge per currency (minor units): a discount may not leave less to charge.
MINIMUM_CHARGE = {
    "usd": 50, "aud": 50, "brl": 50, "cad": 50, "chf": 50, "eur": 50, "inr": 50, "nzd": 50,
    "sgd": 50, "gbp": 30, "dkk": 250, "nok": 300, "sek": 300, "pln": 200, "czk": 1500,
    "huf": 17500, "ron": 200, "bgn": 100, "hkd": 400, "jpy": 50, "mxn": 1000, "myr": 200,
    "thb": 1000, "aed": 200,
}


def _listed_codes(plan):
    """The codes the plan or its product lists in ``promotionCodes`` (either one's: §6.2)."""
    codes = set()
    for metadata in (plan.product.metadata, plan.metadata):
        codes |= {code.strip() for code in (metadata.get("promotionCodes") or "").split(",")
                  if code.strip()}
    return codes


def _promotion_for_plan(plan, code, active_only=True):
    """Stripe's promotion code ``code`` when ``plan`` lists it and its coupon may apply to the
    plan's product; errno 199 otherwise."""
    if not code or code not in _listed_codes(plan):
        raise AppError(Errno.INVALID_PROMOTION_CODE)
    found = stripe_gateway.find_promotion_code(code, active_only=active_only)
    if found is None or not _coupon_applies_to(found.get("coupon") or {}, plan.product_id):
        raise AppError(Errno.INVALID_PROMOTION_CODE)
    return found


def _coupon_applies_to(coupon, product_id):
    products = (coupon.get("applies_to") or {}).get("products")
    return not products or product_id in products


def _redeemable(valid, expires, max_redemptions, times_redeemed):
    """``(valid, expired, maximally redeemed)`` of a coupon or a promotion code."""
    expired = bool(expires) and expires < time.time()
    exhausted = bool(max_redemptions) and (times_redeemed or 0) >= max_redemptions
    return bool(valid) and not expired and not exhausted, expired, exhausted


def _duration_fits(plan, coupon):
    """A repeating coupon must cover whole billing periods of a monthly or yearly plan."""
    if coupon.get("duration") != "repeating":
        return True
    months = coupon.get("duration_in_months")
    if plan.interval not in ("month", "year") or not months:
        return False
    return months % (plan.interval_count * (12 if plan.interval == "year" else 1)) == 0


def promotion_state(plan, promotion):
    """``{valid, expired, maximally_redeemed}`` of a promotion code and its coupon."""
    coupon = promotion.get("coupon") or {}
    of_coupon = _redeemable(coupon.get("valid"), coupon.get("redeem_by"),
                            coupon.get("max_redemptions"), coupon.get("times_redeemed"))
    of_code = _redeemable(promotion.get("active"), promotion.get("expires_at"),
                          promotion.get("max_redemptions"), promotion.get("times_redeemed"))
    return {
        "valid": of_coupon[0] and of_code[0] and _duration_fits(plan, coupon),
        "expired": of_coupon[1] or of_code[1],
        "maximally_redeemed": of_coupon[2] or of_code[2],
    }


def _valid_promotion(plan, code):
    """The promotion code to apply at a preview or a subscription: 199 unless usable now."""
    if not code:
        return None
    promotion = _promotion_for_plan(plan, code)
    if not promotion_state(plan, promotion)["valid"]:
        raise AppError(Errno.INVALID_PROMOTION_CODE)
    return promotion


def coupon_details(price_id, code, location=None):
    """POST /oauth/subscriptions/coupon: what ``code`` would do for ``price_id``, said even when
    it cannot be used now (expired, used up); 199 when the price does not take it at all."""
    require_stripe()
    plan = find_plan(price_id)
    promotion = _promotion_for_plan(plan, code, active_only=False)
    coupon = promotion.get("coupon") or {}
    body = {"promotion_code": code, "type": coupon.get("duration"),
            "duration_in_months": coupon.get("duration_in_months"),
            **promotion_state(plan, promotion)}
    if body["valid"]:
        try:
            preview = stripe_gateway.preview_invoice(_preview_params(plan, None, location,
                                                                     promotion))
        except AppError:
            body["valid"] = False  # Stripe refused the preview: the code is not usable here
            return body
        minimum = MINIMUM_CHARGE.get(preview["currency"] or plan.currency)
        if preview["total"] and minimum and preview["total"] < minimum:
            raise AppError(Errno.INVALID_PROMOTION_CODE)
        if preview["discount"] and preview["total_discount_amounts"]:
            body["discount_amount"] = preview["total_discount_amounts"][0]
    return body


def apply_promotion_code(account, promotion_id, subscription_id):
    """PUT /oauth/subscriptions/coupon/apply: a promotion code (by its Stripe id) onto a running
    subscription of the account's, if its plan takes it; 212 when it cannot be applied."""
    require_stripe()
    row = customer_of(account)
    sub = _own_subscription(account, subscription_id)
    plan = Plan.objects.select_related("product").filter(plan_id=sub.plan_id).first()
    promotion = stripe_gateway.retrieve_promotion_code(promotion_id)
    code = (promotion or {}).get("code") or ""
    if (sub.status != "active" or plan is None or code not in _listed_codes(plan)
            or not _coupon_applies_to(promotion.get("coupon") or {}, plan.product_id)
            or not promotion_state(plan, promotion)["valid"]):
        raise AppError(Errno.SUBSCRIPTION_PROMO_CODE_NOT_APPLIED)
    updated = stripe_gateway.update_subscription(subscription_id, {
        "discounts": [{"promotion_code": promotion["id"]}],
        "metadata": {"appliedPromotionCode": code},
    }, refused=Errno.SUBSCRIPTION_PROMO_CODE_NOT_APPLIED)
    _store_subscriptions(row, [updated])
    return filtered_subscription(row.subscriptions.get(subscription_id=subscription_id))


# Tax and location (§4.2, §6.3).


def currency_fits_country(currency, country):
    """Whether ``country`` (ISO 3166 alpha-2) may pay in ``currency`` (SUBSCRIPTIONS_CURRENCY_
    COUNTRIES, upstream's currenciesToCountries); unknown either way is no."""
    if not currency or not country:
        return False
    countries = settings.SUBSCRIPTIONS_CURRENCY_COUNTRIES.get(currency.upper(), ())
    return country.upper() in countries


def check_location(location):
    """213 for a geo-IP country the terms of service exclude."""
    if location and location[0].upper() in settings.SUBSCRIPTIONS_UNSUPPORTED_LOCATIONS:
        raise AppError(Errno.UNSUPPORTED_LOCATION)


TAX_ID_FIELD = "Tax ID"  # upstream's name of the invoice custom field


def _add_seller_tax_id(row, customer, currency):
    """§6 step 3: the seller's tax id for ``currency`` (SUBSCRIPTIONS_TAX_IDS) on the customer's
    invoices, unless a tax id field is there already."""
    tax_id = settings.SUBSCRIPTIONS_TAX_IDS.get((currency or "").upper())
    fields = (customer.get("invoice_settings") or {}).get("custom_fields") or []
    if tax_id and not any(field.get("name") == TAX_ID_FIELD for field in fields):
        stripe_gateway.set_invoice_custom_fields(
            row.customer_id, [*fields, {"name": TAX_ID_FIELD, "value": tax_id}])


# Where the card's billing postal code places the customer better than geo-IP (upstream's
# addressLookupCountries).
ADDRESS_LOOKUP_COUNTRIES = ("US", "CA")


def _locate_by_card(row, method):
    """A US or Canadian card with a billing postal code moves the customer's address, which
    Stripe Tax reads, there (§6 steps 3 and 6); the updated customer, or None."""
    card_country = (method.get("card") or {}).get("country")
    address = (method.get("billing_details") or {}).get("address") or {}
    if card_country not in ADDRESS_LOOKUP_COUNTRIES or not address.get("postal_code"):
        return None
    return stripe_gateway.set_customer_location(row.customer_id, card_country,
                                                address["postal_code"],
                                                row.data.get("email") or row.customer_id)


def _customer_taxable(customer, currency):
    """Stripe Tax can compute the customer's tax (it knows where they are) in ``currency``."""
    tax = customer.get("tax") or {}
    if tax.get("automatic_tax") not in ("supported", "not_collecting"):
        return False
    country = (tax.get("location") or {}).get("country") or (
        ((customer.get("shipping") or {}).get("address") or {}).get("country"))
    return currency_fits_country(currency, country)


def _preview_params(plan, customer, location, promotion):
    """A first-invoice preview: the customer's own when there is one (Stripe Tax reads its
    address), else an anonymous one at the geo-IP location (§4.2)."""
    params = {"subscription_details": {"items": [{"plan": plan.plan_id}]}}
    if customer is not None:
        params["customer"] = customer["id"]
        automatic_tax = _customer_taxable(customer, plan.currency)
    else:
        params["currency"] = plan.currency
        automatic_tax = bool(location) and currency_fits_country(plan.currency, location[0])
        details = {"tax_exempt": "none"}
        if location:
            details["shipping"] = {"name": "", "address": {"country": location[0],
                                                           "postal_code": location[1]}}
        params["customer_details"] = details
    if automatic_tax:
        params["automatic_tax"] = {"enabled": True}
        params["expand"] = ["total_tax_amounts.tax_rate"]
    if promotion:
        params["discounts"] = [{"promotion_code": promotion["id"]}]
    return params


def subscribe(account, price_id, payment_method_id=None, promotion_code=None):
    """POST /oauth/subscriptions/active/new: ``(filtered subscription, source country)``."""
    require_stripe()
    row = customer_of(account)
    plan = find_plan(price_id)
    refresh_customer(row)
    # §1: an earlier attempt at this plan that never completed makes way for this one.
    stale = [stripe_gateway.cancel_subscription(sub.subscription_id) for sub in
             row.subscriptions.filter(status="incomplete", plan_id=plan.plan_id)]
    if stale:
        _store_subscriptions(row, stale)
    if eligibility(account, plan)[0] != "create":
        raise AppError(Errno.SUBSCRIPTION_ALREADY_EXISTS)
    promotion = _valid_promotion(plan, promotion_code)
    customer = stripe_gateway.retrieve_customer(row.customer_id, tax=True)
    fingerprint, country = "", None
    if payment_method_id:
        method = stripe_gateway.retrieve_payment_method(payment_method_id)
        country = (method.get("card") or {}).get("country") or None
        # §6 step 3: the card's country must pay in the plan's currency.
        if not currency_fits_country(plan.currency, country):
            raise AppError(Errno.INVALID_CURRENCY)
        _add_seller_tax_id(row, customer, plan.currency)
        method = stripe_gateway.attach_payment_method(payment_method_id, row.customer_id)
        fingerprint = (method.get("card") or {}).get("fingerprint") or method["id"]
        updated = stripe_gateway.set_default_payment_method(row.customer_id, method["id"])
        with transaction.atomic():
            _cache_customer(row, updated)
    minute = int(time.time()) // 60
    sub, invoice = stripe_gateway.create_subscription(
        row.customer_id, plan.plan_id, promotion_code_id=promotion and promotion["id"],
        automatic_tax=_customer_taxable(customer, plan.currency),
        key="ssc-" + stripe_gateway.idempotency_key(row.customer_id, plan.plan_id, fingerprint,
                                                    minute),
    )
    intent = invoice.get("payment_intent") or {}
    if intent.get("last_payment_error") or sub["status"] == "incomplete_expired":
        stripe_gateway.cancel_subscription(sub["id"])
        error = intent.get("last_payment_error") or {}
        raise AppError(Errno.REJECTED_SUBSCRIPTION_PAYMENT_TOKEN,
                       message=error.get("message") or None, stripeCode=error.get("code"))
    if promotion and invoice.get("discount"):
        sub = stripe_gateway.update_subscription(
            sub["id"], {"metadata": {"appliedPromotionCode": promotion["code"]}})
    if payment_method_id:
        _locate_by_card(row, method)
    customer = stripe_gateway.retrieve_customer(row.customer_id)  # its currency is set now
    with transaction.atomic():
        _cache_customer(row, customer)
    _store_subscriptions(row, [sub], [invoice])
    # The invoice's payment intent goes back with it: a card that needs 3-D Secure is confirmed
    # in the browser with its client_secret (§6 step 4).
    body = filtered_subscription(row.subscriptions.get(subscription_id=sub["id"]))
    return {**body, "latest_invoice": filtered_invoice(invoice)}, country


def _own_subscription(account, subscription_id):
    sub = Subscription.objects.filter(
        subscription_id=subscription_id, customer__account=account
    ).select_related("customer").first()
    if sub is None:
        raise AppError(Errno.UNKNOWN_SUBSCRIPTION)
    return sub


def _set_cancellation(account, subscription_id, cancelling, inactive_errno):
    require_stripe()
    sub = _own_subscription(account, subscription_id)
    if not sub.is_active:
        raise AppError(inactive_errno)
    # The stamp marks a cancellation the user asked for: its deletion mails nothing more (§7).
    updated = stripe_gateway.update_subscription(subscription_id, {
        "cancel_at_period_end": cancelling,
        "metadata": {"cancelled_for_customer_at": str(int(time.time())) if cancelling else ""},
    })
    _store_subscriptions(sub.customer, [updated])


def cancel(account, subscription_id):
    """DELETE /oauth/subscriptions/active/{id}: cancel at the period's end (§6.1)."""
    _set_cancellation(account, subscription_id, True, Errno.SUBSCRIPTION_ALREADY_CANCELLED)


def reactivate(account, subscription_id):
    """POST /oauth/subscriptions/reactivate (§6.1): only a subscription still running."""
    _set_cancellation(account, subscription_id, False, Errno.UNKNOWN_SUBSCRIPTION)


def change_plan(account, subscription_id, plan_id):
    """PUT /oauth/subscriptions/active/{id}: upgrades only, from the subscription's own plan."""
    require_stripe()
    sub = _own_subscription(account, subscription_id)
    target = find_plan(plan_id)
    kind, source = eligibility(account, target)
    if kind != "upgrade" or source.plan_id != sub.plan_id:
        raise AppError(Errno.INVALID_PLAN_UPDATE)
    if sub.customer.currency and target.currency != sub.customer.currency:
        raise AppError(Errno.INVALID_CURRENCY)
    item_id = sub.data["items"]["data"][0]["id"]
    updated = stripe_gateway.update_subscription(subscription_id, {
        "cancel_at_period_end": False,
        "items": [{"id": item_id, "plan": target.plan_id}],
        "proration_behavior": stripe_gateway.ALWAYS_INVOICE,
        "metadata": {**sub.data.get("metadata", {}), "previous_plan_id": sub.plan_id,
                     "plan_change_date": str(int(time.time()))},
    })
    _store_subscriptions(sub.customer, [updated])


def active_subscriptions(account):
    """GET /oauth/subscriptions/active (milliseconds, §13)."""
    subs = Subscription.objects.filter(customer__account=account, status__in=ACTIVE_STATUSES)
    return [{"uid": account.uid, "subscription_id": sub.subscription_id,
             "product_id": sub.product_id, "created_at": sub.created * 1000,
             "cancelled_at": sub.canceled_at * 1000 if sub.canceled_at else None}
            for sub in subs.order_by("created")]


def _web_subscription(sub, product_names, invoices):
    """§4.3's WebSubscription; its promotion from the subscription's discount, the code from
    the ``appliedPromotionCode`` metadata written when it was applied."""
    latest = invoices.get(sub.data.get("latest_invoice"))
    body = {
        "_subscription_type": "web",
        "created": sub.created,
        "current_period_start": sub.data.get("current_period_start"),
        "current_period_end": sub.current_period_end,
        "cancel_at_period_end": sub.cancel_at_period_end,
        "end_at": sub.data.get("ended_at"),
        "latest_invoice": latest.data.get("number") if latest else None,
        "latest_invoice_items": _preview_body(latest.data) if latest else None,
        "latest_invoice_url": latest.data.get("hosted_invoice_url") if latest else None,
        "plan_id": sub.plan_id,
        "product_id": sub.product_id,
        "product_name": product_names.get(sub.product_id, ""),
        "status": sub.status,
        "subscription_id": sub.subscription_id,
    }
    discount = sub.data.get("discount") or {}
    coupon = discount.get("coupon") or {}
    return body | {
        "promotion_amount_off": coupon.get("amount_off"),
        "promotion_code": (sub.data.get("metadata") or {}).get("appliedPromotionCode"),
        "promotion_duration": coupon.get("duration"),
        "promotion_end": discount.get("end"),
        "promotion_name": coupon.get("name"),
        "promotion_percent_off": coupon.get("percent_off"),
    }


def account_subscriptions(account):
    """GET /account's ``subscriptions``: the account's web subscriptions (§4.3), from the cache."""
    subs = list(Subscription.objects.filter(customer__account=account,
                                            status__in=ACTIVE_STATUSES).order_by("created"))
    product_names = dict(Product.objects.values_list("product_id", "name"))
    invoices = {invoice.invoice_id: invoice for invoice in Invoice.objects.filter(
        invoice_id__in=[sub.data.get("latest_invoice") for sub in subs])}
    return [_web_subscription(sub, product_names, invoices) for sub in subs]


def billing_and_subscriptions(account):
    """GET /oauth/mozilla-subscriptions/customer/billing-and-subscriptions (§4.3; Stripe only)."""
    row = customer_of(account)
    subs = account_subscriptions(account)
    active = row.subscriptions.filter(status__in=ACTIVE_STATUSES).order_by("created").first()
    provider = "not_chosen"
    if active is not None:
        manual = active.data.get("collection_method") == "send_invoice"
        provider = "paypal" if manual else "stripe"
    body = {"customer_id": row.customer_id, "billing_name": row.data.get("name"),
            "payment_provider": provider, "subscriptions": subs}
    default = stripe_gateway.expanded_id(
        (row.data.get("invoice_settings") or {}).get("default_payment_method"))
    method = row.payment_methods.filter(payment_method_id=default).first() if default else None
    if method is not None:
        body.update({"payment_type": method.funding or "unknown", "brand": method.brand,
                     "last4": method.last4, "exp_month": method.exp_month,
                     "exp_year": method.exp_year})
    return body


# Payment methods (§6 steps 2, 5, 6).


def create_setup_intent(account):
    """POST /oauth/subscriptions/setupintent/create: to collect a new card for the customer."""
    require_stripe()
    return _filtered_intent(stripe_gateway.create_setup_intent(customer_of(account).customer_id))


def set_default_payment_method(account, payment_method_id):
    """POST /oauth/subscriptions/paymentmethod/default: a card already attached (confirmed
    through a SetupIntent) becomes the one invoices are charged to."""
    require_stripe()
    row = customer_of(account)
    method = stripe_gateway.retrieve_payment_method(payment_method_id)
    if stripe_gateway.expanded_id(method.get("customer")) != row.customer_id:
        raise AppError(Errno.REJECTED_CUSTOMER_UPDATE)
    # §6 step 6: the new card's country must pay in the currency the customer is billed in
    # (Stripe fixes it at the first subscription); a customer without one yet takes any card.
    country = (method.get("card") or {}).get("country")
    if row.currency and not currency_fits_country(row.currency, country):
        raise AppError(Errno.INVALID_CURRENCY)
    customer = stripe_gateway.set_default_payment_method(row.customer_id, payment_method_id)
    customer = _locate_by_card(row, method) or customer
    with transaction.atomic():
        _cache_customer(row, customer)
    return row


def detach_failed_payment_method(account, payment_method_id):
    """POST /oauth/subscriptions/paymentmethod/failed/detach: only while every subscription is
    still incomplete (a first payment that failed), never a card that pays for one."""
    require_stripe()
    row = refresh_customer(customer_of(account))
    statuses = set(row.subscriptions.values_list("status", flat=True))
    if not statuses or statuses - {"incomplete"}:
        return {"id": payment_method_id}
    method = stripe_gateway.detach_payment_method(payment_method_id)
    PaymentMethod.objects.filter(payment_method_id=payment_method_id).delete()
    return {key: method.get(key) for key in ("id", "object", "type", "customer")}


# Invoices (§6 step 5, §4.2).


def retry_invoice(account, invoice_id, payment_method_id, key):
    """POST /oauth/subscriptions/invoice/retry: pay an open invoice with another card."""
    require_stripe()
    row = customer_of(account)
    invoice = stripe_gateway.retrieve_invoice(invoice_id)
    if invoice["customer"] != row.customer_id:
        raise AppError(Errno.UNKNOWN_SUBSCRIPTION_CUSTOMER)
    stripe_gateway.attach_payment_method(payment_method_id, row.customer_id,
                                         key=f"{key}-retryInvoice")
    customer = stripe_gateway.set_default_payment_method(row.customer_id, payment_method_id)
    paid = stripe_gateway.pay_invoice(invoice_id)
    intent = paid.get("payment_intent") or {}
    if intent.get("last_payment_error"):
        error = intent["last_payment_error"]
        raise AppError(Errno.REJECTED_SUBSCRIPTION_PAYMENT_TOKEN,
                       message=error.get("message") or None, stripeCode=error.get("code"))
    with transaction.atomic():
        _cache_customer(row, customer)
    subscription_id = paid["subscription"]
    subs = [stripe_gateway.retrieve_subscription(subscription_id)] if subscription_id else []
    _store_subscriptions(row, subs, [paid])
    return paid


def _preview_lines(invoice):
    return [{"amount": line.get("amount"), "currency": line.get("currency"),
             "id": stripe_gateway.item_price(line).get("id"),
             "name": line.get("description") or "", "period": line.get("period")}
            for line in invoice["lines"].get("data", [])]


def preview_invoice(account, price_id, promotion_code=None, location=None):
    """POST /oauth/subscriptions/invoice/preview (§4.2): the first invoice of ``price_id`` with
    the promotion code and Stripe Tax, for the caller's customer, or for an anonymous caller
    (``account`` None, or no customer yet) at the geo-IP ``location``; with an upgrade, what the
    change would charge today."""
    require_stripe()
    check_location(location)
    plan = find_plan(price_id)
    promotion = _valid_promotion(plan, promotion_code)
    row = StripeCustomer.objects.filter(account=account).first() if account else None
    customer = stripe_gateway.retrieve_customer(row.customer_id, tax=True) if row else None
    if customer is not None and customer.get("deleted"):
        customer = None
    params = _preview_params(plan, customer, location, promotion)
    body = _preview_body(stripe_gateway.preview_invoice(params))
    kind, source = eligibility(account, plan) if customer is not None else ("create", None)
    sub = kind == "upgrade" and row.subscriptions.filter(
        plan_id=source.plan_id, status__in=ACTIVE_STATUSES).first()
    if sub:
        details = params["subscription_details"]
        details["items"] = [{"id": sub.data["items"]["data"][0]["id"], "plan": plan.plan_id}]
        details["proration_behavior"] = stripe_gateway.ALWAYS_INVOICE
        details["proration_date"] = int(time.time())
        proration = stripe_gateway.preview_invoice({**params, "subscription": sub.subscription_id})
        body["prorated_amount"] = sum(line.get("amount") or 0
                                      for line in proration["lines"].get("data", [])
                                      if line.get("proration"))
        body["one_time_charge"] = proration["total"]
    return body


def preview_subsequent_invoices(account):
    """GET /oauth/subscriptions/invoice/preview-subsequent: each active subscription's next
    invoice (``create_preview`` previews one subscription at a time, §11)."""
    require_stripe()
    row = customer_of(account)
    previews = []
    for sub in row.subscriptions.filter(status__in=ACTIVE_STATUSES).order_by("created"):
        params = {"customer": row.customer_id, "subscription": sub.subscription_id}
        if sub.cancel_at_period_end:
            # A subscription ending with its period has no next invoice; upstream previews the
            # one it would have if reactivated (Stripe refuses the preview otherwise).
            params["subscription_details"] = {"cancel_at_period_end": False}
        preview = stripe_gateway.preview_invoice(params)
        lines = preview["lines"].get("data", [])
        period_start = (lines[0].get("period") or {}).get("start") if lines else None
        previews.append({
            "currency": preview["currency"], "subscription_id": sub.subscription_id,
            "period_start": period_start or sub.current_period_end,
            **{key: value for key, value in _preview_body(preview).items()
               if key not in ("line_items", "discount")},
        })
    return previews


def _preview_body(preview):
    """§4.2's DTO: ``tax`` only when Stripe computed some, ``discount`` only when one applied
    (inclusive taxes are inside ``total_excluding_tax``'s price already: see ``inclusive``)."""
    body = {
        "line_items": _preview_lines(preview),
        "subtotal": preview["subtotal"],
        "subtotal_excluding_tax": preview["subtotal_excluding_tax"],
        "total": preview["total"],
        "total_excluding_tax": preview["total_excluding_tax"],
    }
    if preview.get("taxes"):
        body["tax"] = preview["taxes"]
    discount = preview.get("discount")
    if discount:
        body["discount"] = {
            "amount": sum(preview.get("total_discount_amounts") or []),
            "amount_off": discount["coupon"].get("amount_off"),
            "percent_off": discount["coupon"].get("percent_off"),
        }
    return body


# Account deletion.


def cancel_all_and_delete_customer(account):
    """What account deletion does here (§12): every subscription cancelled now, the customer
    deleted, the cache forgotten (with the revocations signalled)."""
    row = StripeCustomer.objects.filter(account=account).first()
    if row is None or not settings.STRIPE_API_KEY:
        return
    cancelled = [stripe_gateway.cancel_subscription(sub.subscription_id) for sub in
                 row.subscriptions.filter(status__in=ACTIVE_STATUSES + ("incomplete",))]
    mails.account_deleted(account, [sub for sub in cancelled
                                     if sub["status"] != "incomplete_expired"])
    stripe_gateway.delete_customer(row.customer_id)
    forget_customer(row)


def capabilities_for_token(token):
    """What a profile-server caller sees: its client's capabilities, or all of them for our own
    settings pages (a session grant has no client)."""
    if token.application is None:
        return every_capability(token.account)
    return capabilities_for_client(token.account, token.application.client_id)
