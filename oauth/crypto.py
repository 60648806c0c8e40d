"""Pure OAuth crypto (no Django): fresh secrets, PKCE, RS256 signing keys and JWTs, PPID subjects.

How tokens and client secrets are kept at rest is ``accounts.hashing.OAUTH_TOKEN``.
"""
import hashlib
import hmac
import json
import secrets

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from accounts.onepw import b64url_encode, hkdf


def random_hex(nbytes=32):
    """A fresh secret: client secrets, access/refresh tokens and codes are 32 bytes (64 hex)."""
    return secrets.token_hex(nbytes)


def same_hash(candidate, stored):
    """Constant-time comparison of two hex digests (None never matches)."""
    if not candidate or not stored:
        return False
    return hmac.compare_digest(candidate.encode(), stored.encode())


def pkce_challenge(verifier):
    """RFC 7636 S256: base64url(SHA-256(ASCII(verifier)))."""
    return b64url_encode(hashlib.sha256(verifier.encode("ascii")).digest())


def at_hash(access_token):
    """OIDC at_hash for RS256: base64url of the left half of SHA-256(access_token)."""
    return b64url_encode(hashlib.sha256(access_token.encode("ascii")).digest()[:16])


def generate_signing_key_pem(bits=2048):
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


class VerificationKey:
    """An RS256 public key, from a PEM of the public or the private key, with its JWK; ``kid`` =
    first 16 hex of SHA-256 of the public key's DER (stable, so RPs' JWKS caches keep working
    across restarts and rotations)."""

    def __init__(self, pem):
        if "PRIVATE KEY" in pem:
            public = serialization.load_pem_private_key(pem.encode(), password=None).public_key()
        else:
            public = serialization.load_pem_public_key(pem.encode())
        if not isinstance(public, rsa.RSAPublicKey):
            raise ValueError("the OAuth signing key must be an RSA key")
        self.public_pem = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        der = public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = hashlib.sha256(der).hexdigest()[:16]
        numbers = public.public_numbers()

        def _int(value):
            return b64url_encode(value.to_bytes((value.bit_length() + 7) // 8, "big"))

        self.public_jwk = {
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "kid": self.kid,
            "n": _int(numbers.n),
            "e": _int(numbers.e),
        }


class SigningKey(VerificationKey):
    """An RS256 private key, with its public JWK."""

    def __init__(self, pem):
        self.private_key = serialization.load_pem_private_key(pem.encode(), password=None)
        if not isinstance(self.private_key, rsa.RSAPrivateKey):
            raise ValueError("the OAuth signing key must be an RSA key")
        super().__init__(pem)

    def sign(self, claims, typ="JWT"):
        """RS256 with this key's ``kid``; ``typ=None`` leaves the header without one (upstream's
        Security Event Tokens)."""
        headers = {"kid": self.kid, "typ": typ}  # PyJWT drops a None typ
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers=headers)


def verify_jwt(token, public_jwks, **options):
    """Decode an RS256 JWT signed by one of ``public_jwks`` (by kid); raises jwt errors."""
    kid = jwt.get_unverified_header(token).get("kid")
    for jwk in public_jwks:
        if jwk.get("kid") == kid:
            key = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(jwk))
            return jwt.decode(token, key, algorithms=["RS256"], **options)
    raise jwt.InvalidSignatureError("unknown kid")


def ppid_sub(client_id, uid, salt, seed=0, epoch=0):
    """oauth.md §2 pairwise sub: HKDF-SHA256("<client>.<uid>.<seed>.<epoch>", salt, info)."""
    ikm = f"{client_id}.{uid}.{seed}.{epoch}".encode()
    return hkdf(ikm, b"oidc ppid sub", 16, salt=salt.encode()).hex()
