"""Session routes: status, destroy, duplicate and reauth."""
import re
import time

import pytest
from django.conf import settings

from accounts import onepw
from accounts.models import Account, SecurityEvent, SessionToken, now_ms
from tests import factories
from tests.helpers import ApiClient, assert_error, ok, stretch, token_credentials, token_key

pytestmark = pytest.mark.django_db

HEX64 = re.compile(r"^[0-9a-f]{64}$")
OTHER_IP = "203.0.113.7"
OLDER_THAN_NEW = settings.SIGNIN_CONFIRMATION_SKIP_NEW_ACCOUNTS + 3600



def session_row(session_token):
    return SessionToken.objects.get(pk=token_key(session_token))


def login(api, user, query="", **fields):
    auth_pw, _ = stretch(user.email, user.password)
    return ok(api.post(f"/account/login{query}", {"email": user.email, "authPW": auth_pw, **fields}))


def unconfirmed_login(user, keys=False):
    """A sign-in session of an old account from an unknown IP address: it awaits confirmation."""
    Account.objects.filter(uid=user.uid).update(created_at=now_ms() - OLDER_THAN_NEW * 1000)
    client = ApiClient()
    client.client.defaults["REMOTE_ADDR"] = OTHER_IP
    return login(client, user, "?keys=true" if keys else "")


# Status.


def test_session_status_of_a_verified_session(api):
    user = factories.account()
    assert ok(api.get("/session/status", token=user.session_token)) == {
        "state": "verified",
        "uid": user.uid,
        "details": {
            "accountEmailVerified": True,
            "sessionVerificationMethod": "email",
            "sessionVerified": True,
            "mustVerify": False,
            "sessionVerificationMeetsMinimumAAL": True,
            "verified": True,
        },
    }


def test_session_status_of_a_signup_session_with_keys(api):
    user = factories.account(verified=False, keys=True)
    body = ok(api.get("/session/status", token=user.session_token))
    assert body["state"] == "unverified"
    assert body["details"] == {
        "accountEmailVerified": False,
        "sessionVerificationMethod": None,
        "sessionVerified": False,
        "mustVerify": True,
        "sessionVerificationMeetsMinimumAAL": True,
        "verified": False,
    }


# Destroy.


def test_session_destroy_ends_the_session(api):
    user = factories.account()
    assert ok(api.post("/session/destroy", token=user.session_token)) == {}
    assert not SessionToken.objects.filter(account_id=user.uid).exists()
    assert_error(api.get("/session/status", token=user.session_token), 401, 110)


def test_session_destroy_with_an_empty_body(api):
    user = factories.account()
    response = api.post(
        "/session/destroy", raw_body=b"", token=user.session_token, headers={"Content-Length": "0"}
    )
    assert ok(response) == {}
    assert not SessionToken.objects.filter(account_id=user.uid).exists()


def test_session_destroy_of_another_session_of_the_same_account(api):
    user = factories.account()
    other = login(api, user)["sessionToken"]
    other_id, _ = token_credentials(other, "sessionToken")
    response = api.post("/session/destroy", {"customSessionToken": other_id}, token=user.session_token)
    assert ok(response) == {}
    assert_error(api.get("/session/status", token=other), 401, 110)
    ok(api.get("/session/status", token=user.session_token))


def test_session_destroy_of_another_accounts_session_is_110(api):
    user = factories.account("user@example.com")
    stranger = factories.account("stranger@example.com")
    stranger_id, _ = token_credentials(stranger.session_token, "sessionToken")
    response = api.post(
        "/session/destroy", {"customSessionToken": stranger_id}, token=user.session_token
    )
    assert_error(response, 401, 110)
    assert SessionToken.objects.filter(pk=stranger.session_key).exists()
    assert SessionToken.objects.filter(account_id=user.uid).exists()


# Duplicate.


def test_duplicate_of_a_verified_session(api):
    user = factories.account()
    original = session_row(user.session_token)
    body = ok(api.post("/session/duplicate", {"reason": "migration"}, token=user.session_token))
    assert body == {
        "uid": user.uid,
        "sessionToken": body["sessionToken"],
        "authAt": original.auth_at // 1000,
        "emailVerified": True,
        "sessionVerified": True,
        "verificationMethod": None,
        "verificationReason": None,
        "verified": True,
    }
    assert HEX64.match(body["sessionToken"]) and body["sessionToken"] != user.session_token
    copy = session_row(body["sessionToken"])
    assert (copy.created_at, copy.auth_at) == (original.created_at, original.auth_at)
    assert ok(api.get("/session/status", token=body["sessionToken"]))["state"] == "verified"


