"""Web Push to devices, in process: a push service on loopback receives and decrypts each message."""
import time
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core import checks
from django.db import transaction

from accounts import onepw
from accounts.devices import notifications, push
from accounts.devices.models import Device
from tests import factories
from tests.factories import FIREFOX_DESKTOP
from tests.helpers import assert_error, ok, stretch

from .conftest import OPEN_URI, VAPID_KEY, VAPID_SUBJECT, token_id
from .push_service import b64url

pytestmark = pytest.mark.django_db

IOS = "Firefox-iOS-FxA/120.0b1234 (iPhone; iPhone OS 17.0) (Firefox)"


def register(api, token, subscription=None, **fields):
    if subscription is not None:
        fields.update(subscription.registration())
    return ok(api.post("/account/device", fields, token=token))


def origin(push_service):
    parts = urlsplit(push_service.url)
    return f"{parts.scheme}://{parts.netloc}"


def test_a_new_device_is_announced_to_the_others_encrypted_and_signed(
    api, user, push_service, committed
):
    laptop = push_service.subscribe()
    register(api, user.session_token, laptop, name="Laptop")
    phone = push_service.subscribe()
    with committed():
        register(api, factories.session(user.account), phone, name="Phone")
    assert laptop.messages() == [
        {"version": 1, "command": "fxaccounts:device_connected", "data": {"deviceName": "Phone"}}
    ]
    assert phone.messages() == []
    request = laptop.received()[0]
    assert request.ttl == 0
    claims, key = request.vapid_claims(audience=origin(push_service))
    assert claims["sub"] == VAPID_SUBJECT and claims["exp"] > time.time()
    assert key == push.vapid_public_key() == b64url(VAPID_KEY.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    ))


def test_an_unverified_session_s_device_is_not_announced(api, user, push_service, committed):
    laptop = push_service.subscribe()
    register(api, user.session_token, laptop)
    with committed():
        register(api, factories.session(user.account, token_verification_id="ab" * 16), name="Pending")
    assert laptop.received() == []


def test_the_name_announced_is_synthesized_when_none_was_given(api, user, push_service, committed):
    laptop = push_service.subscribe()
    register(api, user.session_token, laptop)
    with committed():
        register(api, factories.session(user.account, user_agent=FIREFOX_DESKTOP), type="desktop")
    assert laptop.messages()[0]["data"] == {"deviceName": "Firefox 120, macOS 10.15"}


def test_an_invoked_command_is_pushed_to_its_target(api, user, push_service, committed):
    sender = register(api, user.session_token, name="A")
    target = push_service.subscribe()
    target_device = register(api, factories.session(user.account), target,
                              availableCommands={OPEN_URI: "keys"})
    with committed():
        answer = ok(api.post("/account/devices/invoke_command",
                             {"target": target_device["id"], "command": OPEN_URI, "payload": {"x": 1}},
                             token=user.session_token))
    assert answer == {"enqueued": True, "notified": True}
    [message] = target.messages()
    assert message == {
        "version": 1,
        "command": "fxaccounts:command_received",
        "data": {
            "command": OPEN_URI,
            "index": 1,
            "sender": sender["id"],
            "url": f"{settings.PUBLIC_URL}/v1/account/device/commands?index=1&limit=1",
        },
    }
    # open-uri's default ttl (30 days) is the push's TTL too, as upstream.
    assert target.received()[0].ttl == 30 * 24 * 3600


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_subscription_marks_the_endpoint_expired(api, user, push_service, committed, status):
    subscription = push_service.subscribe()
    device = register(api, user.session_token, subscription, availableCommands={OPEN_URI: "k"})
    subscription.expire(status)
    with committed():
        notifications.profile_updated(user.uid)
    assert len(subscription.received()) == 1
    assert Device.objects.get(pk=device["id"]).push_endpoint_expired is True
    listed = ok(api.get("/account/devices", token=user.session_token))
    assert listed[0]["pushEndpointExpired"] is True
    # No further pushes to an expired endpoint; the device learns it from its record.
    with committed():
        notifications.profile_updated(user.uid)
        answer = ok(api.post("/account/devices/invoke_command",
                             {"target": device["id"], "command": OPEN_URI, "payload": {}},
                             token=user.session_token))
    assert answer == {"enqueued": True, "notified": False, "notifyError": "expiredCallback"}
    assert len(subscription.received()) == 1
    # Registering a new endpoint makes it pushable again.
    fresh = push_service.subscribe()
    assert register(api, user.session_token, fresh)["pushEndpointExpired"] is False
    with committed():
        notifications.profile_updated(user.uid)
    assert fresh.messages() == [{"version": 1, "command": "fxaccounts:profile_updated"}]


