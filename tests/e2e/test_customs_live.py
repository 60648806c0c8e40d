"""Customs against a live stack (gunicorn + a Celery worker + the SMTP sink, on Redis), tried as an
attacker would try it, under the project's DEFAULT rules (accounts/customs/default_rules.txt).

Loopback is one address, so the stack trusts one proxy (TRUSTED_PROXY_COUNT=1) and each request
says which client it is with ``X-Forwarded-For``: several attackers and the account's owner from
one test. The limits the tests expect are read from the default rules file (and their figures
asserted, so that a change of the rules shows here). Mail is counted where the worker delivers
it: the stack's SMTP sink, waited on, never slept for.
"""
import uuid
from pathlib import Path

import pytest
import requests
from django.conf import settings

from accounts.customs.rules import parse_rules
from accounts.models import SessionToken, now_ms
from emails.models import OutboundEmail
from tests import factories
from tests.helpers import stretch, token_credentials, token_key

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.live_stack(extra_env={"TRUSTED_PROXY_COUNT": "1"}),
]

PASSWORD = "customs live pässword"
WRONG_PASSWORD = "not the password"
ATTEMPTS = 60
DAY_MS = 24 * 3600 * 1000

DEFAULT_RULES = parse_rules(
    (Path(settings.BASE_DIR) / "accounts" / "customs" / "default_rules.txt").read_text()
)


def rule(action, block_on):
    """The default rule of ``action`` counted on ``block_on`` (only one of each here)."""
    [found] = [r for r in DEFAULT_RULES[action] if r.block_on == block_on and r.policy != "report"]
    return found


def unique_email(prefix):
    return f"e2e.customs-{prefix}-{uuid.uuid4().hex[:12]}@example.com"


def post(stack, path, body, ip, *, query=None, token=None, language=None):
    headers = {"X-Forwarded-For": ip}
    if token:
        headers["Authorization"] = f"Bearer fxs_{token_credentials(token, 'sessionToken')[0]}"
    if language:
        headers["Accept-Language"] = language
    return requests.post(f"{stack.api_url}{path}", json=body, params=query, headers=headers, timeout=60)


def login(stack, email, password, ip, **body):
    return post(stack, "/account/login", {"email": email, "authPW": stretch(email, password)[0], **body},
                ip, query={"keys": "true"})


def outcome(response):
    return response.status_code, response.json().get("errno")


def assert_throttled(response, *, unblockable, max_wait):
    """The 429 of customs.md §1: errno 114, the wait in the body and the header, in words."""
    body = response.json()
    assert (response.status_code, body["errno"], body["error"]) == (429, 114, "Too Many Requests"), body
    assert 0 < body["retryAfter"] <= max_wait, body
    assert response.headers["Retry-After"] == str(body["retryAfter"])
    assert body["retryAfterLocalized"].startswith("in "), body
    if unblockable:
        assert (body["verificationMethod"], body["verificationReason"]) == ("email-captcha", "login"), body
    else:
        assert "verificationMethod" not in body, body
    return body


def brute_force(stack, email, ip, attempts=ATTEMPTS):
    """``attempts`` wrong-password logins for ``email`` from ``ip``; their responses, in order."""
    auth_pw = stretch(email, WRONG_PASSWORD)[0]
    return [post(stack, "/account/login", {"email": email, "authPW": auth_pw}, ip) for _ in range(attempts)]


def old_account(email):
    """An account past SIGNIN_CONFIRMATION_SKIP_NEW_ACCOUNTS: a new sign-in needs confirmation,
    unless an unblock code proved the mailbox."""
    return factories.account(email, PASSWORD, created_at=now_ms() - DAY_MS)


def session_of(response):
    return SessionToken.objects.get(pk=token_key(response.json()["sessionToken"]))


def test_the_stack_runs_the_default_rules(live_stack):
    assert "CUSTOMS_RULES" not in live_stack.env, "these tests are about the default rules"
    assert live_stack.env["TRUSTED_PROXY_COUNT"] == "1"


# --- wrong passwords ------------------------------------------------------------------------------

