"""A loopback Stripe API that answers from JSON fixtures, for what localstripe cannot do
(promotion codes, Stripe Tax, the Prices API, the newer event shapes): the real ``stripe``
library talks HTTP to it, and each request is recorded with its form parameters and headers.

Each fixture in ``stripe_fixtures`` says which real Stripe answer it stands for.
"""
import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from subscriptions.models import StripeCustomer

from . import stripe_fixtures as fx


class Request:
    def __init__(self, method, path, params, headers):
        self.method, self.path, self.params, self.headers = method, path, params, headers

    def __repr__(self):
        return f"{self.method} {self.path} {self.params}"


class FixtureStripe:
    """``on(method, path, body)`` registers an answer (a dict, or a function of the request's
    parameters returning one); unregistered requests answer Stripe's 404
    ``resource_missing``."""

    def __init__(self):
        self.answers = {}
        self.requests = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def handle_one(self):
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                form = self.rfile.read(length).decode() if length else ""
                params = dict(parse_qsl(url.query or form, keep_blank_values=True))
                request = Request(self.command, url.path, params, dict(self.headers))
                fake.requests.append(request)
                status, body = fake.answer(request)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = handle_one

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def on(self, method, path, body, status=200):
        self.answers[(method, path)] = (status, body)

    def answer(self, request):
        found = self.answers.get((request.method, request.path))
        if found is None:
            return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing",
                                   "message": f"No such route: {request.path}"}}
        status, body = found
        body = body(request.params) if callable(body) else body
        return status, copy.deepcopy(body)

    def sent(self, method, path):
        """The requests made to ``method path``, oldest first."""
        return [r for r in self.requests if (r.method, r.path) == (method, path)]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def serve(settings):
    """The fixture Stripe in place of localstripe (conftest's ``fake``), with the catalogue, the
    promotion codes and the customer; dollars paid from the US and GB, euros from Germany and
    France; geo-IP from two test headers."""
    stripe = FixtureStripe()
    settings.STRIPE_API_BASE = stripe.url
    settings.SUBSCRIPTIONS_GEO_COUNTRY_HEADER = "X-Geo-Country"
    settings.SUBSCRIPTIONS_GEO_POSTAL_CODE_HEADER = "X-Geo-Postal-Code"
    settings.SUBSCRIPTIONS_CURRENCY_COUNTRIES = {"USD": ["US", "GB"], "EUR": ["DE", "FR"]}
    stripe.on("GET", "/v1/plans", fx.PLANS)
    stripe.on("GET", "/v1/promotion_codes", fx.promotion_codes_list)
    stripe.on("GET", f"/v1/customers/{fx.CUSTOMER_ID}", fx.CUSTOMER)
    stripe.on("POST", "/v1/invoices/create_preview", lambda params: fx.preview())
    yield stripe
    stripe.close()


def link_customer(account):
    """The account's Stripe customer of the fixtures, linked as POST /customer links it."""
    return StripeCustomer.objects.create(account=account, customer_id=fx.CUSTOMER_ID,
                                         data=fx.CUSTOMER)
