"""Subscriptions end to end: gunicorn and a real Celery worker on localstripe, with Stripe's
webhook deliveries, signed by localstripe or (for the event it does not send) by the test, coming
in over HTTP. The subscription mails reach the SMTP sink in the account's language, once each,
and the RP hears of the subscription and of its end (SETs checked against the live /v1/jwks).
"""
import json
import time
import uuid

import pytest
import requests
import stripe
from django.core.cache import cache

from subscriptions import services
from tests import factories
from tests.live import start_live_stack
from tests.subscriptions.conftest import API_KEY, WEBHOOK_SECRET, access_token, make_product
from tests.webhook_receiver import WebhookReceiver, single_event, verify_set

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stripe_api(localstripe_url):
    requests.delete(f"{localstripe_url}/_config/data", timeout=5).raise_for_status()
    # The tables were flushed, but an earlier test's stack may have left them marked fresh.
    cache.delete(services.catalogue_fresh_key())
    return stripe.StripeClient(API_KEY, base_addresses={"api": localstripe_url},
                               stripe_version="2024-11-20.acacia").v1


@pytest.fixture
def stack(localstripe_url, stripe_api):
    """A live stack whose Stripe is localstripe, and localstripe's webhook pointed at it."""
    stack = start_live_stack({
        "STRIPE_API_KEY": API_KEY, "STRIPE_API_BASE": localstripe_url,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "STRIPE_MAX_NETWORK_RETRIES": "0",
        "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true", "WEBHOOK_RETRY_BACKOFF": "1",
    })
    # The id the in-process webhook tests register theirs under: one receiver at a time.
    requests.post(f"{localstripe_url}/_config/webhooks/tests", timeout=5, data={
        "url": f"{stack.api_url}/oauth/subscriptions/stripe/event", "secret": WEBHOOK_SECRET,
    }).raise_for_status()
    try:
        with stack.receiving_tasks():
            yield stack
        stack.wait_for_mail_delivered()
    finally:
        print(stack.logs())
        stack.stop()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def state_changes(stack, receiver, client, count):
    """(capabilities, isActive) of the first ``count`` SETs the RP received, each verified."""
    jwks = requests.get(f"{stack.api_url}/jwks", timeout=10).json()
    changes = []
    for request in receiver.wait_for("/rp", count=count, timeout=60):
        _, claims = verify_set(request.token, jwks, audience=client.client_id, issuer=stack.url)
        event, payload = single_event(claims)
        if event == "subscription-state-change":
            changes.append((payload["capabilities"], payload["isActive"]))
    return changes


def test_a_subscription_s_mails_and_events_through_the_live_stack(stack, stripe_api):
    with WebhookReceiver() as receiver:
        rp = factories.oauth_client("123Done", webhook_url=receiver.url("/rp"))[0]
        plan_id = make_product(stripe_api, "123Done Pro", "123done", 1,
                               capabilities={f"capabilities:{rp.client_id}": "123donePro"})[0]
        email = f"live-subscriber-{uuid.uuid4().hex[:8]}@example.com"
        user = factories.account(email, locale="de-DE,de;q=0.8")
        token = access_token(user.account)

        api = stack.api_url + "/oauth/subscriptions"
        assert requests.post(f"{api}/customer", json={"displayName": "Jana"},
                             headers=bearer(token), timeout=30).status_code == 200
        answer = requests.post(f"{api}/active/new", headers=bearer(token), timeout=30, json={
            "priceId": plan_id, "paymentMethodId": "pm_card_visa"})
        assert answer.status_code == 200, answer.text
        sub_id = answer.json()["subscription"]["id"]

        # localstripe's signed invoice.payment_succeeded, handled by the worker: the receipt.
        (receipt,) = stack.smtp.wait_for(email, "subscriptionFirstInvoice", timeout=60)
        assert receipt["Subject"] == "Vielen Dank für Ihr Abonnement von 123Done Pro"
        assert receipt["Content-Language"] == "de"
        assert "Bezahlter Betrag: 5,00 USD" in receipt.get_body(("plain",)).get_content()
        assert state_changes(stack, receiver, rp, 1) == [(["123donePro"], True)]

        # The user cancels at the period's end; Stripe's customer.subscription.updated for it
        # (localstripe sends none) is signed here, and delivered twice.
        assert requests.delete(f"{api}/active/{sub_id}", headers=bearer(token),
                               timeout=30).status_code == 200
        body = json.dumps({
            "id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "api_version": "2024-11-20.acacia",
            "type": "customer.subscription.updated", "created": int(time.time()),
            "request": {"id": None}, "data": {
                "object": stripe_api.subscriptions.retrieve(sub_id).to_dict(),
                "previous_attributes": {"cancel_at_period_end": False}},
        })
        for _ in range(2):
            signature = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
            delivered = requests.post(f"{api}/stripe/event", data=body, timeout=30, headers={
                "Stripe-Signature": signature, "Content-Type": "application/json"})
            assert delivered.status_code == 200, delivered.text
        (cancelled,) = stack.smtp.wait_for(email, "subscriptionCancellation", timeout=60)
        assert cancelled["Subject"] == "Ihr Abonnement von 123Done Pro ist gekündigt"

        # The period ends: localstripe's customer.subscription.deleted revokes the capability.
        stripe_api.subscriptions.cancel(sub_id)
        assert state_changes(stack, receiver, rp, 2) == [
            (["123donePro"], True), (["123donePro"], False)]
        stack.wait_for_mail_delivered()
        templates = [m["X-Template-Name"] for m in stack.smtp.messages_to(email)]
        assert sorted(templates) == ["downloadSubscription", "subscriptionCancellation",
                                     "subscriptionFirstInvoice"]