def test_other_push_failures_leave_the_endpoint_alone(api, user, push_service, committed):
    subscription = push_service.subscribe()
    device = register(api, user.session_token, subscription)
    subscription.expire(500)
    with committed():
        notifications.profile_updated(user.uid)
    assert len(subscription.received()) == 1
    assert Device.objects.get(pk=device["id"]).push_endpoint_expired is False


def test_destroying_a_device_tells_every_device_including_itself(api, user, push_service, committed):
    laptop, phone = push_service.subscribe(), push_service.subscribe()
    register(api, user.session_token, laptop)
    phone_device = register(api, factories.session(user.account), phone)
    with committed():
        ok(api.post("/account/device/destroy", {"id": phone_device["id"]}, token=user.session_token))
    expected = {"version": 1, "command": "fxaccounts:device_disconnected", "data": {"id": phone_device["id"]}}
    assert laptop.messages()[-1] == expected
    assert phone.messages() == [expected]
    assert phone.received()[0].ttl == 5 * 3600


def test_destroying_a_session_disconnects_its_device(api, user, push_service, committed):
    laptop, phone = push_service.subscribe(), push_service.subscribe()
    register(api, user.session_token, laptop)
    phone_token = factories.session(user.account)
    phone_device = register(api, phone_token, phone)
    with committed():
        ok(api.post("/session/destroy", token=phone_token))
    assert phone.messages()[-1]["data"] == {"id": phone_device["id"]}
    assert laptop.messages()[-1]["command"] == "fxaccounts:device_disconnected"


def test_a_password_change_tells_the_other_devices(api, push_service, committed):
    user = factories.account("change-push@example.com")
    changing, other = push_service.subscribe(), push_service.subscribe()
    register(api, user.session_token, changing)
    other_token = factories.session(user.account)
    register(api, other_token, other)
    auth_pw, unwrap_bkey = stretch(user.email, user.password)
    start = ok(api.post("/password/change/start", {"email": user.email, "oldAuthPW": auth_pw}))
    keys = ok(api.get("/account/keys", token=start["keyFetchToken"], token_type="keyFetchToken"))
    bundle_key = onepw.derive_token(bytes.fromhex(start["keyFetchToken"]), "keyFetchToken").bundle_key
    _, wrap_kb = onepw.unbundle_keys(bundle_key, bytes.fromhex(keys["bundle"]))
    new_auth_pw, new_unwrap = stretch(user.email, "a whole new password")
    with committed():
        ok(api.post(
            "/password/change/finish",
            {"authPW": new_auth_pw,
             "wrapKb": onepw.xor(onepw.xor(wrap_kb, unwrap_bkey), new_unwrap).hex(),
             "sessionToken": token_id(user.session_token)},
            token=start["passwordChangeToken"], token_type="passwordChangeToken",
        ))
    assert other.messages() == [{"version": 1, "command": "fxaccounts:password_changed"}]
    assert other.received()[0].ttl == 6 * 3600
    assert changing.received() == []
    assert not Device.objects.filter(account=user.account).exists()


def test_destroying_the_account_tells_its_devices(api, push_service, committed):
    user = factories.account("destroy-push@example.com")
    laptop = push_service.subscribe()
    register(api, user.session_token, laptop)
    with committed():
        ok(api.post("/account/destroy", {"email": user.email, "authPW": stretch(user.email)[0]},
                    token=user.session_token))
    assert laptop.messages() == [
        {"version": 1, "command": "fxaccounts:account_destroyed", "data": {"uid": user.uid}}
    ]
    assert laptop.received()[0].ttl == 5 * 3600


def test_nothing_is_pushed_for_a_change_that_rolls_back(api, user, push_service, committed):
    laptop = push_service.subscribe()
    register(api, user.session_token, laptop)
    with committed():
        with pytest.raises(RuntimeError), transaction.atomic():
            notifications.profile_updated(user.uid)
            raise RuntimeError("rolled back")
    assert laptop.received() == []


def test_devices_notify_sends_the_payload_to_the_chosen_devices(api, user, push_service, committed):
    laptop, phone, tablet = (push_service.subscribe() for _ in range(3))
    laptop_device = register(api, user.session_token, laptop)
    phone_device = register(api, factories.session(user.account), phone)
    register(api, factories.session(user.account), tablet)
    payload = {"version": 1, "command": "sync:collection_changed",
               "data": {"collections": ["clients"], "reason": "sendtab"}}
    with committed():
        assert ok(api.post("/account/devices/notify",
                           {"to": "all", "excluded": [laptop_device["id"]], "payload": payload, "TTL": 60},
                           token=user.session_token)) == {}
    assert laptop.received() == []
    assert phone.messages() == [payload] and tablet.messages() == [payload]
    assert phone.received()[0].ttl == 60
    with committed():
        ok(api.post("/account/devices/notify", {"to": [phone_device["id"]], "payload": payload},
                    token=user.session_token))
    assert len(phone.received()) == 2 and len(tablet.received()) == 1
    assert phone.received()[1].ttl == 0


