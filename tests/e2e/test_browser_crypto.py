"""``static/js/crypto.js`` (the browser's onepw crypto) in real Chromium, against the known-answer
vectors of onepw.md §8: v1/v2 stretching, token ids, the /account/keys bundle, recovery keys."""
import re

import pytest

pytestmark = pytest.mark.e2e

EMAIL = "andré@example.org"
PASSWORD = "pässwörd"

# §8.3
KEY_FETCH_TOKEN = "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
BUNDLE = (
    "ee5c58845c7c9412b11bbd20920c2fddd83c33c9cd2c2de2d66b222613364636"
    "c2c0f8cfbb7c630472c0bd88451342c6c05b14ce342c5ad46ad89e84464c993c"
    "3927d30230157d0817a077eef4b20d976f7a97363faf3f064c003ada7d01aa70"
)

# §8.6
UID = "aaaaabbbbbcccccdddddeeeeefffff00"
RECOVERY_KEY = "00443214c74254b635cf84653a56d7c675be77df"
RECOVERY_KEY_TEXT = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECOVERY_KB = "000000111111222222333333444444555555666666777777888888999999ABCD"
RECOVERY_IV = "eeddccbbaa99887766554433"
RECOVERY_DATA = (
    "eyJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiZGlyIiwia2lkIjoiNmFhMjQ4OTMxNzA0ODg2ZjU0YWM2NGI4MWIxMTFiYzAifQ"
    "..7t3Mu6qZiHdmVUQz"
    ".qoXWfU77FBV67Pyy_GXAkoSuAbksIqAXZd2tkq48iD3u_qWEEAeYx-M3m2G373zes3OXsSZdJIGRFmd8bC9s4ZvN3kF3A6vK5g"
    ".yT7bkdF8AYC6ecwsvRCI7A"
)


@pytest.fixture(scope="module")
def crypto_page(chromium, static_server):
    """A blank page on the static server's origin, where ``/static/js/crypto.js`` can be imported."""
    context = chromium.new_context()
    page = context.new_page()
    page.goto(static_server + "/")
    yield page
    context.close()


def run(page, body, arg=None):
    """Runs ``body`` as an async function in the page, with ``c`` = the crypto.js module and ``arg``."""
    script = "async (arg) => { const c = await import('/static/js/crypto.js'); " + body + " }"
    return page.evaluate(script, arg)


def test_stretch_v1(crypto_page):
    """§8.1"""
    result = run(crypto_page, """
        const s = await c.stretchV1(arg.email, arg.password);
        return {
            email: c.bytesToHex(c.utf8(arg.email)),
            password: c.bytesToHex(c.utf8(arg.password)),
            quickStretchedPW: c.bytesToHex(s.quickStretchedPW),
            authPW: c.bytesToHex(s.authPW),
            unwrapBKey: c.bytesToHex(s.unwrapBKey),
        };
    """, {"email": EMAIL, "password": PASSWORD})
    assert result == {
        "email": "616e6472c3a9406578616d706c652e6f7267",
        "password": "70c3a4737377c3b67264",
        "quickStretchedPW": "e4e8889bd8bd61ad6de6b95c059d56e7b50dacdaf62bd84644af7e2add84345d",
        "authPW": "247b675ffb4c46310bc87e26d712153abe5e1c90ef00a4784594f97ef54f2375",
        "unwrapBKey": "de6a2648b78284fcb9ffa81ba95803309cfba7af583c01a8a1a63e567234dd28",
    }


def test_account_keys_bundle_gives_ka_wrapkb_and_kb(crypto_page):
    """§8.3: keyFetchToken → tokenId; bundle → kA, wrapKb; kB = wrapKb ⊕ unwrapBKey of §8.1."""
    result = run(crypto_page, """
        const keys = await c.unbundleKeys(arg.token, arg.bundle);
        const { unwrapBKey } = await c.stretchV1(arg.email, arg.password);
        return {
            tokenId: await c.deriveTokenId(arg.token, "keyFetchToken"),
            kA: c.bytesToHex(keys.kA),
            wrapKB: c.bytesToHex(keys.wrapKB),
            kB: c.bytesToHex(c.deriveKB(keys.wrapKB, unwrapBKey)),
        };
    """, {"token": KEY_FETCH_TOKEN, "bundle": BUNDLE, "email": EMAIL, "password": PASSWORD})
    assert result == {
        "tokenId": "3d0a7c02a15a62a2882f76e39b6494b500c022a8816e048625a495718998ba60",
        "kA": "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
        "wrapKB": "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f",
        "kB": "9e2b640bf3c7c2bbf1b6e250e5154d7fccaaf5fc0c6957fff9ff640d2e698377",
    }


