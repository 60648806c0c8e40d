"""The subscription mails (reference §7): each arrives once, in the account's language, from the
webhook events localstripe delivers (signed by it) and, for the events it does not send, from
signed bodies in Stripe's current shape built on localstripe's own objects; the renewal reminder
job; account deletion; and the RP events the same changes send.

Mail is delivered in-process (Celery eager, the requests' on-commit hooks run) to Django's test
outbox, which ``tests.helpers.sent`` reads.
"""
import json
import logging
import time
import uuid

import pytest
import stripe
from django.conf import settings
from django.core import mail
from django.test import TestCase

from accounts.services import accounts as account_services
from oauth.models import Client, WebhookDelivery
from subscriptions import mails, tasks
from subscriptions.models import Invoice, Subscription, WebhookEvent
from tests import factories
from tests.helpers import MailingApiClient, ok, sent, templates

from .conftest import CLIENT_ID, WEBHOOK_SECRET, access_token, card, make_product
from .test_routes import call, subscribe
from .test_webhook import post, wait_for

pytestmark = pytest.mark.django_db

DAY = 86400


@pytest.fixture
def api():
    return MailingApiClient()


@pytest.fixture
def german(user):
    user.account.locale = "de-DE,de;q=0.9,en;q=0.5"  # as sign-up stores the Accept-Language
    user.account.save()
    return user


def signed_event(kind, obj, previous=None):
    """A webhook body as Stripe sends it (API 2024-11-20.acacia), and its Stripe-Signature."""
    data = {"object": obj}
    if previous is not None:
        data["previous_attributes"] = previous
    body = json.dumps({
        "id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "type": kind,
        "api_version": "2024-11-20.acacia", "created": int(time.time()), "livemode": False,
        "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None}, "data": data,
    }).encode()
    return body, stripe.WebhookSignature.generate_signature_header(body.decode(), WEBHOOK_SECRET)


def subscription_json(stripe_api, sub_id):
    return stripe_api.subscriptions.retrieve(sub_id).to_dict()


def subscribed(api, token, plan_id, deliveries):
    """Subscribe through the route and hand the webhook its first invoice, as Stripe does."""
    sub_id = ok(subscribe(api, token, plan_id))["subscription"]["id"]
    ok(post(api, *wait_for(deliveries, "invoice.payment_succeeded", sub_id)))
    return sub_id


def test_the_first_invoice_mails_once_in_the_account_s_language(api, german, token, catalogue,
                                                                 deliveries):
    sub_id = ok(subscribe(api, token, catalogue["basic"]))["subscription"]["id"]
    assert sent() == []  # the route mails nothing: the paid invoice does
    delivery = wait_for(deliveries, "invoice.payment_succeeded", sub_id)
    ok(post(api, *delivery))
    ok(post(api, *delivery))  # Stripe delivers at least once

    (message,) = sent("subscriptionFirstInvoice", to="subscriber@example.com")
    assert message.subject == "Vielen Dank für Ihr Abonnement von 123Done Basic"
    assert message.extra_headers["Content-Language"] == "de"
    assert message.extra_headers["X-Template-Version"] == "3"
    assert "Bezahlter Betrag: 5,00 USD" in message.body
    assert "Visa mit der Endung 4242" in message.body
    link = message.extra_headers["X-Link"]
    assert link.startswith(settings.PUBLIC_URL + "/settings?") and link.endswith("#subscriptions")
    # The account has a password: upstream's "start using it" mail goes with it.
    assert len(sent("downloadSubscription")) == 1

    # Stripe also sends invoice.paid for the same invoice (this body stands for it): no second mail.
    invoice = Subscription.objects.get(pk=sub_id).data["latest_invoice"]
    ok(post(api, *signed_event("invoice.paid", {"id": invoice, "object": "invoice",
                                                "customer": message_customer(sub_id)})))
    assert templates() == ["subscriptionFirstInvoice", "downloadSubscription"]


def message_customer(sub_id):
    return Subscription.objects.get(pk=sub_id).customer.customer_id


