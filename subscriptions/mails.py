"""The subscription mails (reference subscriptions.md §7): what the Stripe events, the renewal
reminder and account deletion tell the account holder.

Each is queued through the outbox (``accounts.services.mail.send_notification``: the bounce rules,
then ``emails``) inside the caller's transaction, in the account's language. A webhook event is
handled in one transaction with its ``WebhookEvent`` row, so an event Stripe delivers twice mails
once; mails that two different events stand for (``invoice.paid`` and ``invoice.payment_succeeded``
of one invoice, the reminder of one period) are kept to one by the outbox rows already queued.
"""
import logging
import time

from django.conf import settings
from django.db import transaction

from accounts.models import Account
from accounts.services import mail
from emails import catalog
from emails.models import OutboundEmail

from . import stripe_gateway
from .models import Invoice, PaymentMethod, Plan, Product, Subscription

logger = logging.getLogger("fxa.subscriptions")

INVOICE_MAILS = ("subscriptionFirstInvoice", "subscriptionSubsequentInvoice")
# A plan's length in days, as upstream's reminder job counts it.
INTERVAL_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}


def _already_sent(templates, account, lock=True, **keys):
    """Whether one of ``templates`` was queued for ``account`` with these context values.

    The account's row is locked first (``lock``: inside a transaction), until the caller's
    transaction ends: two events that stand for one mail (handled by two workers at once) take
    turns, and the second sees the first's outbox row."""
    if lock:
        Account.objects.select_for_update().filter(pk=account.pk).first()
    lookups = {f"context__{key}": value for key, value in keys.items()}
    return OutboundEmail.objects.filter(template__in=templates, uid=account.uid, **lookups).exists()


def _queue(template, account, context):
    recipients = account.mail_recipients()
    if not recipients:
        return None
    return mail.send_notification(template, recipients, account=account, locale=account.locale,
                                  context=context)


def _product_name(account, plan_id, product_id=""):
    """The product's name in the account's language (``product:name:<locale>``, §2)."""
    from .services import localized

    language = catalog.best_language(account.locale)
    plan = Plan.objects.select_related("product").filter(plan_id=plan_id).first()
    if plan is not None:
        return localized(plan.merged_metadata(), "product:name", language) or plan.product.name
    product = Product.objects.filter(product_id=product_id).first() if product_id else None
    if product is not None:
        return localized(product.metadata, "product:name", language) or product.name
    if product_id:
        return stripe_gateway.retrieve_product(product_id).get("name") or product_id
    return plan_id


def _card(row):
    """``{cardBrand, lastFour}`` of the customer's default card, from the cache."""
    default = stripe_gateway.expanded_id(
        (row.data.get("invoice_settings") or {}).get("default_payment_method"))
    method = PaymentMethod.objects.filter(payment_method_id=default).first() if default else None
    if method is None or not method.last4:
        return {}
    return {"cardBrand": method.brand, "lastFour": method.last4}


def _invoice_plan_id(invoice, sub):
    """The plan the invoice is for: its subscription line's, else the subscription's."""
    lines = (invoice.get("lines") or {}).get("data") or []
    line = next((line for line in lines if line.get("type") == "subscription"), None)
    line = line or next((line for line in lines if not line.get("proration")), None)
    price = stripe_gateway.item_price(line) if line else {}
    return price.get("id") or (sub.plan_id if sub else "")


# Invoices.


def invoice_paid(row, invoice):
    """``invoice.paid`` (or the older ``invoice.payment_succeeded``; Stripe sends both): the first
    invoice of a subscription, or a later one; once per invoice."""
    account = row.account
    if not invoice.get("subscription") or _already_sent(INVOICE_MAILS, account,
                                                        invoiceId=invoice["id"]):
        return
    sub = Subscription.objects.filter(subscription_id=invoice["subscription"]).first()
    product_id = sub.product_id if sub else ""
    context = {
        "productName": _product_name(account, _invoice_plan_id(invoice, sub), product_id),
        "invoiceTotal": invoice["total"] or 0,
        "currency": invoice["currency"],
        "invoiceDate": invoice.get("paid_at") or invoice["created"],
        "invoiceNumber": invoice.get("number") or "",
        "invoiceId": invoice["id"],
        "subscriptionId": invoice["subscription"],
        **_card(row),
    }
    context.update(_discount_and_tax(invoice))
    if sub is not None and sub.current_period_end:
        context["nextInvoiceDate"] = sub.current_period_end
    if invoice.get("hosted_invoice_url"):
        context["invoiceLink"] = invoice["hosted_invoice_url"]
    first = invoice.get("billing_reason") == "subscription_create"
    _queue(INVOICE_MAILS[0] if first else INVOICE_MAILS[1], account, context)
    # Upstream adds the "start using it" mail for accounts that can sign in (have a password).
    if first and account.has_password:
        _queue("downloadSubscription", account, {
            "productName": context["productName"], "subscriptionId": invoice["subscription"],
            **_download_url(context, sub),
        })


