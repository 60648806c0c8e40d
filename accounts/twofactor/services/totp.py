"""TOTP use cases (auth-api-responses.md §4): set up an authenticator, sign in with it, remove it.

Two setup flows share one pending row (``TotpToken`` with ``enabled`` false, valid an hour):

* newer: /totp/create → /totp/setup/verify {code} → /totp/setup/complete enables it (the
  backup codes are set in between with POST /recoveryCodes);
* older: /totp/create → the first valid /session/verify/totp enables it and, if the account has
  no backup codes yet, answers a fresh set as ``recoveryCodes``.

An enabled authenticator is replaced by another the same way, with the new secret held on the
row (/totp/replace/start → /totp/replace/confirm) so the old app works until the swap.

Enabling raises the session that did it to AAL2 (``totp-2fa``). Every code is accepted once:
the row remembers the latest accepted time step and a code of that step or an earlier one fails
(a conditional UPDATE decides between concurrent requests). Customs counts every code checked
on the account (``verifyTotpCode``: ten per 30 seconds by default) and wrong ones per IP
(``verifyTotpCodeFailed``), and setups (``totpCreate``).
"""
from django.conf import settings
from django.db import transaction
from django.db.models import Q

from accounts import signals
from accounts.errors import AppError, Errno
from accounts.models import Account, VerificationMethod, now_ms
from accounts.services import notices, security_events, verification
from accounts.services.customs_checks import check_account
from accounts.services.password_reset import mark_password_forgot_verified

from .. import otp
from ..models import RecoveryCode, TotpToken
from . import assurance, recovery_codes


def _locked_token(account):
    """The account's TOTP row, locked; the account row is locked first so that two setups of one
    account queue up instead of racing to insert."""
    Account.objects.select_for_update().filter(pk=account.pk).first()
    return TotpToken.objects.select_for_update().filter(pk=account.pk).first()


def _accept_code(token, code, at=None):
    """Whether ``code`` is valid now and its time step was not used before; records the step."""
    step = otp.matching_step(token.shared_secret, code, at)
    if step is None:
        return False
    fresh = Q(last_used_step__isnull=True) | Q(last_used_step__lt=step)
    accepted = TotpToken.objects.filter(fresh, pk=token.pk).update(last_used_step=step)
    if accepted:
        token.last_used_step = step
    return bool(accepted)



def totp_status(account):
    """GET /totp/exists: ``exists`` and ``verified`` are true once two-step auth is enabled.

    A setup in progress is not reported (upstream keeps it in Redis, outside the totp table).
    """
    enabled = TotpToken.objects.filter(pk=account.pk, enabled=True).exists()
    return {"exists": enabled, "verified": enabled}


def create_totp(session, context):
    """POST /totp/create: the secret to set up an authenticator app with, and its QR code.

    For a confirmed session (the route's permission); 154 when two-step auth is already on.
    Calling it again within the hour returns the same secret (and forgets a previous
    /totp/setup/verify).
    """
    account = session.account
    check_account("totpCreate", account, context)
    now = now_ms()
    with transaction.atomic():
        token = _locked_token(account)
        if token is not None and token.enabled:
            raise AppError(Errno.TOTP_TOKEN_EXISTS)
        if token is not None and token.is_live_pending(now):
            token.created_at = now
            token.setup_verified_at = None
            token.save(update_fields=["created_at", "setup_verified_at"])
        else:
            token, _ = TotpToken.objects.update_or_create(
                account=account,
                defaults={
                    "shared_secret": otp.new_secret(), "epoch": 0, "verified": False,
                    "enabled": False, "created_at": now, "setup_verified_at": None,
                    "last_used_step": None,
                },
            )
    url = otp.otpauth_url(
        settings.TOTP_SERVICE_NAME, verification.primary_address(account), token.shared_secret
    )
    return {"qr_code_url": otp.qr_code_data_url(url), "secret": token.shared_secret}