def test_a_renewal_mails_the_receipt_and_a_failed_renewal_mails_once(api, user, token, catalogue,
                                                                    deliveries, stripe_api):
    sub_id = subscribed(api, token, catalogue["basic"], deliveries)
    customer_id = message_customer(sub_id)
    mail.outbox.clear()

    # The next period's invoice (localstripe's own renewal invoice, billing_reason
    # subscription_cycle), paid with the card on file.
    renewal = stripe_api.invoices.create({"customer": customer_id, "subscription": sub_id})
    stripe_api.invoices.pay(renewal.id)
    ok(post(api, *wait_for(deliveries, "invoice.payment_succeeded", sub_id)))
    (receipt,) = sent("subscriptionSubsequentInvoice")
    assert receipt.subject == "Your 123Done Basic payment was received"
    assert "Amount paid: 5.00 USD" in receipt.body

    # A renewal charged to a card that is declined: Stripe retries it, the mail goes once.
    declined = card(stripe_api, "4000000000000341")
    stripe_api.payment_methods.attach(declined, {"customer": customer_id})
    stripe_api.customers.update(customer_id,
                                {"invoice_settings": {"default_payment_method": declined}})
    failing = stripe_api.invoices.create({"customer": customer_id, "subscription": sub_id})
    assert stripe_api.invoices.pay(failing.id).status == "open"
    # localstripe sends no event for an invoice paid by hand; this body stands for Stripe's
    # invoice.payment_failed of the automatic renewal charge, and the second for its retry.
    unpaid = stripe_api.invoices.retrieve(failing.id).to_dict()
    assert unpaid["billing_reason"] == "subscription_cycle"
    ok(post(api, *signed_event("invoice.payment_failed", unpaid)))
    ok(post(api, *signed_event("invoice.payment_failed", unpaid)))
    (failed,) = sent("subscriptionPaymentFailed")
    assert "We tried to charge 5.00 USD for 123Done Basic" in failed.body
    assert failed.extra_headers["X-Template-Name"] == "subscriptionPaymentFailed"


def test_cancel_and_reactivate_mail_from_the_update_events(api, german, token, catalogue,
                                                            deliveries, stripe_api):
    sub_id = subscribed(api, token, catalogue["basic"], deliveries)
    mail.outbox.clear()
    headers = {"Authorization": f"Bearer {token}"}
    ok(api.request("DELETE", f"/oauth/subscriptions/active/{sub_id}", headers=headers))
    # localstripe sends no customer.subscription.updated: this body is the one Stripe sends for
    # the cancellation at the period's end the route just asked for.
    cancelled = subscription_json(stripe_api, sub_id)
    assert cancelled["cancel_at_period_end"] is True
    ok(post(api, *signed_event("customer.subscription.updated", cancelled,
                               {"cancel_at_period_end": False})))
    (message,) = sent("subscriptionCancellation")
    assert message.subject == "Ihr Abonnement von 123Done Basic ist gekündigt"
    assert "Sie können es noch bis zum" in message.body

    ok(call(api, "POST", "/oauth/subscriptions/reactivate", token, {"subscriptionId": sub_id}))
    # ... and the one for the reactivation.
    ok(post(api, *signed_event("customer.subscription.updated",
                               subscription_json(stripe_api, sub_id),
                               {"cancel_at_period_end": True})))
    (message,) = sent("subscriptionReactivation")
    assert message.subject == "Ihr Abonnement von 123Done Basic läuft weiter"
    assert "Ihre nächste Zahlung von 5,00 USD ist am" in message.body
    assert templates() == ["subscriptionCancellation", "subscriptionReactivation"]


def test_upgrade_and_downgrade_mail_the_plan_change(api, user, token, catalogue, deliveries,
                                                    stripe_api):
    sub_id = subscribed(api, token, catalogue["basic"], deliveries)
    mail.outbox.clear()
    before = subscription_json(stripe_api, sub_id)
    ok(call(api, "PUT", f"/oauth/subscriptions/active/{sub_id}", token,
            {"planId": catalogue["pro"]}))
    # Stripe's customer.subscription.updated for a plan change names the old plan and items.
    after = subscription_json(stripe_api, sub_id)
    ok(post(api, *signed_event("customer.subscription.updated", after,
                               {"plan": before["plan"], "items": before["items"]})))
    (message,) = sent("subscriptionUpgrade")
    assert message.subject == "You have upgraded to 123Done Pro"
    assert "You have moved from 123Done Basic to 123Done Pro." in message.body
    assert "You paid 5.00 USD monthly; from now on you pay 10.00 USD monthly." in message.body

    # The API makes no downgrades; this body stands for one made in the Stripe dashboard.
    ok(post(api, *signed_event("customer.subscription.updated", before,
                               {"plan": after["plan"], "items": after["items"]})))
    (message,) = sent("subscriptionDowngrade")
    assert message.subject == "You have switched to 123Done Basic"


