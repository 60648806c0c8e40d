"""Sign-up and sign-in confirmation over HTTP: the mail each step sends, and the codes in it.

Covers /account/create and /account/login mail (§1, §2 step 6), /session/verify_code and
/session/resend_code (§3), /recovery_email/resend_code and /recovery_email/verify_code (§8),
/session/reauth, and PyFxA's calls through its own HTTP stack.
"""
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.conf import settings
from django.test import Client, TestCase
from requests.structures import CaseInsensitiveDict

from accounts import otp
from accounts.models import Account, Email, SecurityEvent, VerificationMethod
from accounts.services import accounts as account_services
from accounts.services.context import RequestContext
from emails.models import OutboundEmail
from tests import factories
from tests.accounts.flow_helpers import (
    age_account,
    clear_mail,
    create,
    last,
    login,
    session_row,
    templates,
)
from tests.helpers import DEFAULT_PASSWORD, assert_error, ok, stretch

pytestmark = pytest.mark.django_db

OLDSYNC = "https://identity.mozilla.com/apps/oldsync"
OLD = settings.SIGNIN_CONFIRMATION_SKIP_NEW_ACCOUNTS + 3600




def verified_user(email="user@example.com", password=DEFAULT_PASSWORD):
    """A verified account old enough that sign-ins from new addresses need confirmation."""
    user = factories.account(email, password)
    age_account(user.uid, OLD)
    clear_mail()
    return user


def code_of(message, header):
    return message.extra_headers[header]


def query_of(message):
    link = urlsplit(message.extra_headers["X-Link"])
    return link.path, {name: values[0] for name, values in parse_qs(link.query).items()}


def account(uid):
    return Account.objects.get(uid=uid)


# Sign-up mail.


def test_signup_mails_the_verify_link_with_the_email_code(api):
    body = create(api, "new@example.com", service="sync", redirectTo="https://example.com/done",
                  resume="abc", style="trailhead")
    message = last("verify")
    assert templates() == ["verify"]
    assert message.to == ["new@example.com"]
    assert code_of(message, "X-Verify-Code") == account(body["uid"]).email_code
    assert message.extra_headers["X-Uid"] == body["uid"]
    path, query = query_of(message)
    assert path == "/verify_email"
    assert query["uid"] == body["uid"] and query["code"] == account(body["uid"]).email_code
    assert (query["service"], query["redirectTo"], query["resume"], query["style"]) == (
        "sync", "https://example.com/done", "abc", "trailhead"
    )


def test_signup_with_email_otp_mails_a_6_digit_code(api):
    body = create(api, "new@example.com", verificationMethod="email-otp")
    assert templates() == ["verifyShortCode"]
    code = code_of(last("verifyShortCode"), "X-Verify-Short-Code")
    assert code == otp.generate(account(body["uid"]).email_code)
    assert len(code) == 6 and code.isdigit()


def test_pre_verified_accounts_get_no_signup_mail():
    with TestCase.captureOnCommitCallbacks(execute=True):
        account_services.create_account(
            "pre@example.com", bytes.fromhex(stretch("pre@example.com")[0]), RequestContext(),
            pre_verified=True,
        )
    assert templates() == []
    assert not OutboundEmail.objects.exists()


def test_the_signup_mail_honours_accept_language(api):
    auth_pw, _ = stretch("fr@example.com")
    ok(api.post("/account/create", {"email": "fr@example.com", "authPW": auth_pw},
                headers={"Accept-Language": "fr-CH, fr;q=0.9"}))
    assert OutboundEmail.objects.get(template="verify").locale == "fr-CH, fr;q=0.9"


# /session/verify_code: sign-up with a code.


def test_signup_confirmed_with_the_emailed_code(api):
    body = create(api, "new@example.com", query="?keys=true", verificationMethod="email-otp")
    code = code_of(last("verifyShortCode"), "X-Verify-Short-Code")
    token = body["sessionToken"]
    assert ok(api.post("/session/verify_code", {"code": code}, token=token)) == {}
    status = ok(api.get("/session/status", token=token))
    assert status["state"] == "verified"
    assert status["details"]["sessionVerificationMethod"] == "email-2fa"
    assert ok(api.get("/recovery_email/status", token=token))["verified"] is True
    assert account(body["uid"]).email_verified
    assert Email.objects.get(account_id=body["uid"]).is_verified
    # The keyFetchToken issued at sign-up is confirmed with the session.
    ok(api.get("/account/keys", token=body["keyFetchToken"], token_type="keyFetchToken"))
    # Not for Sync: no post-verification mail; a new account: no sign-in notice.
    assert templates() == ["verifyShortCode"]