def verify_setup(session, code, context):
    """POST /totp/setup/verify: a code of the pending secret proves the app is set up.

    155 without a setup in progress, 152 for a wrong (or replayed) code.
    """
    account = session.account
    check_account("verifyTotpCode", account, context)
    now = now_ms()
    with transaction.atomic():
        token = _locked_token(account)
        if token is None or not token.is_live_pending(now):
            raise AppError(Errno.TOTP_TOKEN_NOT_FOUND)
        valid = _accept_code(token, code)
        if valid:
            token.setup_verified_at = now
            token.save(update_fields=["setup_verified_at"])
    if not valid:
        check_account("verifyTotpCodeFailed", account, context)
        raise AppError(Errno.INVALID_TOKEN_VERIFICATION_CODE)
    return {"success": True}


def complete_setup(session, context, *, service=None):
    """POST /totp/setup/complete: enable the verified pending secret; the session reaches AAL2.

    For a confirmed session (the route's permission); 155 without a setup in progress, 152 until
    /totp/setup/verify has accepted a code of this secret.
    """
    now = now_ms()
    with transaction.atomic():
        token = _locked_token(session.account)
        if token is None or not token.is_live_pending(now):
            raise AppError(Errno.TOTP_TOKEN_NOT_FOUND)
        if token.setup_verified_at is None:
            raise AppError(Errno.INVALID_TOKEN_VERIFICATION_CODE)
        _enable(token, session, context, service)
    return {"success": True}


def _enable(token, session, context, service):
    token.verified = True
    token.enabled = True
    token.save(update_fields=["verified", "enabled"])
    assurance.verify_session_with(session, VerificationMethod.TOTP_2FA)
    security_events.record(
        session.account, "account.two_factor_added", context, verified=True, token_id=session.pk
    )
    signals.profile_changed.send(Account, account=session.account, changes={"totp_enabled": True})
    notices.notify("postAddTwoStepAuthentication", session.account, context, service=service)


def start_replacement(session, context):
    """POST /totp/replace/start: a new secret for a new authenticator app, while the enabled one
    keeps working until /totp/replace/confirm.

    For a confirmed session (the route's permission); 155 without an enabled authenticator.
    Calling it again within the hour returns the same new secret.
    """
    account = session.account
    check_account("totpCreate", account, context)
    now = now_ms()
    with transaction.atomic():
        token = _locked_token(account)
        if token is None or not token.enabled:
            raise AppError(Errno.TOTP_TOKEN_NOT_FOUND)
        if not token.has_live_replacement(now):
            token.replacement_secret = otp.new_secret()
        token.replacement_created_at = now
        token.save(update_fields=["replacement_secret", "replacement_created_at"])
    url = otp.otpauth_url(
        settings.TOTP_SERVICE_NAME, verification.primary_address(account), token.replacement_secret
    )
    return {"qr_code_url": otp.qr_code_data_url(url), "secret": token.replacement_secret}


def confirm_replacement(session, code, context):
    """POST /totp/replace/confirm: a code of the new secret swaps it in for the old one.

    155 without a replacement in progress, 152 for a wrong code (the old app still works).
    Mails ``postChangeTwoStepAuthentication``.
    """
    account = session.account
    check_account("verifyTotpCode", account, context)
    now = now_ms()
    with transaction.atomic():
        token = _locked_token(account)
        if token is None or not token.enabled or not token.has_live_replacement(now):
            raise AppError(Errno.TOTP_TOKEN_NOT_FOUND)
        step = otp.matching_step(token.replacement_secret, code)
        if step is not None:
            # The old secret's replay guard means nothing for the new one.
            token.shared_secret, token.last_used_step = token.replacement_secret, step
            token.replacement_secret, token.replacement_created_at = "", None
            token.save(update_fields=[
                "shared_secret", "last_used_step", "replacement_secret", "replacement_created_at",
            ])
            security_events.record(
                account, "account.two_factor_replace_success", context, verified=True,
                token_id=session.pk,
            )
            notices.notify("postChangeTwoStepAuthentication", account, context)
    if step is None:
        check_account("verifyTotpCodeFailed", account, context)
        raise AppError(Errno.INVALID_TOKEN_VERIFICATION_CODE)
    return {"success": True}


