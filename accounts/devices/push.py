"""Web Push to devices: which push services a device may register, its keys, and sending.

Messages are encrypted for the device with aes128gcm (RFC 8291) and signed with VAPID (RFC 8292)
by pywebpush. Upstream sends unsigned pushes when it has no VAPID key; so does this module.
"""
import ipaddress
import json
import logging
import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from accounts.onepw import b64url_decode, b64url_encode

logger = logging.getLogger("fxa.push")

UNSAFE_URL_CHARACTERS = re.compile(r"[\s\x00-\x1f\x7f]")


def _is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_allowed_endpoint(url):
    """Whether a device may register ``url`` as its pushCallback.

    https URLs of Mozilla's push services (PUSH_ALLOWED_SERVER_REGEX), or of the hosts listed in
    PUSH_EXTRA_ALLOWED_HOSTS, which may use plain http only when they are loopback addresses.
    The server POSTs to this URL, so anything else (an internal host, credentials in the URL) is
    refused.
    """
    if len(url) > 255 or UNSAFE_URL_CHARACTERS.search(url):
        return False
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # raises ValueError for a malformed port
    except ValueError:
        return False
    if not host or parts.username is not None or parts.password is not None or parts.fragment:
        return False
    if parts.scheme == "https" and re.fullmatch(settings.PUSH_ALLOWED_SERVER_REGEX, url):
        return True
    if host not in {name.lower() for name in settings.PUSH_EXTRA_ALLOWED_HOSTS}:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host))


def is_valid_public_key(value):
    """A pushPublicKey must be an uncompressed point on P-256 (upstream tries an ECDH with it)."""
    try:
        raw = b64url_decode(value)
        if len(raw) != 65 or raw[0] != 4:
            return False
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except (ValueError, TypeError):
        return False
    return True


def load_vapid_private_key(text):
    """The VAPID key from PEM, base64url of the raw 32-byte scalar, or base64 DER."""
    text = text.strip().replace("\\n", "\n")
    if "-----BEGIN" in text:
        key = serialization.load_pem_private_key(text.encode(), password=None)
    else:
        raw = b64url_decode("".join(text.split()))
        if len(raw) == 32:
            key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
        else:
            key = serialization.load_der_private_key(raw, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("the VAPID key must be a P-256 (prime256v1) EC private key")
    return key


@lru_cache(maxsize=4)
def _vapid(key_text):
    return Vapid(load_vapid_private_key(key_text))


def vapid():
    """The configured VAPID signer, or None (pushes go unsigned)."""
    return _vapid(settings.VAPID_PRIVATE_KEY) if settings.VAPID_PRIVATE_KEY else None


def vapid_public_key():
    """The application server key (base64url, uncompressed point) push services see."""
    signer = vapid()
    if signer is None:
        return None
    return b64url_encode(signer.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    ))


@dataclass(frozen=True)
class Subscription:
    """Where and for whom a push is encrypted: the device's pushCallback and keys."""

    endpoint: str
    public_key: str | None = None
    auth_key: str | None = None


class Outcome(str, Enum):
    DELIVERED = "delivered"
    EXPIRED = "expired"  # 404/410, or keys nothing can be encrypted for: the device must re-register
    FAILED = "failed"


def encode_message(message):
    """The push body of a ``{version, command, data}`` message (None: a push without payload)."""
    if message is None:
        return None
    return json.dumps(message, separators=(",", ":")).encode()


def send(subscription, message=None, ttl=0):
    """POST one notification to the push service; ``message`` is encrypted for the device."""
    data = encode_message(message)
    info = {"endpoint": subscription.endpoint}
    if data is not None:
        info["keys"] = {"p256dh": subscription.public_key, "auth": subscription.auth_key}
    signer = vapid()
    try:
        webpush(
            info,
            data=data,
            vapid_private_key=signer,
            # A fresh dict each time: pywebpush writes aud and exp into it.
            vapid_claims={"sub": settings.VAPID_SUBJECT} if signer else None,
            ttl=int(ttl),
            timeout=settings.PUSH_TIMEOUT,
        )
    except WebPushException as exc:
        if exc.status_code in (404, 410):
            return Outcome.EXPIRED
        if exc.status_code is None and data is not None:
            # No HTTP answer: the stored keys could not be used (pywebpush refused them).
            logger.warning("Push to %s not encrypted: %s", subscription.endpoint, exc.message)
            return Outcome.EXPIRED
        logger.warning("Push to %s failed: %s", subscription.endpoint, exc)
        return Outcome.FAILED
    except (ValueError, TypeError) as exc:
        logger.warning("Push to %s not encrypted: %s", subscription.endpoint, exc)
        return Outcome.EXPIRED
    except requests.RequestException as exc:
        logger.warning("Push to %s failed: %s", subscription.endpoint, exc)
        return Outcome.FAILED
    return Outcome.DELIVERED
