"""A notice about a change already made never undoes the change: with a recent bounce on the
account's address (which refuses most mail with 133/134/135), two-step changes and backup-code
sign-ins still happen, and the notice is skipped (emails.services.send_notification)."""
import pytest

from accounts.models import EmailBounce, SessionToken, now_ms
from accounts.twofactor.models import TotpToken
from emails.models import OutboundEmail
from tests import factories
from tests.helpers import ok, token_key

from .conftest import enable_totp
from .test_recovery_codes import with_totp

pytestmark = pytest.mark.django_db


def bounced(email):
    EmailBounce.objects.create(email=email, bounce_type=EmailBounce.Type.HARD, created_at=now_ms())


def test_enabling_totp_with_a_bounced_address_still_enables_it(api, user):
    bounced(user.account.email)
    enable_totp(api, user.session_token)
    assert TotpToken.objects.get(account=user.account).enabled
    assert not OutboundEmail.objects.filter(template="postAddTwoStepAuthentication").exists()


def test_a_backup_code_sign_in_with_a_bounced_address_still_signs_in(api, user):
    codes = with_totp(user.account)
    bounced(user.account.email)
    login = factories.session(user.account, verified=False)
    assert ok(api.post("/session/verify/recoveryCode", {"code": codes[0]}, token=login)) == {"remaining": 7}
    assert SessionToken.objects.get(pk=token_key(login)).token_verified
    assert not OutboundEmail.objects.filter(template="postSigninRecoveryCode").exists()
