"""The subscription pages in Debian's Chromium against the live stack (gunicorn + Celery + SMTP
sink) and a real localstripe, whose fake Stripe.js the pages load (STRIPE_JS_URL): sign up on a
product's page, pay with the fake card element, land on the success page, find the
subscription under /settings → /subscriptions, and cancel it at the end of its period.

Screenshots of every page (1280 and 375 px) land in artifacts/screenshots/.
"""
import time
from urllib.parse import parse_qs, urlsplit
from importlib import import_module

import pytest
import requests
from django.apps import apps
from django.core.cache import cache
from playwright.sync_api import expect

from subscriptions import services
from subscriptions.models import Subscription, WebhookEvent
from tests.e2e.browser import assert_password_not_sent, screenshot
from tests.e2e.test_pages_signup_signin import PASSWORD, arrive, open_page, pyfxa09_account, unique_email
from tests.helpers import free_port, running_localstripe
from tests.subscriptions.conftest import API_KEY, WEBHOOK_SECRET, make_product

# One localstripe for this module, on a port chosen now: the live stack's settings name it.
LOCALSTRIPE_PORT = free_port()
LOCALSTRIPE = f"http://127.0.0.1:{LOCALSTRIPE_PORT}"
STRIPE_ENV = {
    "STRIPE_API_KEY": API_KEY,
    "STRIPE_API_BASE": LOCALSTRIPE,
    "STRIPE_JS_URL": f"{LOCALSTRIPE}/js.stripe.com/v3/",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_localstripe",
    "STRIPE_MAX_NETWORK_RETRIES": "0",
    "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
}
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True),
              pytest.mark.live_stack(extra_env=STRIPE_ENV)]


@pytest.fixture(scope="module")
def localstripe():
    with running_localstripe(LOCALSTRIPE_PORT) as url:
        yield url


def send_webhooks(stack, events):
    """localstripe's signed deliveries of ``events`` go to the stack's webhook, as Stripe's would.

    Only the events a test waits for: a delivery still being handled when the test's tables are
    flushed would deadlock the flush (localstripe keeps this setting across its data wipes)."""
    requests.post(f"{LOCALSTRIPE}/_config/webhooks/live", timeout=5, json={
        "url": f"{stack.url}/v1/oauth/subscriptions/stripe/event", "secret": WEBHOOK_SECRET,
        "events": events,
    }).raise_for_status()


@pytest.fixture
def product(localstripe, settings, static_server, live_stack):
    """A product with a monthly and a yearly plan, in localstripe and in the shared catalogue; its icon comes
    from another origin (the pages' CSP allows the product's icon). localstripe sends no
    webhooks to the live stack unless a test asks (``send_webhooks``)."""
    import stripe

    settings.STRIPE_API_KEY = API_KEY
    settings.STRIPE_API_BASE = localstripe
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    requests.delete(f"{localstripe}/_config/data", timeout=5).raise_for_status()
    send_webhooks(live_stack, [])
    api = stripe.StripeClient(API_KEY, base_addresses={"api": localstripe},
                              stripe_version="2024-11-20.acacia").v1
    make_product(api, "Cloud Storage", "storage", 1, capabilities={"capabilities": "storage"},
                 plans=(("usd", 500),), **{
                     "webIconURL": f"{static_server}/static/img/logo.svg",
                     "product:subtitle": "100 GB for your files",
                     "product:details:1": "Files on every device",
                     "product:details:2": "End-to-end encrypted"})
    product_id = api.products.list().data[0].id
    api.plans.create({"product": product_id, "currency": "usd", "amount": 5000, "interval": "year"})
    # The pages' OAuth client, as migration 0002 made it (the flush after a transactional test
    # empties every table, migrated rows included).
    import_module("subscriptions.migrations.0002_payments_client").add_client(apps, None)
    cache.delete(services.catalogue_fresh_key())
    services.refresh_catalogue()  # the live server reads the same rows and cache flag
    return product_id


