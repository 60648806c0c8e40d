"""TOTP authenticators and backup authentication codes: the pure parts (no Django imports).

TOTP is RFC 6238 as upstream configures otplib's authenticator (auth-api-responses.md §4): the
shared secret is 20 random bytes in RFC 4648 base32 (32 characters, no padding), HMAC-SHA1,
6 digits, a 30-second step, and a window of 1 (the previous, current and next step are
accepted). ``matching_step`` says *which* step a code belongs to, so that callers can accept a
code once (RFC 6238 §5.2: a verifier must not accept the second attempt of the same OTP).

Backup authentication codes (§5) are 10 characters of Crockford's base32 alphabet, lower-cased,
8 to a set; they are compared lower-cased.
"""
import base64
import binascii
import hmac
import io
import secrets
import time
from urllib.parse import quote

from accounts.otp import hotp

STEP = 30  # seconds
DIGITS = 6
WINDOW = 1  # steps accepted on either side of the current one
SECRET_BYTES = 20

RECOVERY_CODE_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford: no i, l, o, u
RECOVERY_CODE_LENGTH = 10
RECOVERY_CODE_COUNT = 8


def new_secret():
    """A fresh shared secret: base32 of 20 random bytes, as otplib's ``generateSecret``."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def secret_key(secret):
    """The HMAC key a base32 ``secret`` names (case-insensitive, padding optional)."""
    normalized = secret.strip().replace(" ", "").upper().rstrip("=")
    try:
        return base64.b32decode(normalized + "=" * (-len(normalized) % 8))
    except (binascii.Error, ValueError):
        raise ValueError("not a base32 secret") from None


def step_at(at=None, step=STEP):
    """The time step (counter) of ``at`` (seconds since the epoch; now by default)."""
    return int((time.time() if at is None else at) // step)


def code_at_step(secret, counter, digits=DIGITS):
    return hotp(secret_key(secret), counter, digits)


def code_at(secret, at=None, step=STEP, digits=DIGITS):
    """The code an authenticator app shows for ``secret`` at time ``at``."""
    return code_at_step(secret, step_at(at, step), digits)


def matching_step(secret, code, at=None, *, window=WINDOW, step=STEP, digits=DIGITS):
    """The time step whose code ``code`` is, within ``window`` steps of ``at``; else None.

    Every candidate is computed and compared in constant time. If two steps of the window share
    the code (one chance in a million), the latest wins: accepting it also burns the earlier one.
    """
    if not isinstance(code, str) or len(code) != digits or not code.isascii() or not code.isdigit():
        return None
    key = secret_key(secret)
    current = step_at(at, step)
    matched = None
    for counter in range(current - window, current + window + 1):
        if counter >= 0 and hmac.compare_digest(hotp(key, counter, digits), code):
            matched = counter
    return matched


def otpauth_url(issuer, account_name, secret, *, step=STEP, digits=DIGITS):
    """The ``otpauth://`` URI authenticator apps scan (otplib 12 ``keyuri``).

    ``otpauth://totp/<issuer>:<account>?secret=&period=&digits=&algorithm=SHA1&issuer=``, with
    issuer and account percent-encoded as JavaScript's ``encodeURIComponent`` does.
    """
    label = f"{_encode_uri_component(issuer)}:{_encode_uri_component(account_name)}"
    return (
        f"otpauth://totp/{label}?secret={secret}&period={step}&digits={digits}"
        f"&algorithm=SHA1&issuer={_encode_uri_component(issuer)}"
    )


def _encode_uri_component(value):
    return quote(value, safe="-_.!~*'()")


def qr_code_data_url(text):
    """A ``data:image/png;base64,…`` QR code of ``text``, error correction level H (upstream's)."""
    import qrcode
    from qrcode.image.pure import PyPNGImage

    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_H,
        box_size=4,
        border=4,
        image_factory=PyPNGImage,
    )
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def new_recovery_codes(count=RECOVERY_CODE_COUNT, length=RECOVERY_CODE_LENGTH):
    """``count`` distinct backup authentication codes."""
    codes = []
    while len(codes) < count:
        code = "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(length))
        if code not in codes:
            codes.append(code)
    return codes


def normalize_recovery_code(code):
    """Codes are compared lower-cased (upstream's consumeRecoveryCode)."""
    return code.strip().lower()
