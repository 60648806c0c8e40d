"""POST /account/device, GET /account/devices, POST /account/device/destroy, and device lifetimes."""
import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.devices import services
from accounts.devices.models import Device, DeviceCommand
from accounts.devices.owner import DeviceOwner
from accounts.errors import AppError
from accounts.models import Account, SessionToken, now_ms
from accounts.services import sessions
from tests import factories
from tests.helpers import assert_error, ok, token_key

from .conftest import FIREFOX_ANDROID, OPEN_URI
from .push_service import b64url

pytestmark = pytest.mark.django_db

MOZILLA_PUSH = "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk"
HEX32 = re.compile(r"^[0-9a-f]{32}$")
COMPRESSED_KEY = b64url(ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
    serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
))


def register(api, token, **fields):
    return api.post("/account/device", fields, token=token)


def push_fields(push_service):
    return push_service.subscribe().registration()


# Creating and updating.


def test_first_registration_creates_the_token_s_device(api, user):
    body = ok(register(api, user.session_token, name="My laptop", type="desktop"))
    assert HEX32.match(body["id"])
    assert body["createdAt"] > 0
    assert body == {
        "id": body["id"],
        "createdAt": body["createdAt"],
        "name": "My laptop",
        "type": "desktop",
        "pushEndpointExpired": False,
        "availableCommands": {},
    }
    device = Device.objects.get(pk=body["id"])
    assert device.session_token_id == token_key(user.session_token)
    assert device.account_id == user.uid


def test_registering_again_without_id_updates_the_same_device(api, user):
    first = ok(register(api, user.session_token, name="one"))
    second = ok(register(api, user.session_token, name="two", availableCommands={OPEN_URI: "keys"}))
    assert second["id"] == first["id"] and "createdAt" not in second
    assert second["name"] == "two" and second["availableCommands"] == {OPEN_URI: "keys"}
    assert Device.objects.filter(account_id=user.uid).count() == 1


def test_update_by_id_replaces_available_commands_wholesale(api, user):
    device = ok(register(api, user.session_token, availableCommands={OPEN_URI: "a", "x:y": "b"}))
    body = ok(register(api, user.session_token, id=device["id"], availableCommands={"x:y": "c"}))
    assert body["availableCommands"] == {"x:y": "c"}


def test_a_registration_that_changes_nothing_writes_nothing(api, user):
    device = ok(register(api, user.session_token, name="same", type="mobile"))
    with CaptureQueriesContext(connection) as queries:
        body = ok(register(api, user.session_token, id=device["id"], name="same", type="mobile"))
    assert body["name"] == "same"
    assert not [q["sql"] for q in queries if q["sql"].startswith('UPDATE "devices_device"')]


def test_unknown_device_id_is_123(api, user):
    assert_error(register(api, user.session_token, id="ab" * 16, name="x"), 400, 123)


def test_naming_another_device_when_the_token_has_one_is_124_with_its_device_id(api, user):
    mine = ok(register(api, user.session_token, name="mine"))
    other_token = factories.session(user.account)
    theirs = ok(register(api, other_token, name="theirs"))
    body = assert_error(register(api, user.session_token, id=theirs["id"], name="taken"), 400, 124)
    assert body["deviceId"] == mine["id"]
    assert Device.objects.get(pk=theirs["id"]).name == "theirs"


def test_a_concurrent_second_create_on_one_token_is_124(user, monkeypatch):
    session = SessionToken.objects.get(pk=token_key(user.session_token))
    owner = DeviceOwner.of(user.account, session)
    first, _ = services.register_device(owner, {"name": "first"})
    # The second request looked before the first one's row existed.
    original = DeviceOwner.current_device
    monkeypatch.setattr(DeviceOwner, "current_device",
                        lambda self, for_update=False: None if for_update else original(self))
    with pytest.raises(AppError) as raised:
        services.register_device(owner, {"name": "second"})
    assert (raised.value.errno, raised.value.extra) == (124, {"deviceId": first.id})


