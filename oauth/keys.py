"""The OpenID signing keys from settings: the current key signs; current, next and the retired
one (old) are published, so that RPs know a key before it signs and still verify what it signed
after a rotation (``manage.py oauth_keys rotate``).

The same key signs the Security Event Tokens of RP webhooks (events.md).
"""
from functools import lru_cache

from django.conf import settings

from .crypto import SigningKey, VerificationKey


@lru_cache(maxsize=4)
def _load(pem):
    return SigningKey(pem)


@lru_cache(maxsize=2)
def _load_public(pem):
    return VerificationKey(pem)


def current_key():
    """The key that signs, or None when none is configured (production without OAUTH_SIGNING_KEY)."""
    pem = settings.OAUTH_SIGNING_KEY
    return _load(pem) if pem else None


def next_key():
    pem = settings.OAUTH_SIGNING_KEY_NEXT
    return _load(pem) if pem else None


def old_key():
    pem = settings.OAUTH_SIGNING_KEY_OLD
    return _load_public(pem) if pem else None


def public_jwks():
    """Public JWKs in upstream's order: active, next, then the retired one."""
    return [key.public_jwk for key in (current_key(), next_key(), old_key()) if key is not None]


def sign(claims, typ="JWT"):
    key = current_key()
    if key is None:
        raise RuntimeError("OAUTH_SIGNING_KEY is not configured")
    return key.sign(claims, typ=typ)
