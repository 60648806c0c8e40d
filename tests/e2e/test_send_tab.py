"""Sending a tab end to end: gunicorn, a real Celery worker, and a push service that decrypts.

Device A invokes open-uri on device B over HTTP; the worker pushes ``command_received`` to B's
push service, encrypted for B's keys and signed with the server's VAPID key; B fetches the command
from the URL in the push, sees it once, and never after its ttl.
"""
import time
from urllib.parse import urlsplit

import pytest
import requests

from accounts.devices.models import Device, DeviceCommand
from accounts.models import now_ms
from tests import factories
from tests.devices.conftest import OPEN_URI, VAPID_KEY_PEM, VAPID_SUBJECT, push_service
from tests.helpers import authorization

# The live server's devices may use the loopback push service; pushes are signed with a test key.
PUSH_ENV = {
    "PUSH_EXTRA_ALLOWED_HOSTS": "127.0.0.1",
    "VAPID_PRIVATE_KEY": VAPID_KEY_PEM,
    "VAPID_SUBJECT": VAPID_SUBJECT,
}

pytestmark = [
    pytest.mark.e2e, pytest.mark.django_db(transaction=True),
    pytest.mark.live_stack(extra_env=PUSH_ENV),
]
__all__ = ["push_service"]  # the fixture, shared with tests/devices


class Client:
    """One device's HTTP client: its sessionToken as ``Bearer fxs_…``."""

    def __init__(self, stack, token):
        self.stack, self.token = stack, token

    def request(self, method, url, body=None):
        url = url if url.startswith("http") else f"{self.stack.url}/v1{url}"
        headers = {"Authorization": authorization(self.token, "sessionToken", method, url)}
        response = requests.request(method, url, json=body, headers=headers, timeout=10)
        assert response.status_code == 200, (response.status_code, response.text)
        return response.json()


def test_send_tab(live_stack, push_service):
    user = factories.account("send-tab@example.com")
    a = Client(live_stack, user.session_token)
    b = Client(live_stack, factories.session(user.account))
    b_push = push_service.subscribe()

    a_device = a.request("POST", "/account/device", {"name": "Desktop A", "type": "desktop"})
    b_device = b.request("POST", "/account/device", {
        "name": "Phone B", "type": "mobile", **b_push.registration(),
        "availableCommands": {OPEN_URI: "B's send-tab keys"},
    })
    targets = {d["name"]: d for d in a.request("GET", "/account/devices")}
    assert targets["Phone B"]["availableCommands"] == {OPEN_URI: "B's send-tab keys"}

    tab = {"encrypted": "a tab only B can decrypt"}
    assert a.request("POST", "/account/devices/invoke_command",
                     {"target": b_device["id"], "command": OPEN_URI, "payload": tab}) == {
        "enqueued": True, "notified": True}

    [message] = b_push.wait_for_messages(1)
    url = f"{live_stack.url}/v1/account/device/commands?index=1&limit=1"
    assert message == {
        "version": 1,
        "command": "fxaccounts:command_received",
        "data": {"command": OPEN_URI, "index": 1, "sender": a_device["id"], "url": url},
    }
    request = b_push.received()[0]
    endpoint = urlsplit(b_push.endpoint)
    claims, _ = request.vapid_claims(audience=f"{endpoint.scheme}://{endpoint.netloc}")
    assert claims["sub"] == VAPID_SUBJECT
    assert request.ttl == 30 * 24 * 3600

    sent = {"index": 1, "data": {"command": OPEN_URI, "payload": tab, "sender": a_device["id"]}}
    assert b.request("GET", message["data"]["url"]) == {"index": 1, "last": True, "messages": [sent]}
    # Seen once: the next page is empty; reading did not delete it.
    assert b.request("GET", "/account/device/commands?index=2") == {"index": 0, "last": True, "messages": []}
    assert b.request("GET", "/account/device/commands") == {"index": 1, "last": True, "messages": [sent]}

    # Its ttl runs out (moved in the database, not waited for): never returned again.
    DeviceCommand.objects.filter(device_id=b_device["id"]).update(expires_at=now_ms() - 1)
    assert b.request("GET", "/account/device/commands") == {"index": 0, "last": True, "messages": []}


def test_a_push_service_answering_410_expires_the_endpoint(live_stack, push_service):
    user = factories.account("gone@example.com")
    a = Client(live_stack, user.session_token)
    gone = push_service.subscribe()
    gone.expire(410)
    device = a.request("POST", "/account/device", {"name": "Gone", **gone.registration()})
    a.request("POST", "/account/devices/notify", {
        "to": [device["id"]],
        "payload": {"version": 1, "command": "sync:collection_changed", "data": {"collections": ["tabs"]}},
    })
    push_service.wait_for(gone.path)
    deadline = time.monotonic() + 30
    while not Device.objects.get(pk=device["id"]).push_endpoint_expired:
        assert time.monotonic() < deadline, live_stack.worker.output()
        time.sleep(0.1)
    assert a.request("GET", "/account/devices")[0]["pushEndpointExpired"] is True
