"""Issuing auth-server tokens: a fresh random token for the client, its id and Hawk key for us.

A token id is itself a credential (``Bearer fxs_<id>``, Hawk's ``id``), so rows are keyed by its
SHA-256 (``stored_id``) and a database read yields nothing a client could present.
"""
import math
import secrets

from . import hashing, onepw
from .errors import AppError
from .models import (
    AccountResetToken,
    KeyFetchToken,
    PasswordChangeToken,
    PasswordForgotToken,
    SessionToken,
    now_ms,
)


def stored_id(token_id):
    """The primary key of the token that a client names by ``token_id`` (hex)."""
    return hashing.digest(hashing.AUTH_TOKEN_ID, token_id)


def spend(token):
    """Consume a single-use token: the one DELETE that removes its row decides, so of concurrent
    requests with the same token exactly one gets through (the others: 401 errno 110)."""
    deleted, _ = type(token).objects.filter(pk=token.pk).delete()
    if not deleted:
        raise AppError.token_not_found()


def _new_token(token_type):
    """(token hex for the client, the row's key columns)."""
    token = secrets.token_bytes(32)
    keys = onepw.derive_token(token, token_type)
    columns = {"token_id": stored_id(keys.token_id.hex()), "auth_key": keys.auth_key.hex()}
    return token.hex(), keys, columns


def create_session_token(account, **fields):
    """A new sessionToken row; returns (token hex for the client, the row)."""
    token_hex, _, columns = _new_token("sessionToken")
    session = SessionToken.objects.create(**columns, account=account, **fields)
    return token_hex, session


def create_key_fetch_token(account, ka, wrap_kb, token_verification_id=None):
    """A keyFetchToken whose /account/keys bundle (kA || wrapKb) is sealed now.

    The bundle is computed at issue time because only now, with authPW in hand, can wrapKb be
    unwrapped (onepw.md §5).
    """
    token_hex, keys, columns = _new_token("keyFetchToken")
    KeyFetchToken.objects.create(
        **columns,
        account=account,
        key_bundle=onepw.bundle_keys(keys.bundle_key, ka, wrap_kb).hex(),
        token_verification_id=token_verification_id,
    )
    return token_hex


def create_password_change_token(account):
    token_hex, _, columns = _new_token("passwordChangeToken")
    PasswordChangeToken.objects.create(**columns, account=account)
    return token_hex


def create_password_forgot_token(account, tries):
    """A passwordForgotToken and its passCode; returns (token hex, passCode hex, the row).

    The caller holds the account row lock and has deleted the account's previous token.
    """
    token_hex, _, columns = _new_token("passwordForgotToken")
    pass_code = secrets.token_hex(16)
    row = PasswordForgotToken.objects.create(
        **columns, account=account,
        pass_code_hash=hashing.digest(hashing.PASS_CODE, pass_code), tries=tries,
    )
    return token_hex, pass_code, row


def create_account_reset_token(account):
    """An accountResetToken, replacing any earlier one of the account."""
    AccountResetToken.objects.filter(account=account).delete()
    token_hex, _, columns = _new_token("accountResetToken")
    AccountResetToken.objects.create(**columns, account=account)
    return token_hex


def ttl_seconds(token, lifetime):
    """Seconds ``token`` has left of ``lifetime`` seconds (onepw.md §4.3); 0 means expired."""
    return max(math.ceil((lifetime * 1000 - (now_ms() - token.created_at)) / 1000), 0)
