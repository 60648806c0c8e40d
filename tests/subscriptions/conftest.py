"""Fixtures of the subscription tests: localstripe as the Stripe API (``localstripe_url``, one
server per test process: tests/conftest.py), wiped before each test, a catalogue in it, access
tokens, and localstripe's webhook deliveries."""
import json
import queue
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import stripe
from django.core.cache import cache
from django.utils import timezone

from accounts import hashing
from oauth import crypto
from oauth.models import AccessToken
from subscriptions import services
from subscriptions.authentication import SUBSCRIPTIONS_SCOPE
from subscriptions.signals import capabilities_changed
from tests import factories
from tests.live import LOCALSTRIPE_CURRENCY_COUNTRIES

API_KEY = "sk_test_localstripe"
WEBHOOK_SECRET = "whsec_test_secret"
SHARED_SECRET = "broker-shared-secret"
CLIENT_ID = "dcdb5ae7add825d2"  # the test RP the catalogue grants capabilities to

# What §2.1 requires of every offered plan's merged metadata.
OFFER_METADATA = {
    "webIconURL": "https://rp.example/icon.png",
    "successActionButtonURL": "https://rp.example/download",
    "product:termsOfServiceURL": "https://rp.example/terms",
    "product:termsOfServiceDownloadURL": "https://accounts-static.cdn.mozilla.net/legal/terms.pdf",
    "product:privacyNoticeURL": "https://rp.example/privacy",
}


@pytest.fixture(autouse=True)
def stripe_settings(settings, localstripe_url):
    settings.STRIPE_API_KEY = API_KEY
    settings.STRIPE_API_BASE = localstripe_url
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.SUBSCRIPTIONS_SHARED_SECRET = SHARED_SECRET
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.SUBSCRIPTIONS_CURRENCY_COUNTRIES = LOCALSTRIPE_CURRENCY_COUNTRIES
    requests.delete(f"{localstripe_url}/_config/data", timeout=5).raise_for_status()
    cache.delete(services.catalogue_fresh_key())
    yield


@pytest.fixture
def stripe_api(localstripe_url):
    """The test's own client of localstripe, to set up what an operator sets up in Stripe."""
    return stripe.StripeClient(API_KEY, base_addresses={"api": localstripe_url},
                               stripe_version="2024-11-20.acacia").v1


def make_product(stripe_api, name, product_set, order, *, capabilities, plans=(("usd", 500),),
                 interval="month", **metadata):
    """A product and its plans in localstripe; returns the plan ids in ``plans`` order."""
    product = stripe_api.products.create({"name": name, "metadata": {
        **OFFER_METADATA, "productSet": product_set, "productOrder": str(order),
        **capabilities, **metadata}})
    return [stripe_api.plans.create({"product": product.id, "currency": currency,
                                     "amount": amount, "interval": interval,
                                     "nickname": f"{name} {currency}"}).id
            for currency, amount in plans]


def card(stripe_api, number, exp_year=2040):
    """A card PaymentMethod, as Stripe.js makes one from the card form (localstripe takes the
    number over the API; Stripe does not)."""
    return stripe_api.payment_methods.create({"type": "card", "card": {
        "number": number, "exp_month": 12, "exp_year": exp_year, "cvc": "123"}}).id


@pytest.fixture
def catalogue(db, stripe_api):
    """123Done Basic < 123Done Pro (one product set), and a product for every RP."""
    basic = make_product(stripe_api, "123Done Basic", "123done", 1,
                         capabilities={f"capabilities:{CLIENT_ID}": "123doneBasic"})[0]
    pro = make_product(stripe_api, "123Done Pro", "123done", 2,
                       capabilities={f"capabilities:{CLIENT_ID}": "123donePro, 123doneBasic",
                                     "capabilities": "everyone"},
                       plans=(("usd", 1000),))[0]
    vpn = make_product(stripe_api, "VPN", "vpn", 1,
                       capabilities={"capabilities:aaaa000011112222": "vpn"})[0]
    return {"basic": basic, "pro": pro, "vpn": vpn}


@pytest.fixture
def user(db):
    return factories.account("subscriber@example.com")


def access_token(account, scope=SUBSCRIPTIONS_SCOPE, client=None):
    """An access token of ``client`` (a new trusted one by default), as /v1/token issues it."""
    client = client or factories.oauth_client(trusted=True, scope="")[0]
    value = crypto.random_hex()
    AccessToken.objects.create(
        token_id=hashing.digest(hashing.OAUTH_TOKEN, value), application=client,
        account=account, scope=scope, expires=timezone.now() + timedelta(hours=1),
    )
    return value


@pytest.fixture
def signals():
    """What the RP events outbox would receive: each ``capabilities_changed`` call."""
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    capabilities_changed.connect(receiver)
    yield received
    capabilities_changed.disconnect(receiver)


@pytest.fixture
def token(user):
    return access_token(user.account)


@pytest.fixture
def fake(stripe_settings, settings):
    """A loopback Stripe answering from fixtures, for what localstripe cannot do."""
    from . import fixture_stripe  # it imports this module's constants

    yield from fixture_stripe.serve(settings)


@pytest.fixture
def customer(user):
    """The user's customer in the fixture Stripe, linked."""
    from . import fixture_stripe

    return fixture_stripe.link_customer(user.account)


@pytest.fixture
def deliveries(localstripe_url):
    """Each webhook localstripe sends, as ``(event type, raw body, Stripe-Signature)``."""
    received = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.put((json.loads(body)["type"], body, self.headers["Stripe-Signature"]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    requests.post(f"{localstripe_url}/_config/webhooks/tests",
                  data={"url": url, "secret": WEBHOOK_SECRET}, timeout=5).raise_for_status()
    yield received
    server.shutdown()
    server.server_close()
