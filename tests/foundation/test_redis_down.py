"""Redis is a cache, not a single point of failure: with it down, every route answers as
designed (Hawk nonces and customs counters fail open, logged), and nothing the client is told
succeeded is lost."""
import pytest

from accounts.models import Account, SessionToken
from accounts.twofactor import otp
from tests import factories
from tests.helpers import MailingApiClient, ok, stretch

pytestmark = pytest.mark.django_db

DEAD_REDIS = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": "redis://127.0.0.1:1/0",
    "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
}


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {"default": DEAD_REDIS}


@pytest.fixture
def api():
    return MailingApiClient()


def test_sign_up_and_sign_in_succeed(redis_down, api, settings):
    auth_pw, _ = stretch("new@example.com")
    body = ok(api.post("/account/create?keys=true", {"email": "new@example.com", "authPW": auth_pw}))
    assert Account.objects.filter(uid=body["uid"]).exists()
    body = ok(api.post("/account/login", {"email": "new@example.com", "authPW": auth_pw}))
    assert SessionToken.objects.filter(account_id=body["uid"]).count() == 2


def test_hawk_signed_requests_are_answered(redis_down, api, caplog):
    user = factories.account()
    assert ok(api.get("/session/status", token=user.session_token, scheme="hawk"))["uid"] == user.uid
    assert "replay check skipped" in caplog.text


def test_a_totp_sign_in_code_is_checked(redis_down, api):
    user = factories.account(totp=True)
    token = factories.session(user, verified=False)
    code = otp.code_at(user.totp_secret)
    assert ok(api.post("/session/verify/totp", {"code": code}, token=token))["success"] is True


def test_recovery_key_exists_and_password_forgot_answer(redis_down, api):
    user = factories.account()
    assert ok(api.post("/recoveryKey/exists", {"email": user.email}))["exists"] is False
    assert "passwordForgotToken" in ok(api.post("/password/forgot/send_code", {"email": user.email}))