def test_naming_another_device_from_a_token_without_one_takes_it_over(api, user):
    old_token = factories.session(user.account)
    device = ok(register(api, old_token, name="reinstalled"))
    body = ok(register(api, user.session_token, id=device["id"], type="mobile"))
    assert body["id"] == device["id"] and body["name"] == "reinstalled"
    assert Device.objects.get(pk=device["id"]).session_token_id == token_key(user.session_token)


def test_push_endpoint_expired_is_reset_only_by_a_new_endpoint(api, user, push_service):
    subscription = push_fields(push_service)
    device = ok(register(api, user.session_token, **subscription))
    assert device["pushCallback"] == subscription["pushCallback"]
    Device.objects.filter(pk=device["id"]).update(push_endpoint_expired=True)
    same = ok(register(api, user.session_token, id=device["id"], **subscription))
    assert same["pushEndpointExpired"] is True
    renewed = ok(register(api, user.session_token, id=device["id"], **push_fields(push_service)))
    assert renewed["pushEndpointExpired"] is False


def test_an_unverified_session_may_register_a_device(api, user):
    token = factories.session(user.account, token_verification_id="aa" * 16)
    assert ok(register(api, token, name="waiting"))["name"] == "waiting"


def test_hawk_signed_registration(api, user):
    response = api.post("/account/device", {"name": "hawk"}, token=user.session_token, scheme="hawk")
    assert ok(response)["name"] == "hawk"


# Validation.


@pytest.mark.parametrize("callback", [
    "http://updates.push.services.mozilla.com/wpush/v2/x",  # not https
    "https://push.example.com/wpush/v2/x",  # not a known push service
    "https://updates.push.services.mozilla.com.evil.test/x",
    "https://user:pw@updates.push.services.mozilla.com/x",
    "https://updates.push.services.mozilla.com/x\n",
    "https://updates.push.services.mozilla.com/" + "x" * 250,  # over 255 characters
    "https://updates.push.services.mozilla.com:notaport/x",
])
def test_push_callbacks_outside_the_allowed_push_services_are_107(api, user, push_service, callback):
    fields = {**push_fields(push_service), "pushCallback": callback}
    body = assert_error(register(api, user.session_token, **fields), 400, 107)
    assert body["validation"]["keys"] == ["pushCallback"]


def test_plain_http_is_allowed_only_for_loopback_extra_hosts(api, user, push_service, settings):
    settings.PUSH_EXTRA_ALLOWED_HOSTS = ["127.0.0.1", "push.internal.test"]
    fields = push_fields(push_service)
    assert ok(register(api, user.session_token, **fields))["pushCallback"] == fields["pushCallback"]
    body = assert_error(register(api, user.session_token, **{
        **fields, "pushCallback": "http://push.internal.test/wpush/x"}), 400, 107)
    assert body["validation"]["keys"] == ["pushCallback"]
    https_extra = {**fields, "pushCallback": "https://push.internal.test/wpush/x"}
    assert ok(register(api, user.session_token, **https_extra))["pushCallback"].startswith("https://")


@pytest.mark.parametrize("callback", [
    MOZILLA_PUSH,
    "https://updates.push.services.mozilla.com:443/wpush/v2/x",
    "https://updates-autopush.stage.mozaws.net/wpush/v1/x",
])
def test_mozilla_push_services_are_accepted(api, user, push_service, callback, settings):
    settings.PUSH_EXTRA_ALLOWED_HOSTS = []
    fields = {**push_fields(push_service), "pushCallback": callback}
    assert ok(register(api, user.session_token, **fields))["pushCallback"] == callback


def test_a_configured_server_regex_replaces_mozilla_s(api, user, push_service, settings):
    settings.PUSH_ALLOWED_SERVER_REGEX = r"^https://push\.example\.org(/.*)?$"
    fields = push_fields(push_service)
    assert ok(register(api, user.session_token, **{**fields, "pushCallback": "https://push.example.org/a"}))
    assert_error(register(api, user.session_token, **{**fields, "pushCallback": MOZILLA_PUSH}), 400, 107)


