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


def ensure_customer(account, display_name=""):
    """POST /oauth/subscriptions/customer: the account's customer, created on first use."""
    require_stripe()
    row = StripeCustomer.objects.filter(account=account).first()
    if row is not None:
        return row
    customer = stripe_gateway.create_customer(
        account.uid, account.primary_email.email, display_name
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


def _promotion_code_id(plan, code):
    """The Stripe promotion code id of ``code`` when the plan allows it (§6.2), else 199."""
    if not code:
        return None
    allowed = {value.strip() for value in
               plan.merged_metadata().get("promotionCodes", "").split(",") if value.strip()}
    if code not in allowed:
        raise AppError(Errno.INVALID_PROMOTION_CODE)
    found = stripe_gateway.find_promotion_code(code)
    if found is None:
        raise AppError(Errno.INVALID_PROMOTION_CODE)
    return found["id"]


def subscribe(account, price_id, payment_method_id=None, promotion_code=None):
    """POST /oauth/subscriptions/active/new: ``(filtered subscription, Stripe invoice)``."""
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
    promotion_code_id = _promotion_code_id(plan, promotion_code)
    fingerprint = ""
    if payment_method_id:
        method = stripe_gateway.attach_payment_method(payment_method_id, row.customer_id)
        fingerprint = (method.get("card") or {}).get("fingerprint") or method["id"]
        customer = stripe_gateway.set_default_payment_method(row.customer_id, method["id"])
        with transaction.atomic():
            _cache_customer(row, customer)
    minute = int(time.time()) // 60
    sub, invoice = stripe_gateway.create_subscription(
        row.customer_id, plan.plan_id, promotion_code_id=promotion_code_id,
        key="ssc-" + stripe_gateway.idempotency_key(row.customer_id, plan.plan_id, fingerprint,
                                                    minute),
    )
    intent = invoice.get("payment_intent") or {}
    if intent.get("last_payment_error") or sub["status"] == "incomplete_expired":
        stripe_gateway.cancel_subscription(sub["id"])
        error = intent.get("last_payment_error") or {}
        raise AppError(Errno.REJECTED_SUBSCRIPTION_PAYMENT_TOKEN,
                       message=error.get("message") or None, stripeCode=error.get("code"))
    if promotion_code and promotion_code_id:
        sub = stripe_gateway.update_subscription(
            sub["id"], {"metadata": {"appliedPromotionCode": promotion_code}})
    customer = stripe_gateway.retrieve_customer(row.customer_id)  # its currency is set now
    with transaction.atomic():
        _cache_customer(row, customer)
    _store_subscriptions(row, [sub], [invoice])
    # The invoice's payment intent goes back with it: a card that needs 3-D Secure is confirmed
    # in the browser with its client_secret (§6 step 4).
    body = filtered_subscription(row.subscriptions.get(subscription_id=sub["id"]))
    return {**body, "latest_invoice": filtered_invoice(invoice)}, invoice


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
    """§4.3's WebSubscription (promotions are not built: their fields are null)."""
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
        "plan_id": sub.plan_id,
        "product_id": sub.product_id,
        "product_name": product_names.get(sub.product_id, ""),
        "status": sub.status,
        "subscription_id": sub.subscription_id,
    }
    return body | {key: None for key in (
        "promotion_amount_off", "promotion_code", "promotion_duration", "promotion_end",
        "promotion_name", "promotion_percent_off")}


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
    customer = stripe_gateway.set_default_payment_method(row.customer_id, payment_method_id)
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


def preview_invoice(account, price_id):
    """POST /oauth/subscriptions/invoice/preview (§4.2, without tax and promotions yet) for the
    account's customer; with an upgrade, what the change would charge today."""
    require_stripe()
    plan = find_plan(price_id)
    row = customer_of(account)
    body = _preview_body(stripe_gateway.preview_invoice({
        "customer": row.customer_id,
        "subscription_details": {"items": [{"plan": plan.plan_id}]},
    }))
    kind, source = eligibility(account, plan)
    sub = kind == "upgrade" and row.subscriptions.filter(
        plan_id=source.plan_id, status__in=ACTIVE_STATUSES).first()
    if sub:
        proration = stripe_gateway.preview_invoice({
            "customer": row.customer_id, "subscription": sub.subscription_id,
            "subscription_details": {
                "items": [{"id": sub.data["items"]["data"][0]["id"], "plan": plan.plan_id}],
                "proration_behavior": stripe_gateway.ALWAYS_INVOICE,
                "proration_date": int(time.time()),
            },
        })
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
        preview = stripe_gateway.preview_invoice({"customer": row.customer_id,
                                                  "subscription": sub.subscription_id})
        lines = preview["lines"].get("data", [])
        period_start = (lines[0].get("period") or {}).get("start") if lines else None
        previews.append({
            "currency": preview["currency"], "subscription_id": sub.subscription_id,
            "period_start": period_start or sub.current_period_end,
            **{key: value for key, value in _preview_body(preview).items()
               if key != "line_items"},
        })
    return previews


def _preview_body(preview):
    return {
        "line_items": _preview_lines(preview),
        "subtotal": preview["subtotal"],
        "subtotal_excluding_tax": preview["subtotal_excluding_tax"],
        "total": preview["total"],
        "total_excluding_tax": preview["total_excluding_tax"],
    }


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