def _discount_and_tax(invoice):
    """The subtotal, discount and tax lines of a receipt, when the invoice has them: Stripe's
    ``total_excluding_tax`` is the subtotal less the discounts (promotion codes, §6.2), and the
    total adds the tax (Stripe Tax, §6.3)."""
    subtotal, total = invoice.get("subtotal"), invoice.get("total")
    net = invoice.get("total_excluding_tax")
    if None in (subtotal, total, net):
        return {}
    lines = {}
    if subtotal > net:
        lines.update(invoiceSubtotal=subtotal, invoiceDiscountAmount=subtotal - net)
    if total > net:
        lines["invoiceTaxAmount"] = total - net
    return lines


def _download_url(context, sub):
    plan = Plan.objects.select_related("product").filter(plan_id=sub.plan_id).first() if sub else None
    url = (plan.merged_metadata().get("downloadURL") or plan.merged_metadata().get(
        "successActionButtonURL")) if plan else None
    return {"downloadURL": url} if url else {}


def invoice_payment_failed(row, invoice):
    """``invoice.payment_failed`` of a renewal (a first payment that fails is answered by the
    subscribe route itself); once per invoice, however often Stripe retries it."""
    account = row.account
    if invoice.get("billing_reason") != "subscription_cycle" or not invoice.get("subscription"):
        return
    if _already_sent(("subscriptionPaymentFailed",), account, invoiceId=invoice["id"]):
        return
    sub = Subscription.objects.filter(subscription_id=invoice["subscription"]).first()
    _queue("subscriptionPaymentFailed", account, {
        "productName": _product_name(account, _invoice_plan_id(invoice, sub),
                                     sub.product_id if sub else ""),
        "invoiceTotal": invoice["total"] or 0, "currency": invoice["currency"],
        "invoiceId": invoice["id"], "subscriptionId": invoice["subscription"],
    })


def card_expiring(row, card):
    """``invoice.upcoming`` with a default card that expires this month or earlier, or
    ``customer.source.expiring``: once per card and expiry date."""
    account = row.account
    keys = {"paymentMethodId": card["id"], "expMonth": card.get("exp_month"),
            "expYear": card.get("exp_year")}
    subs = list(row.subscriptions.filter(status__in=("active", "past_due", "trialing"),
                                         cancel_at_period_end=False).order_by("created"))
    if not subs or _already_sent(("subscriptionPaymentExpired",), account, **keys):
        return
    names = [_product_name(account, sub.plan_id, sub.product_id) for sub in subs]
    _queue("subscriptionPaymentExpired", account, {
        "productName": ", ".join(dict.fromkeys(names)), "lastFour": card.get("last4") or "",
        "cardBrand": card.get("brand") or "", **keys,
    })


def card_expires_by_this_month(card, now=None):
    """upstream's test on the default card when an invoice is upcoming."""
    month = time.gmtime(now or time.time())
    try:
        return (int(card["exp_year"]), int(card["exp_month"])) <= (month.tm_year, month.tm_mon)
    except (KeyError, TypeError, ValueError):
        return False


# Subscription changes.


def _previous_plan_id(previous):
    """The plan id ``previous_attributes`` names, when the event changed the plan."""
    if isinstance(previous.get("plan"), dict):
        return previous["plan"].get("id")
    items = (previous.get("items") or {}).get("data") or []
    return stripe_gateway.item_price(items[0]).get("id") if items else None


def _order(plan):
    try:
        return float(plan.merged_metadata().get("productOrder"))
    except (TypeError, ValueError):
        return 0.0


def subscription_updated(row, sub, previous):
    """``customer.subscription.updated`` (§7, "update-email classification"): a cancellation at
    the period's end, a reactivation, or a plan change (up or down by ``productOrder``).

    ``sub`` is the event's object normalised (the state ``previous`` is the difference from)."""
    account = row.account
    old_plan_id = _previous_plan_id(previous)
    plan_changed = bool(old_plan_id) and old_plan_id != sub["plan_id"]
    product_name = _product_name(account, sub["plan_id"], sub["product_id"] or "")
    base = {"productName": product_name, "subscriptionId": sub["id"]}
    if plan_changed and not sub["cancel_at_period_end"]:
        _plan_changed(account, sub, old_plan_id, base)
    elif "cancel_at_period_end" in previous and not plan_changed:
        if sub["cancel_at_period_end"] and not previous["cancel_at_period_end"]:
            _queue("subscriptionCancellation", account, {
                **base, "serviceLastActiveDate": sub["cancel_at"] or sub["current_period_end"]})
        elif previous["cancel_at_period_end"] and not sub["cancel_at_period_end"]:
            plan = Plan.objects.filter(plan_id=sub["plan_id"]).first()
            context = {**base, "nextInvoiceDate": sub["current_period_end"], **_card(row)}
            if plan is not None:
                context.update(nextInvoiceTotal=plan.amount, currency=plan.currency)
            _queue("subscriptionReactivation", account, context)


