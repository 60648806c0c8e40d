"""Changing the password with the old one (onepw.md §6.3), including the v1 → v2 upgrade."""
from django.db import transaction

from .. import customs, ports
from ..errors import AppError
from ..models import Account, SessionToken, now_ms
from ..tokens import create_key_fetch_token, create_password_change_token, spend, stored_id
from . import assurance, credentials, notices, passwords, scrypt_gate, security_events
from .customs_checks import check_account


def start(email, old_auth_pw, context):
    """POST /password/change/start: a passwordChangeToken and a keyFetchToken for the old wrapKb.

    Unauthenticated (the old password is the proof): customs counts it on the address
    (``passwordChange``)."""
    customs.check("passwordChange", context, email=email)
    account, match = passwords.check_credentials(email, old_auth_pw, context)
    with transaction.atomic():
        password_change_token = create_password_change_token(account)
        # Verified from birth: knowing the password is what this token proves.
        key_fetch_token = create_key_fetch_token(account, bytes.fromhex(account.ka), match.wrap_kb)
    body = {"password_change_token": password_change_token, "verified": account.email_verified}
    body["key_fetch_token_2" if match.version == 2 else "key_fetch_token"] = key_fetch_token
    return body


def finish(password_change_token, auth_pw, wrap_kb, context, *, v2=None, session_token_id=None,
           keys=False):
    """POST /password/change/finish: set the new password, keeping kB (the client re-wrapped it).

    A *password upgrade* (the same password re-sent with its first v2 credentials) keeps every
    session and sends nothing; a real change signs out every other session.
    """
    account = password_change_token.account
    with scrypt_gate.slot():  # one place for every scrypt of the change: never refused half-way
        is_upgrade = _is_upgrade(account, auth_pw, v2)
        stored = passwords.new_password(auth_pw, wrap_kb=wrap_kb, v2=v2)
    with transaction.atomic():
        spend(password_change_token)
        account = Account.objects.select_for_update().get(pk=account.pk)
        template = None
        if session_token_id is not None:
            template = _session_of(account, stored_id(session_token_id))
        return _change(account, stored, context, template, wrap_kb, v2, keys, is_upgrade)


def change_with_step_up(session, auth_pw, wrap_kb, context, *, old_auth_pw=None, v2=None,
                        keys=False):
    """POST /mfa/password/change: what /password/change/finish does, authorized by a step-up JWT
    (scope ``mfa:password``) instead of a passwordChangeToken. ``old_auth_pw``, when sent, must be
    the current password (103). The answer is a replacement of the JWT's session. Customs
    counts it on the account (``authenticatedPasswordChange``)."""
    account = session.account
    check_account("authenticatedPasswordChange", account, context)
    with scrypt_gate.slot():  # one place for every scrypt of the change: never refused half-way
        if old_auth_pw is not None and passwords.match_password(account, old_auth_pw) is None:
            raise AppError.incorrect_password(account.email)
        is_upgrade = _is_upgrade(account, auth_pw, v2)
        stored = passwords.new_password(auth_pw, wrap_kb=wrap_kb, v2=v2)
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account.pk)
        template = _session_of(account, session.pk)
        return _change(account, stored, context, template, wrap_kb, v2, keys, is_upgrade)


def _is_upgrade(account, auth_pw, v2):
    return (
        v2 is not None
        and not account.client_salt
        and passwords.match_password(account, auth_pw) is not None
    )


def _session_of(account, session_token_id):
    template = SessionToken.objects.filter(pk=session_token_id, account=account).first()
    if template is None:
        raise AppError.token_not_found()
    return template


def _change(account, stored, context, template, wrap_kb, v2, keys, is_upgrade):
    """Store the new password on the locked account; the session replacing ``template``, if any."""
    assurance.require_second_factor_if_enabled(account, template)
    if not is_upgrade:
        # Captured before the devices go with their sessions; the changing one is told otherwise.
        ports.tell_devices_password_changed(
            account, exclude_session=template.pk if template is not None else None
        )
    credentials.reset_account(
        account, stored, keys_changed=False, revoke=not is_upgrade, password_changed=True,
        now=now_ms(),
    )
    if is_upgrade:
        security_events.record(account, "account.password_upgrade_success", context)
        security_events.record(account, "account.password_upgraded", context)
    else:
        security_events.record(account, "account.password_reset_success", context)
        security_events.record(account, "account.password_changed", context)
        notices.notify("passwordChanged", account, context, emailToHashWith=account.email)
    if template is None:
        return {}
    return _replacement_session(account, template, context, wrap_kb, v2, keys)


def _replacement_session(account, template, context, wrap_kb, v2, keys):
    """The session handed back to the client, in the verification state of the one it named."""
    return credentials.session_body(
        account, context, wrap_kb=wrap_kb, v2=v2, keys=keys,
        token_verification_id=template.token_verification_id,
        must_verify=template.must_verify,
        verification_method=template.verification_method if template.token_verified else None,
        verified_at=template.verified_at,
    )