@pytest.mark.parametrize("public_key", [
    "BAAA" + "A" * 83,  # right length, not a point on P-256
    "not base64!",
    "A" * 89,  # too long
    COMPRESSED_KEY,  # a point on the curve, but browsers send (and pywebpush needs) uncompressed
], ids=["not-on-curve", "not-base64url", "too-long", "compressed"])
def test_bad_push_public_keys_are_107(api, user, push_service, public_key):
    fields = {**push_fields(push_service), "pushPublicKey": public_key}
    body = assert_error(register(api, user.session_token, **fields), 400, 107)
    assert body["validation"]["keys"] == ["pushPublicKey"]


def test_bad_push_auth_keys_are_107(api, user, push_service):
    for auth_key in ("a" * 25, "no+padding/=="):
        fields = {**push_fields(push_service), "pushAuthKey": auth_key}
        body = assert_error(register(api, user.session_token, **fields), 400, 107)
        assert body["validation"]["keys"] == ["pushAuthKey"]


@pytest.mark.parametrize("missing", ["pushCallback", "pushPublicKey", "pushAuthKey"])
def test_a_partial_push_tuple_is_107(api, user, push_service, missing):
    fields = push_fields(push_service)
    del fields[missing]
    body = assert_error(register(api, user.session_token, **fields), 400, 107)
    assert body["validation"]["keys"] == [missing]


def test_an_empty_push_tuple_clears_push(api, user, push_service):
    ok(register(api, user.session_token, **push_fields(push_service)))
    body = ok(register(api, user.session_token, pushCallback="", pushPublicKey="", pushAuthKey=""))
    assert (body["pushCallback"], body["pushPublicKey"], body["pushAuthKey"]) == ("", "", "")
    assert not Device.objects.get(pk=body["id"]).can_receive_push


@pytest.mark.parametrize("fields, key", [
    ({"name": "n" * 256}, "name"),
    ({"name": ""}, "name"),
    ({"name": "tab\tname"}, "name"),
    ({"name": 42}, "name"),
    ({"type": "t" * 17}, "type"),
    ({"id": "abc"}, "id"),
    ({"availableCommands": {"bad name": "x"}}, "availableCommands"),
    ({"availableCommands": {"c" * 101: "x"}}, "availableCommands"),
    ({"availableCommands": {OPEN_URI: "x" * 2049}}, "availableCommands"),
    ({"availableCommands": {OPEN_URI: 1}}, "availableCommands"),
    ({"availableCommands": [OPEN_URI]}, "availableCommands"),
    ({"capabilities": ["messages"]}, "capabilities"),
])
def test_invalid_fields_are_107(api, user, fields, key):
    body = assert_error(register(api, user.session_token, **fields), 400, 107)
    assert body["validation"]["keys"] == [key]


def test_long_names_up_to_255_characters_and_emoji_are_accepted(api, user):
    name = "é" * 254 + "🦊"
    assert ok(register(api, user.session_token, name=name))["name"] == name


def test_empty_capabilities_are_accepted_and_ignored(api, user):
    body = ok(register(api, user.session_token, name="x", capabilities=[]))
    assert "capabilities" not in body


def test_registration_needs_a_session_token(api):
    assert_error(api.post("/account/device", {"name": "x"}), 401, 110)


# Listing.


def test_device_list_marks_the_current_device_and_fills_in_defaults(api, user):
    mine = ok(register(api, user.session_token, name="laptop"))
    phone_token = factories.session(user.account, user_agent=FIREFOX_ANDROID)
    phone = ok(register(api, phone_token, availableCommands={OPEN_URI: "k"}))
    listed = {device["id"]: device for device in ok(api.get("/account/devices", token=user.session_token))}
    assert set(listed) == {mine["id"], phone["id"]}
    assert listed[mine["id"]]["isCurrentDevice"] is True
    assert listed[phone["id"]]["isCurrentDevice"] is False
    # No name or type registered: upstream synthesizes them from the session's user agent.
    assert listed[phone["id"]]["name"] == "Firefox, Android 13"
    assert listed[phone["id"]]["type"] == "mobile"
    assert listed[mine["id"]]["type"] == "desktop"
    session = SessionToken.objects.get(pk=token_key(phone_token))
    assert listed[phone["id"]]["lastAccessTime"] == session.last_access_time
    assert listed[phone["id"]]["lastAccessTimeFormatted"] == "a few seconds ago"
    assert listed[phone["id"]]["availableCommands"] == {OPEN_URI: "k"}
    assert listed[phone["id"]]["pushCallback"] is None
    assert listed[phone["id"]]["location"] == {}


