"""GET /account/attached_clients, POST /account/attached_client/destroy, GET /account/sessions,
and the plug-in points the OAuth app will use (refresh-token devices and authorizations)."""
import json
import secrets
from dataclasses import dataclass

import pytest
from rest_framework.authentication import BaseAuthentication

from accounts.devices import oauth_clients, services, views
from accounts.devices.oauth_clients import OAuthAuthorization
from accounts.devices.models import Device
from accounts.devices.owner import DeviceOwner
from accounts.models import SessionToken, now_ms
from tests import factories
from tests.factories import FIREFOX_DESKTOP
from tests.helpers import assert_error, ok, token_key

from .conftest import FIREFOX_ANDROID, token_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def connected(api, user):
    """The user's session (a plain browser session) and a phone that registered a device."""
    phone_token = factories.session(user.account, user_agent=FIREFOX_ANDROID)
    phone = ok(api.post("/account/device", {"name": "Phone", "type": "mobile"}, token=phone_token))
    return phone_token, phone["id"]


def listing(api, token, query=""):
    return ok(api.get(f"/account/attached_clients{query}", token=token))


def test_attached_clients_lists_the_browser_session_and_the_device(api, user, connected):
    phone_token, phone_id = connected
    SessionToken.objects.filter(pk=token_key(user.session_token)).update(user_agent=FIREFOX_DESKTOP)
    response = api.get("/account/attached_clients", token=user.session_token)
    entries = ok(response)
    assert len(entries) == 2
    device = next(entry for entry in entries if entry["deviceId"] == phone_id)
    browser = next(entry for entry in entries if entry["deviceId"] is None)
    phone_session = SessionToken.objects.get(pk=token_key(phone_token))
    assert device == {
        "clientId": None,
        "deviceId": phone_id,
        "sessionTokenId": device["sessionTokenId"],
        "sessionTokenHandle": device["sessionTokenId"],
        "refreshTokenId": None,
        "isCurrentSession": False,
        "deviceType": "mobile",
        "name": "Phone",
        "createdTime": phone_session.created_at,
        "createdTimeFormatted": "a few seconds ago",
        "lastAccessTime": phone_session.last_access_time,
        "lastAccessTimeFormatted": "a few seconds ago",
        "scope": None,
        "location": {},
        "userAgent": "Firefox",
        "os": "Android",
    }
    assert browser["isCurrentSession"] is True
    assert (browser["name"], browser["userAgent"], browser["os"]) == (
        "Firefox 120, macOS 10.15", "Firefox 120", "macOS")
    assert (browser["deviceType"], browser["scope"], browser["clientId"]) == (None, None, None)
    # Session ids authenticate (Bearer fxs_<id>): only opaque handles leave the server.
    assert token_id(user.session_token) not in response.content.decode()
    assert token_id(phone_token) not in response.content.decode()


def test_entries_are_newest_first_and_at_most_500(api, user):
    now = now_ms()
    SessionToken.objects.bulk_create(
        SessionToken(token_id=secrets.token_hex(32), auth_key="00" * 32, account=user.account,
                     created_at=now - i * 1000, last_access_time=now - i * 1000)
        for i in range(1, 501)
    )
    entries = listing(api, user.session_token)
    assert len(entries) == 500
    times = [entry["lastAccessTime"] for entry in entries]
    assert times == sorted(times, reverse=True)
    assert entries[0]["isCurrentSession"] is True


def test_idle_devices_are_left_out_with_their_session(api, user, connected):
    phone_token, _ = connected
    SessionToken.objects.filter(pk=token_key(phone_token)).update(last_access_time=now_ms() - 30 * 86400_000)
    since = now_ms() - 21 * 86400_000
    entries = listing(api, user.session_token, f"?filterIdleDevicesTimestamp={since}")
    assert [entry["isCurrentSession"] for entry in entries] == [True]


def test_destroying_the_browser_session_entry_removes_only_it(api, user, connected):
    phone_token, phone_id = connected
    other_token = factories.session(user.account)
    entries = listing(api, user.session_token)
    other = next(e for e in entries if e["deviceId"] is None and not e["isCurrentSession"])
    assert ok(api.post("/account/attached_client/destroy", {"sessionTokenId": other["sessionTokenId"]},
                       token=user.session_token)) == {}
    assert_error(api.get("/session/status", token=other_token), 401, 110)
    assert ok(api.get("/session/status", token=phone_token))
    assert Device.objects.filter(pk=phone_id).exists()
    assert len(listing(api, user.session_token)) == 2