def test_sixty_wrong_passwords_are_refused_with_114_after_what_the_rules_allow(live_stack):
    email = unique_email("brute")
    factories.account(email, PASSWORD)
    allowed = rule("accountLogin", "ip_email")
    assert allowed.max_attempts == 5  # the figure this test reports: 5 per IP and address

    responses = brute_force(live_stack, email, "203.0.113.7")

    assert [outcome(r) for r in responses[:allowed.max_attempts]] == [(400, 103)] * allowed.max_attempts
    for response in responses[allowed.max_attempts:]:
        assert_throttled(response, unblockable=True, max_wait=allowed.duration)
    # The first refusal comes straight after the block opened: the whole block is left.
    first = responses[allowed.max_attempts].json()
    assert first["retryAfterLocalized"] == "in 15 minutes"
    assert first["retryAfter"] > allowed.duration - 60
    # …in the request's language.
    german = post(live_stack, "/account/login", {"email": email, "authPW": stretch(email, PASSWORD)[0]},
                  "203.0.113.7", language="de")
    assert assert_throttled(german, unblockable=True, max_wait=allowed.duration)[
        "retryAfterLocalized"] == "in 15 Minuten"


def test_the_block_is_per_address_and_hides_whether_the_account_exists(live_stack):
    """Another address from the blocked IP gets its own answers; and once an address is blocked,
    the refusal is the same whether or not it has an account (customs.md §1, §4)."""
    email, nobody = unique_email("hide"), unique_email("nobody")
    factories.account(email, PASSWORD)
    ip = "203.0.113.8"
    allowed = rule("accountLogin", "ip_email").max_attempts
    brute_force(live_stack, email, ip, attempts=allowed)
    assert outcome(login(live_stack, email, PASSWORD, ip)) == (429, 114)
    assert outcome(login(live_stack, nobody, PASSWORD, ip)) == (400, 102)

    probes = brute_force(live_stack, nobody, ip, attempts=allowed)
    assert [outcome(r) for r in probes] == [(400, 102)] * (allowed - 1) + [(429, 114)]
    unknown = assert_throttled(login(live_stack, nobody, PASSWORD, ip), unblockable=True,
                               max_wait=rule("accountLogin", "ip_email").duration)
    known = login(live_stack, email, PASSWORD, ip).json()
    assert set(unknown) == set(known)


def test_the_right_password_is_refused_until_the_mailed_unblock_code(live_stack):
    email = unique_email("unblock")
    user = old_account(email)
    ip = "203.0.113.9"
    brute_force(live_stack, email, ip)

    refused = login(live_stack, email, PASSWORD, ip)
    assert_throttled(refused, unblockable=True, max_wait=rule("accountLogin", "ip_email").duration)

    sent = post(live_stack, "/account/login/send_unblock_code", {"email": email}, ip)
    assert sent.status_code == 200, sent.text
    code = live_stack.smtp.latest_code(email, "X-Unblock-Code", "unblockCode")
    assert len(code) == 8

    # A wrong code is refused (and does not spend the real one)…
    wrong = "ZZZZ2222" if code != "ZZZZ2222" else "YYYY3333"
    assert outcome(login(live_stack, email, PASSWORD, ip, unblockCode=wrong)) == (400, 127)
    # …the mailed one signs in, into a session born verified: the code proved the mailbox.
    unblocked = login(live_stack, email, PASSWORD, ip, unblockCode=code.lower())
    assert unblocked.status_code == 200, unblocked.text
    assert unblocked.json()["uid"] == user.uid
    assert unblocked.json()["verified"] is True
    assert session_of(unblocked).token_verified
    # Single use.
    assert outcome(login(live_stack, email, PASSWORD, ip, unblockCode=code)) == (400, 127)

    # The block is gone: a wrong password is a wrong password again, and so is the right one.
    assert outcome(login(live_stack, email, WRONG_PASSWORD, ip)) == (400, 103)
    again = login(live_stack, email, PASSWORD, ip)
    assert again.status_code == 200, again.text


def test_another_ip_signs_in_while_the_first_is_blocked(live_stack):
    email = unique_email("other-ip")
    old_account(email)
    attacker, owner = "203.0.113.10", "198.51.100.20"
    assert outcome(brute_force(live_stack, email, attacker)[-1]) == (429, 114)
    assert outcome(login(live_stack, email, PASSWORD, attacker)) == (429, 114)

    # The owner, elsewhere, is not locked out by the attacker's attempts (ip_email)…
    signed_in = login(live_stack, email, PASSWORD, owner)
    assert signed_in.status_code == 200, signed_in.text
    # …and, without an unblock code, signs in as anyone would: confirmation still needed.
    assert signed_in.json()["verified"] is False
    assert not session_of(signed_in).token_verified
    assert outcome(login(live_stack, email, WRONG_PASSWORD, owner)) == (400, 103)
    # The attacker is still refused.
    assert outcome(login(live_stack, email, PASSWORD, attacker)) == (429, 114)


