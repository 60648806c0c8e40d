"""Support staff see two-step authentication in the admin (never its secret) and can turn it off."""
import pytest
from django.urls import reverse

from accounts.models import SecurityEvent
from accounts.twofactor import otp
from accounts.twofactor.models import RecoveryCode, TotpToken
from accounts.twofactor.services import has_enabled_totp, recovery_codes

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(user):
    row = TotpToken.objects.create(
        account=user.account, shared_secret=otp.new_secret(), verified=True, enabled=True
    )
    recovery_codes.new_set(user.account)
    return row


def test_list_shows_state_not_secret(admin_client, token):
    page = admin_client.get(reverse("admin:twofactor_totptoken_changelist")).content.decode()
    assert token.account.uid in page or token.account.email in page
    assert token.shared_secret not in page
    detail = admin_client.get(reverse("admin:twofactor_totptoken_change", args=[token.pk]))
    assert detail.status_code == 200 and token.shared_secret not in detail.content.decode()


def test_delete_turns_two_step_authentication_off(admin_client, token):
    url = reverse("admin:twofactor_totptoken_delete", args=[token.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not has_enabled_totp(token.account)
    assert not RecoveryCode.objects.filter(account=token.account).exists()
    event = SecurityEvent.objects.get(account=token.account, name="account.two_factor_removed")
    assert event.additional_info == {"by": "support"}