def test_subscribe_on_the_product_page_then_cancel_in_settings(live_stack, browser_page, product):
    page = browser_page
    email = unique_email("e2e.subscribe")
    unknown = page.goto(f"{live_stack.url}/subscriptions/products/prod_unknown")
    assert unknown.status == 404
    expect(page.locator("h1")).to_have_text("Product not found")
    screenshot(page, "subscriptions-unknown-product")
    page.console_errors.clear()  # Chromium logs that 404
    open_page(page, f"{live_stack.url}/subscriptions/products/{product}")
    expect(page.locator("h1")).to_have_text("Subscribe to Cloud Storage")
    expect(page.locator("[data-price]")).to_have_text("$5.00 monthly")
    page.get_by_label("$50.00 yearly").check()
    expect(page.locator("[data-price]")).to_have_text("$50.00 yearly")
    page.get_by_label("$5.00 monthly").check()
    screenshot(page, "subscriptions-product")

    page.fill("#email", email)
    page.click("#email-form button[type=submit]")
    expect(page.locator("#signup-step")).to_be_visible()
    page.fill("#new-password", PASSWORD)
    page.fill("#confirm-password", PASSWORD)
    page.fill("#age", "30")
    screenshot(page, "subscriptions-product-signup")
    page.click("#signup-form button[type=submit]")
    expect(page.locator("#code-step")).to_be_visible()
    page.fill("#code", live_stack.smtp.latest_code(email, "X-Verify-Short-Code"))
    page.click("#code-form button[type=submit]")

    expect(page.locator("#payment-step")).to_be_visible()
    expect(page.locator("[data-account-email]").first).to_have_text(email)
    expect(page.locator("[data-total]")).to_have_text("$5.00")  # the invoice preview (§6.3)
    page.fill("#card-name", "Jane Doe")
    card = page.locator("[data-card-element]")
    card.locator("input[placeholder=number]").fill("4242424242424242")
    card.locator("input[placeholder=exp_month]").fill("12")
    card.locator("input[placeholder=exp_year]").fill("40")
    card.locator("input[placeholder=cvc]").fill("123")
    card.locator("input[placeholder=postal_code]").fill("10001")
    page.check("#consent")
    screenshot(page, "subscriptions-product-payment")
    page.click("#payment-form button[type=submit]")

    arrive(page, f"**/subscriptions/products/{product}/success?**")
    expect(page.locator("h1")).to_have_text("Thank you for subscribing")
    expect(page.locator("[data-success-plan]")).to_contain_text("$5.00 monthly")
    screenshot(page, "subscriptions-success")
    (sub,) = Subscription.objects.filter(customer__account__emails__email=email)
    assert sub.status == "active" and not sub.cancel_at_period_end
    open_page(page, f"{live_stack.url}/subscriptions/products/{product}")  # not sold twice
    expect(page.locator("#already-subscribed")).to_be_visible()
    expect(page.locator("#payment-step")).to_be_hidden()

    open_page(page, f"{live_stack.url}/settings")
    page.locator("#subscriptions").scroll_into_view_if_needed()
    screenshot(page, "subscriptions-settings-section")
    page.click("#subscriptions a[href='/subscriptions']")
    arrive(page, "**/subscriptions")
    item = page.locator("[data-subscription]")
    expect(item.locator("[data-product-name]")).to_have_text("Cloud Storage")
    expect(item.locator("[data-state]")).to_contain_text("Active: renews on")
    expect(page.locator("[data-card-summary]")).to_contain_text("4242")
    invoice_link = item.locator("[data-invoice-link]")
    expect(invoice_link).to_be_visible()
    expect(invoice_link).to_have_text("View invoice")
    assert invoice_link.get_attribute("href").startswith("https://invoice.stripe.com/i/in_")
    screenshot(page, "subscriptions-manage")

    item.locator("[data-cancel]").click()
    dialog = page.locator("[data-cancel-dialog]")
    expect(dialog).to_be_visible()
    screenshot(page, "subscriptions-manage-cancel")
    dialog.locator("button[value=confirm]").click()
    expect(page.locator("[data-subscription] [data-state]")).to_contain_text("Cancelled: your subscription ends on")
    expect(page.locator("[data-subscription] [data-reactivate]")).to_be_visible()
    screenshot(page, "subscriptions-manage-cancelled")
    sub.refresh_from_db()
    assert sub.cancel_at_period_end and sub.status == "active"

    assert_password_not_sent(page.requests, PASSWORD)
    assert not page.console_errors, page.console_errors
    assert not WebhookEvent.objects.exists()  # the page cached what Stripe answered, no webhook


def fill_card(page, number):
    card = page.locator("[data-card-element]")
    card.locator("input[placeholder=number]").fill(number)
    card.locator("input[placeholder=exp_month]").fill("12")
    card.locator("input[placeholder=exp_year]").fill("40")
    card.locator("input[placeholder=cvc]").fill("123")
    card.locator("input[placeholder=postal_code]").fill("10001")