def test_a_wrong_code_is_183_and_confirms_nothing(api):
    body = create(api, "new@example.com", verificationMethod="email-otp")
    code = code_of(last("verifyShortCode"), "X-Verify-Short-Code")
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    body_error = assert_error(
        api.post("/session/verify_code", {"code": wrong}, token=body["sessionToken"]), 400, 183
    )
    assert body_error["message"] == "Invalid or expired confirmation code"
    assert not account(body["uid"]).email_verified
    assert not session_row(body["sessionToken"]).token_verified


def test_an_expired_code_is_183(api):
    body = create(api, "new@example.com", verificationMethod="email-otp")
    email_code = account(body["uid"]).email_code
    two_steps_ago = otp.generate(email_code, time.time() - 2 * otp.STEP)
    assert_error(
        api.post("/session/verify_code", {"code": two_steps_ago}, token=body["sessionToken"]),
        400, 183,
    )
    assert not account(body["uid"]).email_verified


def test_the_previous_steps_code_is_still_accepted(api):
    body = create(api, "new@example.com", verificationMethod="email-otp")
    email_code = account(body["uid"]).email_code
    one_step_ago = otp.generate(email_code, time.time() - otp.STEP)
    ok(api.post("/session/verify_code", {"code": one_step_ago}, token=body["sessionToken"]))
    assert account(body["uid"]).email_verified


def test_a_code_presented_again_after_success_is_a_no_op(api):
    body = create(api, "new@example.com", verificationMethod="email-otp", service="sync")
    code = code_of(last("verifyShortCode"), "X-Verify-Short-Code")
    ok(api.post("/session/verify_code", {"code": code, "service": "sync"}, token=body["sessionToken"]))
    assert templates() == ["verifyShortCode", "postVerify"]
    # Email OTP codes are time-based (upstream): still valid in their window, nothing happens.
    assert ok(api.post("/session/verify_code", {"code": code}, token=body["sessionToken"])) == {}
    assert templates() == ["verifyShortCode", "postVerify"]


@pytest.mark.parametrize("extra", [{"service": "sync"}, {"scopes": [OLDSYNC]},
                                   {"scopes": ["profile", OLDSYNC + ":write"]}])
def test_a_signup_confirmed_for_sync_gets_the_post_verify_mail(api, extra):
    body = create(api, "new@example.com", verificationMethod="email-otp")
    code = code_of(last("verifyShortCode"), "X-Verify-Short-Code")
    ok(api.post("/session/verify_code", {"code": code, **extra}, token=body["sessionToken"]))
    message = last("postVerify")
    assert message.to == ["new@example.com"]
    assert message.extra_headers["X-Service-Id"] == "sync"
    assert "/connect_another_device" in message.extra_headers["X-Link"]


def test_session_verify_code_validation(api):
    body = create(api, "new@example.com")
    token = body["sessionToken"]
    assert assert_error(api.post("/session/verify_code", {}, token=token), 400, 108)["param"] == "code"
    assert_error(api.post("/session/verify_code", {"code": "12ab56"}, token=token), 400, 107)
    assert_error(api.post("/session/verify_code", {"code": 123456}, token=token), 400, 107)
    assert_error(api.post("/session/verify_code", {"code": "123456"}), 401, 110)


def test_session_verify_code_with_a_hawk_signed_request(api):
    body = create(api, "new@example.com", verificationMethod="email-otp")
    code = code_of(last("verifyShortCode"), "X-Verify-Short-Code")
    response = api.post("/session/verify_code", {"code": code}, token=body["sessionToken"],
                        scheme="hawk")
    assert ok(response) == {}
    assert account(body["uid"]).email_verified