def test_destroying_the_device_entry_removes_the_device_and_its_session(api, user, connected):
    phone_token, phone_id = connected
    entry = next(e for e in listing(api, user.session_token) if e["deviceId"] == phone_id)
    ok(api.post("/account/attached_client/destroy",
                {"deviceId": phone_id, "sessionTokenHandle": entry["sessionTokenHandle"]},
                token=user.session_token))
    assert not Device.objects.filter(pk=phone_id).exists()
    assert_error(api.get("/session/status", token=phone_token), 401, 110)
    assert [e["isCurrentSession"] for e in listing(api, user.session_token)] == [True]


def test_a_device_entry_can_be_named_by_its_session_handle_alone(api, user, connected):
    phone_token, phone_id = connected
    entry = next(e for e in listing(api, user.session_token) if e["deviceId"] == phone_id)
    ok(api.post("/account/attached_client/destroy", {"sessionTokenHandle": entry["sessionTokenHandle"]},
                token=user.session_token))
    assert not Device.objects.filter(pk=phone_id).exists()


def test_destroying_the_current_session(api, user, connected):
    entry = next(e for e in listing(api, user.session_token) if e["isCurrentSession"])
    ok(api.post("/account/attached_client/destroy", {"sessionTokenId": entry["sessionTokenId"]},
                token=user.session_token))
    assert_error(api.get("/session/status", token=user.session_token), 401, 110)


def test_mismatched_or_unknown_entries_are_107_and_destroy_nothing(api, user, connected):
    phone_token, phone_id = connected
    other = factories.account("other@example.com")
    theirs = listing(api, other.session_token)[0]["sessionTokenId"]
    mine = next(e for e in listing(api, user.session_token) if e["isCurrentSession"])["sessionTokenId"]
    for body in (
        {"deviceId": phone_id, "sessionTokenId": mine},  # not that device's session
        {"sessionTokenId": theirs},  # another account's session
        {"sessionTokenId": "ab" * 32},
        {"clientId": "cd" * 8, "sessionTokenId": mine},
        {"refreshTokenId": "ef" * 32},  # needs its clientId
        {},
        {"deviceId": None},
    ):
        assert_error(api.post("/account/attached_client/destroy", body, token=user.session_token), 400, 107)
    assert_error(api.post("/account/attached_client/destroy", {"deviceId": "12" * 16},
                          token=user.session_token), 400, 123)
    assert Device.objects.filter(pk=phone_id).exists()
    assert SessionToken.objects.count() == 3


def test_destroy_needs_a_verified_session_of_a_verified_account(api, user, connected):
    _, phone_id = connected
    pending = factories.session(user.account, token_verification_id="ab" * 16)
    assert_error(api.post("/account/attached_client/destroy", {"deviceId": phone_id}, token=pending), 400, 138)
    user.account.email_verified = False
    user.account.save()
    assert_error(api.post("/account/attached_client/destroy", {"deviceId": phone_id},
                          token=user.session_token), 400, 104)
    assert Device.objects.filter(pk=phone_id).exists()
    # Listing needs only a session.
    assert len(listing(api, pending)) == 3


def test_deprecated_sessions_list(api, user, connected):
    phone_token, phone_id = connected
    sessions = ok(api.get("/account/sessions", token=user.session_token))
    assert len(sessions) == 2
    phone = next(s for s in sessions if s["isDevice"])
    browser = next(s for s in sessions if not s["isDevice"])
    assert phone["deviceId"] == phone_id and phone["deviceName"] == "Phone"
    assert phone["deviceType"] == "mobile" and phone["isCurrentDevice"] is False
    assert phone["deviceCallbackIsExpired"] is False and phone["deviceAvailableCommands"] == {}
    assert browser["isCurrentDevice"] is True and browser["deviceId"] is None
    assert browser["deviceCallbackURL"] is None and browser["deviceType"] == "desktop"
    assert {phone["id"], browser["id"]} == {e["sessionTokenId"] for e in listing(api, user.session_token)}
    assert token_id(phone_token) not in json.dumps(sessions)