# --- account-existence probes ---------------------------------------------------------------------

def test_account_status_probes_are_throttled_per_ip(live_stack):
    email = unique_email("status")
    factories.account(email, PASSWORD)
    limit = rule("accountStatusCheck", "ip")
    assert limit.max_attempts == 100
    prober, other = "203.0.113.11", "198.51.100.21"

    answers = [post(live_stack, "/account/status", {"email": email}, prober)
               for _ in range(limit.max_attempts)]
    assert [(r.status_code, r.json()) for r in answers] == [(200, {"exists": True})] * limit.max_attempts
    assert_throttled(post(live_stack, "/account/status", {"email": email}, prober),
                     unblockable=False, max_wait=limit.duration)
    # Every address is refused to that IP, not only the one probed…
    assert outcome(post(live_stack, "/account/status", {"email": unique_email("x")}, prober)) == (429, 114)
    # …and no other IP is.
    allowed = post(live_stack, "/account/status", {"email": email}, other)
    assert (allowed.status_code, allowed.json()) == (200, {"exists": True})


# --- mail-sending routes --------------------------------------------------------------------------

def assert_mail_stops_at_the_limit(stack, send, email, header, template, limit):
    """``send()`` as often as ``limit`` (a Rule) allows, each mailing ``template``; once more:
    refused, and nothing more is mailed (counted in the outbox and in the SMTP sink)."""
    for sent in range(limit.max_attempts):
        response = send()
        assert response.status_code == 200, (sent, response.text)
        stack.smtp.latest_code(email, header, template, after=sent)
    assert_throttled(send(), unblockable=False, max_wait=limit.duration)
    stack.wait_for_mail_delivered()
    assert OutboundEmail.objects.filter(template=template, to__contains=[email]).count() == limit.max_attempts
    assert stack.smtp.count(email, header) == limit.max_attempts


def test_send_unblock_code_stops_mailing_past_its_limit(live_stack):
    email = unique_email("send-unblock")
    factories.account(email, PASSWORD)
    limit = rule("sendUnblockCode", "ip_email")
    assert limit.max_attempts == 5
    ip = "203.0.113.12"

    assert_mail_stops_at_the_limit(
        live_stack, lambda: post(live_stack, "/account/login/send_unblock_code", {"email": email}, ip),
        email, "X-Unblock-Code", "unblockCode", limit,
    )
    # Per IP and address: the owner elsewhere still gets a code.
    assert post(live_stack, "/account/login/send_unblock_code", {"email": email}, "198.51.100.22").status_code == 200
    live_stack.smtp.latest_code(email, "X-Unblock-Code", "unblockCode", after=limit.max_attempts)


def test_password_forgot_send_otp_stops_mailing_past_its_limit(live_stack):
    email = unique_email("send-otp")
    factories.account(email, PASSWORD)
    limit = rule("passwordForgotSendOtp", "ip_email")
    assert limit.max_attempts == 5

    assert_mail_stops_at_the_limit(
        live_stack, lambda: post(live_stack, "/password/forgot/send_otp", {"email": email}, "203.0.113.13"),
        email, "X-Password-Forgot-Otp", "passwordForgotOtp", limit,
    )


def test_session_resend_code_stops_mailing_past_its_limit(live_stack):
    """The sign-in code again and again: upstream counts it as sendVerifyCode per account and IP
    (ip_uid; recoveryEmailResendCode, the other candidate, has the same 5 in 15 minutes)."""
    email = unique_email("resend")
    user = factories.account(email, PASSWORD)
    token = factories.session(user, verified=False)
    limit = rule("sendVerifyCode", "ip_uid")
    assert limit.max_attempts == 5

    assert_mail_stops_at_the_limit(
        live_stack, lambda: post(live_stack, "/session/resend_code", {}, "203.0.113.14", token=token),
        email, "X-Signin-Verify-Code", "verifyLoginCode", limit,
    )
