"""``static/js/scoped_keys.js`` in real Chromium: the scoped-key derivations of oauth.md §9 against
known answers computed here with an independent HKDF (the ``cryptography`` package), and the
keys_jwe it seals opened by jwcrypto with the private half of the keys_jwk."""
import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from jwcrypto import jwe, jwk

from tests.e2e import test_browser_crypto

pytestmark = pytest.mark.e2e

KB = "8b2e1303e21eee06a945683b8d495b9bf079ca30baa37eb8392d9ffa4767be45"
UID = "aeaa1725c7a24ff983c6295725d5fc9b"
TIMESTAMP = 1510726317123
ROTATION_SECRET = "0" * 64
OLDSYNC = "https://identity.mozilla.com/apps/oldsync"
GENERIC = "https://identity.thunderbird.net/apps/sync"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hkdf(ikm, info, length, salt=None):
    return HKDF(hashes.SHA256(), length, salt, info.encode()).derive(ikm)


def expected_oldsync():
    kb = bytes.fromhex(KB)
    return {"kty": "oct", "scope": OLDSYNC,
            "k": b64url(hkdf(kb, "identity.mozilla.com/picl/v1/oldsync", 64)),
            "kid": f"{TIMESTAMP}-{b64url(hashlib.sha256(kb).digest()[:16])}"}


def expected_generic():
    okm = hkdf(bytes.fromhex(KB + ROTATION_SECRET),
               "identity.mozilla.com/picl/v1/scoped_key\n" + GENERIC, 48, bytes.fromhex(UID))
    return {"kty": "oct", "scope": GENERIC, "k": b64url(okm[16:]),
            "kid": f"{round(TIMESTAMP / 1000)}-{b64url(okm[:16])}"}


def metadata(scope, **changes):
    return {"identifier": scope, "keyRotationSecret": ROTATION_SECRET,
            "keyRotationTimestamp": TIMESTAMP, **changes}


# A blank page on the static server's origin, where the modules under /static/js/ import.
keys_page = test_browser_crypto.crypto_page


def run(page, body, arg=None):
    script = ("async (arg) => { const c = await import('/static/js/crypto.js'); "
              "const s = await import('/static/js/scoped_keys.js'); " + body + " }")
    return page.evaluate(script, arg)


def test_oldsync_and_generic_derivations_give_the_known_answers(keys_page):
    bundle = run(keys_page, "return s.deriveScopedKeys(c.hexToBytes(arg.kB), arg.uid, arg.data);",
                 {"kB": KB, "uid": UID,
                  "data": {OLDSYNC: metadata(OLDSYNC), GENERIC: metadata(GENERIC)}})
    assert bundle == {OLDSYNC: expected_oldsync(), GENERIC: expected_generic()}
    # The fixed vectors, so a change to the reference computation above is seen too.
    assert bundle[OLDSYNC]["kid"] == f"{TIMESTAMP}-" + b64url(hashlib.sha256(bytes.fromhex(KB)).digest()[:16])
    assert len(base64.urlsafe_b64decode(bundle[OLDSYNC]["k"] + "==")) == 64
    assert bundle[GENERIC]["kid"].startswith("1510726317-")


@pytest.mark.parametrize("changes", [
    {"keyRotationTimestamp": 1510726317},  # seconds, not ms
    {"identifier": "short"},
    {"keyRotationSecret": "00"},
])
def test_bad_metadata_is_refused(keys_page, changes):
    message = run(keys_page, """
        try { await s.deriveScopedKey(c.hexToBytes(arg.kB), arg.uid, arg.meta); return null; }
        catch (error) { return error.message; }
    """, {"kB": KB, "uid": UID, "meta": metadata(GENERIC, **changes)})
    assert message


def test_keys_jwe_opens_with_the_private_keys_jwk(keys_page):
    private = jwk.JWK.generate(kty="EC", crv="P-256")
    keys_jwk = b64url(private.export_public().encode())
    bundle = {OLDSYNC: expected_oldsync()}
    token = run(keys_page, "return s.encryptToKeysJwk(arg.jwk, JSON.stringify(arg.bundle));",
                {"jwk": keys_jwk, "bundle": bundle})
    parts = token.split(".")
    assert len(parts) == 5 and parts[1] == "" and len(token) <= 1024
    header = json.loads(base64.urlsafe_b64decode(parts[0] + "=="))
    assert header["alg"] == "ECDH-ES" and header["enc"] == "A256GCM"
    assert set(header["epk"]) == {"kty", "crv", "x", "y"}
    opened = jwe.JWE()
    opened.deserialize(token, key=private)
    assert json.loads(opened.payload) == bundle


def test_keys_jwk_must_be_a_public_p256_key(keys_page):
    private = jwk.JWK.generate(kty="EC", crv="P-256")
    for bad in (private.export_private(), jwk.JWK.generate(kty="EC", crv="P-384").export_public()):
        message = run(keys_page, """
            try { await s.encryptToKeysJwk(arg, "{}"); return null; } catch (error) { return error.message; }
        """, b64url(bad.encode()))
        assert message and "P-256" in message
