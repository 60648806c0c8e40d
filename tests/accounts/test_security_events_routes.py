"""GET/DELETE /securityEvents: the account's audit log as clients read it."""
import pytest

from accounts.models import SecurityEvent, now_ms
from accounts.services import security_events
from tests import factories
from tests.helpers import assert_error, ok, stretch

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(db):
    return factories.account("audited@example.com")


def test_lists_events_newest_first_with_their_fields(api, user):
    ok(api.post("/account/login", {"email": user.email, "authPW": stretch(user.email)[0]}))
    listed = ok(api.get("/securityEvents", token=user.session_token))
    assert [event["name"] for event in listed] == ["account.login", "account.create"]
    assert all(set(event) <= {"name", "verified", "createdAt", "ipAddr"} for event in listed)
    assert listed[0]["createdAt"] >= listed[1]["createdAt"]
    assert listed[1]["ipAddr"] == "127.0.0.1"
    assert isinstance(listed[0]["verified"], bool)


def test_at_most_twenty_and_only_the_accounts_own(api, user):
    other = factories.account("someone.else@example.com")
    base = now_ms()
    for index in range(25):
        SecurityEvent.objects.create(account=user.account, name=f"e{index}", created_at=base + index)
    listed = ok(api.get("/securityEvents", token=user.session_token))
    assert len(listed) == security_events.LISTED_EVENTS == 20
    assert listed[0]["name"] == "e24"
    assert "ipAddr" not in listed[0]
    assert ok(api.get("/securityEvents", token=other.session_token))[0]["name"] == "account.create"


def test_reset_flow_events_are_listed(api, user):
    from tests.accounts.test_password_reset import reset, reset_token_for

    token = reset_token_for(api, user.email)
    body = ok(reset(api, token, user.email, sessionToken=True))
    names = [event["name"] for event in ok(api.get("/securityEvents", token=body["sessionToken"]))]
    assert names[:2] == ["account.reset", "account.password_reset_success"]
    assert "account.password_reset_requested" in names


def test_delete_clears_them(api, user):
    assert ok(api.delete("/securityEvents", token=user.session_token)) == {}
    assert ok(api.get("/securityEvents", token=user.session_token)) == []
    assert SecurityEvent.objects.filter(account=user.account).count() == 0


def test_needs_a_session(api):
    assert_error(api.get("/securityEvents"), 401, 110)
    assert_error(api.delete("/securityEvents"), 401, 110)
