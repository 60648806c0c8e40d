"""The subscription pages in Debian's Chromium against the live stack (gunicorn + Celery + SMTP
sink) and a real localstripe, whose fake Stripe.js the pages load (STRIPE_JS_URL): sign up on a
product's page, pay with the fake card element, land on the success page, find the
subscription under /settings → /subscriptions, and cancel it at the end of its period.

Screenshots of every page (1280 and 375 px) land in artifacts/screenshots/.
"""
import subprocess
import sys
from importlib import import_module

import pytest
import requests
from django.apps import apps
from django.core.cache import cache
from playwright.sync_api import expect

from subscriptions import services
from subscriptions.models import Subscription
from tests.e2e.browser import assert_password_not_sent, screenshot
from tests.e2e.test_pages_signup_signin import PASSWORD, arrive, open_page, pyfxa09_account, unique_email
from tests.helpers import free_port
from tests.subscriptions.conftest import API_KEY, ROOT, _wait_for, make_product

# One localstripe for this module, on a port chosen now: the live stack's settings name it.
LOCALSTRIPE_PORT = free_port()
LOCALSTRIPE = f"http://127.0.0.1:{LOCALSTRIPE_PORT}"
STRIPE_ENV = {
    "STRIPE_API_KEY": API_KEY,
    "STRIPE_API_BASE": LOCALSTRIPE,
    "STRIPE_JS_URL": f"{LOCALSTRIPE}/js.stripe.com/v3/",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_localstripe",
    "STRIPE_MAX_NETWORK_RETRIES": "0",
}
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True),
              pytest.mark.live_stack(extra_env=STRIPE_ENV)]


@pytest.fixture(scope="module")
def localstripe():
    process = subprocess.Popen([sys.executable, "-m", "tests.localstripe_server", str(LOCALSTRIPE_PORT)],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(LOCALSTRIPE_PORT, process)
        yield LOCALSTRIPE
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def product(localstripe, settings, static_server):
    """A product with a monthly plan, in localstripe and in the shared catalogue; its icon comes
    from another origin (the pages' CSP allows the product's icon)."""
    import stripe

    settings.STRIPE_API_KEY = API_KEY
    settings.STRIPE_API_BASE = localstripe
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    requests.delete(f"{localstripe}/_config/data", timeout=5).raise_for_status()
    api = stripe.StripeClient(API_KEY, base_addresses={"api": localstripe},
                              stripe_version="2024-11-20.acacia").v1
    make_product(api, "Cloud Storage", "storage", 1, capabilities={"capabilities": "storage"},
                 plans=(("usd", 500),), **{"webIconURL": f"{static_server}/static/img/logo.svg",
                    "product:subtitle": "100 GB for your files",
                                            "product:details:1": "Files on every device",
                                            "product:details:2": "End-to-end encrypted"})
    # The pages' OAuth client, as migration 0002 made it (the flush after a transactional test
    # empties every table, migrated rows included).
    import_module("subscriptions.migrations.0002_payments_client").add_client(apps, None)
    cache.delete(services.catalogue_fresh_key())
    services.refresh_catalogue()  # the live server reads the same rows and cache flag
    plan = services.offered_plans()[0]
    return plan.product_id


def test_subscribe_on_the_product_page_then_cancel_in_settings(live_stack, browser_page, product):
    page = browser_page
    email = unique_email("e2e.subscribe")
    open_page(page, f"{live_stack.url}/subscriptions/products/{product}")
    expect(page.locator("h1")).to_have_text("Subscribe to Cloud Storage")
    expect(page.locator("[data-price]")).to_have_text("$5.00 monthly")
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

    open_page(page, f"{live_stack.url}/settings")
    page.click("#subscriptions a[href='/subscriptions']")
    arrive(page, "**/subscriptions")
    item = page.locator("[data-subscription]")
    expect(item.locator("[data-product-name]")).to_have_text("Cloud Storage")
    expect(item.locator("[data-state]")).to_contain_text("Active: renews on")
    expect(page.locator("[data-card-summary]")).to_contain_text("4242")
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