def _plan_changed(account, sub, old_plan_id, base):
    new = Plan.objects.select_related("product").filter(plan_id=sub["plan_id"]).first()
    old = Plan.objects.select_related("product").filter(plan_id=old_plan_id).first()
    if new is None or old is None:
        logger.warning("Plan change of %s between plans not in the catalogue", sub["id"])
        return
    context = {
        **base,
        "productNameOld": _product_name(account, old.plan_id),
        "paymentAmountNew": new.amount, "paymentAmountOld": old.amount,
        "currency": new.currency, "productPaymentCycle": new.interval,
        "nextInvoiceDate": sub["current_period_end"],
    }
    # The change's own invoice (proration_behavior=always_invoice) is the latest one.
    if sub["latest_invoice"]:
        latest = stripe_gateway.retrieve_invoice(sub["latest_invoice"])
        if latest.get("billing_reason") == "subscription_update" and latest["total"]:
            context["paymentProrated"] = latest["total"]
    upgrade = _order(new) > _order(old)
    _queue("subscriptionUpgrade" if upgrade else "subscriptionDowngrade", account, context)


def subscription_deleted(row, sub, reason):
    """``customer.subscription.deleted``: nothing more when the user had cancelled (the
    cancellation mail went then) or when it was never paid for (a declined first payment, which
    the subscribe route answers); otherwise, the end after failed renewals, or a cancellation by
    support (``reason`` is Stripe's ``cancellation_details.reason``)."""
    if sub["metadata"].get("cancelled_for_customer_at"):
        return
    if _already_sent(("subscriptionAccountDeletion",), row.account, subscriptionId=sub["id"]):
        return
    if not Invoice.objects.filter(subscription_id=sub["id"], status="paid").exists():
        return
    account = row.account
    base = {"productName": _product_name(account, sub["plan_id"], sub["product_id"] or ""),
            "subscriptionId": sub["id"]}
    if reason == "cancellation_requested":
        _queue("subscriptionCancellation", account, {
            **base, "serviceLastActiveDate": sub["ended_at"] or int(time.time())})
    else:
        _queue("subscriptionFailedPaymentsCancellation", account, base)


def account_deleted(account, subscriptions):
    """Account deletion cancelled these subscriptions (normalised, as Stripe answered): one mail
    each, to the addresses the account still has (queued before its rows go)."""
    with transaction.atomic():
        for sub in subscriptions:
            _queue("subscriptionAccountDeletion", account, {
                "productName": _product_name(account, sub["plan_id"], sub["product_id"] or ""),
                "subscriptionId": sub["id"]})


# The renewal reminder.


def plan_days(plan):
    return INTERVAL_DAYS.get(plan.interval, 0) * plan.interval_count


def send_renewal_reminders(now=None):
    """The beat job: a reminder for each active subscription of a plan at least
    SUBSCRIPTIONS_RENEWAL_REMINDER_MIN_PLAN_DAYS long that renews within the next
    SUBSCRIPTIONS_RENEWAL_REMINDER_DAYS days, once per period (keyed by its end). A run that was
    missed is made up by the next one. Returns how many were queued."""
    days = settings.SUBSCRIPTIONS_RENEWAL_REMINDER_DAYS
    if not settings.STRIPE_API_KEY or days <= 0:
        return 0
    now = int(now or time.time())
    plans = [plan.plan_id for plan in Plan.objects.all()
             if plan_days(plan) >= settings.SUBSCRIPTIONS_RENEWAL_REMINDER_MIN_PLAN_DAYS]
    due = Subscription.objects.filter(
        status="active", cancel_at_period_end=False, plan_id__in=plans,
        current_period_end__gt=now, current_period_end__lte=now + days * 86400,
    ).select_related("customer__account").order_by("current_period_end")
    queued = 0
    for sub in due:
        account = sub.customer.account
        keys = {"subscriptionId": sub.subscription_id, "periodEnd": sub.current_period_end}
        if _already_sent(("subscriptionRenewalReminder",), account, lock=False, **keys):
            continue
        try:
            # What the renewal will charge (tax and discounts included), asked before the lock.
            upcoming = stripe_gateway.preview_invoice({"customer": sub.customer.customer_id,
                                                       "subscription": sub.subscription_id})
        except Exception:  # one subscription Stripe cannot preview does not stop the others
            logger.exception("No renewal preview for %s; its reminder waits", sub.subscription_id)
            continue
        with transaction.atomic():
            # Checked again under the lock: a second run at the same moment finds the row queued.
            if _already_sent(("subscriptionRenewalReminder",), account, **keys):
                continue
            plan = Plan.objects.get(plan_id=sub.plan_id)
            _queue("subscriptionRenewalReminder", account, {
                "productName": _product_name(account, sub.plan_id, sub.product_id),
                # The days actually left: fewer than the setting after a missed run.
                "renewalDate": sub.current_period_end,
                "reminderDays": max(1, round((sub.current_period_end - now) / 86400)),
                "invoiceTotal": upcoming["total"] if upcoming["total"] is not None else plan.amount,
                "currency": upcoming["currency"] or plan.currency,
                "productPaymentCycle": plan.interval, **keys,
            })
            queued += 1
    return queued
