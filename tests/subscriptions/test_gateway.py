"""The Stripe gateway's reading of newer API shapes (basil and later, which localstripe does not
speak) and the idempotency keys it sends, against a loopback stand-in that records requests."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from subscriptions import stripe_gateway

# A subscription as API versions from 2025-03-31.basil answer it: prices, not plans, and the
# billing period on each item rather than on the subscription.
BASIL_SUBSCRIPTION = {
    "id": "sub_basil", "object": "subscription", "customer": "cus_1", "status": "active",
    "created": 1760000000, "cancel_at_period_end": False, "cancel_at": None,
    "canceled_at": None, "ended_at": None, "latest_invoice": "in_1", "metadata": {},
    "collection_method": "charge_automatically",
    "items": {"data": [{
        "id": "si_1", "created": 1760000000, "current_period_start": 1760000000,
        "current_period_end": 1762592000,
        "price": {"id": "price_1", "object": "price", "product": "prod_1", "unit_amount": 500,
                  "currency": "usd", "recurring": {"interval": "month", "interval_count": 1}},
    }]},
}

# An invoice of those versions: its subscription is under parent.subscription_details.
BASIL_INVOICE = {
    "id": "in_1", "object": "invoice", "customer": "cus_1", "status": "paid", "total": 500,
    "subtotal": 500, "currency": "usd", "created": 1760000000,
    "parent": {"type": "subscription_details",
               "subscription_details": {"subscription": "sub_basil"}},
}


def test_newer_subscription_shapes_read_as_acacia():
    sub = stripe_gateway.normalise_subscription(BASIL_SUBSCRIPTION)
    assert sub["plan_id"] == "price_1" and sub["product_id"] == "prod_1"
    assert (sub["current_period_start"], sub["current_period_end"]) == (1760000000, 1762592000)
    assert sub["items"]["data"][0]["price"]["unit_amount"] == 500


def test_the_invoice_subscription_field_of_either_era():
    assert stripe_gateway.invoice_subscription_id(BASIL_INVOICE) == "sub_basil"
    assert stripe_gateway.invoice_subscription_id({"subscription": "sub_old"}) == "sub_old"
    assert stripe_gateway.invoice_subscription_id({"subscription": {"id": "sub_x"}}) == "sub_x"
    assert stripe_gateway.invoice_subscription_id({}) == ""


def test_a_price_reads_as_a_plan():
    plan = stripe_gateway.normalise_plan(BASIL_SUBSCRIPTION["items"]["data"][0]["price"])
    assert (plan["amount"], plan["interval"], plan["interval_count"]) == (500, "month", 1)


@pytest.fixture
def recording_stripe(settings):
    """A loopback Stripe that records the requests; it answers every POST with a customer and
    every GET with a list of promotion codes (Stripe's list filter is by exact code; a code of
    another case shows what the gateway does if it were not)."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append((self.path, dict(self.headers)))
            self.answer({"object": "list", "has_more": False, "data": [
                {"id": "promo_2", "object": "promotion_code", "code": "save10"},
                {"id": "promo_1", "object": "promotion_code", "code": "SAVE10"}]})

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append((self.path, dict(self.headers)))
            self.answer({"id": "cus_1", "object": "customer", "metadata": {"userid": "ab" * 16}})

        def answer(self, payload):
            body = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.STRIPE_API_KEY = "sk_test_recording"
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{server.server_address[1]}"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    yield seen
    server.shutdown()
    server.server_close()


def test_requests_pin_the_api_version_and_carry_upstreams_idempotency_key(recording_stripe):
    uid = "ab" * 16
    stripe_gateway.create_customer(uid, "a@example.com")
    stripe_gateway.create_customer(uid, "a@example.com")
    (path, first), (_, second) = recording_stripe
    assert path == "/v1/customers"
    assert first["Stripe-Version"] == "2024-11-20.acacia"
    # sha256(uid), base64url: the same customer for the same uid, however often it is asked.
    assert first["Idempotency-Key"] == second["Idempotency-Key"] == \
        stripe_gateway.idempotency_key(uid)
    assert first["Idempotency-Key"] == "0vn6nZm7MLK2f8aw6iaU80XAlhWW4P2CVhAQtPdXDC0"


def test_a_promotion_code_is_looked_up_by_its_exact_active_code(recording_stripe):
    assert stripe_gateway.find_promotion_code("SAVE10")["id"] == "promo_1"
    assert stripe_gateway.find_promotion_code("Save10") is None
    path = recording_stripe[0][0]
    assert path.startswith("/v1/promotion_codes?") and "code=SAVE10" in path
    assert "active=true" in path