def test_sign_in_on_the_product_page_a_declined_card_then_retry_with_another(
        live_stack, browser_page, product):
    page = browser_page
    email = unique_email("e2e.subscribe-declined")
    pyfxa09_account(live_stack, email)
    open_page(page, f"{live_stack.url}/subscriptions/products/{product}")
    page.fill("#email", email)
    page.click("#email-form button[type=submit]")
    expect(page.locator("#signin-step")).to_be_visible()
    page.fill("#password", "not the password")
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#password-error")).to_have_text("Incorrect password.")
    page.fill("#password", PASSWORD)
    page.click("#signin-form button[type=submit]")
    # The server may ask this new browser to confirm the sign-in with a mailed code first.
    page.locator("#code-step:not([hidden]), #payment-step:not([hidden])").wait_for()
    if page.locator("#code-step").is_visible():
        page.fill("#code", live_stack.smtp.latest_code(email, "X-Signin-Verify-Code"))
        page.click("#code-form button[type=submit]")
    expect(page.locator("#payment-step")).to_be_visible()
    page.fill("#card-name", "Jane Doe")
    fill_card(page, "4000000000000341")  # attaches, then its first charge is declined
    page.check("#consent")
    page.click("#payment-form button[type=submit]")

    arrive(page, f"**/subscriptions/products/{product}/failed?**")
    expect(page.locator("h1")).to_have_text("Your payment did not go through")
    expect(page.locator("[data-failure-reason]")).to_contain_text("declined")
    assert not Subscription.objects.filter(customer__account__emails__email=email,
                                           status="active").exists()
    page.fill("#card-name", "Jane Doe")
    fill_card(page, "4242424242424242")
    screenshot(page, "subscriptions-failed")
    page.click("#retry-form button[type=submit]")

    arrive(page, f"**/subscriptions/products/{product}/success?**")
    assert Subscription.objects.filter(customer__account__emails__email=email,
                                       status="active").count() == 1
    assert_password_not_sent(page.requests, PASSWORD)
    # Chromium logs the refused password and the declined payment (400s); nothing else failed.
    assert [error for error in page.console_errors
            if "responded with a status of 400" not in error] == []


@pytest.fixture
def tiers(product, localstripe, static_server):
    """Two tiers of one product set, Basic < Pro, in the shared catalogue."""
    import stripe

    api = stripe.StripeClient(API_KEY, base_addresses={"api": localstripe},
                              stripe_version="2024-11-20.acacia").v1
    icon = {"webIconURL": f"{static_server}/static/img/logo.svg"}
    basic = make_product(api, "VPN Basic", "vpn", 1, capabilities={"capabilities": "vpn"},
                         plans=(("usd", 499),), **icon)[0]
    pro = make_product(api, "VPN Pro", "vpn", 2, capabilities={"capabilities": "vpn, vpnPro"},
                       plans=(("usd", 999),), **icon)[0]
    cache.delete(services.catalogue_fresh_key())
    services.refresh_catalogue()
    return {plan.plan_id: plan.product_id for plan in services.offered_plans()
            if plan.plan_id in (basic, pro)}, basic, pro


def sign_in_inline(page, stack, email):
    page.fill("#email", email)
    page.click("#email-form button[type=submit]")
    page.fill("#password", PASSWORD)
    page.click("#signin-form button[type=submit]")
    page.locator("#code-step:not([hidden]), #payment-step:not([hidden])").wait_for()
    if page.locator("#code-step").is_visible():
        page.fill("#code", stack.smtp.latest_code(email, "X-Signin-Verify-Code"))
        page.click("#code-form button[type=submit]")
    expect(page.locator("#payment-step")).to_be_visible()


