"""Email OTP codes: the 6-digit codes of the sign-up/sign-in confirmation emails.

Upstream (``lib/routes/utils/otp``) computes them with otplib 11's ``authenticator`` — TOTP
(RFC 6238, HMAC-SHA1, 6 digits) with ``step`` 600 s and ``window`` 1 — using the account's
``emailCode`` (32 hex characters) *as the base32 secret*. otplib decodes that secret with the
npm ``thirty-two`` package, which does not reject the characters ``0 1 8 9`` (absent from the
base32 alphabet) but uses its table's 0xff filler for them, so the HMAC key is the 20 bytes that
decoder yields, not the 16 raw bytes of the emailCode. This module reproduces that decoding
exactly (known answers computed with otplib 11.0.1 are in tests/accounts/test_otp.py), so a code
is the one upstream would send for the same emailCode.

No Django imports: pure functions of (secret, time).
"""
import hmac
import time

STEP = 600  # seconds
WINDOW = 1  # steps accepted before and after the current one
DIGITS = 6

# thirty-two's decoding table, indexed by (character code - 0x30); 0xff marks characters outside
# the alphabet, which the decoder nonetheless uses as the value 0xff.
_THIRTY_TWO_TABLE = (
    0xFF, 0xFF, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
    0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E,
    0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
    0x17, 0x18, 0x19, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
    0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E,
    0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
    0x17, 0x18, 0x19, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
)


def thirty_two_decode(encoded):
    """Decode ``encoded`` exactly as npm ``thirty-two`` 1.0.2 ``decode`` does (quirks included).

    Identical to RFC 4648 base32 for valid input; stops at "="; a character above "z" raises
    ValueError; characters below "0" count as 0 (JavaScript's undefined in bit operations).
    """
    decoded = bytearray()
    shift = 0
    plain = 0
    for byte in encoded.encode():
        if byte == 0x3D:  # "="
            break
        index = byte - 0x30
        if index >= len(_THIRTY_TWO_TABLE):
            raise ValueError("Invalid input - it is not base32 encoded string")
        digit = _THIRTY_TWO_TABLE[index] if index >= 0 else 0
        if shift <= 3:
            shift = (shift + 5) % 8
            if shift == 0:
                plain |= digit
                decoded.append(plain & 0xFF)
                plain = 0
            else:
                plain |= 0xFF & (digit << (8 - shift))
        else:
            shift = (shift + 5) % 8
            plain |= 0xFF & (digit >> shift)
            decoded.append(plain & 0xFF)
            plain = 0xFF & (digit << (8 - shift))
    return bytes(decoded)


def hmac_key(secret):
    """The HMAC-SHA1 key otplib's authenticator derives from a base32 ``secret``.

    A decoded secret shorter than 20 hex characters is repeated (otplib's ``padSecret``); a
    32-character emailCode decodes to 20 bytes and is used as is.
    """
    decoded = thirty_two_decode(secret)
    hex_secret = decoded.hex()
    if hex_secret and len(hex_secret) < 20:
        return bytes.fromhex(hex_secret * (20 - len(hex_secret)))[:20]
    return decoded


def hotp(key, counter, digits=DIGITS):
    """RFC 4226 HOTP value of ``counter`` under ``key`` (bytes), zero-padded to ``digits``."""
    digest = hmac.digest(key, counter.to_bytes(8, "big"), "sha1")
    offset = digest[-1] & 0x0F
    binary = int.from_bytes(digest[offset:offset + 4], "big") & 0x7FFFFFFF
    return str(binary % 10**digits).zfill(digits)


def _counter(at, step):
    return int((time.time() if at is None else at) // step)


def generate(secret, at=None, *, step=STEP, digits=DIGITS):
    """The code for ``secret`` (an emailCode) at time ``at`` (seconds; now by default)."""
    return hotp(hmac_key(secret), _counter(at, step), digits)


def verify(code, secret, at=None, *, step=STEP, window=WINDOW, digits=DIGITS):
    """Whether ``code`` is the code of ``secret`` for the current step or ``window`` steps around.

    Every candidate is compared in constant time.
    """
    if not isinstance(code, str) or len(code) != digits or not code.isascii() or not code.isdigit():
        return False
    key = hmac_key(secret)
    counter = _counter(at, step)
    matched = False
    for delta in range(-window, window + 1):
        if counter + delta >= 0:
            matched |= hmac.compare_digest(hotp(key, counter + delta, digits), code)
    return matched