def test_duplicate_of_a_signup_session_is_unverified_with_its_own_code(api):
    user = factories.account(verified=False)
    body = ok(api.post("/session/duplicate", token=user.session_token))
    assert (body["verified"], body["sessionVerified"], body["emailVerified"]) == (False, False, False)
    assert (body["verificationMethod"], body["verificationReason"]) == ("email", "signup")
    original, copy = session_row(user.session_token), session_row(body["sessionToken"])
    assert copy.token_verification_id is not None
    assert copy.token_verification_id != original.token_verification_id


def test_duplicate_of_an_unconfirmed_signin_session_reports_login(api):
    user = factories.account()
    session_token = unconfirmed_login(user)["sessionToken"]
    body = ok(api.post("/session/duplicate", token=session_token))
    assert (body["verified"], body["sessionVerified"], body["emailVerified"]) == (False, False, True)
    assert (body["verificationMethod"], body["verificationReason"]) == ("email", "login")


# Reauth.


def test_reauth_refreshes_auth_at(api):
    user = factories.account()
    SessionToken.objects.filter(pk=user.session_key).update(auth_at=now_ms() - 3600_000)
    auth_pw, _ = stretch(user.email, user.password)
    body = ok(api.post("/session/reauth", {"email": user.email, "authPW": auth_pw}, token=user.session_token))
    assert abs(body["authAt"] - time.time()) < 5
    assert body["uid"] == user.uid and body["verified"] is True
    assert "keyFetchToken" not in body
    assert abs(SessionToken.objects.get(pk=user.session_key).auth_at - now_ms()) < 5000


def test_reauth_with_keys_answers_a_key_fetch_token(api):
    user = factories.account()
    auth_pw, _ = stretch(user.email, user.password)
    body = ok(api.post(
        "/session/reauth?keys=true", {"email": user.email, "authPW": auth_pw}, token=user.session_token
    ))
    bundle = ok(api.get("/account/keys", token=body["keyFetchToken"], token_type="keyFetchToken"))
    key_request_key = onepw.derive_token(bytes.fromhex(body["keyFetchToken"]), "keyFetchToken").bundle_key
    ka, _ = onepw.unbundle_keys(key_request_key, bytes.fromhex(bundle["bundle"]))
    assert ka.hex() == user.account.ka
    # Asking for keys marks the session as one that must stay confirmed (upstream's mustVerify).
    assert ok(api.get("/session/status", token=user.session_token))["details"]["mustVerify"] is True


def test_reauth_with_keys_on_an_unconfirmed_session_must_be_confirmed(api):
    user = factories.account()
    session_token = unconfirmed_login(user)["sessionToken"]
    auth_pw, _ = stretch(user.email, user.password)
    body = ok(api.post(
        "/session/reauth?keys=true", {"email": user.email, "authPW": auth_pw}, token=session_token
    ))
    assert (body["verified"], body["verificationReason"]) == (False, "login")
    assert ok(api.get("/session/status", token=session_token))["details"]["mustVerify"] is True
    assert_error(
        api.get("/account/keys", token=body["keyFetchToken"], token_type="keyFetchToken"), 400, 104
    )


def test_reauth_with_a_wrong_password_is_103(api):
    user = factories.account()
    auth_pw, _ = stretch(user.email, "not the password")
    response = api.post("/session/reauth", {"email": user.email, "authPW": auth_pw}, token=user.session_token)
    assert_error(response, 400, 103)


def test_reauth_with_another_accounts_email_is_102(api):
    user = factories.account("user@example.com")
    other = factories.account("other@example.com", password="the other password")
    # The caller's own password: the other account's password is never tried.
    auth_pw, _ = stretch(other.email, user.password)
    response = api.post(
        "/session/reauth", {"email": other.email, "authPW": auth_pw}, token=user.session_token
    )
    assert_error(response, 400, 102)
    assert not SecurityEvent.objects.filter(account_id=other.uid, name="account.login.failure").exists()