# /recovery_email/verify_code: the link codes.


def test_signup_link_confirms_account_and_session_and_mails_post_verify_for_sync(api):
    body = create(api, "new@example.com", query="?keys=true", service="sync")
    _, query = query_of(last("verify"))
    response = api.post("/recovery_email/verify_code",
                        {"uid": query["uid"], "code": query["code"], "service": query["service"]})
    assert ok(response) == {}
    assert account(body["uid"]).email_verified
    assert session_row(body["sessionToken"]).token_verified
    assert templates() == ["verify", "postVerify"]
    # A stale sign-up link is accepted silently, and sends nothing more.
    ok(api.post("/recovery_email/verify_code", {"uid": query["uid"], "code": query["code"]}))
    assert templates() == ["verify", "postVerify"]


def test_signup_link_without_service_sends_no_post_verify(api):
    create(api, "new@example.com")
    _, query = query_of(last("verify"))
    ok(api.post("/recovery_email/verify_code", {"uid": query["uid"], "code": query["code"]}))
    assert templates() == ["verify"]


def test_recovery_email_status_is_verified_for_a_session_that_need_not_be_confirmed(elsewhere, api):
    user = verified_user()
    body = ok(login(elsewhere, user.email))  # no keys: unconfirmed but need not be
    status = ok(api.get("/recovery_email/status", token=body["sessionToken"]))
    assert status == {"email": user.email, "verified": True, "sessionVerified": False,
                      "emailVerified": True}
    keyed = ok(login(elsewhere, user.email, query="?keys=true"))
    status = ok(api.get("/recovery_email/status", token=keyed["sessionToken"]))
    assert (status["verified"], status["sessionVerified"]) == (False, False)


# Sign-in mail (§2 step 6).


def test_signin_needing_confirmation_mails_the_complete_signin_link(elsewhere, api):
    user = verified_user()
    body = ok(login(elsewhere, user.email, query="?keys=true", service="sync",
                    redirectTo="https://example.com/r", resume="xyz"))
    assert (body["verified"], body["verificationMethod"], body["verificationReason"]) == (
        False, "email", "login"
    )
    message = last("verifyLogin")
    assert templates() == ["verifyLogin"]
    assert message.to == [user.email]
    tvid = session_row(body["sessionToken"]).token_verification_id
    assert code_of(message, "X-Signin-Verify-Code") == tvid
    path, query = query_of(message)
    assert path == "/complete_signin"
    assert (query["uid"], query["code"], query["service"], query["redirectTo"], query["resume"]) == (
        user.uid, tvid, "sync", "https://example.com/r", "xyz"
    )
    ok(api.post("/recovery_email/verify_code", {"uid": user.uid, "code": tvid}))
    assert session_row(body["sessionToken"]).token_verified
    ok(api.get("/account/keys", token=body["keyFetchToken"], token_type="keyFetchToken"))
    [event] = SecurityEvent.objects.filter(account_id=user.uid, name="account.login")
    assert event.verified is True
    # A sign-in link works once.
    assert_error(api.post("/recovery_email/verify_code", {"uid": user.uid, "code": tvid}), 400, 105)


def test_signin_confirmation_mail_goes_to_verified_secondary_addresses_too(elsewhere):
    user = verified_user()
    Email.objects.create(account=user.account, email="second@example.com",
                         normalized_email="second@example.com", email_code="ab" * 16,
                         is_verified=True)
    Email.objects.create(account=user.account, email="pending@example.com",
                         normalized_email="pending@example.com", email_code="cd" * 16)
    ok(login(elsewhere, user.email, query="?keys=true"))
    assert last("verifyLogin").to == [user.email]
    assert last("verifyLogin").cc == ["second@example.com"]