def test_the_end_of_a_subscription_mails_unless_the_user_cancelled(api, user, token, catalogue,
                                                                   deliveries, stripe_api):
    sub_id = subscribed(api, token, catalogue["basic"], deliveries)
    mail.outbox.clear()
    stripe_api.subscriptions.cancel(sub_id)  # Stripe ending it after the renewal retries failed
    ok(post(api, *wait_for(deliveries, "customer.subscription.deleted", sub_id)))
    (message,) = sent("subscriptionFailedPaymentsCancellation")
    assert message.subject == "Your 123Done Basic subscription has ended"

    # Support cancelled one in the dashboard (Stripe's cancellation_details say so).
    vpn_id = subscribed(api, token, catalogue["vpn"], deliveries)
    mail.outbox.clear()
    obj = {**subscription_json(stripe_api, vpn_id), "status": "canceled",
           "ended_at": int(time.time()),
           "cancellation_details": {"reason": "cancellation_requested", "comment": None}}
    stripe_api.subscriptions.cancel(vpn_id)
    ok(post(api, *signed_event("customer.subscription.deleted", obj)))
    assert templates() == ["subscriptionCancellation"]

    # The user cancelled at the period's end (the cancellation mail went then): nothing more.
    pro_token = access_token(factories.account("second@example.com").account)
    pro_id = subscribed(api, pro_token, catalogue["pro"], deliveries)
    ok(api.request("DELETE", f"/oauth/subscriptions/active/{pro_id}",
                   headers={"Authorization": f"Bearer {pro_token}"}))
    mail.outbox.clear()
    stripe_api.subscriptions.cancel(pro_id)
    ok(post(api, *wait_for(deliveries, "customer.subscription.deleted", pro_id)))
    assert sent() == []


def test_a_declined_first_payment_mails_nothing(api, user, token, catalogue, deliveries,
                                                stripe_api):
    response = subscribe(api, token, catalogue["basic"], card(stripe_api, "4000000000000341"))
    assert response.status_code == 400  # the route answers the user (errno 179)
    customer_id = user.account.stripe_customer.customer_id
    (sub,) = stripe_api.subscriptions.list({"customer": customer_id, "status": "all"}).data
    ok(post(api, *wait_for(deliveries, "customer.subscription.deleted", sub.id)))
    assert sent() == []


def test_the_renewal_reminder_goes_once_per_period_before_a_yearly_plan_renews(
        api, german, token, stripe_api, deliveries, settings):
    settings.SUBSCRIPTIONS_RENEWAL_REMINDER_DAYS = 14
    yearly = make_product(stripe_api, "Relay Premium", "relay", 1, interval="year",
                          capabilities={"capabilities": "relay"}, plans=(("eur", 9900),))[0]
    monthly = make_product(stripe_api, "Monitor", "monitor", 1,
                           capabilities={"capabilities": "monitor"})[0]
    yearly_id = subscribed(api, token, yearly, deliveries)
    subscribed(api, token, monthly, deliveries)
    mail.outbox.clear()
    renews = Subscription.objects.get(pk=yearly_id).current_period_end

    assert mails.send_renewal_reminders(now=renews - 20 * DAY) == 0  # not yet
    # The monthly plan renews within 14 days too, but it is shorter than 180 days.
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert mails.send_renewal_reminders(now=renews - 10 * DAY) == 1
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert mails.send_renewal_reminders(now=renews - 9 * DAY) == 0  # once per period
    (message,) = sent("subscriptionRenewalReminder")
    assert message.subject == "Relay Premium wird bald verlängert"
    assert "in 10 Tagen" in message.body and "99,00 EUR" in message.body

    # The next period is reminded again.
    Subscription.objects.filter(pk=yearly_id).update(current_period_end=renews + 365 * DAY)
    assert mails.send_renewal_reminders(now=renews + 355 * DAY) == 1


