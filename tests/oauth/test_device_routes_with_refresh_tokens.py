"""OAuth refresh tokens on the device routes (upstream's refreshToken strategy), and the three kinds
of entry of /v1/account/attached_clients: a browser session, a device, an OAuth client."""
import pytest

from accounts.devices.models import Device
from accounts.models import SessionToken
from accounts.tokens import create_session_token
from oauth.models import RefreshToken
from tests.helpers import assert_error, ok

from .conftest import code_for

pytestmark = pytest.mark.django_db

OPEN_URI = "https://identity.mozilla.com/cmd/open-uri"


def offline_grant(api, user, client, secret):
    """A refresh token for ``client``, as a relying party gets it."""
    body = ok(api.post("/token", {
        "client_id": client.client_id, "client_secret": secret,
        "code": code_for(api, user, client, access_type="offline"),
    }))
    return body["refresh_token"]


def bearer(refresh_token):
    return {"Authorization": f"Bearer {refresh_token}"}


def test_a_refresh_token_registers_and_uses_its_own_device(api, user, rp):
    client, secret = rp
    refresh_token = offline_grant(api, user, client, secret)
    device = ok(api.post("/account/device", {"name": "Phone", "type": "mobile",
                                             "availableCommands": {OPEN_URI: "keys"}},
                         headers=bearer(refresh_token)))
    record = Device.objects.get(pk=device["id"])
    assert record.refresh_token_id == RefreshToken.objects.get().token_id
    assert record.session_token_id is None
    devices = ok(api.get("/account/devices", headers=bearer(refresh_token)))
    assert [(d["name"], d["isCurrentDevice"]) for d in devices] == [("Phone", True)]
    # Registering again with the same token updates that one record.
    ok(api.post("/account/device", {"name": "Renamed"}, headers=bearer(refresh_token)))
    assert list(Device.objects.values_list("name", flat=True)) == ["Renamed"]


def test_an_unknown_refresh_token_is_refused(api, user):
    assert_error(api.get("/account/devices", headers=bearer("ab" * 32)), 401, 110)


def test_attached_clients_lists_a_session_a_device_and_an_oauth_client_and_destroys_each(
    api, user, rp
):
    client, secret = rp
    create_session_token(user.account, verification_method=0)  # another browser, no device
    ok(api.post("/account/device", {"name": "Laptop", "type": "desktop"}, token=user.session_token))
    refresh_token = offline_grant(api, user, client, secret)
    ok(api.post("/account/device", {"name": "Phone", "type": "mobile"}, headers=bearer(refresh_token)))

    entries = ok(api.get("/account/attached_clients", token=user.session_token))
    kinds = {
        (bool(e["sessionTokenId"]), bool(e["deviceId"]), e["clientId"]): e for e in entries
    }
    assert set(kinds) == {(True, False, None), (True, True, None), (False, True, client.client_id)}
    laptop = kinds[(True, True, None)]
    assert (laptop["name"], laptop["isCurrentSession"]) == ("Laptop", True)
    oauth = kinds[(False, True, client.client_id)]
    assert oauth["refreshTokenId"] == RefreshToken.objects.get().token_id
    assert oauth["name"] == "Phone"
    browser = kinds[(True, False, None)]

    ok(api.post("/account/attached_client/destroy", {"sessionTokenId": browser["sessionTokenId"]},
                token=user.session_token))
    assert SessionToken.objects.filter(account=user.account).count() == 1
    assert Device.objects.count() == 2 and RefreshToken.objects.count() == 1

    ok(api.post("/account/attached_client/destroy",
                {"clientId": client.client_id, "refreshTokenId": oauth["refreshTokenId"],
                 "deviceId": oauth["deviceId"]},
                token=user.session_token))
    assert not RefreshToken.objects.exists()
    assert list(Device.objects.values_list("name", flat=True)) == ["Laptop"]
    assert SessionToken.objects.filter(account=user.account).count() == 1

    remaining = ok(api.get("/account/attached_clients", token=user.session_token))
    assert [(e["name"], e["isCurrentSession"]) for e in remaining] == [("Laptop", True)]

    # The device entry goes with its session (here the caller's own).
    ok(api.post("/account/attached_client/destroy",
                {"deviceId": laptop["deviceId"], "sessionTokenId": laptop["sessionTokenId"]},
                token=user.session_token))
    assert not Device.objects.exists()
    assert not SessionToken.objects.filter(account=user.account).exists()