def verify_session(session, code, context, *, service=None):
    """POST /session/verify/totp: a code from the app confirms this sign-in with ``totp-2fa``.

    A wrong or replayed code is not an HTTP error: ``{success: false}`` (and a
    ``two_factor_challenge_failure`` event). 155 when the account has no authenticator. A valid
    code on a pending setup enables it (the older flow).
    """
    account = session.account
    check_account("verifyTotpCode", account, context)
    now = now_ms()
    with transaction.atomic():
        token = TotpToken.objects.select_for_update().filter(pk=account.pk).first()
        if token is None or not (token.enabled or token.is_live_pending(now)):
            raise AppError(Errno.TOTP_TOKEN_NOT_FOUND)
        valid = _accept_code(token, code)
        body = {"success": valid}
        if valid:
            _confirm_session(token, session, context, service, body)
        else:
            security_events.record(
                account, "account.two_factor_challenge_failure", context, token_id=session.pk
            )
    if not valid:
        check_account("verifyTotpCodeFailed", account, context)
    return body


def _confirm_session(token, session, context, service, body):
    """A right code of /session/verify/totp: AAL2 for the session, or the pending setup enabled."""
    account = session.account
    if token.enabled:
        assurance.raise_to_second_factor(session, VerificationMethod.TOTP_2FA)
        verification.send_new_device_login(account, context)
    else:
        _enable(token, session, context, service)
        if not RecoveryCode.objects.filter(account=account).exists():
            body["recovery_codes"] = recovery_codes.new_set(account)
    security_events.record(
        account, "account.two_factor_challenge_success", context, verified=True,
        token_id=session.pk,
    )


def verify_password_forgot(forgot_token, code, context):
    """POST /totp/verify (passwordForgotToken): a code from the app lets the reset of a two-step
    account go on (``/password/forgot/verify_code`` needs it).

    The rules of /session/verify/totp: a wrong or replayed code is ``{success: false}``, counted
    by customs as one; 155 without an enabled authenticator.
    """
    account = forgot_token.account
    check_account("verifyTotpCode", account, context)
    with transaction.atomic():
        token = TotpToken.objects.select_for_update().filter(pk=account.pk, enabled=True).first()
        if token is None:
            raise AppError(Errno.TOTP_TOKEN_NOT_FOUND)
        valid = _accept_code(token, code)
        if valid:
            mark_password_forgot_verified(forgot_token)
            security_events.record(
                account, "account.two_factor_challenge_success", context, verified=True
            )
            return {"success": True}
        security_events.record(account, "account.two_factor_challenge_failure", context)
    check_account("verifyTotpCodeFailed", account, context)
    return {"success": False}


def destroy_totp(session, context):
    """POST /totp/destroy: two-step authentication off, backup codes gone (for a confirmed
    session: the route's permission). The session drops to ``email-2fa``; the removal mail goes
    only when two-step authentication was actually on."""
    _remove(session.account, context, session)
    return {}


def remove_for_support(account, context):
    """Support staff turn two-step authentication off for a user who lost the app and the backup
    codes: /totp/destroy without a session to downgrade; the event says ``by: support``."""
    _remove(account, context, None, by="support")


def _remove(account, context, session, **info):
    with transaction.atomic():
        token = _locked_token(account)
        RecoveryCode.objects.filter(account=account).delete()
        if session is not None:
            assurance.downgrade_after_removal(session)
        if token is None:
            return
        token.delete()
        security_events.record(
            account, "account.two_factor_removed", context, verified=session is not None,
            token_id=session.pk if session is not None else None, **info,
        )
        if token.enabled:
            signals.profile_changed.send(Account, account=account, changes={"totp_enabled": False})
            notices.notify("postRemoveTwoStepAuthentication", account, context)