def test_the_reminder_job_skips_cancelled_subscriptions_and_can_be_off(api, user, token,
                                                                       stripe_api, deliveries,
                                                                       settings):
    yearly = make_product(stripe_api, "VPN yearly", "vpn", 1, capabilities={"capabilities": "v"},
                          interval="year")[0]
    sub_id = subscribed(api, token, yearly, deliveries)
    renews = Subscription.objects.get(pk=sub_id).current_period_end
    settings.SUBSCRIPTIONS_RENEWAL_REMINDER_DAYS = 0
    assert mails.send_renewal_reminders(now=renews - DAY) == 0
    settings.SUBSCRIPTIONS_RENEWAL_REMINDER_DAYS = 14
    ok(api.request("DELETE", f"/oauth/subscriptions/active/{sub_id}",
                   headers={"Authorization": f"Bearer {token}"}))
    assert mails.send_renewal_reminders(now=renews - DAY) == 0  # it will not renew


def test_deleting_the_account_mails_the_subscription_s_end(api, user, token, catalogue,
                                                           deliveries):
    subscribed(api, token, catalogue["basic"], deliveries)
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        account_services.delete_account(user.account, by="user")
    (message,) = sent("subscriptionAccountDeletion", to="subscriber@example.com")
    assert message.subject == "Your 123Done Basic subscription ended with your account"
    assert "X-Link" not in message.extra_headers  # no page of ours to go to any more


def test_an_expiring_card_mails_once(api, user, token, catalogue, deliveries, stripe_api):
    sub_id = subscribed(api, token, catalogue["basic"], deliveries)
    customer_id = message_customer(sub_id)
    now = time.gmtime()
    expiring = stripe_api.payment_methods.create({"type": "card", "card": {
        "number": "4242424242424242", "exp_month": now.tm_mon, "exp_year": now.tm_year,
        "cvc": "123"}}).id
    stripe_api.payment_methods.attach(expiring, {"customer": customer_id})
    stripe_api.customers.update(customer_id,
                                {"invoice_settings": {"default_payment_method": expiring}})
    mail.outbox.clear()
    # Stripe's invoice.upcoming (days before a renewal; localstripe sends none): no id of its own.
    upcoming = {"object": "invoice", "customer": customer_id, "subscription": sub_id,
                "billing_reason": "upcoming", "total": 500, "currency": "usd"}
    ok(post(api, *signed_event("invoice.upcoming", upcoming)))
    ok(post(api, *signed_event("invoice.upcoming", upcoming)))  # the next reminder of Stripe's
    (message,) = sent("subscriptionPaymentExpired")
    assert message.subject == "The card that pays for 123Done Basic is expiring"
    assert f"expires at the end of {now.tm_mon:02d}/{now.tm_year}" in message.body

    # A legacy card source's customer.source.expiring.
    source = {"id": "card_1Legacy", "object": "card", "customer": customer_id, "brand": "Visa",
              "last4": "1881", "exp_month": now.tm_mon, "exp_year": now.tm_year}
    ok(post(api, *signed_event("customer.source.expiring", source)))
    assert len(sent("subscriptionPaymentExpired")) == 2
    assert "ending in 1881" in sent("subscriptionPaymentExpired")[1].body


def test_credit_notes_and_refunds_refresh_the_invoice(api, user, token, catalogue, deliveries,
                                                      caplog):
    sub_id = subscribed(api, token, catalogue["basic"], deliveries)
    invoice_id = Subscription.objects.get(pk=sub_id).data["latest_invoice"]
    customer_id = message_customer(sub_id)
    Invoice.objects.filter(pk=invoice_id).update(status="stale")
    # Stripe's credit_note.created for a credit to the customer's balance (not the card).
    note = {"id": "cn_1", "object": "credit_note", "invoice": invoice_id, "customer": customer_id,
            "amount": 500, "customer_balance_transaction": "cbtxn_1", "out_of_band_amount": None}
    with caplog.at_level(logging.WARNING, logger="fxa.subscriptions"):
        ok(post(api, *signed_event("credit_note.created", note)))
    assert Invoice.objects.get(pk=invoice_id).status == "paid"
    assert "cn_1 credits the balance or out of band" in caplog.text

    Invoice.objects.filter(pk=invoice_id).update(status="stale")
    # Stripe's charge.refunded for the invoice's charge (a refund made in the dashboard).
    charge = {"id": "ch_1", "object": "charge", "invoice": invoice_id, "customer": customer_id,
              "amount_refunded": 500, "refunded": True}
    ok(post(api, *signed_event("charge.refunded", charge)))
    assert Invoice.objects.get(pk=invoice_id).status == "paid"
    assert sent("subscriptionFirstInvoice") and not sent("subscriptionSubsequentInvoice")


