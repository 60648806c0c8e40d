"""Two-step authentication use cases: TOTP (``totp``), backup authentication codes
(``recovery_codes``) and MFA step-up codes (``step_up``); each public function runs in one
transaction with its security event, and queues its mail there.

``has_enabled_totp`` is what the rest of the server asks: the account's authenticator assurance
level (``Account.authenticator_assurance_level``) and sign-in, which forces ``totp-2fa``.
"""
from ..models import TotpToken


def has_enabled_totp(account):
    """Whether two-step authentication is on for ``account`` (an Account or a uid).

    One primary-key lookup on the TOTP table: cheap enough for every /session/status.
    """
    uid = getattr(account, "pk", account)
    return TotpToken.objects.filter(pk=uid, enabled=True).exists()
