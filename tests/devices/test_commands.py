"""The device command queue: POST /account/devices/invoke_command, GET /account/device/commands."""
import pytest
from django.conf import settings

from accounts.devices.models import DeviceCommand
from accounts.devices.tasks import prune_expired_commands
from accounts.models import now_ms
from tests import factories
from tests.helpers import assert_error, ok

from .conftest import OPEN_URI

pytestmark = pytest.mark.django_db

DAY = 24 * 3600


@pytest.fixture
def devices(api, user):
    """Device A (the user's session) and device B (another session), B offering open-uri."""
    a = ok(api.post("/account/device", {"name": "A"}, token=user.session_token))
    b_token = factories.session(user.account)
    b = ok(api.post("/account/device", {"name": "B", "availableCommands": {OPEN_URI: "keys"}},
                    token=b_token))
    return a["id"], b["id"], b_token


def invoke(api, token, target, command=OPEN_URI, payload=None, **extra):
    body = {"target": target, "command": command, "payload": payload or {"encrypted": "…"}, **extra}
    return api.post("/account/devices/invoke_command", body, token=token)


def fetch(api, token, query=""):
    return ok(api.get(f"/account/device/commands{query}", token=token))


def test_invoke_queues_the_command_with_the_sender_and_an_increasing_index(api, user, devices):
    a, b, b_token = devices
    answer = ok(invoke(api, user.session_token, b, payload={"encrypted": "tab-1"}))
    assert answer == {"enqueued": True, "notified": False, "notifyError": "noCallback"}
    ok(invoke(api, user.session_token, b, payload={"encrypted": "tab-2"}))
    assert fetch(api, b_token) == {
        "index": 2,
        "last": True,
        "messages": [
            {"index": 1, "data": {"command": OPEN_URI, "payload": {"encrypted": "tab-1"}, "sender": a}},
            {"index": 2, "data": {"command": OPEN_URI, "payload": {"encrypted": "tab-2"}, "sender": a}},
        ],
    }


def test_indexes_count_per_device(api, user, devices):
    _, b, _ = devices
    c_token = factories.session(user.account)
    c = ok(api.post("/account/device", {"availableCommands": {OPEN_URI: "k"}}, token=c_token))["id"]
    ok(invoke(api, user.session_token, b))
    ok(invoke(api, user.session_token, b))
    ok(invoke(api, user.session_token, c))
    assert [m["index"] for m in fetch(api, c_token)["messages"]] == [1]


def test_a_sender_without_device_is_not_named(api, user, devices):
    _, b, b_token = devices
    ok(invoke(api, factories.session(user.account), b))
    assert "sender" not in fetch(api, b_token)["messages"][0]["data"]


def test_a_command_the_target_does_not_offer_is_157(api, user, devices):
    a, b, _ = devices
    assert_error(invoke(api, user.session_token, b, command="https://identity.mozilla.com/cmd/close-uri/v1"),
                 400, 157)
    assert_error(invoke(api, factories.session(user.account), a), 400, 157)
    assert not DeviceCommand.objects.exists()


def test_an_unknown_or_foreign_target_is_123(api, user, devices):
    other = factories.account("other@example.com")
    theirs = ok(api.post("/account/device", {"availableCommands": {OPEN_URI: "k"}},
                         token=other.session_token))["id"]
    assert_error(invoke(api, user.session_token, theirs), 400, 123)
    assert_error(invoke(api, user.session_token, "ef" * 16), 400, 123)


@pytest.mark.parametrize("extra", [
    {"ttl": -1}, {"ttl": 10_000_001}, {"ttl": 1.5}, {"ttl": "soon"}, {"ttl": True},
    {"payload": "not an object"}, {"payload": ["list"]}, {"target": "xyz"}, {"command": ""},
])
def test_invalid_invocations_are_107(api, user, devices, extra):
    _, b, _ = devices
    body = {"target": b, "command": OPEN_URI, "payload": {}, **extra}
    assert_error(api.post("/account/devices/invoke_command", body, token=user.session_token), 400, 107)


@pytest.mark.parametrize("command, ttl, stored", [
    (OPEN_URI, None, 28 * DAY),  # open-uri defaults to 30 days, capped at 28
    (OPEN_URI, 60, 60),
    ("other:command", None, 28 * DAY),
    (OPEN_URI, 10_000_000, 28 * DAY),
    (OPEN_URI, 0, 0),
])
def test_commands_keep_their_ttl_capped_at_the_maximum(api, user, command, ttl, stored):
    target_token = factories.session(user.account)
    target = ok(api.post("/account/device", {"availableCommands": {command: "k"}}, token=target_token))
    extra = {} if ttl is None else {"ttl": ttl}
    ok(invoke(api, user.session_token, target["id"], command=command, **extra))
    queued = DeviceCommand.objects.get()
    assert queued.expires_at - queued.created_at == stored * 1000
    assert settings.DEVICE_COMMAND_MAX_TTL == 28 * DAY


def test_paging_with_index_and_limit(api, user, devices):
    _, b, b_token = devices
    for _ in range(3):
        ok(invoke(api, user.session_token, b))
    first = fetch(api, b_token, "?limit=1")
    assert (first["index"], first["last"], [m["index"] for m in first["messages"]]) == (1, False, [1])
    second = fetch(api, b_token, f"?index={first['index'] + 1}&limit=1")
    assert (second["index"], second["last"], [m["index"] for m in second["messages"]]) == (2, False, [2])
    rest = fetch(api, b_token, "?index=3")
    assert (rest["index"], rest["last"], [m["index"] for m in rest["messages"]]) == (3, True, [3])
    assert fetch(api, b_token, "?index=4") == {"index": 0, "last": True, "messages": []}
    assert fetch(api, b_token, "?limit=0") == {"index": 0, "last": True, "messages": []}


def test_reading_does_not_delete(api, user, devices):
    _, b, b_token = devices
    ok(invoke(api, user.session_token, b))
    assert fetch(api, b_token) == fetch(api, b_token)
    assert DeviceCommand.objects.count() == 1


def test_expired_commands_are_never_returned(api, user, devices):
    _, b, b_token = devices
    for _ in range(3):
        ok(invoke(api, user.session_token, b))
    DeviceCommand.objects.filter(index__in=[1, 3]).update(expires_at=now_ms() - 1)
    body = fetch(api, b_token)
    assert (body["index"], body["last"], [m["index"] for m in body["messages"]]) == (2, True, [2])
    assert fetch(api, b_token, "?index=3") == {"index": 0, "last": True, "messages": []}
    assert prune_expired_commands() == 2
    assert list(DeviceCommand.objects.values_list("index", flat=True)) == [2]


def test_a_token_without_device_has_no_commands(api, user, devices):
    assert fetch(api, factories.session(user.account)) == {"index": 0, "last": True, "messages": []}


@pytest.mark.parametrize("query", ["?limit=101", "?limit=-1", "?limit=x", "?index=two"])
def test_invalid_command_queries_are_107(api, user, devices, query):
    body = assert_error(api.get(f"/account/device/commands{query}", token=user.session_token), 400, 107)
    assert body["validation"]["source"] == "query"