@pytest.mark.parametrize("method", ["email-otp", "email-2fa"])
def test_signin_with_a_code_method_mails_the_code_and_is_confirmed_with_it(elsewhere, api, method):
    user = verified_user()
    body = ok(login(elsewhere, user.email, query="?keys=true", verificationMethod=method))
    assert (body["verified"], body["verificationMethod"]) == (False, method)
    assert templates() == ["verifyLoginCode"]
    code = code_of(last("verifyLoginCode"), "X-Signin-Verify-Code")
    assert code == otp.generate(user.account.email_code)
    ok(elsewhere.post("/session/verify_code", {"code": code}, token=body["sessionToken"]))
    session = session_row(body["sessionToken"])
    assert session.token_verified
    assert session.verification_method == VerificationMethod.EMAIL_2FA
    ok(api.get("/account/keys", token=body["keyFetchToken"], token_type="keyFetchToken"))
    assert SecurityEvent.objects.get(account_id=user.uid, name="account.login").verified
    # The confirmed sign-in of a verified account is announced.
    notice = last("newDeviceLogin")
    assert notice.to == [user.email]
    assert templates() == ["verifyLoginCode", "newDeviceLogin"]


def test_signin_code_for_another_account_is_183(elsewhere):
    user = verified_user("one@example.com")
    other = factories.account("two@example.com")
    body = ok(login(elsewhere, user.email, query="?keys=true", verificationMethod="email-otp"))
    their_code = otp.generate(other.account.email_code)
    assert_error(elsewhere.post("/session/verify_code", {"code": their_code},
                                token=body["sessionToken"]), 400, 183)
    assert not session_row(body["sessionToken"]).token_verified


def test_unblock_method_sends_no_confirmation_mail(elsewhere):
    user = verified_user()
    body = ok(login(elsewhere, user.email, query="?keys=true", verificationMethod="email-captcha"))
    assert (body["verified"], body["verificationMethod"]) == (False, "email-captcha")
    assert templates() == []


def test_a_confirmed_signin_is_announced(api):
    user = factories.account()  # a new account: its sign-ins are born confirmed
    clear_mail()
    body = ok(login(api, user.email, query="?keys=true", headers={"User-Agent": "Firefox/140.0"}))
    assert body["verified"] is True
    notice = last("newDeviceLogin")
    assert templates() == ["newDeviceLogin"]
    assert notice.to == [user.email]
    context = OutboundEmail.objects.get(template="newDeviceLogin").context
    assert context["userAgent"] == "Firefox/140.0" and context["ipAddress"] == "127.0.0.1"


def test_a_signin_that_need_not_be_confirmed_is_announced(elsewhere):
    user = verified_user()
    body = ok(login(elsewhere, user.email))  # no keys
    assert body["verified"] is True
    assert templates() == ["newDeviceLogin"]


def test_signin_to_an_unverified_account_resends_the_signup_link(api, elsewhere):
    user = factories.account(verified=False)
    clear_mail()
    # A new account's sign-in is born confirmed: the link carries the emailCode.
    ok(login(api, user.email))
    assert code_of(last("verify"), "X-Verify-Code") == user.account.email_code
    # Past the new-account exemption the session waits on its own code, which the link carries.
    age_account(user.uid, OLD)
    clear_mail()
    body = ok(login(elsewhere, user.email, query="?keys=true"))
    assert (body["verified"], body["verificationReason"]) == (False, "signup")
    tvid = session_row(body["sessionToken"]).token_verification_id
    assert templates() == ["verify"]
    assert code_of(last("verify"), "X-Verify-Code") == tvid
    ok(api.post("/recovery_email/verify_code", {"uid": user.uid, "code": tvid}))
    assert account(user.uid).email_verified
    assert session_row(body["sessionToken"]).token_verified


def test_signin_to_an_unverified_account_with_email_otp_resends_the_short_code(api):
    user = factories.account(verified=False)
    clear_mail()
    body = ok(login(api, user.email, verificationMethod="email-otp"))
    assert (body["verificationMethod"], body["verificationReason"]) == ("email-otp", "signup")
    assert templates() == ["verifyShortCode"]
    code = code_of(last("verifyShortCode"), "X-Verify-Short-Code")
    ok(api.post("/session/verify_code", {"code": code}, token=body["sessionToken"]))
    assert account(user.uid).email_verified