def test_account_verify_notifications_have_no_payload(api, user, push_service, committed):
    laptop = push_service.subscribe()
    register(api, user.session_token, laptop)
    with committed():
        ok(api.post("/account/devices/notify",
                    {"to": "all", "_endpointAction": "accountVerify", "payload": {}}, token=user.session_token))
        notifications.account_updated(user.uid, "accountConfirm")
    assert [request.body for request in laptop.received()] == [b"", b""]
    assert laptop.messages() == [None, None]


@pytest.mark.parametrize("body", [
    {"to": "all", "payload": {"version": 1, "command": "sync:collection_changed",
                              "data": {"collections": ["nope"]}}},
    {"to": "all", "payload": {"version": 1, "command": "fxaccounts:unknown"}},
    {"to": "all", "payload": {"version": 1, "command": "fxaccounts:profile_updated", "extra": 1}},
    {"to": "all", "_endpointAction": "accountVerify", "payload": {"version": 1}},
    {"to": "some", "payload": {"version": 1, "command": "fxaccounts:profile_updated"}},
    {"to": ["zz"], "payload": {"version": 1, "command": "fxaccounts:profile_updated"}},
    {"to": "all", "payload": {"version": 1, "command": "fxaccounts:profile_updated"}, "TTL": -1},
    {"to": "all", "_endpointAction": "other", "payload": {}},
])
def test_invalid_notifications_are_107(api, user, body):
    assert_error(api.post("/account/devices/notify", body, token=user.session_token), 400, 107)


def test_ios_devices_only_get_the_messages_they_handle(api, user, push_service, committed):
    iphone = push_service.subscribe()
    device = register(api, factories.session(user.account, user_agent=IOS), iphone,
                      availableCommands={OPEN_URI: "k"})
    with committed():
        notifications.profile_updated(user.uid)
        ok(api.post("/account/devices/invoke_command",
                    {"target": device["id"], "command": OPEN_URI, "payload": {}}, token=user.session_token))
    assert [m["command"] for m in iphone.messages()] == ["fxaccounts:command_received"]


def test_without_a_vapid_key_pushes_are_unsigned(api, user, push_service, committed, settings):
    settings.VAPID_PRIVATE_KEY = None
    laptop = push_service.subscribe()
    register(api, user.session_token, laptop)
    with committed():
        notifications.profile_updated(user.uid)
    assert "authorization" not in laptop.received()[0].headers
    assert laptop.messages() == [{"version": 1, "command": "fxaccounts:profile_updated"}]


# Configuration.


def test_vapid_keys_load_from_pem_and_raw_base64url():
    pem_key = push.load_vapid_private_key(settings.VAPID_PRIVATE_KEY)
    raw = VAPID_KEY.private_numbers().private_value.to_bytes(32, "big")
    raw_key = push.load_vapid_private_key(b64url(raw))
    assert pem_key.private_numbers() == raw_key.private_numbers() == VAPID_KEY.private_numbers()
    escaped = settings.VAPID_PRIVATE_KEY.replace("\n", "\\n")  # a PEM squeezed into one env line
    assert push.load_vapid_private_key(escaped).private_numbers() == VAPID_KEY.private_numbers()


def test_system_checks_report_a_bad_push_configuration(settings):
    settings.VAPID_PRIVATE_KEY = "not a key"
    settings.VAPID_SUBJECT = "https://accounts.example.com:8443"
    settings.PUSH_ALLOWED_SERVER_REGEX = "(unclosed"
    ids = {problem.id for problem in checks.run_checks() if problem.id.startswith("devices.")}
    assert ids == {"devices.E001", "devices.E002", "devices.E003"}
    settings.VAPID_PRIVATE_KEY, settings.DEBUG = None, False
    settings.VAPID_SUBJECT, settings.PUSH_ALLOWED_SERVER_REGEX = VAPID_SUBJECT, r"^https://x$"
    assert {p.id for p in checks.run_checks() if p.id.startswith("devices.")} == {"devices.W001"}


def test_confirming_a_sign_in_pushes_account_confirm_to_the_devices(api, user, push_service, committed):
    laptop = push_service.subscribe()
    register(api, user.session_token, laptop)
    code = "cd" * 16
    factories.session(user.account, token_verification_id=code)
    with committed():
        ok(api.post("/recovery_email/verify_code", {"uid": user.uid, "code": code}))
    assert [request.body for request in laptop.received()] == [b""]