def test_three_d_secure_then_change_card_cancel_reactivate_and_upgrade(live_stack, browser_page, tiers):
    page = browser_page
    products, basic, pro = tiers
    email = unique_email("e2e.subscribe-manage")
    pyfxa09_account(live_stack, email)
    # The one delivery this test waits for: the paid first invoice, after 3-D Secure.
    send_webhooks(live_stack, ["invoice.payment_succeeded"])
    open_page(page, f"{live_stack.url}/subscriptions/products/{products[basic]}")
    sign_in_inline(page, live_stack, email)
    page.fill("#card-name", "Jane Doe")
    fill_card(page, "4000002500003155")  # asks for 3-D Secure at setup and at its first charge
    page.check("#consent")
    page.click("#payment-form button[type=submit]")
    # localstripe's fake Stripe.js stands for the bank's 3-D Secure window: its own dialog.
    page.get_by_role("button", name="Complete authentication").click()
    page.get_by_role("button", name="Complete authentication").click()
    arrive(page, f"**/subscriptions/products/{products[basic]}/success?**")
    # Its webhook makes the cached subscription active (the worker has handled it then).
    (sub,) = Subscription.objects.filter(customer__account__emails__email=email)
    deadline = time.monotonic() + 30
    while sub.status != "active" and time.monotonic() < deadline:
        time.sleep(0.5)
        sub.refresh_from_db()
    assert sub.status == "active" and sub.plan_id == basic

    open_page(page, f"{live_stack.url}/subscriptions")
    item = page.locator("[data-subscription]")
    expect(item.locator("[data-product-name]")).to_have_text("VPN Basic")
    expect(page.locator("[data-card-summary]")).to_contain_text("3155")
    expect(item.locator("[data-upgrade-text]")).to_have_text("VPN Pro, $9.99 monthly")

    page.click("[data-change-card]")
    page.fill("#card-name", "Jane Doe")
    fill_card(page, "5555555555554444")
    screenshot(page, "subscriptions-manage-change-card")
    page.click("#card-form button[type=submit]")
    expect(page.locator("[data-card-summary]")).to_contain_text("4444")
    expect(page.locator("#card-form")).to_be_hidden()

    item.locator("[data-cancel]").click()
    page.locator("[data-cancel-dialog] button[value=confirm]").click()
    expect(item.locator("[data-reactivate]")).to_be_visible()
    expect(item.locator("[data-upgrade-row]")).to_be_hidden()  # no upgrade of a cancelled one
    item.locator("[data-reactivate]").click()
    expect(item.locator("[data-state]")).to_contain_text("Active: renews on")
    sub.refresh_from_db()
    assert not sub.cancel_at_period_end

    item.locator("[data-upgrade]").click()
    dialog = page.locator("[data-upgrade-dialog]")
    expect(dialog).to_contain_text("VPN Pro at $9.99 monthly replaces VPN Basic from today.")
    expect(dialog.locator("[data-upgrade-dialog-charge]")).to_contain_text("You will be charged $")
    screenshot(page, "subscriptions-manage-upgrade")
    dialog.locator("button[value=confirm]").click()
    expect(item.locator("[data-product-name]")).to_have_text("VPN Pro")
    expect(item.locator("[data-plan]")).to_have_text("$9.99 monthly")
    expect(item.locator("[data-upgrade-row]")).to_be_hidden()  # nothing above Pro
    screenshot(page, "subscriptions-manage-upgraded")
    sub.refresh_from_db()
    assert sub.plan_id == pro and sub.status == "active"
    assert set(WebhookEvent.objects.values_list("type", flat=True)) == {"invoice.payment_succeeded"}

    # Basic is a downgrade now: its page sends the subscriber to /subscriptions, and sells nothing.
    open_page(page, f"{live_stack.url}/subscriptions/products/{products[basic]}")
    expect(page.locator("#already-subscribed [data-already=change]")).to_be_visible()
    expect(page.locator("#already-subscribed [data-already=invalid]")).to_be_hidden()
    assert not page.console_errors, page.console_errors


# Answers the product page is wired to but this stack cannot give: localstripe has no Stripe Tax,
# and the promotion-code route (§4 `POST /v1/oauth/subscriptions/coupon`) is built elsewhere.
# Each stands for the documented shape of the real answer.
TAXED_PREVIEW = {  # §4.2 for a US customer whom Stripe Tax charges sales tax on top
    "line_items": [], "subtotal": 500, "subtotal_excluding_tax": 500, "total": 540,
    "total_excluding_tax": 500, "tax": [{"amount": 40, "inclusive": False, "display_name": "Sales Tax"}],
}
DISCOUNTED_PREVIEW = {  # the same with SAVE10's 10 % off, and a VAT already in the price
    "line_items": [], "subtotal": 500, "subtotal_excluding_tax": 420, "total": 450,
    "total_excluding_tax": 378, "discount": {"amount": 50, "amount_off": None, "percent_off": 10},
    "tax": [{"amount": 72, "inclusive": True, "display_name": "VAT"}],
}
COUPONS = {
    "SAVE10": (200, {"promotionCode": "SAVE10", "type": "forever", "durationInMonths": None,
                     "valid": True, "discountAmount": 50, "expired": False,
                     "maximallyRedeemed": False}),
    "OLD": (200, {"promotionCode": "OLD", "type": "once", "durationInMonths": None,
                  "valid": False, "expired": True, "maximallyRedeemed": False}),
    "NOPE": (400, {"code": 400, "errno": 199, "error": "Bad Request",
                   "message": "Invalid promotion code"}),
}


