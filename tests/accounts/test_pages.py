"""The pages the confirmation mails link to: /verify_email and /complete_signin.

Opening a link (GET) must confirm nothing — mail scanners fetch every link — and the "Confirm"
form's POST confirms through the same service as /v1/recovery_email/verify_code.
"""
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client, TestCase

from accounts.models import Account, UnblockCode
from tests import factories
from tests.accounts.flow_helpers import (
    OTHER_IP,
    age_account,
    clear_mail,
    create,
    last,
    login,
    session_row,
    templates,
)
from tests.helpers import MailingApiClient, assert_error, ok

pytestmark = pytest.mark.django_db



@pytest.fixture
def browser():
    return Client()


def mail_link(template):
    """The path and query of the mail's primary link (X-Link), as a browser would open it."""
    url = last(template).extra_headers["X-Link"]
    assert url.startswith(settings.PUBLIC_URL + "/")
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def form_fields(response):
    """The hidden fields of the page's confirmation form."""
    html = response.content.decode()
    fields = {}
    for chunk in html.split('<input type="hidden" name="')[1:]:
        name, rest = chunk.split('"', 1)
        fields[name] = rest.split('value="', 1)[1].split('"', 1)[0]
    return fields


def confirm(browser, response, path):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return browser.post(path, form_fields(response))


def test_opening_the_signup_link_confirms_nothing(api, browser):
    body = create(api, "new@example.com", service="sync")
    link = mail_link("verify")
    assert link.startswith("/verify_email?")
    response = browser.get(link)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<form id="confirm-form" method="post" action="/verify_email">' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert form_fields(response)["uid"] == body["uid"]
    assert form_fields(response)["service"] == "sync"
    assert not Account.objects.get(uid=body["uid"]).email_verified
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    # HEAD (a link checker) confirms nothing either.
    assert browser.head(link).status_code == 200
    assert not Account.objects.get(uid=body["uid"]).email_verified


def test_confirming_the_signup_link(api, browser):
    body = create(api, "new@example.com", service="sync")
    page = browser.get(mail_link("verify"))
    response = confirm(browser, page, "/verify_email")
    assert response.status_code == 200
    assert "Email address confirmed" in response.content.decode()
    assert Account.objects.get(uid=body["uid"]).email_verified
    assert session_row(body["sessionToken"]).token_verified
    assert templates() == ["verify", "postVerify"]
    # The same link again: already confirmed, fine.
    assert confirm(browser, page, "/verify_email").status_code == 200


def test_confirming_the_signin_link_once(api, browser):
    user = factories.account()
    age_account(user.uid, 10 * 24 * 3600)
    clear_mail()
    body = ok(login(MailingApiClient(OTHER_IP), user.email, query="?keys=true"))
    link = mail_link("verifyLogin")
    assert link.startswith("/complete_signin?")
    page = browser.get(link)
    assert page.status_code == 200
    assert "Confirm sign-in" in page.content.decode()
    assert not session_row(body["sessionToken"]).token_verified
    response = confirm(browser, page, "/complete_signin")
    assert response.status_code == 200
    assert "Sign-in confirmed" in response.content.decode()
    assert session_row(body["sessionToken"]).token_verified
    again = confirm(browser, page, "/complete_signin")
    assert again.status_code == 400
    assert "not valid" in again.content.decode()


def test_a_wrong_code_shows_an_error(api, browser):
    body = create(api, "new@example.com")
    response = browser.post("/verify_email", {"uid": body["uid"], "code": "ab" * 16})
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert not Account.objects.get(uid=body["uid"]).email_verified


def test_a_link_for_a_deleted_account_shows_an_error(browser):
    response = browser.post("/complete_signin", {"uid": "cd" * 16, "code": "ab" * 16})
    assert response.status_code == 400
    assert "no longer exists" in response.content.decode()


@pytest.mark.parametrize("query", ["", "?uid=abc&code=def", "?uid=" + "ab" * 16,
                                   "?uid=" + "ab" * 16 + "&code=" + "zz" * 16])
def test_a_broken_link_says_so(browser, query):
    response = browser.get("/verify_email" + query)
    assert response.status_code == 400
    assert "incomplete or damaged" in response.content.decode()


def test_the_confirmation_needs_the_csrf_token(api):
    body = create(api, "new@example.com")
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(mail_link("verify"))
    fields = form_fields(page)
    assert fields["csrfmiddlewaretoken"]
    without_token = {name: value for name, value in fields.items() if name != "csrfmiddlewaretoken"}
    assert browser.post("/verify_email", without_token).status_code == 403
    # A page of another site cannot post it either: it has no token for this browser's cookie.
    assert Client(enforce_csrf_checks=True).post("/verify_email", fields).status_code == 403
    assert not Account.objects.get(uid=body["uid"]).email_verified
    response = browser.post("/verify_email", fields)
    assert response.status_code == 200
    assert Account.objects.get(uid=body["uid"]).email_verified


def test_confirming_the_verify_primary_link(browser):
    user = factories.account()
    age_account(user.uid, 10 * 24 * 3600)
    elsewhere = MailingApiClient(OTHER_IP)
    body = ok(login(elsewhere, user.email, query="?keys=true"))
    ok(elsewhere.post("/recovery_email/resend_code", {"type": "upgradeSession"},
                      token=body["sessionToken"]))
    link = mail_link("verifyPrimary")
    assert link.startswith("/verify_primary_email?")
    page = browser.get(link)
    assert page.status_code == 200
    assert not session_row(body["sessionToken"]).token_verified
    assert confirm(browser, page, "/verify_primary_email").status_code == 200
    assert session_row(body["sessionToken"]).token_verified


def test_reporting_an_unblock_code_deletes_it(api, browser):
    user = factories.account()
    clear_mail()
    ok(api.post("/account/login/send_unblock_code", {"email": user.email}))
    message = last("unblockCode")
    url = urlsplit(message.extra_headers["X-Report-SignIn-Link"])
    assert url.path == "/report_signin"
    page = browser.get(f"{url.path}?{url.query}")
    assert page.status_code == 200
    assert UnblockCode.objects.filter(account_id=user.uid).exists()
    response = confirm(browser, page, "/report_signin")
    assert response.status_code == 200
    assert not UnblockCode.objects.filter(account_id=user.uid).exists()
    code = message.extra_headers["X-Unblock-Code"]
    assert_error(login(api, user.email, unblockCode=code), 400, 127)
    again = confirm(browser, page, "/report_signin")
    assert again.status_code == 400
    assert "can no longer be used" in again.content.decode()


def test_a_broken_report_link_says_so(browser):
    response = browser.get("/report_signin?uid=" + "ab" * 16 + "&unblockCode=short")
    assert response.status_code == 400
