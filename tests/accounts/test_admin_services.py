"""Support staff's admin actions change an account only through the services the API uses: the
account's devices hear of it (Web Push to a loopback push service), the security events and mail
are those of the API, and nothing is a bare database delete."""
import logging
import secrets

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.urls import reverse

from accounts.devices.models import Device
from accounts.models import Account, SecurityEvent, SessionToken
from accounts.twofactor.models import RecoveryCode, TotpToken
from accounts.twofactor.services import has_enabled_totp, recovery_codes
from emails.models import OutboundEmail
from tests import factories
from tests.devices.push_service import FakePushService
from tests.helpers import token_key

pytestmark = pytest.mark.django_db

VAPID_KEY_PEM = ec.generate_private_key(ec.SECP256R1()).private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
FIVE_HOURS = 5 * 3600  # upstream's TTL of account_destroyed and device_disconnected pushes


@pytest.fixture(scope="module")
def push_service():
    service = FakePushService().start()
    yield service
    service.stop()


@pytest.fixture(autouse=True)
def push_settings(settings):
    settings.PUSH_EXTRA_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.VAPID_PRIVATE_KEY = VAPID_KEY_PEM
    settings.VAPID_SUBJECT = "mailto:admin-tests@example.com"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs the on-commit hooks (queued pushes) of what it wraps."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def with_device(account, push_service, session_token=None):
    """A device with a push subscription on a session of ``account``; returns the subscription."""
    subscription = push_service.subscribe()
    session_key = token_key(session_token) if session_token else account.session_key
    Device.objects.create(
        id=secrets.token_hex(16), account=account.account, session_token_id=session_key,
        name="Laptop", push_callback=subscription.endpoint, **_keys(subscription),
    )
    return subscription


def _keys(subscription):
    registration = subscription.registration()
    return {"push_public_key": registration["pushPublicKey"],
            "push_auth_key": registration["pushAuthKey"]}


def destroyed(uid):
    return {"version": 1, "command": "fxaccounts:account_destroyed", "data": {"uid": uid}}


def test_deleting_an_account_tells_its_devices_as_the_api_does(admin_client, push_service, committed,
                                                                caplog):
    user = factories.account("admin-delete@example.com")
    laptop = with_device(user, push_service)
    caplog.set_level(logging.INFO, logger="fxa.accounts")
    with committed():
        response = admin_client.post(
            reverse("admin:accounts_account_delete", args=[user.uid]), {"post": "yes"}
        )
    assert response.status_code == 302
    assert laptop.messages() == [destroyed(user.uid)]
    assert laptop.received()[0].ttl == FIVE_HOURS
    assert not Account.objects.filter(pk=user.uid).exists()
    assert not SessionToken.objects.filter(account_id=user.uid).exists()
    assert not Device.objects.filter(account_id=user.uid).exists()
    # The account's security events go with it (as with /account/destroy): the log keeps who did it.
    [record] = [r for r in caplog.records if r.name == "fxa.accounts" and user.uid in r.getMessage()]
    assert "support" in record.getMessage() and "admin" in record.getMessage()


def test_the_bulk_delete_action_tells_each_account_s_devices(admin_client, push_service, committed):
    first = factories.account("first-bulk@example.com")
    second = factories.account("second-bulk@example.com")
    kept = factories.account("kept-bulk@example.com")
    first_laptop, second_laptop = with_device(first, push_service), with_device(second, push_service)
    kept_laptop = with_device(kept, push_service)
    with committed():
        response = admin_client.post(reverse("admin:accounts_account_changelist"), {
            "action": "delete_selected", "_selected_action": [first.uid, second.uid], "post": "yes",
        })
    assert response.status_code == 302
    assert first_laptop.messages() == [destroyed(first.uid)]
    assert second_laptop.messages() == [destroyed(second.uid)]
    assert kept_laptop.received() == []
    assert set(Account.objects.values_list("uid", flat=True)) == {kept.uid}


def test_signing_a_session_out_disconnects_its_device_and_records_the_event(
    admin_client, push_service, committed
):
    user = factories.account("admin-signout@example.com")
    laptop = with_device(user, push_service)
    phone_token = factories.session(user)
    phone = with_device(user, push_service, session_token=phone_token)
    phone_device = Device.objects.get(push_callback=phone.endpoint)
    phone_session = phone_device.session_token_id
    with committed():
        response = admin_client.post(reverse("admin:accounts_sessiontoken_changelist"), {
            "action": "sign_out", "_selected_action": [phone_session[:16]],
        })
    assert response.status_code == 302
    message = {"version": 1, "command": "fxaccounts:device_disconnected",
               "data": {"id": phone_device.id}}
    assert laptop.messages() == [message]
    assert phone.messages() == [message]  # upstream tells the removed device too
    assert not SessionToken.objects.filter(pk=phone_session).exists()
    assert SessionToken.objects.filter(pk=user.session_key).exists()
    event = SecurityEvent.objects.get(account_id=user.uid, name="session.destroy")
    assert event.token_id == phone_session
    assert event.additional_info == {"by": "support"}


def test_turning_two_step_authentication_off_mails_the_account_as_the_api_does(admin_client):
    user = factories.account("admin-totp@example.com", totp=True)
    recovery_codes.new_set(user.account)
    token = TotpToken.objects.get(account_id=user.uid)
    url = reverse("admin:twofactor_totptoken_delete", args=[token.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not has_enabled_totp(user.account)
    assert not RecoveryCode.objects.filter(account_id=user.uid).exists()
    event = SecurityEvent.objects.get(account_id=user.uid, name="account.two_factor_removed")
    assert event.additional_info == {"by": "support"}
    notice = OutboundEmail.objects.get(template="postRemoveTwoStepAuthentication")
    assert notice.uid == user.uid and notice.to == ["admin-totp@example.com"]