def test_unbundle_with_key_request_key(crypto_page):
    """§8.3, the unbundle-only vector (fxa-auth-client)."""
    result = run(crypto_page, """
        const keys = await c.unbundleWithKeyRequestKey(arg.keyRequestKey, arg.bundle);
        return { kA: c.bytesToHex(keys.kA), wrapKB: c.bytesToHex(keys.wrapKB) };
    """, {
        "keyRequestKey": "dedd009a8275a4f672bb4b41e14a117812c0b2f400c85fa058e0293f3f45726a",
        "bundle": (
            "df4717238a738501bd2ad8f7114ef193ea69751a40108149bfb88a5643a8d683"
            "a1e75b705d4db135130f0896dbac0819ab7d54334e0cd4f9c945e0a7ada91899"
            "756cedf4384be404844050270310bc2b396f100eeda0c7b428cfe77c40a873ae"
        ),
    })
    assert result == {
        "kA": "939282904b808c6003ea31aeb14bc766d2ab70ba7dcaa54f820efcf4762b9619",
        "wrapKB": "849ac9f71643ace46dcdd384633ec1bffe565852806ee2f859c3eba7fafeafec",
    }


@pytest.mark.parametrize("position", [0, 63, 64, 95], ids=["ciphertext-first", "ciphertext-last", "mac-first", "mac-last"])
def test_tampered_bundle_raises_bundle_mac_error(crypto_page, position):
    tampered = bytearray.fromhex(BUNDLE)
    tampered[position] ^= 0x01
    result = run(crypto_page, """
        try {
            await c.unbundleKeys(arg.token, arg.bundle);
            return null;
        } catch (error) {
            return { name: error.name, isError: error instanceof Error };
        }
    """, {"token": KEY_FETCH_TOKEN, "bundle": tampered.hex()})
    assert result == {"name": "BundleMacError", "isError": True}


@pytest.mark.parametrize("token_type, token, token_id", [
    ("sessionToken", "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf",
     "c0a29dcf46174973da1378696e4c82ae10f723cf4f4d9f75e39f4ae3851595ab"),
    ("accountResetToken", "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf",
     "46ec557e56e531a058620e9344ca9c75afac0d0bcbdd6f8c3c2f36055d9540cf"),
    ("passwordForgotToken", bytes(range(0xE0, 0x100)).hex(),
     "38dfd4b5538ba183804693ad49a25714a322fa007cce0c617dc90d1f509c555c"),
    ("passwordChangeToken", bytes(range(0x00, 0x20)).hex(),
     "1f16a52ec13e2ff70ce41ac44f071a3bb05115c759b077eedf1286cb94f5140d"),
])
def test_token_ids(crypto_page, token_type, token, token_id):
    """§8.4"""
    assert run(crypto_page, "return c.deriveTokenId(arg.token, arg.type);", {"token": token, "type": token_type}) == token_id


def test_session_token_bearer_header(crypto_page):
    """§8.4: the server's ``Authorization: Bearer fxs_<tokenId>``."""
    header = run(crypto_page, """
        return "Bearer fxs_" + await c.deriveTokenId(arg, "sessionToken");
    """, "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf")
    assert header == "Bearer fxs_c0a29dcf46174973da1378696e4c82ae10f723cf4f4d9f75e39f4ae3851595ab"


@pytest.mark.parametrize("salt_core, stretched, auth_pw, unwrap_b_key", [
    ("0123456789abcdef0123456789abcdef",
     "1962d132874d2be60129f21229c42205e75661b08b7e657c4997972475459e41",
     "d278c764bd1852a14bfc4e9d8c1682b4f1a57edb9a9372bf8c370cc41592155b",
     "616616095eff30032abf6a47df30d9a3fc799d8af5e8519905c1601170553493"),
    ("c2dc400c9cc1a93dd3cd3af1b05ebd60",
     "b38b6a81c851c34343899bb1c64bd179cdddea840260849444b0b91b413a80de",
     "28c81379c31905d16f9aa9c63fcf0950094e413e16a9c9be41f52dbb09af518e",
     "e1c1f362437c8977e2ad8372cafcaf873df7dce30ae351bcd262af05e84caa92"),
], ids=["fxa-auth-client", "pyfxa"])
def test_stretch_v2(crypto_page, salt_core, stretched, auth_pw, unwrap_b_key):
    """§8.5"""
    result = run(crypto_page, """
        const s = await c.stretchV2(arg.salt, arg.password);
        return [c.bytesToHex(s.stretchedPW), c.bytesToHex(s.authPW), c.bytesToHex(s.unwrapBKey)];
    """, {"salt": "identity.mozilla.com/picl/v1/quickStretchV2:" + salt_core, "password": PASSWORD})
    assert result == [stretched, auth_pw, unwrap_b_key]