# The OAuth app's plug-in points.


@dataclass
class FakeRefreshToken:
    refresh_token_id: str
    client_name: str = "Firefox for iOS"


class FakeOAuthClients:
    def __init__(self, grants):
        self.grants = grants
        self.revoked = []

    def authorizations(self, account):
        return self.grants

    def revoke(self, account, client_id=None, refresh_token_id=None):
        self.revoked.append((client_id, refresh_token_id))


def refresh_token_device(user, refresh_token_id, **fields):
    owner = DeviceOwner.of(user.account, FakeRefreshToken(refresh_token_id))
    device, _ = services.register_device(owner, fields)
    return device


def test_refresh_token_devices_and_oauth_grants_merge_into_attached_clients(api, user, monkeypatch):
    refresh_token_id, other_refresh_token = "aa" * 32, "bb" * 32
    device = refresh_token_device(user, refresh_token_id)
    assert (device.name, services.display_type(device)) == ("Firefox for iOS", "mobile")
    now = now_ms()
    oauth = FakeOAuthClients([
        OAuthAuthorization("1b1a3e44c54fbb58", "Firefox for iOS", now - 5000, now, ["profile", "sync"],
                           refresh_token_id),
        OAuthAuthorization("dcdb5ae7add825d2", "123Done", now - 9000, now - 100, ["profile"],
                           other_refresh_token),
    ])
    monkeypatch.setattr(oauth_clients, "_oauth_clients", oauth)
    entries = listing(api, user.session_token)
    by_device = next(e for e in entries if e["deviceId"] == device.id)
    assert (by_device["clientId"], by_device["refreshTokenId"], by_device["scope"]) == (
        "1b1a3e44c54fbb58", refresh_token_id, ["profile", "sync"])
    assert by_device["sessionTokenId"] is None and by_device["lastAccessTime"] == now
    web_app = next(e for e in entries if e["clientId"] == "dcdb5ae7add825d2")
    assert (web_app["deviceId"], web_app["name"], web_app["refreshTokenId"]) == (
        None, "123Done", other_refresh_token)
    destroy = "/account/attached_client/destroy"
    ok(api.post(destroy, {"clientId": "dcdb5ae7add825d2", "refreshTokenId": other_refresh_token},
                token=user.session_token))
    ok(api.post(destroy, {"deviceId": device.id, "clientId": "1b1a3e44c54fbb58",
                          "refreshTokenId": refresh_token_id}, token=user.session_token))
    assert oauth.revoked == [("dcdb5ae7add825d2", other_refresh_token), (None, refresh_token_id)]
    assert not Device.objects.filter(pk=device.id).exists()
    assert services.forget_refresh_token(refresh_token_id) == 0


def test_a_refresh_token_authentication_class_plugs_into_the_device_routes(api, user, monkeypatch):
    refresh_token_id = "cc" * 32

    class RefreshTokenAuthentication(BaseAuthentication):
        def authenticate(self, request):
            if request.META.get("HTTP_AUTHORIZATION") == f"Bearer {'dd' * 32}":
                return user.account, FakeRefreshToken(refresh_token_id)
            return None

    monkeypatch.setattr(views.DeviceTokenView, "authentication_classes",
                        [*views.DEVICE_AUTHENTICATION, RefreshTokenAuthentication])
    bearer = {"Authorization": f"Bearer {'dd' * 32}"}
    body = ok(api.post("/account/device", {"availableCommands": {"a:b": "k"}}, headers=bearer))
    assert Device.objects.get(pk=body["id"]).refresh_token_id == refresh_token_id
    assert body["type"] == "mobile" and body["name"] == "Firefox for iOS"
    listed = ok(api.get("/account/devices", headers=bearer))
    assert [d["isCurrentDevice"] for d in listed] == [True]
    ok(api.post("/account/devices/invoke_command",
                {"target": body["id"], "command": "a:b", "payload": {"p": 1}}, token=user.session_token))
    commands = ok(api.get("/account/device/commands", headers=bearer))
    assert [m["data"]["payload"] for m in commands["messages"]] == [{"p": 1}]
    # A refresh-token device does not go with any session; it goes with its token.
    assert services.forget_refresh_token(refresh_token_id) == 1
