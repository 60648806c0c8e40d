"""Account recovery keys (auth-api-responses.md §6, onepw.md §7): the server keeps the client's
encrypted kB bundle and hands it back, during a reset, to whoever proves the key (its id).

Customs counts lookups by address (``recoveryKeyExists``: they tell whether an account exists)
and checks of a key id (``getRecoveryKey``), as upstream does."""
from django.db import transaction

from .. import customs, hashing
from ..errors import AppError, Errno
from ..models import Account, RecoveryKey
from . import notices, security_events
from .customs_checks import check_account
from .lookup import find_account


def _hash_id(recovery_key_id):
    return hashing.digest(hashing.RECOVERY_KEY_ID, recovery_key_id.lower())


def matches(key, recovery_key_id):
    return hashing.matches(hashing.RECOVERY_KEY_ID, recovery_key_id.lower(), key.recovery_key_id_hash)



def create(session, recovery_key_id, recovery_data, context, *, enabled=True, replace=False):
    """POST /recoveryKey: store a new key (verified session). An enabled key is only replaced with
    ``replaceKey`` (161 otherwise); a key created disabled waits for /recoveryKey/verify."""
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=session.account_id)
        existing = RecoveryKey.objects.filter(account=account).first()
        replaced = existing is not None and existing.enabled
        if replaced and not replace:
            raise AppError(Errno.RECOVERY_KEY_EXISTS)
        if existing is not None:
            existing.delete()
        RecoveryKey.objects.create(
            account=account,
            recovery_key_id_hash=_hash_id(recovery_key_id),
            recovery_data=recovery_data,
            enabled=enabled,
        )
        if replaced:
            security_events.record(account, "account.recovery_key_removed", context)
        if enabled:
            security_events.record(account, "account.recovery_key_added", context)
            notices.notify("postChangeAccountRecovery" if replaced else "postAddAccountRecovery",
                           account, context)
    return {}


def verify(session, recovery_key_id, context):
    """POST /recoveryKey/verify: the id proves the client holds the key; enables a pending key."""
    check_account("getRecoveryKey", session.account_id, context)
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=session.account_id)
        key = RecoveryKey.objects.filter(account=account).first()
        if key is None:
            raise AppError(Errno.RECOVERY_KEY_NOT_FOUND)
        if not matches(key, recovery_key_id):
            failed = True
            security_events.record(account, "account.recovery_key_challenge_failure", context)
        else:
            failed = False
            security_events.record(account, "account.recovery_key_challenge_success", context)
            if not key.enabled:
                key.enabled = True
                key.save(update_fields=["enabled"])
                security_events.record(account, "account.recovery_key_added", context)
                notices.notify("postAddAccountRecovery", account, context)
    # After the commit: the failure stays recorded.
    if failed:
        raise AppError(Errno.RECOVERY_KEY_INVALID)
    return {}


def remove(session, context):
    """DELETE /recoveryKey (verified session)."""
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=session.account_id)
        deleted, _ = RecoveryKey.objects.filter(account=account).delete()
        if deleted:
            security_events.record(account, "account.recovery_key_removed", context)
            notices.notify("postRemoveAccountRecovery", account, context)
    return {}


def _account_of(session, email, context):
    """The session's account, or (counted by customs: an account probe) the address's."""
    if session is not None:
        return session.account
    if email is None:
        raise AppError.missing_parameter("email")
    customs.check("recoveryKeyExists", context, email=email)
    return find_account(email)[0]


def exists(session, email, context):
    """POST /recoveryKey/exists: ``{exists}`` for the session's account, or (rate-limited) an email's.
    An unknown address is reported as having no key, so the answer does not reveal accounts."""
    try:
        account = _account_of(session, email, context)
    except AppError as error:
        if error.errno != Errno.ACCOUNT_UNKNOWN:
            raise
        return {"exists": False}
    return {"exists": RecoveryKey.objects.filter(account=account, enabled=True).exists()}


def recovery_data(reset_token, recovery_key_id, context=None):
    """GET /recoveryKey/{recoveryKeyId} (accountResetToken): the encrypted bundle for the right id."""
    check_account("getRecoveryKey", reset_token.account_id, context)
    key = RecoveryKey.objects.filter(account_id=reset_token.account_id, enabled=True).first()
    if key is None:
        raise AppError(Errno.RECOVERY_KEY_NOT_FOUND)
    if not matches(key, recovery_key_id):
        raise AppError(Errno.RECOVERY_KEY_INVALID)
    return {"recovery_data": key.recovery_data}


def get_hint(session, email, context):
    """GET /recoveryKey/hint[?email=]: ``{hint}`` (158 without a key, 102 for an unknown address)."""
    account = _account_of(session, email, context)
    key = RecoveryKey.objects.filter(account=account, enabled=True).first()
    if key is None:
        raise AppError(Errno.RECOVERY_KEY_NOT_FOUND)
    return {"hint": key.hint}


def set_hint(session, hint, context):
    """POST /recoveryKey/hint (verified session)."""
    updated = RecoveryKey.objects.filter(account_id=session.account_id, enabled=True).update(hint=hint)
    if not updated:
        raise AppError(Errno.RECOVERY_KEY_NOT_FOUND)
    return {}
