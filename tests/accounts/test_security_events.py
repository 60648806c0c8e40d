"""Security events recorded by account and session routes."""
import pytest
from django.conf import settings

from accounts.models import Account, SecurityEvent, SessionToken, now_ms
from tests import factories
from tests.helpers import ApiClient, assert_error, stretch, token_key

pytestmark = pytest.mark.django_db

OTHER_IP = "203.0.113.7"



def events(uid, name):
    return list(SecurityEvent.objects.filter(account_id=uid, name=name))


def test_account_create_is_recorded_with_the_session_and_ip(api):
    auth_pw, _ = stretch("new@example.com")
    body = api.post("/account/create", {"email": "new@example.com", "authPW": auth_pw}).json()
    [event] = events(body["uid"], "account.create")
    assert event.token_id == token_key(body["sessionToken"])
    assert event.ip_address == "127.0.0.1"


def test_confirmed_login_is_recorded_as_verified(api):
    user = factories.account()
    auth_pw, _ = stretch(user.email, user.password)
    body = api.post("/account/login", {"email": user.email, "authPW": auth_pw}).json()
    [event] = events(user.uid, "account.login")
    assert event.verified is True
    assert event.token_id == token_key(body["sessionToken"])


def test_unconfirmed_login_is_recorded_unverified_until_confirmed(api):
    user = factories.account()
    Account.objects.filter(uid=user.uid).update(
        created_at=now_ms() - (settings.SIGNIN_CONFIRMATION_SKIP_NEW_ACCOUNTS + 3600) * 1000
    )
    elsewhere = ApiClient()
    elsewhere.client.defaults["REMOTE_ADDR"] = OTHER_IP
    auth_pw, _ = stretch(user.email, user.password)
    body = elsewhere.post("/account/login?keys=true", {"email": user.email, "authPW": auth_pw}).json()
    [event] = events(user.uid, "account.login")
    assert (event.verified, event.ip_address) == (False, OTHER_IP)

    code = SessionToken.objects.get(pk=token_key(body["sessionToken"])).token_verification_id
    api.post("/recovery_email/verify_code", {"uid": user.uid, "code": code})
    event.refresh_from_db()
    assert event.verified is True


@pytest.mark.parametrize("typed_email, errno", [("user@example.com", 103), ("USER@example.com", 120)])
def test_failed_login_is_recorded(api, typed_email, errno):
    user = factories.account("user@example.com")
    auth_pw, _ = stretch(typed_email, "not the password")
    response = api.post("/account/login", {"email": typed_email, "authPW": auth_pw})
    assert_error(response, 400, errno)
    [event] = events(user.uid, "account.login.failure")
    assert event.ip_address == "127.0.0.1"
    assert not events(user.uid, "account.login")


def test_session_destroy_is_recorded_with_the_destroyed_session(api):
    user = factories.account()
    api.post("/session/destroy", token=user.session_token)
    [event] = events(user.uid, "session.destroy")
    assert event.token_id == token_key(user.session_token)


def test_reauth_is_recorded_as_a_login(api):
    user = factories.account()
    auth_pw, _ = stretch(user.email, user.password)
    api.post("/session/reauth", {"email": user.email, "authPW": auth_pw}, token=user.session_token)
    [event] = events(user.uid, "account.login")
    assert event.token_id == token_key(user.session_token)
