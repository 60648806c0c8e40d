"""Changing the password with the old one (onepw.md §6.3), including the v1 → v2 upgrade."""
from django.db import transaction

from ..devices import notifications as device_notifications
from ..errors import AppError
from ..models import (
    Account,
    KeyFetchToken,
    PasswordChangeToken,
    SessionToken,
    now_ms,
)
from ..tokens import create_key_fetch_token, create_password_change_token, create_session_token
from ..twofactor.services import assurance
from . import passwords, security_events
from .accounts import check_credentials


def start(email, old_auth_pw, context):
    """POST /password/change/start: a passwordChangeToken and a keyFetchToken for the old wrapKb."""
    account, match = check_credentials(email, old_auth_pw, context)
    with transaction.atomic():
        password_change_token = create_password_change_token(account)
        # Verified from birth: knowing the password is what this token proves.
        key_fetch_token = create_key_fetch_token(account, bytes.fromhex(account.ka), match.wrap_kb)
    body = {"passwordChangeToken": password_change_token, "verified": account.email_verified}
    body["keyFetchToken2" if match.version == 2 else "keyFetchToken"] = key_fetch_token
    return body


def finish(password_change_token, auth_pw, wrap_kb, context, *, v2=None, session_token_id=None,
           keys=False):
    """POST /password/change/finish: set the new password, keeping kB (the client re-wrapped it).

    A *password upgrade* (the same password re-sent with its first v2 credentials) keeps every
    session and sends nothing; a real change signs out every other session.
    """
    account = password_change_token.account
    is_upgrade = (
        v2 is not None
        and not account.client_salt
        and passwords.match_password(account, auth_pw) is not None
    )
    stored = passwords.new_password(auth_pw, wrap_kb=wrap_kb, v2=v2)
    now = now_ms()
    with transaction.atomic():
        # Spending the token first makes concurrent finishes with one token fail but one.
        spent, _ = PasswordChangeToken.objects.filter(pk=password_change_token.pk).delete()
        if not spent:
            raise AppError.token_not_found()
        account = Account.objects.select_for_update().get(pk=account.pk)
        template = None
        if session_token_id is not None:
            template = SessionToken.objects.filter(pk=session_token_id, account=account).first()
            if template is None:
                raise AppError.token_not_found()
        assurance.require_second_factor_if_enabled(account, template)
        for field, value in stored.as_fields().items():
            setattr(account, field, value)
        account.verifier_set_at = now
        account.profile_changed_at = now
        account.keys_changed_at = account.keys_changed_at or account.created_at
        account.locked_at = None
        account.save()
        if is_upgrade:
            security_events.record(account, "account.password_upgrade_success", context)
            security_events.record(account, "account.password_upgraded", context)
        else:
            # Captured before the devices go with their sessions; the changing one is told otherwise.
            device_notifications.password_changed(
                device_notifications.account_targets(account.uid, exclude_session=session_token_id)
            )
            SessionToken.objects.filter(account=account).delete()
            KeyFetchToken.objects.filter(account=account).delete()
            PasswordChangeToken.objects.filter(account=account).delete()
            security_events.record(account, "account.password_reset_success", context)
            security_events.record(account, "account.password_changed", context)
        if template is None:
            return {}
        return _replacement_session(account, template, context, wrap_kb, v2, keys)


def _replacement_session(account, template, context, wrap_kb, v2, keys):
    """The session handed back to the client, in the verification state of the one it named."""
    session_token, session = create_session_token(
        account,
        token_verification_id=template.token_verification_id,
        must_verify=template.must_verify,
        verification_method=template.verification_method
        if template.token_verified
        else None,
        verified_at=template.verified_at,
        user_agent=context.user_agent,
        ip_address=context.ip_address,
    )
    body = {
        "uid": account.uid,
        "sessionToken": session_token,
        "verified": session.token_verified and account.email_verified,
        "authAt": session.auth_at_seconds,
    }
    if keys:
        ka = bytes.fromhex(account.ka)
        body["keyFetchToken"] = create_key_fetch_token(account, ka, wrap_kb)
        if v2:
            body["keyFetchToken2"] = create_key_fetch_token(
                account, ka, bytes.fromhex(v2["wrapKbVersion2"])
            )
    return body