def test_reauth_mails_as_login_does_but_sends_no_new_sign_in_notice(api, elsewhere):
    user = verified_user()
    body = ok(login(elsewhere, user.email))  # unconfirmed, need not be confirmed
    clear_mail()
    auth_pw, _ = stretch(user.email, user.password)
    reauth = ok(elsewhere.post("/session/reauth?keys=true", {"email": user.email, "authPW": auth_pw},
                               token=body["sessionToken"]))
    assert reauth["verified"] is False and reauth["verificationReason"] == "login"
    assert templates() == ["verifyLogin"]
    tvid = session_row(body["sessionToken"]).token_verification_id
    assert code_of(last("verifyLogin"), "X-Signin-Verify-Code") == tvid
    clear_mail()
    reauth = ok(api.post("/session/reauth", {"email": user.email, "authPW": auth_pw},
                         token=user.session_token))
    assert reauth["verified"] is True
    # The session is not new: upstream's reauth sends no newDeviceLogin notice.
    assert templates() == []


# /session/resend_code.


def test_session_resend_code_for_a_signin(elsewhere):
    user = verified_user()
    body = ok(login(elsewhere, user.email, query="?keys=true", verificationMethod="email-otp"))
    first = code_of(last("verifyLoginCode"), "X-Signin-Verify-Code")
    assert ok(elsewhere.post("/session/resend_code", token=body["sessionToken"])) == {}
    assert templates() == ["verifyLoginCode", "verifyLoginCode"]
    # Within one step the same code comes again.
    assert code_of(last("verifyLoginCode"), "X-Signin-Verify-Code") in {
        first, otp.generate(user.account.email_code)
    }


def test_session_resend_code_for_a_signup(api):
    body = create(api, "new@example.com", verificationMethod="email-otp")
    response = api.post("/session/resend_code", raw_body=b"", token=body["sessionToken"],
                        headers={"Content-Length": "0"})
    assert ok(response) == {}
    assert templates() == ["verifyShortCode", "verifyShortCode"]
    code = code_of(last("verifyShortCode"), "X-Verify-Short-Code")
    ok(api.post("/session/verify_code", {"code": code}, token=body["sessionToken"]))


def test_session_resend_code_needs_a_session(api):
    assert_error(api.post("/session/resend_code"), 401, 110)


# /recovery_email/resend_code.


def test_resend_for_a_verified_session_sends_nothing(api):
    user = factories.account()
    clear_mail()
    assert ok(api.post("/recovery_email/resend_code", {}, token=user.session_token)) == {}
    assert templates() == []


def test_resend_for_an_unverified_account_sends_the_signup_link(api):
    body = create(api, "new@example.com")
    clear_mail()
    ok(api.post("/recovery_email/resend_code?service=sync",
                {"redirectTo": "https://example.com/x", "style": "trailhead"},
                token=body["sessionToken"]))
    message = last("verify")
    assert templates() == ["verify"]
    assert code_of(message, "X-Verify-Code") == account(body["uid"]).email_code
    _, query = query_of(message)
    assert (query["service"], query["redirectTo"], query["style"]) == (
        "sync", "https://example.com/x", "trailhead"
    )
    ok(api.post("/recovery_email/verify_code", {"uid": body["uid"], "code": query["code"]}))
    assert session_row(body["sessionToken"]).token_verified


def test_resend_for_an_unconfirmed_signin_sends_the_signin_link(elsewhere):
    user = verified_user()
    body = ok(login(elsewhere, user.email, query="?keys=true"))
    clear_mail()
    ok(elsewhere.post("/recovery_email/resend_code", {"service": "sync"}, token=body["sessionToken"]))
    message = last("verifyLogin")
    assert templates() == ["verifyLogin"]
    assert code_of(message, "X-Signin-Verify-Code") == session_row(
        body["sessionToken"]
    ).token_verification_id
    assert query_of(message)[1]["service"] == "sync"


@pytest.mark.parametrize("where", ["body", "query"])
def test_resend_upgrade_session_sends_verify_primary(elsewhere, where):
    user = verified_user()
    body = ok(login(elsewhere, user.email, query="?keys=true"))
    clear_mail()
    path = "/recovery_email/resend_code" + ("?type=upgradeSession" if where == "query" else "")
    payload = {"type": "upgradeSession"} if where == "body" else {}
    ok(elsewhere.post(path, payload, token=body["sessionToken"]))
    message = last("verifyPrimary")
    assert templates() == ["verifyPrimary"]
    link_path, query = query_of(message)
    assert link_path == "/verify_primary_email"
    assert query["primary_email_verified"] == user.email
    assert query["code"] == session_row(body["sessionToken"]).token_verification_id