def test_the_price_shows_its_tax_and_promotion_codes_follow_the_coupon_contract(
        live_stack, browser_page, product):
    import json

    page = browser_page
    previews, coupons = [], []

    def preview(route):
        body = json.loads(route.request.post_data)
        previews.append(body)
        answer = DISCOUNTED_PREVIEW if body.get("promotionCode") else TAXED_PREVIEW
        route.fulfill(status=200, json=answer)

    def coupon(route):
        body = json.loads(route.request.post_data)
        coupons.append(body)
        status, answer = COUPONS[body["promotionCode"]]
        route.fulfill(status=status, json=answer)

    page.route("**/v1/oauth/subscriptions/invoice/preview", preview)
    page.route("**/v1/oauth/subscriptions/coupon", coupon)
    email = unique_email("e2e.subscribe-tax")
    pyfxa09_account(live_stack, email)
    open_page(page, f"{live_stack.url}/subscriptions/products/{product}")

    page.fill("#promotion-code", "NOPE")  # before signing in: the route takes no token then
    page.click("#coupon-form button[type=submit]")
    expect(page.locator("#promotion-code-error")).to_have_text("This promo code cannot be used with this plan.")
    sign_in_inline(page, live_stack, email)
    lines = page.locator("[data-preview]")
    expect(lines).to_contain_text("Sales Tax")
    expect(page.locator("[data-total]")).to_have_text("$5.40")
    expect(page.locator("[data-tax-note]")).to_have_text("Taxes are worked out from your location.")

    page.fill("#promotion-code", "OLD")
    page.click("#coupon-form button[type=submit]")
    expect(page.locator("#promotion-code-error")).to_have_text("This promo code has expired.")
    page.fill("#promotion-code", "SAVE10")
    page.click("#coupon-form button[type=submit]")
    expect(page.locator("[data-coupon-text]")).to_have_text("Promo code SAVE10 applied: $0.50 off.")
    expect(page.locator("[data-discount]")).to_have_text("−$0.50")
    expect(lines).to_contain_text("VAT (included)")
    expect(page.locator("[data-total]")).to_have_text("$4.50")
    screenshot(page, "subscriptions-product-promotion")

    plan = previews[0]["priceId"]
    assert coupons == [{"priceId": plan, "promotionCode": code} for code in ("NOPE", "OLD", "SAVE10")]
    assert previews[-1] == {"priceId": plan, "promotionCode": "SAVE10"}
    # Signed in, the coupon calls carry the access token; before, none.
    auth = [r["headers"].get("authorization") for r in page.requests
            if r["url"].endswith("/v1/oauth/subscriptions/coupon")]
    assert auth[0] is None and all(value.startswith("Bearer ") for value in auth[1:])

    page.click("[data-coupon-remove]")
    expect(page.locator("[data-total]")).to_have_text("$5.40")
    assert "promotionCode" not in previews[-1]

    page.click("[data-use-another]")  # signs this browser out, back to the email step
    expect(page.locator("#email-step")).to_be_visible()
    assert page.evaluate("localStorage.getItem('fxa.account')") is None


def test_a_refused_three_d_secure_leaves_an_open_invoice_that_the_failure_page_pays(
        live_stack, browser_page, product):
    page = browser_page
    email = unique_email("e2e.subscribe-3ds-refused")
    pyfxa09_account(live_stack, email)
    open_page(page, f"{live_stack.url}/subscriptions/products/{product}")
    sign_in_inline(page, live_stack, email)
    page.fill("#card-name", "Jane Doe")
    fill_card(page, "4000002500003155")
    page.check("#consent")
    page.click("#payment-form button[type=submit]")
    page.get_by_role("button", name="Complete authentication").click()  # the card's setup
    page.get_by_role("button", name="Fail authentication").click()  # the first charge

    arrive(page, f"**/subscriptions/products/{product}/failed?**")
    invoice = parse_qs(urlsplit(page.url).query)["invoice"][0]
    assert invoice.startswith("in_")
    (sub,) = Subscription.objects.filter(customer__account__emails__email=email)
    assert sub.status == "incomplete"
    page.fill("#card-name", "Jane Doe")
    fill_card(page, "4242424242424242")
    page.click("#retry-form button[type=submit]")

    arrive(page, f"**/subscriptions/products/{product}/success?**")
    retries = [r for r in page.requests if r["url"].endswith("/v1/oauth/subscriptions/invoice/retry")]
    assert len(retries) == 1 and f'"invoiceId":"{invoice}"' in retries[0]["body"]
    sub.refresh_from_db()
    assert sub.status == "active"  # invoice/retry cached the paid invoice's subscription
    assert [error for error in page.console_errors
            if "responded with a status of 400" not in error] == []