def test_new_client_salt(crypto_page):
    salts = run(crypto_page, "return [c.newClientSalt(), c.newClientSalt()];")
    for salt in salts:
        assert re.fullmatch(r"identity\.mozilla\.com/picl/v1/quickStretchV2:[0-9a-f]{32}", salt)
    assert salts[0] != salts[1]


def test_recovery_key_vector(crypto_page):
    """§8.6: recoveryKeyId, encKey, recoveryData both ways, and the base32 text."""
    result = run(crypto_page, """
        const key = c.hexToBytes(arg.key);
        const text = c.encodeRecoveryKey(key);
        return {
            recoveryKeyId: await c.recoveryKeyId(key, arg.uid),
            encKey: c.bytesToHex(await c.recoveryEncryptionKey(key, arg.uid)),
            decrypted: await c.decryptRecoveryData(key, arg.uid, arg.data),
            encrypted: await c.encryptRecoveryData(key, arg.uid, { kB: arg.kB }, c.hexToBytes(arg.iv)),
            text,
            decoded: c.bytesToHex(c.decodeRecoveryKey(text)),
        };
    """, {"key": RECOVERY_KEY, "uid": UID, "data": RECOVERY_DATA, "kB": RECOVERY_KB, "iv": RECOVERY_IV})
    assert result == {
        "recoveryKeyId": "6aa248931704886f54ac64b81b111bc0",
        "encKey": "58c77394e516799304a06fa370828a2570b285ea7e461ed4d792830eeffe6d1a",
        "decrypted": {"kB": RECOVERY_KB},
        "encrypted": RECOVERY_DATA,
        "text": RECOVERY_KEY_TEXT,
        "decoded": RECOVERY_KEY,
    }


@pytest.mark.parametrize("typed", [
    "0123 4567 89ab cdef ghjk mnpq rstv wxyz",
    "0123-4567-89AB-CDEF-GHJK-MNPQ-RSTV-WXYZ",
    "oI23456789ABCDEFGHJKMNPQRSTVWXYZ",
    "OL23456789ABCDEFGHJKMNPQRSTVWXYZ",
])
def test_recovery_key_text_is_read_as_crockford_base32(crypto_page, typed):
    assert run(crypto_page, "return c.bytesToHex(c.decodeRecoveryKey(arg));", typed) == RECOVERY_KEY


@pytest.mark.parametrize("typed", [
    RECOVERY_KEY_TEXT[:-1],
    RECOVERY_KEY_TEXT + "0",
    "U" + RECOVERY_KEY_TEXT[1:],
    "*" + RECOVERY_KEY_TEXT[1:],
])
def test_bad_recovery_key_text_is_refused(crypto_page, typed):
    result = run(crypto_page, """
        try { c.decodeRecoveryKey(arg); return null; } catch (error) { return error.message; }
    """, typed)
    assert result is not None


def test_generated_recovery_key_seals_and_opens_keys(crypto_page):
    """A fresh key (§7) reads "A…", and recoveryData made with a random IV opens only with it."""
    result = run(crypto_page, """
        const key = c.generateRecoveryKey();
        const keys = { kA: c.bytesToHex(c.randomBytes(32)), kB: c.bytesToHex(c.randomBytes(32)) };
        const data = await c.encryptRecoveryData(key, arg, keys);
        let wrongKey = null;
        try {
            await c.decryptRecoveryData(c.generateRecoveryKey(), arg, data);
        } catch (error) {
            wrongKey = error.name;
        }
        return {
            length: key.length,
            text: c.encodeRecoveryKey(key),
            roundTrip: JSON.stringify(await c.decryptRecoveryData(key, arg, data)) === JSON.stringify(keys),
            wrongKey,
        };
    """, UID)
    assert result["length"] == 20
    assert result["text"].startswith("A")
    assert result["roundTrip"] is True
    assert result["wrongKey"] == "OperationError"


def test_encodings(crypto_page):
    result = run(crypto_page, """
        const bytes = c.hexToBytes("00ff7F80");
        return {
            hex: c.bytesToHex(bytes),
            b64: c.b64urlEncode(new Uint8Array([251, 255, 191])),
            unb64: c.bytesToHex(c.b64urlDecode("-_-_")),
            xor: c.bytesToHex(c.xor(c.hexToBytes("0f0f"), c.hexToBytes("ff00"))),
            kwe: new TextDecoder().decode(c.kwe("quickStretch", "a@b")),
            badHex: (() => { try { c.hexToBytes("abc"); return false; } catch { return true; } })(),
        };
    """)
    assert result == {
        "hex": "00ff7f80",
        "b64": "-_-_",
        "unb64": "fbffbf",
        "xor": "f00f",
        "kwe": "identity.mozilla.com/picl/v1/quickStretch:a@b",
        "badHex": True,
    }
