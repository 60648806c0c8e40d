"""Password change, reset and recovery keys against the live server (gunicorn + Celery on
PostgreSQL): single-use tokens under 20 concurrent requests, and PyFxA 0.9 unchanged.

Codes users get by email are read where the live stack's worker delivers mail: its SMTP sink.
"""
import uuid

import pytest
import requests
from fxa.core import Client

from accounts import onepw
from accounts.models import Account, AccountResetToken, PasswordForgotToken, RecoveryKey, SessionToken
from accounts.tokens import create_account_reset_token, create_password_forgot_token
from tests import factories
from tests.helpers import race, stretch, token_credentials, token_key
from tests.recovery_key_client import decrypt_kb, encrypt_kb, new_recovery_key, recovery_key_id

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pässwörd e2e reset"
ATTEMPTS = 20


def unique_email():
    return f"e2e.reset-{uuid.uuid4().hex}@example.com"


def bearer(token_hex, token_type, prefix):
    return {"Authorization": f"Bearer {prefix}_{token_credentials(token_hex, token_type)[0]}"}


# The answers a loser of the race may get, besides "token already spent": the live server's threads
# let the racers in together, so customs may refuse the surplus (429/114) and the scrypt gate
# shed it (503/201). Exactly-once is what the database shows below.
REFUSALS = {(401, 110), (429, 114), (503, 201)}


def assert_one_winner(results):
    answers = outcomes(results)
    assert answers.count((200, None)) == 1, answers
    assert set(answers) - {(200, None)} <= REFUSALS, answers


def outcomes(responses):
    return sorted(
        (response.status_code, response.json().get("errno")) if isinstance(response, requests.Response)
        else ("exception", repr(response))
        for response in responses
    )


# --- exactly once under concurrency ---------------------------------------------------------------

def test_one_forgot_token_and_code_yield_one_account_reset_token(live_stack):
    user = factories.account(unique_email(), PASSWORD)
    token, code, _ = create_password_forgot_token(user.account, 3)
    headers = bearer(token, "passwordForgotToken", "fxpf")

    def attempt(_index):
        return requests.post(f"{live_stack.api_url}/password/forgot/verify_code", json={"code": code},
                             headers=headers, timeout=60)

    results = race(ATTEMPTS, attempt)
    assert_one_winner(results)
    winner = next(r for r in results if r.status_code == 200).json()["accountResetToken"]
    assert list(AccountResetToken.objects.filter(account=user.account).values_list("pk", flat=True)) == [
        token_key(winner, "accountResetToken")
    ]
    assert not PasswordForgotToken.objects.filter(account=user.account).exists()


def test_one_account_reset_token_resets_once(live_stack):
    user = factories.account(unique_email(), PASSWORD)
    reset_token = create_account_reset_token(user.account)
    headers = bearer(reset_token, "accountResetToken", "fxar")
    passwords = [f"new password {index}" for index in range(ATTEMPTS)]

    def attempt(index):
        return requests.post(
            f"{live_stack.api_url}/account/reset?keys=true",
            json={"authPW": stretch(user.email, passwords[index])[0], "sessionToken": True},
            headers=headers, timeout=60,
        )

    results = race(ATTEMPTS, attempt)
    assert_one_winner(results)
    won = next(index for index, r in enumerate(results) if r.status_code == 200)
    body = results[won].json()
    # One consistent result: the winner's session alone, and the winner's password signs in.
    assert list(SessionToken.objects.filter(account=user.account).values_list("pk", flat=True)) == [
        token_key(body["sessionToken"])
    ]
    assert not AccountResetToken.objects.filter(account=user.account).exists()
    for index in (won, (won + 1) % ATTEMPTS):
        login = requests.post(f"{live_stack.api_url}/account/login",
                              json={"email": user.email, "authPW": stretch(user.email, passwords[index])[0]},
                              timeout=60)
        assert login.status_code == (200 if index == won else 400), login.json()


