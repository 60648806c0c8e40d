"""Server-side password verifiers (onepw.md §3): deriving, storing and checking them, and
``check_credentials``, the email + authPW check of every sign-in and re-authentication.

scrypt costs ~0.2 s and 64 MiB, so callers run these before opening a transaction. Every
scrypt runs in a place of ``scrypt_gate`` (bounded per process); when none is free soon enough
the request is refused with 503 errno 201 and ``Retry-After``.
"""
import hmac
import secrets
from dataclasses import dataclass, field

from prometheus_client import Histogram

from .. import customs, onepw
from ..errors import AppError, Errno
from . import scrypt_gate, security_events
from .lookup import find_account

# An authSalt of all 0xff marks an account locked by an administrator (onepw.md §3.3).
LOCKED_AUTH_SALT = "ff" * 32

SCRYPT_SECONDS = Histogram("fxa_scrypt_seconds", "Time of one server-side scrypt (a verifier).")


def _derive_verifier(auth_pw, auth_salt):
    with SCRYPT_SECONDS.time():
        return onepw.derive_verifier(auth_pw, auth_salt)


@dataclass
class StoredPassword:
    """The account columns that a new password sets."""

    auth_salt: str
    verify_hash: str
    wrap_wrap_kb: str
    verify_hash_version2: str | None = None
    wrap_wrap_kb_version2: str | None = None
    client_salt: str | None = None
    # What each verifier unwraps (onepw.md §3.2), known while the password is being set: a new
    # keyFetchToken's bundle needs it, and deriving it again would cost another scrypt.
    wrap_kb: bytes = field(default=b"", repr=False)
    wrap_kb_version2: bytes | None = field(default=None, repr=False)

    def as_fields(self):
        return {name: value for name, value in self.__dict__.items()
                if name not in ("wrap_kb", "wrap_kb_version2")}


def new_password(auth_pw, wrap_kb=None, v2=None):
    """Verifiers for a new password under a fresh authSalt.

    ``wrap_kb`` (bytes) keeps the client's kB; without it a random wrapWrapKb makes a new kB.
    ``v2`` is the client's key-stretching v2 credentials (validators.KeyStretchV2), or None.
    """
    auth_salt = secrets.token_bytes(32)
    with scrypt_gate.slot():  # one place for both verifiers: never refused half-way
        verifier = _derive_verifier(auth_pw, auth_salt)
        verifier_v2 = (
            _derive_verifier(v2.auth_pw, auth_salt) if v2 else None
        )
    wrap_wrap_kb = (
        onepw.xor(wrap_kb, verifier.wrapwrap_key) if wrap_kb is not None else secrets.token_bytes(32)
    )
    stored = StoredPassword(
        auth_salt=auth_salt.hex(),
        verify_hash=verifier.verify_hash.hex(),
        wrap_wrap_kb=wrap_wrap_kb.hex(),
        wrap_kb=onepw.xor(wrap_wrap_kb, verifier.wrapwrap_key),
    )
    if v2:
        stored.verify_hash_version2 = verifier_v2.verify_hash.hex()
        stored.wrap_kb_version2 = v2.wrap_kb
        stored.wrap_wrap_kb_version2 = onepw.xor(
            stored.wrap_kb_version2, verifier_v2.wrapwrap_key
        ).hex()
        stored.client_salt = v2.client_salt
    return stored


@dataclass
class PasswordMatch:
    """Which verifier an authPW matched, and the wrapKb it unwraps."""

    version: int
    wrap_kb: bytes


def match_password(account, auth_pw):
    """The PasswordMatch for ``auth_pw`` (v1 or v2), or None; one scrypt either way."""
    with scrypt_gate.slot():
        verifier = _derive_verifier(auth_pw, bytes.fromhex(account.auth_salt))
    candidate = verifier.verify_hash.hex()
    if hmac.compare_digest(candidate, account.verify_hash):
        return PasswordMatch(1, onepw.xor(bytes.fromhex(account.wrap_wrap_kb), verifier.wrapwrap_key))
    if account.verify_hash_version2 and hmac.compare_digest(candidate, account.verify_hash_version2):
        return PasswordMatch(
            2, onepw.xor(bytes.fromhex(account.wrap_wrap_kb_version2), verifier.wrapwrap_key)
        )
    return None


def check_password(account, auth_pw, email):
    """The PasswordMatch, or the error upstream answers for a wrong password.

    ``email`` is the address the client stretched the password with: when it is not exactly the
    sign-up address (another case, or a newer primary address) the client is told to re-stretch
    with the stored one (120), as upstream's ``incorrectPassword(dbEmail, requestEmail)`` does.
    """
    if account.auth_salt == LOCKED_AUTH_SALT:
        raise AppError.account_must_be_reset(account.email)
    match = match_password(account, auth_pw)
    if match is not None:
        return match
    if email != account.email:
        raise AppError.incorrect_email_case(account.email)
    raise AppError.incorrect_password(account.email)


# Signing in with a password.


def _check_can_sign_in(account, email_row, original_login_email=None):
    # Only the primary address signs in. A client re-stretching with the sign-up address after
    # errno 120 sends the address the user typed as originalLoginEmail: that one must be the
    # primary (upstream's checkEmailAddress), whichever address it now stretches with.
    if original_login_email is not None:
        if original_login_email.lower() != account.primary_email.normalized_email:
            raise AppError(Errno.LOGIN_WITH_SECONDARY_EMAIL)
    elif email_row is not None and not email_row.is_primary:
        raise AppError(Errno.LOGIN_WITH_SECONDARY_EMAIL)
    if account.disabled_at:
        raise AppError(Errno.LOGIN_WITH_INVALID_EMAIL)
    if not account.has_password:
        raise AppError(Errno.UNABLE_TO_LOGIN_NO_PASSWORD_SET)


def check_credentials(email, auth_pw, context, *, uid=None, original_login_email=None):
    """The account and PasswordMatch for an email/authPW pair; failures are recorded.

    ``uid`` limits the pair to that account (re-authenticating its session): another account's
    address is unknown (102) before its password is ever tried.
    """
    account, email_row = find_account(email)
    if uid is not None and account.uid != uid:
        raise AppError.unknown_account(email)
    _check_can_sign_in(account, email_row, original_login_email)
    try:
        return account, check_password(account, auth_pw, email)
    except AppError as error:
        if error.errno in (Errno.INCORRECT_PASSWORD, Errno.INCORRECT_EMAIL_CASE):
            security_events.record(account, "account.login.failure", context)
        if error.errno == Errno.INCORRECT_PASSWORD:
            customs.check("passwordCheckFailed", context, email=email)
        raise
