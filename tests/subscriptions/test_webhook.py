"""POST /v1/oauth/subscriptions/stripe/event (reference §7): localstripe's own deliveries, signed
by it, replayed into the endpoint; signatures checked; each event handled once."""
import json
import queue
import time

import pytest
import requests
import stripe

from subscriptions.models import PaymentMethod, StripeCustomer, Subscription, WebhookEvent
from tests.helpers import ApiClient, assert_error, ok

from .conftest import CLIENT_ID, WEBHOOK_SECRET, card, make_product
from .test_routes import subscribe

pytestmark = pytest.mark.django_db

PATH = "/oauth/subscriptions/stripe/event"


def signed(body, timestamp=None, secret=WEBHOOK_SECRET):
    """A Stripe-Signature header for ``body``, as Stripe computes it."""
    timestamp = timestamp or int(time.time())
    signature = stripe.WebhookSignature._compute_signature(f"{timestamp}.{body.decode()}", secret)
    return f"t={timestamp},v1={signature}"


@pytest.fixture
def api():
    return ApiClient()


def wait_for(deliveries, event_type, object_id, timeout=15):
    """The delivery of ``event_type`` about ``object_id``: localstripe sends a second after the
    change, to whichever receiver is registered then, so a test may also get the last one's."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            kind, body, signature = deliveries.get(timeout=0.5)
        except queue.Empty:
            continue
        obj = json.loads(body)["data"]["object"]
        if kind == event_type and object_id in (obj.get("id"), obj.get("subscription")):
            return body, signature
    raise AssertionError(f"localstripe sent no {event_type} for {object_id}")


def post(api, body, signature):
    return api.request("POST", PATH, raw_body=body, headers={"Stripe-Signature": signature})


def test_a_cancellation_in_stripe_revokes_the_capability_once(api, token, catalogue, deliveries,
                                                              stripe_api, signals):
    sub_id = ok(subscribe(api, token, catalogue["basic"]))["subscription"]["id"]
    created = wait_for(deliveries, "customer.subscription.created", sub_id)
    assert ok(post(api, *created)) == {}  # already cached by the route: no change
    signals.clear()

    stripe_api.subscriptions.cancel(sub_id)  # e.g. support cancels it in the dashboard
    deleted = wait_for(deliveries, "customer.subscription.deleted", sub_id)
    assert ok(post(api, *deleted)) == {}
    assert Subscription.objects.get(pk=sub_id).status == "canceled"
    assert [(s["is_active"], s["capabilities_by_client"]) for s in signals] == [
        (False, {CLIENT_ID: ["123doneBasic"]})]
    assert ok(post(api, *deleted)) == {}  # Stripe delivers at least once
    assert len(signals) == 1
    assert WebhookEvent.objects.filter(type="customer.subscription.deleted").count() == 1


def test_a_subscription_made_in_stripe_is_cached_and_granted(api, user, token, catalogue,
                                                             deliveries, stripe_api, signals):
    ok(api.request("POST", "/oauth/subscriptions/customer", {},
                   headers={"Authorization": f"Bearer {token}"}))
    customer_id = user.account.stripe_customer.customer_id
    method = stripe_api.payment_methods.attach("pm_card_visa", {"customer": customer_id})
    stripe_api.customers.update(customer_id,
                                {"invoice_settings": {"default_payment_method": method.id}})
    sub = stripe_api.subscriptions.create({"customer": customer_id,
                                           "items": [{"plan": catalogue["vpn"]}]})
    ok(post(api, *wait_for(deliveries, "customer.subscription.created", sub.id)))
    assert Subscription.objects.get(pk=sub.id).status == "active"
    assert [(s["is_active"], s["capabilities_by_client"]) for s in signals] == [
        (True, {"aaaa000011112222": ["vpn"]})]


def test_signatures_are_checked(api, catalogue):
    body = json.dumps({"id": "evt_1", "type": "customer.subscription.deleted",
                       "object": "event", "data": {"object": {"id": "sub_1"}}}).encode()
    assert_error(post(api, body, signed(body, secret="whsec_other")), 400, 107)
    assert_error(post(api, body, signed(body, int(time.time()) - 600)), 400, 107)  # a replay
    assert_error(api.request("POST", PATH, raw_body=body), 400, 107)
    assert_error(post(api, body + b" ", signed(body)), 400, 107)
    assert not WebhookEvent.objects.exists()


def test_unhandled_types_are_recorded_and_answered(api, catalogue):
    body = json.dumps({"id": "evt_2", "type": "payout.paid", "object": "event",
                       "data": {"object": {"id": "po_1"}}}).encode()
    assert ok(post(api, body, signed(body))) == {}
    assert WebhookEvent.objects.get().type == "payout.paid"


def test_3d_secure_completes_through_the_invoice_webhook(api, token, catalogue, deliveries,
                                                         stripe_api, signals, localstripe_url):
    body = ok(subscribe(api, token, catalogue["basic"], card(stripe_api, "4000002500003155")))
    sub = body["subscription"]
    intent = sub["latest_invoice"]["payment_intent"]
    assert sub["status"] == "incomplete" and intent["status"] == "requires_action"
    assert intent["next_action"] and intent["client_secret"]
    assert signals == []
    assert ok(api.request("GET", "/oauth/subscriptions/active", headers={
        "Authorization": f"Bearer {token}"})) == []

    # What Stripe.js does once the bank's challenge passes.
    pi_id = intent["client_secret"].split("_secret_")[0]
    requests.post(f"{localstripe_url}/v1/payment_intents/{pi_id}/_authenticate",
                  data={"client_secret": intent["client_secret"], "success": "true",
                        "key": "pk_test_localstripe"},
                  timeout=5).raise_for_status()
    ok(post(api, *wait_for(deliveries, "invoice.payment_succeeded", sub["id"])))
    assert Subscription.objects.get(pk=sub["id"]).status == "active"
    assert [(s["is_active"], s["capabilities_by_client"]) for s in signals] == [
        (True, {CLIENT_ID: ["123doneBasic"]})]


def test_a_new_plan_is_offered_once_its_webhook_arrives(api, catalogue, deliveries, stripe_api):
    assert len(ok(api.get("/oauth/subscriptions/plans"))) == 3  # the catalogue is cached now
    plan_id = make_product(stripe_api, "Relay", "relay", 1, capabilities={"capabilities": "r"})[0]
    assert plan_id not in {p["plan_id"] for p in ok(api.get("/oauth/subscriptions/plans"))}
    ok(post(api, *wait_for(deliveries, "plan.created", plan_id)))
    assert plan_id in {p["plan_id"] for p in ok(api.get("/oauth/subscriptions/plans"))}


def test_a_customer_made_in_the_dashboard_is_linked_by_its_address(api, user, catalogue,
                                                                  deliveries, stripe_api):
    customer = stripe_api.customers.create({"email": "Subscriber@example.com"})
    ok(post(api, *wait_for(deliveries, "customer.created", customer.id)))
    assert user.account.stripe_customer.customer_id == customer.id
    stranger = stripe_api.customers.create({"email": "nobody@example.com"})
    ok(post(api, *wait_for(deliveries, "customer.created", stranger.id)))
    assert not StripeCustomer.objects.filter(customer_id=stranger.id).exists()


def test_large_events_are_accepted(api, catalogue):
    # A real event with its expanded objects is commonly tens of kilobytes.
    body = json.dumps({"id": "evt_big", "type": "charge.succeeded", "object": "event",
                       "data": {"object": {"id": "ch_1", "padding": "x" * 200_000}}}).encode()
    assert ok(post(api, body, signed(body))) == {}


def test_customer_updates_and_deletion_in_stripe(api, user, token, catalogue, deliveries,
                                                 stripe_api, signals):
    ok(subscribe(api, token, catalogue["basic"]))
    row = StripeCustomer.objects.get()
    stripe_api.customers.update(row.customer_id, {"name": "Jane Q."})
    ok(post(api, *wait_for(deliveries, "customer.updated", row.customer_id)))
    row.refresh_from_db()
    assert row.data["name"] == "Jane Q."
    signals.clear()

    stripe_api.customers.delete(row.customer_id)
    ok(post(api, *wait_for(deliveries, "customer.deleted", row.customer_id)))
    assert not StripeCustomer.objects.exists() and not Subscription.objects.exists()
    assert [(s["is_active"], s["capabilities_by_client"]) for s in signals] == [
        (False, {CLIENT_ID: ["123doneBasic"]})]


def signed_event(kind, obj):
    body = json.dumps({"id": f"evt_{kind}_{obj['id']}", "object": "event", "type": kind,
                       "api_version": "2024-11-20.acacia", "created": int(time.time()),
                       "request": {"id": None}, "data": {"object": obj}}).encode()
    return body, stripe.WebhookSignature.generate_signature_header(body.decode(), WEBHOOK_SECRET)


def test_payment_method_changes_refresh_the_cached_card(api, user, token, catalogue, stripe_api):
    ok(subscribe(api, token, catalogue["basic"]))
    method = PaymentMethod.objects.get()
    PaymentMethod.objects.filter(pk=method.pk).update(exp_year=2001, last4="0000")
    # Stripe's payment_method.automatically_updated (the card network sent new details; the
    # event's object is re-read from Stripe, so a stale body is enough).
    stale = {"id": method.pk, "object": "payment_method", "customer": method.customer.customer_id,
             "card": {"exp_year": 2001}}
    ok(post(api, *signed_event("payment_method.automatically_updated", stale)))
    method.refresh_from_db()
    in_stripe = stripe_api.payment_methods.retrieve(method.pk).card
    assert in_stripe.exp_year != 2001
    assert (method.exp_year, method.last4) == (in_stripe.exp_year, "4242")

    # Stripe's payment_method.detached: its object is not re-read (it has no customer now).
    stripe_api.payment_methods.detach(method.pk)
    ok(post(api, *signed_event("payment_method.detached", {**stale, "customer": None})))
    assert not PaymentMethod.objects.exists()


def test_a_product_change_refreshes_the_catalogue(api, catalogue, stripe_api):
    plans = ok(api.get("/oauth/subscriptions/plans"))  # the catalogue is cached now
    plan = next(p for p in plans if p["plan_id"] == catalogue["vpn"])
    stripe_api.products.update(plan["product_id"], {"name": "Mozilla VPN"})
    # localstripe sends product.created only; this body stands for Stripe's product.updated.
    ok(post(api, *signed_event("product.updated", {"id": plan["product_id"], "object": "product",
                                                   "name": "Mozilla VPN"})))
    renamed = next(p for p in ok(api.get("/oauth/subscriptions/plans"))
                   if p["plan_id"] == catalogue["vpn"])
    assert renamed["product_name"] == "Mozilla VPN"
