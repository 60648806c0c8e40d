"""Sealed secrets of the outbox: AES-256-GCM under keys that are never in the database.

A queued message's codes and tokens (``catalog.SECRET_CONTEXT_KEYS``) are kept only as a seal, so
a read of ``emails_outboundemail`` (a backup, psql, an SQL injection) yields nothing that resets a
password or signs in. The seal binds, as associated data, what the message is (template,
recipients, uid) and its ``expires_at``: a seal copied onto a message to another address, or a row
whose expiry was pushed back, fails authentication, and a seal past its expiry is refused even with
the right key.

A seal is ``v1.<key id>.<base64url(nonce || ciphertext)>``. The key id (8 base64url characters of
an HMAC of the key) names which key of the ring sealed it, so rotation is a list of keys, newest
first: new seals use the first, any of them opens. Each key is HKDF-SHA256 (RFC 5869) of the
configured key material with the purpose string ``PURPOSE``.

``encrypt``/``decrypt`` are the same construction for any bytes and associated data, under another
ring's purpose: the accounts app's encrypted columns (``accounts/fields.py``) use them.

No Django imports: pure functions of (keys, secrets, binding, time).
"""
import base64
import calendar
import hashlib
import hmac
import json
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "v1"
PURPOSE = b"fxa-selfhosted emails.outbox seal v1"
NONCE_BYTES = 12


class SealError(Exception):
    """The seal cannot be opened: malformed, sealed with a key no longer configured, or tampered."""


class SealExpired(SealError):
    """The seal is authentic but its ``expires_at`` has passed: what it carries is dead."""


def derive_key(material, purpose=PURPOSE):
    """The 32-byte AES key for one configured key (any string: a passphrase or random base64)."""
    if isinstance(material, str):
        material = material.encode()
    if not material:
        raise ValueError("empty sealing key")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(material)


def key_id(key):
    return base64.urlsafe_b64encode(hmac.digest(key, b"key id", hashlib.sha256)[:6]).decode()


@dataclass(frozen=True)
class Keyring:
    """AES keys, newest first: the first seals, each opens what it sealed. ``setting`` names
    where they are configured, for the errors."""

    keys: tuple
    setting: str = "EMAIL_SEALING_KEY"

    @classmethod
    def from_materials(cls, materials, purpose=PURPOSE, setting="EMAIL_SEALING_KEY"):
        keys = tuple(dict.fromkeys(derive_key(material, purpose) for material in materials))
        if not keys:
            raise ValueError("a keyring needs at least one key")
        return cls(keys, setting)

    def find(self, kid):
        for key in self.keys:
            if hmac.compare_digest(key_id(key), kid):
                return key
        return None


def epoch_seconds(moment):
    """Whole seconds since 1970 of an aware datetime (exact: no float)."""
    return calendar.timegm(moment.utctimetuple())


def binding(*, template, to, uid, expires_at):
    """The associated data of a message's seal: what it is, for whom, and until when."""
    return json.dumps(
        {"v": VERSION, "template": template, "to": list(to), "uid": uid or "",
         "expires_at": epoch_seconds(expires_at)},
        sort_keys=True, separators=(",", ":"),
    ).encode()


def encrypt(keyring, plaintext, aad):
    """``v1.<key id>.<base64url(nonce || ciphertext)>`` of the bytes ``plaintext`` under the
    ring's first key, bound to the bytes ``aad``."""
    key = keyring.keys[0]
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext, aad)
    body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
    return f"{VERSION}.{key_id(key)}.{body}"


def sealed_with_first_key(keyring, value):
    """Whether ``value`` is under the ring's first key (nothing for a rotation to rewrite)."""
    parts = value.split(".")
    return len(parts) == 3 and hmac.compare_digest(parts[1], key_id(keyring.keys[0]))


def decrypt(keyring, value, aad):
    """The plaintext of ``encrypt(keyring, plaintext, aad)``; SealError when ``value`` is malformed,
    under a key not in the ring, or was made with other associated data (or tampered)."""
    try:
        version, kid, body = value.split(".")
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (AttributeError, ValueError) as error:
        raise SealError("malformed seal") from error
    if version != VERSION or len(raw) <= NONCE_BYTES:
        raise SealError("malformed seal")
    key = keyring.find(kid)
    if key is None:
        raise SealError(f"sealed with a key that is not in {keyring.setting} (rotated out?)")
    try:
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)
    except InvalidTag:
        raise SealError("seal does not match this message (tampered)") from None


def seal(keyring, secrets, *, template, to, uid, expires_at):
    """The seal of the dict ``secrets`` for this message; opened by ``unseal`` until ``expires_at``."""
    plaintext = json.dumps(secrets, sort_keys=True, separators=(",", ":")).encode()
    aad = binding(template=template, to=to, uid=uid, expires_at=expires_at)
    return encrypt(keyring, plaintext, aad)


def unseal(keyring, value, *, template, to, uid, expires_at, now):
    """The secrets of a seal made for exactly this message; SealExpired after ``expires_at``,
    SealError when it is malformed, under an unknown key, or does not match the message."""
    aad = binding(template=template, to=to, uid=uid, expires_at=expires_at)
    plaintext = decrypt(keyring, value, aad)
    # The expiry is authentic now (it is in the associated data): only then is it checked.
    if epoch_seconds(now) >= epoch_seconds(expires_at):
        raise SealExpired(f"seal expired at {expires_at.isoformat()}")
    secrets = json.loads(plaintext)
    if not isinstance(secrets, dict):
        raise SealError("malformed seal")
    return secrets