def test_filter_idle_devices_timestamp_leaves_out_devices_idle_since(api, user):
    ok(register(api, user.session_token, name="active"))
    idle_token = factories.session(user.account)
    ok(register(api, idle_token, name="idle"))
    SessionToken.objects.filter(pk=token_key(idle_token)).update(last_access_time=now_ms() - 30 * 86400_000)
    since = now_ms() - 21 * 86400_000
    names = [d["name"] for d in ok(api.get(f"/account/devices?filterIdleDevicesTimestamp={since}",
                                           token=user.session_token))]
    assert names == ["active"]
    assert len(ok(api.get("/account/devices", token=user.session_token))) == 2
    assert_error(api.get("/account/devices?filterIdleDevicesTimestamp=soon", token=user.session_token),
                 400, 107)


def test_devices_of_other_accounts_are_not_listed(api, user):
    other = factories.account("other@example.com")
    ok(register(api, other.session_token, name="theirs"))
    assert ok(api.get("/account/devices", token=user.session_token)) == []


# Destroying and lifetimes.


def test_device_destroy_removes_the_device_its_session_and_its_commands(api, user):
    device_token = factories.session(user.account)
    device = ok(register(api, device_token, name="old", availableCommands={OPEN_URI: "k"}))
    ok(api.post("/account/devices/invoke_command",
                {"target": device["id"], "command": OPEN_URI, "payload": {}}, token=user.session_token))
    assert ok(api.post("/account/device/destroy", {"id": device["id"]}, token=user.session_token)) == {}
    assert not Device.objects.filter(pk=device["id"]).exists()
    assert not DeviceCommand.objects.exists()
    assert_error(api.get("/session/status", token=device_token), 401, 110)
    assert ok(api.get("/session/status", token=user.session_token))["uid"] == user.uid


def test_destroying_an_unknown_or_foreign_device_is_123(api, user):
    other = factories.account("foreign@example.com")
    theirs = ok(register(api, other.session_token, name="theirs"))
    assert_error(api.post("/account/device/destroy", {"id": theirs["id"]}, token=user.session_token), 400, 123)
    assert_error(api.post("/account/device/destroy", {"id": "cd" * 16}, token=user.session_token), 400, 123)
    assert Device.objects.filter(pk=theirs["id"]).exists()


def test_devices_go_with_their_session_and_with_the_account(api, user):
    token = factories.session(user.account)
    device = ok(register(api, token, name="x"))
    assert ok(api.post("/session/destroy", token=token)) == {}
    assert not Device.objects.filter(pk=device["id"]).exists()
    ok(register(api, user.session_token, name="y"))
    Account.objects.filter(pk=user.uid).delete()
    assert not Device.objects.exists()


def test_a_session_with_a_device_does_not_expire(api, user):
    long_ago = now_ms() - settings.SESSION_TOKEN_WITHOUT_DEVICE_LIFETIME * 1000 - 3600_000
    with_device = factories.session(user.account)
    ok(register(api, with_device, name="kept"))
    SessionToken.objects.filter(pk=token_key(with_device)).update(created_at=long_ago)
    without_device = factories.session(user.account, created_at=long_ago)
    assert sessions.prune_expired_sessions() == 1
    assert ok(api.get("/session/status", token=with_device))["state"] == "verified"
    assert_error(api.get("/session/status", token=without_device), 401, 110)


def test_an_old_session_without_a_device_expires_when_used(api, user):
    long_ago = now_ms() - settings.SESSION_TOKEN_WITHOUT_DEVICE_LIFETIME * 1000 - 1000
    token = factories.session(user.account, created_at=long_ago)
    body = assert_error(api.post("/account/device", {"name": "late"}, token=token), 401, 110)
    assert body["message"] == "The authentication token has expired"
    assert not Device.objects.exists()
