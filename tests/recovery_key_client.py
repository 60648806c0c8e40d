"""The client half of an account recovery key (onepw.md §7), as fxa-auth-client computes it:
the key, its id, and the JWE (dir + A256GCM) that seals kB for the server to keep."""
import base64
import json
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def _hkdf(key, uid_hex, info, length):
    return HKDF(
        algorithm=hashes.SHA256(), length=length, salt=bytes.fromhex(uid_hex), info=info.encode()
    ).derive(key)


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_recovery_key():
    key = bytearray(os.urandom(20))
    key[0] = 0x50 | (key[0] & 0x07)
    return bytes(key)


def recovery_key_id(recovery_key, uid_hex):
    return _hkdf(recovery_key, uid_hex, "fxa recovery fingerprint", 16).hex()


def encrypt_kb(recovery_key, uid_hex, kb, iv=None):
    """recoveryData: a compact JWE of ``{"kB": hex}``."""
    kid = recovery_key_id(recovery_key, uid_hex)
    header = _b64(json.dumps({"enc": "A256GCM", "alg": "dir", "kid": kid}, separators=(",", ":")).encode())
    iv = iv or os.urandom(12)
    sealed = AESGCM(_hkdf(recovery_key, uid_hex, "fxa recovery encrypt key", 32)).encrypt(
        iv, json.dumps({"kB": kb.hex()}).encode(), header.encode()
    )
    return ".".join([header, "", _b64(iv), _b64(sealed[:-16]), _b64(sealed[-16:])])


def decrypt_kb(recovery_key, uid_hex, recovery_data):
    header, _key, iv, ciphertext, tag = recovery_data.split(".")
    plain = AESGCM(_hkdf(recovery_key, uid_hex, "fxa recovery encrypt key", 32)).decrypt(
        _unb64(iv), _unb64(ciphertext) + _unb64(tag), header.encode()
    )
    return bytes.fromhex(json.loads(plain)["kB"])