def test_resend_for_an_address_of_another_account_is_150(api):
    user = factories.account()
    factories.account("other@example.com")
    response = api.post("/recovery_email/resend_code", {"email": "other@example.com"},
                        token=user.session_token)
    assert_error(response, 400, 150)


def test_resend_for_an_unverified_secondary_sends_its_code(api):
    user = factories.account()
    Email.objects.create(account=user.account, email="second@example.com",
                         normalized_email="second@example.com", email_code="ab" * 16)
    clear_mail()
    ok(api.post("/recovery_email/resend_code", {"email": "Second@example.com"},
                token=user.session_token))
    message = last("verifySecondaryCode")
    assert message.to == ["second@example.com"]
    assert code_of(message, "X-Verify-Code") == otp.generate("ab" * 16)


def test_resend_validation(api):
    user = factories.account()
    assert_error(api.post("/recovery_email/resend_code", {"type": "up-grade"},
                          token=user.session_token), 400, 107)
    assert_error(api.post("/recovery_email/resend_code", {"style": "other"},
                          token=user.session_token), 400, 107)
    assert_error(api.post("/recovery_email/resend_code", {}), 401, 110)


# PyFxA, through its own HTTP stack (requests) into this process.


class DjangoAdapter(requests.adapters.BaseAdapter):
    """A requests transport that hands each request to Django's test client."""

    def __init__(self):
        super().__init__()
        self.client = Client()

    def send(self, request, **kwargs):
        url = urlsplit(request.url)
        body = request.body or b""
        headers = {name: value for name, value in request.headers.items()
                   if name.lower() not in {"content-length", "content-type", "host"}}
        with TestCase.captureOnCommitCallbacks(execute=True):
            answer = self.client.generic(
                request.method, url.path + (f"?{url.query}" if url.query else ""),
                data=body.encode() if isinstance(body, str) else body,
                content_type=request.headers.get("Content-Type", "application/json"),
                headers=headers, SERVER_NAME=url.hostname, SERVER_PORT=str(url.port or 80),
            )
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.content
        response.headers = CaseInsensitiveDict(answer.items())
        response.url, response.request, response.encoding = request.url, request, "utf-8"
        return response

    def close(self):
        pass


@pytest.fixture
def pyfxa():
    from fxa.core import Client as FxAClient

    client = FxAClient(settings.PUBLIC_URL + "/v1")
    client.apiclient._session.mount(client.apiclient.server_url, DjangoAdapter())
    return client


def test_pyfxa_signup_and_signin_confirmed_from_the_mail(pyfxa):
    session = pyfxa.create_account("py@example.com", "pyfxa password", keys=True)
    assert pyfxa.verify_email_code(session.uid, code_of(last("verify"), "X-Verify-Code")) == {}
    assert session.get_email_status()["verified"] is True
    assert session.fetch_keys()
    age_account(session.uid, OLD)
    clear_mail()
    signin = pyfxa.login("py@example.com", "pyfxa password", keys=True)
    assert signin.verified is False
    signin.verify_email_code(code_of(last("verifyLogin"), "X-Signin-Verify-Code"))
    assert signin.get_email_status()["sessionVerified"] is True
    assert signin.fetch_keys()


def test_pyfxa_session_verify_code(pyfxa):
    user = verified_user("py@example.com", "pyfxa password")
    signin = pyfxa.login(user.email, "pyfxa password", keys=True, verification_method="email-otp")
    assert signin.verified is False and signin.verificationMethod == "email-otp"
    code = code_of(last("verifyLoginCode"), "X-Signin-Verify-Code")
    assert signin.apiclient.post("/session/verify_code", {"code": code}, auth=signin._auth) == {}
    assert signin.get_email_status()["sessionVerified"] is True
    signin.resend_email_code()  # verified: nothing to send
    assert templates() == ["verifyLoginCode", "newDeviceLogin"]
