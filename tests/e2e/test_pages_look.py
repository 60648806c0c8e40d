"""Pages a person sees without going through a flow: the mail-link landings, a page in German and
a page with JavaScript off. Screenshots at both widths are kept in artifacts/screenshots/."""
import pytest

from tests.e2e.browser import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PRIMARY_BLUE = "rgb(0, 96, 223)"
# Fixed values: every xdist worker must collect the same parameters. Opening a link changes nothing.
UID, CODE = "ab" * 16, "cd" * 16


def link(path, **query):
    from urllib.parse import urlencode

    return f"{path}?{urlencode(query)}"


@pytest.mark.parametrize("name, path, heading", [
    ("verify_email", link("/verify_email", uid=UID, code=CODE),
     "Confirm your email address"),
    ("complete_signin", link("/complete_signin", uid=UID, code=CODE),
     "Confirm your sign-in"),
    ("report_signin", link("/report_signin", uid=UID, unblockCode="ABCD1234"),
     "Report a sign-in attempt"),
    ("verify_email-broken", "/verify_email?uid=zz", "Email address not confirmed"),
])
def test_mail_link_pages_are_styled(browser_page, live_stack, name, path, heading):
    response = browser_page.goto(live_stack.url + path)
    assert response.status in (200, 400)
    assert browser_page.locator("h1").inner_text() == heading
    # The stylesheet is served (whitenoise, under gunicorn) and applied.
    button = browser_page.locator("button[type=submit], a.button").first
    if button.count():
        assert button.evaluate("el => getComputedStyle(el).backgroundColor") in (PRIMARY_BLUE, "rgb(197, 0, 66)")
    assert browser_page.locator(".state-mark").is_visible()
    screenshot(browser_page, f"mail_link_{name}")


def test_a_page_in_german(browser_page, live_stack):
    browser_page.goto(live_stack.url + "/?lang=de")
    browser_page.wait_for_selector("body[data-ready]")
    assert browser_page.locator("html").get_attribute("lang") == "de"
    assert browser_page.locator("h1").first.inner_text() == "Geben Sie Ihre E-Mail-Adresse ein"
    browser_page.click("button[type=submit]")
    # A message from the script catalog, in German too.
    assert "E-Mail" in browser_page.locator("#email-error").inner_text()
    screenshot(browser_page, "index_de")


def test_without_javascript_the_page_says_so_and_offers_no_form(chromium, live_stack):
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(live_stack.url + "/signin?email=someone%40example.com")
    assert "JavaScript is required" in page.locator("noscript, .notice-error").first.inner_text()
    assert not page.locator("#password").is_visible()
    screenshot(page, "signin_without_javascript")
    context.close()