# --- PyFxA 0.9, unchanged -------------------------------------------------------------------------

def kb_of(client, email, password):
    session = client.login(email, password, keys=True)
    return session.fetch_keys()[1]


def pyfxa_reset_token(stack, client, email):
    """send_reset_code → the 8-digit code from the mail → PasswordForgotToken.verify_code."""
    header = "X-Password-Forgot-Otp"
    after = stack.smtp.count(email, header)
    forgot = client.send_reset_code(email)
    return forgot.verify_code(stack.smtp.latest_code(email, header, "passwordForgotOtp", after=after))


def test_pyfxa_change_then_reset_keeps_then_replaces_kb(live_stack):
    email = unique_email()
    factories.account(email, PASSWORD)
    client = Client(server_url=live_stack.api_url)
    kb = kb_of(client, email, PASSWORD)

    session = client.login(email, PASSWORD)
    changed = client.change_password(email, PASSWORD, "changed password", session_token=session.token)
    assert changed["sessionToken"] and changed["verified"] is True
    assert kb_of(client, email, "changed password") == kb, "a password change keeps kB"

    before = Account.objects.get(normalized_email=email.lower())
    reset_token = pyfxa_reset_token(live_stack, client, email)
    client.reset_account(email, reset_token, password="reset password")
    new_kb = kb_of(client, email, "reset password")
    assert new_kb != kb, "a plain reset makes a new kB"
    after = Account.objects.get(pk=before.pk)
    assert after.keys_changed_at > (before.keys_changed_at or 0)
    assert live_stack.smtp.wait_for(email, "passwordReset")


def test_pyfxa_v2_client_reset(live_stack):
    email = unique_email()
    factories.account(email, PASSWORD)
    client = Client(server_url=live_stack.api_url, key_stretch_version=2)
    kb = kb_of(client, email, PASSWORD)
    reset_token = pyfxa_reset_token(live_stack, client, email)
    client.reset_account(email, reset_token, password="reset v2 password")
    assert kb_of(client, email, "reset v2 password") != kb


def test_reset_with_recovery_key_keeps_kb(live_stack):
    email = unique_email()
    user = factories.account(email, PASSWORD)
    client = Client(server_url=live_stack.api_url)
    session = client.login(email, PASSWORD, keys=True)
    kb = session.fetch_keys()[1]

    # The client builds the recovery key (onepw.md §7) and stores the sealed kB.
    key = new_recovery_key()
    key_id = recovery_key_id(key, user.uid)
    created = requests.post(
        f"{live_stack.api_url}/recoveryKey",
        json={"recoveryKeyId": key_id, "recoveryData": encrypt_kb(key, user.uid, kb)},
        headers=bearer(session.token, "sessionToken", "fxs"), timeout=60,
    )
    assert created.status_code == 200, created.json()

    reset_token = pyfxa_reset_token(live_stack, client, email)
    reset_headers = bearer(reset_token, "accountResetToken", "fxar")
    data = requests.get(f"{live_stack.api_url}/recoveryKey/{key_id}", headers=reset_headers, timeout=60).json()
    recovered = decrypt_kb(key, user.uid, data["recoveryData"])
    assert recovered == kb
    new_password = "recovered password"
    stretched = onepw.quick_stretch_v1(email, new_password)
    reset = requests.post(
        f"{live_stack.api_url}/account/reset",
        json={"authPW": onepw.auth_pw(stretched).hex(), "recoveryKeyId": key_id,
              "wrapKb": onepw.xor(recovered, onepw.unwrap_bkey(stretched)).hex()},
        headers=reset_headers, timeout=60,
    )
    assert reset.status_code == 200, reset.json()
    assert kb_of(client, email, new_password) == kb, "a reset with the recovery key keeps kB"
    assert not RecoveryKey.objects.filter(account_id=user.uid).exists()
    assert live_stack.smtp.wait_for(email, "passwordResetAccountRecovery")
