"""The Stripe webhook with the events localstripe does not send (reference §7), as signed
bodies in the pinned API version's shapes; the handler re-reads each object from a loopback
Stripe answering from fixtures."""
import json

import pytest
import stripe

from subscriptions import services
from subscriptions.models import Invoice, Subscription, WebhookEvent
from tests.helpers import ApiClient, ok

from . import stripe_fixtures as fx
from .conftest import CLIENT_ID, WEBHOOK_SECRET, access_token

pytestmark = pytest.mark.django_db

PATH = "/oauth/subscriptions/stripe/event"


@pytest.fixture
def api():
    return ApiClient()


def deliver(api, event):
    """POST ``event`` as Stripe does: the raw JSON, signed with the endpoint's secret."""
    body = json.dumps(event).encode()
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), WEBHOOK_SECRET)
    return api.request("POST", PATH, raw_body=body, headers={"Stripe-Signature": header})


def test_an_incomplete_subscription_completed_by_3d_secure(api, fake, user, customer, signals):
    """customer.subscription.updated with previous_attributes.status "incomplete": the payment
    was confirmed in the browser, and the capabilities are granted (§6 step 4)."""
    services._store_subscriptions(customer, [services.stripe_gateway.normalise_subscription(
        fx.subscription(status="incomplete"))])
    assert signals == []
    fake.on("GET", "/v1/subscriptions/sub_fixture", fx.subscription())
    event = fx.event("customer.subscription.updated", fx.subscription(),
                     previous={"status": "incomplete"})
    assert ok(deliver(api, event)) == {}
    assert Subscription.objects.get(pk="sub_fixture").status == "active"
    assert [(s["is_active"], s["capabilities_by_client"]) for s in signals] == [
        (True, {CLIENT_ID: ["123donePro"]})]
    # The object is re-read from Stripe (the event's copy may be stale by the time it is handled).
    assert len(fake.sent("GET", "/v1/subscriptions/sub_fixture")) == 1
    assert ok(deliver(api, event)) == {}  # delivered again: handled once
    assert len(fake.sent("GET", "/v1/subscriptions/sub_fixture")) == 1 and len(signals) == 1


def test_a_subscription_in_the_prices_api_shape(api, fake, user, customer):
    """An item that carries a Price (``unit_amount``, ``recurring``) and no Plan, as the Prices
    API and newer API versions answer: cached and shown with the price's own fields."""
    sub = fx.subscription(price_object=True, metadata={"cancelled_for_customer_at": "1"})
    sub["cancel_at_period_end"] = True
    fake.on("GET", "/v1/subscriptions/sub_fixture", sub)
    ok(deliver(api, fx.event("customer.subscription.updated", sub,
                             previous={"cancel_at_period_end": False})))
    cached = Subscription.objects.get(pk="sub_fixture")
    assert (cached.plan_id, cached.product_id, cached.cancel_at_period_end) == \
        ("price_pro_usd", "prod_pro", True)
    body = ok(api.request("POST", "/oauth/subscriptions/customer", {},
                          headers={"Authorization": f"Bearer {access_token(user.account)}"}))
    [item] = body["subscriptions"]["data"][0]["items"]["data"]
    assert item["price"]["unit_amount"] == 1000 and item["price"]["type"] == "recurring"
    assert item["price"]["recurring"]["interval"] == "month"
    assert "promotionCodes" not in item["price"]["metadata"]


def test_a_paid_invoice_is_cached_with_its_discount(api, fake, user, customer, signals):
    """invoice.paid (and the older invoice.payment_succeeded): the invoice and its subscription
    are re-read; GET /account then shows the invoice's discount."""
    launch = fx.promotion_by_id("promo_launch")
    fake.on("GET", "/v1/invoices/in_fixture", fx.paid_invoice(promo=launch))
    fake.on("GET", "/v1/subscriptions/sub_fixture", fx.subscription(
        promo=launch, metadata={"appliedPromotionCode": "LAUNCH"}))
    ok(deliver(api, fx.event("invoice.paid", fx.paid_invoice(promo=launch), event_id="evt_1")))
    invoice = Invoice.objects.get(pk="in_fixture")
    assert (invoice.status, invoice.total, invoice.subscription_id) == ("paid", 900, "sub_fixture")
    [lookup] = fake.sent("GET", "/v1/invoices/in_fixture")
    assert lookup.params["expand[1]"] == "total_tax_amounts.tax_rate"  # for the tax's name
    [web] = ok(api.get("/account", token=user.session_token))["subscriptions"]
    assert web["latest_invoice"] == "ABC123-0001"
    assert web["latest_invoice_items"]["discount"] == {"amount": 100, "amount_off": None,
                                                      "percent_off": 10.0}
    assert web["promotion_code"] == "LAUNCH"
    assert [s["is_active"] for s in signals] == [True]
    ok(deliver(api, fx.event("invoice.payment_succeeded", fx.paid_invoice(promo=launch),
                             event_id="evt_2")))
    assert len(fake.sent("GET", "/v1/invoices/in_fixture")) == 2
    assert WebhookEvent.objects.count() == 2


def test_a_credit_note_refreshes_its_invoice(api, fake, user, customer):
    """credit_note.created for a refund to the card: the invoice now says what was credited."""
    fake.on("GET", "/v1/subscriptions/sub_fixture", fx.subscription())
    refunded = {**fx.paid_invoice(), "post_payment_credit_notes_amount": 972}
    fake.on("GET", "/v1/invoices/in_fixture", refunded)
    ok(deliver(api, fx.event("credit_note.created", fx.credit_note())))
    assert Invoice.objects.get(pk="in_fixture").data["post_payment_credit_notes_amount"] == 972
    # The refund itself (charge.refunded) needs nothing more: Stripe refunded the card.
    ok(deliver(api, fx.event("charge.refunded", {"id": "ch_1", "object": "charge",
                                                 "refunded": True}, event_id="evt_refund")))
    assert set(WebhookEvent.objects.values_list("type", flat=True)) == {
        "credit_note.created", "charge.refunded"}


def test_events_of_customers_who_are_no_accounts_are_ignored(api, fake):
    ok(deliver(api, fx.event("invoice.paid", fx.paid_invoice())))
    assert fake.sent("GET", "/v1/invoices/in_fixture") == []
    assert not Invoice.objects.exists()
