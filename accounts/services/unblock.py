"""Sign-in unblock codes (auth-api-responses.md §12): emailed on request, spent by /account/login.

A code is 8 characters of Crockford's base32 alphabet, upper case; an account has at most one (a
new one replaces the old), valid for an hour and good for one sign-in. Only a keyed hash is
stored (``hashing.UNBLOCK_CODE``, bound to the uid), compared by lookup on the hash.
"""
import logging
import secrets

from django.db import transaction

from .. import customs, hashing
from ..errors import AppError, Errno
from ..models import Account, UnblockCode, now_ms
from . import security_events
from .lookup import find_account
from .mail import send_email

logger = logging.getLogger("fxa.accounts")

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
LENGTH = 8
LIFETIME_MS = 60 * 60 * 1000  # upstream signinUnblock.codeLifetime


def _hash(uid, code):
    return hashing.digest(hashing.UNBLOCK_CODE, f"{uid}:{code}")


def new_code():
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def send_unblock_code(email, context):
    """POST /account/login/send_unblock_code: a fresh code, mailed to the account's addresses.

    Counted by customs before the address is looked up (``sendUnblockCode``): it sends mail,
    and its 102 for an unknown address would otherwise be a free account probe.
    """
    customs.check("sendUnblockCode", context, email=email)
    account, _ = find_account(email)
    code = new_code()
    with transaction.atomic():
        # The lock serializes two requests for one account: the later code wins, no duplicate key.
        Account.objects.select_for_update().filter(pk=account.pk).first()
        UnblockCode.objects.update_or_create(
            account=account, defaults={"code_hash": _hash(account.uid, code), "created_at": now_ms()}
        )
        send_email(
            "unblockCode",
            account.mail_recipients(),
            account=account,
            locale=context.locale,
            context={"uid": account.uid, "unblockCode": code},
        )
    return code


def consume(account, code, *, check_expiry=True):
    """Spend ``code`` (any case); 400 errno 127 if it is not the account's live code.

    The conditional DELETE decides: of concurrent requests with one code, exactly one removes
    the row and succeeds. An expired code is refused (and stays until replaced or pruned).
    """
    matching = UnblockCode.objects.filter(account=account, code_hash=_hash(account.uid, code.upper()))
    if check_expiry:
        matching = matching.filter(created_at__gte=now_ms() - LIFETIME_MS)
    deleted, _ = matching.delete()
    if not deleted:
        raise AppError(Errno.INVALID_UNBLOCK_CODE)


def reject(uid, code, context=None):
    """POST /account/login/reject_unblock_code: the user says "not me".

    The code is deleted, so nobody signs in with it, and the report is kept: a security event
    on the account (upstream logs ``account.login.rejectedUnblockCode``) and a warning for the
    operators, who may want to block whoever asked for the code.
    """
    account = Account.objects.filter(uid=uid).first()
    if account is None:
        raise AppError(Errno.INVALID_UNBLOCK_CODE)
    with transaction.atomic():
        consume(account, code, check_expiry=False)
        security_events.record(account, "account.login.rejectedUnblockCode", context)
    logger.warning("Unblock code of account %s reported as not requested (report from %s)",
                   account.uid, (context.ip_address if context else None) or "-")


def expired_codes():
    """Codes past their hour (``manage.py purge_expired`` deletes them)."""
    return UnblockCode.objects.filter(created_at__lt=now_ms() - LIFETIME_MS)
