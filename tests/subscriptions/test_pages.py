"""The subscription pages (subscriptions/pages.py): what they render from the catalogue, the
Content-Security-Policy that lets Stripe.js in on these pages only, and the pages' OAuth client,
whose fxa-credentials grant gives the access token the §4 routes take."""
import pytest
from django.test import Client

from subscriptions.pages import PAGES_CLIENT_ID
from tests.foundation.test_page_security import assert_strict_csp, inline_code
from tests.helpers import ApiClient, ok

from .conftest import OFFER_METADATA, make_product

pytestmark = pytest.mark.django_db

STRIPE_JS = "https://js.stripe.test/v3/"


@pytest.fixture(autouse=True)
def stripe_js(settings):
    settings.STRIPE_JS_URL = STRIPE_JS
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_pages"


@pytest.fixture
def product(stripe_api):
    make_product(stripe_api, "Cloud Storage", "storage", 1, capabilities={"capabilities": "storage"},
                 plans=(("usd", 500), ("eur", 450)),
                 **{"product:subtitle": "100 GB", "product:subtitle:de": "100 GB (de)",
                    "product:details:2": "Second", "product:details:1": "First"})
    return stripe_api.products.list().data[0].id


def directives(response):
    return dict(item.split(" ", 1) for item in response["Content-Security-Policy"].split("; "))


def test_the_product_page_renders_its_plans_and_loads_stripe_js(product, localstripe_url):
    response = Client().get(f"/subscriptions/products/{product}")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<script src="{STRIPE_JS}"></script>' in page
    assert 'data-stripe-key="pk_test_pages"' in page
    assert f'data-client-id="{PAGES_CLIENT_ID}"' in page
    assert page.index("First") < page.index("Second")  # product:details in key order
    plans = response.context["product"]["plans"]
    assert [(plan["currency"], plan["amount"], plan["interval"]) for plan in plans] == [
        ("eur", 450, "month"), ("usd", 500, "month")]
    policy = directives(response)
    assert policy["script-src"] == "'self' https://js.stripe.test"
    assert policy["frame-src"] == "https://js.stripe.test https://hooks.stripe.com"
    assert policy["connect-src"] == f"'self' https://js.stripe.test {localstripe_url}"
    assert policy["img-src"] == "'self' data: blob: https://rp.example"  # the product's icon
    assert policy["frame-ancestors"] == "'none'" and policy["form-action"] == "'self'"
    assert_strict_csp(response)
    assert inline_code(page) == []  # the plans travel in a JSON data block, not a script


def test_product_texts_follow_the_language(product):
    response = Client().get(f"/subscriptions/products/{product}", HTTP_ACCEPT_LANGUAGE="de")
    assert response.context["product"]["subtitle"] == "100 GB (de)"
    assert "Abonnieren" in response.content.decode() or "abonnieren" in response.content.decode()


def test_the_success_page_needs_no_stripe_js_and_the_failure_page_does(product):
    success = Client().get(f"/subscriptions/products/{product}/success")
    assert success.status_code == 200 and STRIPE_JS not in success.content.decode()
    assert directives(success)["script-src"] == "'self'"
    failed = Client().get(f"/subscriptions/products/{product}/failed")
    assert failed.status_code == 200 and STRIPE_JS in failed.content.decode()
    assert directives(failed)["script-src"] == "'self' https://js.stripe.test"
    for response in (success, failed):
        assert_strict_csp(response)
        assert inline_code(response.content.decode()) == []


def test_the_manage_page_allows_stripe_js_and_other_pages_stay_strict(catalogue):
    manage = Client().get("/subscriptions")
    assert manage.status_code == 200 and STRIPE_JS in manage.content.decode()
    assert directives(manage)["script-src"] == "'self' https://js.stripe.test"
    assert_strict_csp(manage)
    assert inline_code(manage.content.decode()) == []
    for path in ("/settings", "/signin", "/"):
        policy = directives(Client().get(path))
        assert policy["script-src"] == "'self'" and "frame-src" not in policy, path
        assert policy["connect-src"] == "'self'", path


def test_an_unknown_or_unoffered_product_is_404(stripe_api, catalogue):
    assert Client().get("/subscriptions/products/prod_nope").status_code == 404
    unoffered = stripe_api.products.create({"name": "Draft", "metadata": {**OFFER_METADATA}})
    stripe_api.plans.create({"product": unoffered.id, "currency": "usd", "amount": 100,
                             "interval": "month"})  # no productSet, no capabilities
    response = Client().get(f"/subscriptions/products/{unoffered.id}")
    assert response.status_code == 404
    assert "Product not found" in response.content.decode()


def test_without_stripe_the_pages_say_subscriptions_are_unavailable(settings):
    settings.STRIPE_API_KEY = ""
    for path in ("/subscriptions", "/subscriptions/products/prod_any"):
        response = Client().get(path)
        assert response.status_code == 503, path
        assert "Subscriptions are not available" in response.content.decode()


def test_the_pages_client_trades_a_session_for_a_subscriptions_token(user, catalogue):
    api = ApiClient()
    body = ok(api.post("/oauth/token", {
        "client_id": PAGES_CLIENT_ID, "grant_type": "fxa-credentials",
        "scope": "https://identity.mozilla.com/account/subscriptions", "access_type": "online",
    }, token=user.session_token))
    assert body["scope"] == "https://identity.mozilla.com/account/subscriptions"
    assert "refresh_token" not in body
    answer = api.request("GET", "/oauth/subscriptions/active", None,
                         headers={"Authorization": f"Bearer {body['access_token']}"})
    assert ok(answer) == []


def test_settings_link_to_the_subscriptions_page():
    page = Client().get("/settings").content.decode()
    assert 'href="/subscriptions"' in page and 'href="#subscriptions"' in page
