"""Secrets at rest: every secret the server only needs to recognise, and how it is kept.

Each kind below has a purpose string and a method, and says what is hashed and where it is kept:

* ``KEYED``: HMAC-SHA256 under a key derived from SECRET_KEY and the purpose (Django's
  ``salted_hmac``), as hex. For short codes that a stolen table must not give away by a search
  (unblock codes, backup codes, the reset OTP), and for handles that a client must not be able to
  forge. Rotating SECRET_KEY voids them.
* ``SHA256`` / ``SHA256_TEXT``: bare SHA-256 as hex, for random secrets of 128 bits or more. Their
  format is fixed by rows already in databases and by other implementations (upstream's hashed
  tokens and client secrets; django-oauth-toolkit's ``token_checksum``). ``SHA256`` hashes the
  bytes that a hex string spells (anything else as its UTF-8 text); ``SHA256_TEXT`` hashes the text.
* ``KEY``: nothing is stored. This is the HMAC key itself (bytes), for a server key derived from
  SECRET_KEY when no setting gives one.

A keyed or derived kind's purpose string is part of every value made under it (the SHA-256
kinds' is only a label): change it, and what is stored stops matching. So would a change of a
kind's method or of the value its callers pass.
"""
import hashlib
import hmac
from dataclasses import dataclass

from django.utils.crypto import salted_hmac

KEYED = "HMAC-SHA256(SECRET_KEY, purpose)"
SHA256 = "SHA-256 of the hex's bytes"
SHA256_TEXT = "SHA-256 of the text"
KEY = "derived key"


@dataclass(frozen=True)
class Secret:
    method: str
    purpose: str
    kept: str  # what is hashed, and where the result lives


UNBLOCK_CODE = Secret(KEYED, "accounts.unblock_code", "'<uid>:<CODE>' -> UnblockCode.code_hash")
RECOVERY_CODE = Secret(
    KEYED, "accounts.twofactor.recovery_code",
    "'<uid>:<code, lower-cased>' -> RecoveryCode.code_hash",
)
RESET_OTP = Secret(
    KEYED, "accounts.password_reset.otp",
    "'<account pk>:<8 digits>' of /password/forgot/send_otp -> the cache, for 10 minutes",
)
SESSION_TOKEN_HANDLE = Secret(
    KEYED, "accounts.devices.session-token-handle",
    "'<account pk>:<session key (stored_id)>' -> attached clients' sessionTokenId (not stored)",
)
AUTH_TOKEN_ID = Secret(
    SHA256, "accounts.auth_token_id",
    "a sessionToken, keyFetchToken, passwordChangeToken, passwordForgotToken or accountResetToken "
    "id (what Bearer and Hawk present) -> the token table's token_id, and every column naming a "
    "session: SecurityEvent.token_id, Device.session_token_id, AuthorizationCode.session_token_id",
)
PASS_CODE = Secret(
    SHA256, "accounts.password_forgot.pass_code",
    "a passwordForgotToken's 16-byte passCode -> PasswordForgotToken.pass_code_hash",
)
RECOVERY_KEY_ID = Secret(
    SHA256_TEXT, "accounts.recovery_key.id",
    "the recoveryKeyId, lower-cased hex text -> RecoveryKey.recovery_key_id_hash",
)
OAUTH_TOKEN = Secret(
    SHA256, "oauth.token",
    "OAuth client secrets, access and refresh tokens, authorization codes and JWT access-token "
    "jti -> their token_id / code / client_secret columns",
)
MFA_OTP_KEY = Secret(
    KEY, "accounts.twofactor.mfa_otp",
    "'<uid>-<emailCode>-<session key (stored_id)>-<action>': the HOTP key of an MFA step-up code",
)
MFA_JWT_KEY = Secret(
    KEY, "accounts.twofactor.mfa_jwt", "'signing-key': the MFA JWT key when MFA_JWT_KEY is unset"
)
FLOW_ID_KEY = Secret(
    KEY, "accounts.pages.metrics.flow_id", "'flow-id-key': the flowId key when FLOW_ID_KEY is unset"
)


def digest(kind, value):
    """The stored (hex) form of the secret ``value`` as ``kind`` keeps it."""
    if kind.method == KEYED:
        return salted_hmac(kind.purpose, value, algorithm="sha256").hexdigest()
    if kind.method == SHA256:
        return hashlib.sha256(_hex_bytes(value)).hexdigest()
    if kind.method == SHA256_TEXT:
        return hashlib.sha256(value.encode()).hexdigest()
    raise ValueError(f"{kind.purpose} is a derived key, not a stored digest")


def matches(kind, value, stored):
    """Whether ``value`` is the secret that ``stored`` keeps (in constant time; None: never)."""
    if not stored:
        return False
    return hmac.compare_digest(digest(kind, value).encode(), stored.encode())


def derive_key(kind, value):
    """The HMAC key (32 bytes) that ``kind`` derives from SECRET_KEY and ``value``."""
    if kind.method != KEY:
        raise ValueError(f"{kind.purpose} is a stored digest, not a derived key")
    return salted_hmac(kind.purpose, value, algorithm="sha256").digest()


def _hex_bytes(value):
    try:
        return bytes.fromhex(value)
    except (TypeError, ValueError):
        return str(value).encode()