def test_a_coupon_restricted_to_products_is_reported(api, catalogue, caplog):
    coupon = {"id": "SPRING", "object": "coupon", "percent_off": 10,
              "applies_to": {"products": ["prod_1"]}}
    with caplog.at_level(logging.WARNING, logger="fxa.subscriptions"):
        ok(post(api, *signed_event("coupon.created", coupon)))
    assert "Coupon SPRING has a product restriction" in caplog.text


def test_the_rp_hears_of_the_subscription_and_of_its_end(api, user, token, catalogue,
                                                         deliveries, stripe_api):
    rp = factories.oauth_client("123Done", webhook_url="https://rp.example/events")[0]
    Client.objects.filter(pk=rp.pk).update(client_id=CLIENT_ID)
    sub_id = subscribed(api, token, catalogue["basic"], deliveries)

    def states():
        return [(row.payload["capabilities"], row.payload["isActive"]) for row in
                WebhookDelivery.objects.filter(client__client_id=CLIENT_ID,
                                               event="subscription-state-change").order_by("pk")]

    assert states() == [(["123doneBasic"], True)]
    stripe_api.subscriptions.cancel(sub_id)
    ok(post(api, *wait_for(deliveries, "customer.subscription.deleted", sub_id)))
    assert states() == [(["123doneBasic"], True), (["123doneBasic"], False)]


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_sends_the_reminder_outside_any_transaction(user, token, stripe_api,
                                                                   deliveries, settings):
    """As the beat schedule runs it: no request or test transaction around the job."""
    yearly = make_product(stripe_api, "VPN yearly", "vpn", 1, interval="year",
                          capabilities={"capabilities": "v"})[0]
    sub_id = subscribed(MailingApiClient(), token, yearly, deliveries)
    mail.outbox.clear()
    Subscription.objects.filter(pk=sub_id).update(current_period_end=int(time.time()) + 5 * DAY)
    assert tasks.send_renewal_reminders.apply().get() == 1
    assert tasks.send_renewal_reminders.apply().get() == 0
    (message,) = sent("subscriptionRenewalReminder")
    assert "renews in 5 days" in message.body  # the days left, not the setting's 14


def test_a_mail_the_event_cannot_make_is_logged_and_the_event_still_handled(
        api, user, token, catalogue, deliveries, caplog):
    sub_id = subscribed(api, token, catalogue["basic"], deliveries)
    mail.outbox.clear()
    # A source event without the card's last digits (which the mail needs).
    source = {"id": "card_1NoDigits", "object": "card", "customer": message_customer(sub_id),
              "exp_month": 1, "exp_year": 2030}
    body, signature = signed_event("customer.source.expiring", source)
    with caplog.at_level(logging.ERROR, logger="fxa.subscriptions"):
        assert ok(post(api, body, signature)) == {}
    assert "Stripe event mail card_expiring not sent" in caplog.text
    assert WebhookEvent.objects.filter(type="customer.source.expiring").count() == 1
    assert sent() == []


def test_a_receipt_shows_the_discount_and_the_tax(api, german, token, catalogue, deliveries):
    sub_id = subscribed(api, token, catalogue["basic"], deliveries)
    mail.outbox.clear()
    row = Subscription.objects.get(pk=sub_id).customer
    # A renewal invoice as the gateway normalises Stripe's (localstripe has no promotion codes
    # or Stripe Tax): 12.50 less a 2.50 promotion, plus 19 % tax on the 10.00.
    invoice = {"id": "in_discounted", "subscription": sub_id, "billing_reason": "subscription_cycle",
               "status": "paid", "currency": "eur", "created": int(time.time()), "number": "X-2",
               "subtotal": 1250, "total_excluding_tax": 1000, "total": 1190,
               "lines": {"data": [{"type": "subscription", "price": {"id": catalogue["basic"]}}]}}
    with TestCase.captureOnCommitCallbacks(execute=True):
        mails.invoice_paid(row, invoice)
    (message,) = sent("subscriptionSubsequentInvoice")
    for line in ("Zwischensumme: 12,50 EUR", "Rabatt: −2,50 EUR", "Steuer: 1,90 EUR",
                 "Bezahlter Betrag: 11,90 EUR"):
        assert line in message.body
