"""The page session and the states around every flow: a session destroyed by another client ends
the page's, a metrics flow from /metrics-flow is carried into sign-up and sign-in as
metricsContext, and throttling and an unavailable server are said in words."""
import json
import re
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.browser import assert_password_not_sent, screenshot
from tests.e2e.test_pages_signup_signin import (
    PASSWORD, TIGHT_CUSTOMS, api, arrive, block_signin, expect_settings, open_page, pyfxa09_account,
    start_signin, submit_password, unique_email,
)
from tests.live import start_live_stack

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def bodies(page, path):
    return [json.loads(r["body"]) for r in page.requests
            if r["method"] == "POST" and urlsplit(r["url"]).path == path]


def sign_in(page, stack, email):
    start_signin(page, stack, email)
    submit_password(page)
    expect_settings(page, email)


def held_session(page):
    return page.evaluate("() => JSON.parse(localStorage.getItem('fxa.account'))")


def test_a_session_destroyed_elsewhere_ends_the_page_session(live_stack, browser_page):
    email = unique_email("e2e.session")
    pyfxa09_account(live_stack, email)
    sign_in(browser_page, live_stack, email)
    token = held_session(browser_page)["sessionToken"]
    # Another client (here: the API directly) destroys this session.
    api(live_stack, "/session/destroy", {}, token=token)
    browser_page.goto(live_stack.url + "/settings")
    arrive(browser_page, re.compile(r"/\?redirect_to=%2Fsettings$"))
    assert held_session(browser_page) is None
    expect(browser_page.locator("#email-form")).to_be_visible()
    # Signing in again returns to settings.
    browser_page.fill("#email", email)
    browser_page.click("#email-form [type=submit]")
    arrive(browser_page, "**/signin?*")
    submit_password(browser_page)
    expect_settings(browser_page, email)
    assert_password_not_sent(browser_page.requests, PASSWORD)


def test_sign_out_in_another_tab_signs_this_one_out(live_stack, browser_page):
    email = unique_email("e2e.tabs")
    pyfxa09_account(live_stack, email)
    sign_in(browser_page, live_stack, email)
    other = browser_page.context.new_page()
    other.goto(live_stack.url + "/settings")
    expect(other.locator("[data-signed-in]")).to_be_visible()
    other.click("#signout-form [type=submit]")
    other.wait_for_url(live_stack.url + "/")
    # The first tab hears of it through the storage event and leaves settings.
    arrive(browser_page, re.compile(r"/\?redirect_to=%2Fsettings$"))
    token = held_session(browser_page)
    assert token is None


def test_a_metrics_flow_is_carried_into_sign_up_and_sign_in(live_stack, browser_page):
    flow = requests.get(live_stack.url + "/metrics-flow", params={"entrypoint": "rp-form", "form_type": "email"},
                        timeout=30).json()
    query = urlencode({"flow_id": flow["flowId"], "flow_begin_time": flow["flowBeginTime"],
                       "device_id": flow["deviceId"]})
    email = unique_email("e2e.flow")
    open_page(browser_page, f"{live_stack.url}/?{query}")
    browser_page.fill("#email", email)
    browser_page.click("#email-form [type=submit]")
    arrive(browser_page, "**/signup?*")
    browser_page.fill("#new-password", PASSWORD)
    browser_page.fill("#confirm-password", PASSWORD)
    browser_page.fill("#age", "30")
    browser_page.click("#signup-form [type=submit]")
    arrive(browser_page, "**/confirm_signup_code?*")
    expected = {"flowId": flow["flowId"], "flowBeginTime": flow["flowBeginTime"], "deviceId": flow["deviceId"]}
    [created] = bodies(browser_page, "/v1/account/create")
    assert created["metricsContext"] == expected
    # The flow stays in the query across the steps, so a sign-in carries it too.
    browser_page.evaluate("() => localStorage.clear()")
    start_page = f"{live_stack.url}/signin?{query}&{urlencode({'email': email})}"
    open_page(browser_page, start_page)
    submit_password(browser_page)
    arrive(browser_page, "**/confirm_signup_code?*")
    assert bodies(browser_page, "/v1/account/login")[-1]["metricsContext"] == expected
    assert_password_not_sent(browser_page.requests, PASSWORD)


@pytest.mark.live_stack(extra_env=TIGHT_CUSTOMS)
def test_throttling_is_said_with_the_time_to_wait(live_stack, browser_page):
    """A real block that no code can lift (its unblock codes are used up: customs answers 429
    without verificationMethod): the sign-in says when to try again, in the page's language."""
    email = unique_email("e2e.throttled")
    pyfxa09_account(live_stack, email)
    refused = block_signin(live_stack, email, spend_unblocks=5)
    assert "verificationMethod" not in refused and refused["retryAfterLocalized"] == "in 15 minutes"

    start_signin(browser_page, live_stack, email)
    submit_password(browser_page)
    expect(browser_page.locator("#signin-form [data-form-error]")).to_have_text(
        "You have tried too many times. Try again in 15 minutes.")
    expect(browser_page.locator("#unblock-step")).to_be_hidden()
    screenshot(browser_page, "signin_throttled")
    assert live_stack.smtp.count(email, "X-Unblock-Code") == 0
    # In German, the server's words for the wait included.
    open_page(browser_page, f"{live_stack.url}/signin?{urlencode({'email': email, 'lang': 'de'})}")
    submit_password(browser_page)
    expect(browser_page.locator("#signin-form [data-form-error]")).to_have_text(
        "Sie haben es zu oft versucht. Versuchen Sie es in 15 Minuten erneut.")
    screenshot(browser_page, "signin_throttled_de")
    assert_password_not_sent(browser_page.requests, PASSWORD)


def test_a_blocked_request_is_said_in_words(live_stack, browser_page):
    """400 errno 125 (an address or IP customs refuses outright). Played by the test: no
    blocklist is configured on the live stack."""
    email = unique_email("e2e.request-blocked")
    pyfxa09_account(live_stack, email)

    def blocked(route):
        route.fulfill(status=400, content_type="application/json",
                      body=json.dumps({"code": 400, "errno": 125, "error": "Request blocked",
                                       "message": "The request was blocked for security reasons"}))

    browser_page.route("**/v1/account/login*", blocked)
    start_signin(browser_page, live_stack, email)
    submit_password(browser_page)
    expect(browser_page.locator("#signin-form [data-form-error]")).to_have_text(
        "This request was blocked for your security. Try again later.")
    screenshot(browser_page, "signin_request_blocked")


def test_an_unavailable_server_is_said_with_the_time_to_wait(browser_page):
    stack = start_live_stack({"BACKOFF_RETRY_AFTER": "120"})
    try:
        open_page(browser_page, stack.url + "/")
        browser_page.fill("#email", unique_email("e2e.backoff"))
        browser_page.click("#email-form [type=submit]")
        expect(browser_page.locator("#email-form [data-form-error]")).to_have_text(
            "The server is busy or down for maintenance. Try again in 2 minutes.")
    finally:
        stack.stop()
