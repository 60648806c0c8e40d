"""Known-answer tests for the onepw key derivations (vectors from onepw.md §8)."""
import pytest

from accounts import onepw

EMAIL = "andré@example.org"
PASSWORD = "pässwörd"

QUICK_STRETCHED_PW = bytes.fromhex("e4e8889bd8bd61ad6de6b95c059d56e7b50dacdaf62bd84644af7e2add84345d")
AUTH_PW = bytes.fromhex("247b675ffb4c46310bc87e26d712153abe5e1c90ef00a4784594f97ef54f2375")
UNWRAP_BKEY = bytes.fromhex("de6a2648b78284fcb9ffa81ba95803309cfba7af583c01a8a1a63e567234dd28")

AUTH_SALT = bytes.fromhex("00f0000000000000000000000000000000000000000000000000000000000000")
BIG_STRETCHED_PW = bytes.fromhex("441509e25c92ee103d5a1a874e6f155df25a44d06e61c894616c9e85181dba97")
VERIFY_HASH = bytes.fromhex("a4765bf103dc057f4cf4bc2c131ddb6716e8a4333cc55e1d3c449f31f0eec4f1")
WRAPWRAP_KEY = bytes.fromhex("3ebea117efa9faf57ce195899b2905058368e7760cc26ea58a2a1be0da7fb287")

KA = bytes(range(0x20, 0x40))
WRAP_KB = bytes(range(0x40, 0x60))
KEY_FETCH_TOKEN = bytes(range(0x80, 0xA0))
KEY_REQUEST_KEY = bytes.fromhex("14f338a9e8c6324d9e102d4e6ee83b209796d5c74bb734a410e729e014a4a546")
KEYS_BUNDLE = bytes.fromhex(
    "ee5c58845c7c9412b11bbd20920c2fddd83c33c9cd2c2de2d66b222613364636"
    "c2c0f8cfbb7c630472c0bd88451342c6c05b14ce342c5ad46ad89e84464c993c"
    "3927d30230157d0817a077eef4b20d976f7a97363faf3f064c003ada7d01aa70"
)


def test_info_strings():
    assert onepw.kw("authPW") == b"identity.mozilla.com/picl/v1/authPW"
    assert onepw.kwe("quickStretch", EMAIL) == (
        b"identity.mozilla.com/picl/v1/quickStretch:andr\xc3\xa9@example.org"
    )


def test_hkdf_rfc5869_vectors():
    ikm = bytes([0x0B] * 22)
    okm = onepw.hkdf(ikm, bytes(range(0xF0, 0xFA)), 42, salt=bytes(range(13)))
    assert okm.hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )
    # RFC 5869 test case 3: empty salt and info.
    assert onepw.hkdf(ikm, b"", 42).hex() == (
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
    )


def test_hkdf_longer_output_extends_shorter():
    token = bytes(range(32))
    info = onepw.kw("sessionToken")
    assert onepw.hkdf(token, info, 96)[:64] == onepw.hkdf(token, info, 64)


def test_xor():
    assert onepw.xor(b"\x00\xff\x0f", b"\xff\xff\xf0") == b"\xff\x00\xff"
    assert onepw.xor(b"\x00\x01", b"\x00\x01") == b"\x00\x00"
    with pytest.raises(ValueError):
        onepw.xor(b"\x00", b"\x00\x00")


def test_client_stretch_v1():
    assert EMAIL.encode().hex() == "616e6472c3a9406578616d706c652e6f7267"
    assert PASSWORD.encode().hex() == "70c3a4737377c3b67264"
    stretched = onepw.quick_stretch_v1(EMAIL, PASSWORD)
    assert stretched == QUICK_STRETCHED_PW
    assert onepw.auth_pw(stretched) == AUTH_PW
    assert onepw.unwrap_bkey(stretched) == UNWRAP_BKEY


def test_server_stretch():
    assert onepw.big_stretch(AUTH_PW, AUTH_SALT) == BIG_STRETCHED_PW
    assert onepw.verify_hash(BIG_STRETCHED_PW) == VERIFY_HASH
    assert onepw.wrapwrap_key(BIG_STRETCHED_PW) == WRAPWRAP_KEY


def test_derive_verifier():
    assert onepw.derive_verifier(AUTH_PW, AUTH_SALT) == (VERIFY_HASH, WRAPWRAP_KEY)


def test_scrypt_sanity_vector():
    k1 = bytes.fromhex("f84913e3d8e6d624689d0a3e9678ac8dcc79d2c2f3d9641488cd9d6ef6cd83dd")
    assert onepw.big_stretch(k1, b"identity.mozilla.com/picl/v1/scrypt").hex() == (
        "5b82f146a64126923e4167a0350bb181feba61f63cb1714012b19cb0be0119c5"
    )


def test_stored_wrap_wrap_kb_and_kb():
    wrap_wrap_kb = onepw.xor(WRAP_KB, WRAPWRAP_KEY)
    assert wrap_wrap_kb.hex() == "7effe354abecbcb234a8dfc2d7644b4ad339b525589738f2d27341bb8622ecd8"
    # Unwrapping is the same XOR.
    assert onepw.xor(wrap_wrap_kb, WRAPWRAP_KEY) == WRAP_KB
    assert onepw.xor(WRAP_KB, UNWRAP_BKEY).hex() == (
        "9e2b640bf3c7c2bbf1b6e250e5154d7fccaaf5fc0c6957fff9ff640d2e698377"
    )


def test_key_fetch_token_and_bundle_keys():
    token_id, req_hmac_key, key_request_key = onepw.derive_token(KEY_FETCH_TOKEN, "keyFetchToken")
    assert token_id.hex() == "3d0a7c02a15a62a2882f76e39b6494b500c022a8816e048625a495718998ba60"
    assert req_hmac_key.hex() == "87b8937f61d38d0e29cd2d5600b3f4da0aa48ac41de36a0efe84bb4a9872ceb7"
    assert key_request_key == KEY_REQUEST_KEY
    keys = onepw.hkdf(KEY_REQUEST_KEY, onepw.kw("account/keys"), 96)
    assert keys[:32].hex() == "f824d2953aab9faf51a1cb65ba9e7f9e5bf91c8d8fd1ac1c8c2d31853a8a1210"
    assert keys[32:].hex() == (
        "ce7d7aa77859b2359932970bbe2101f2e80d01faf9191bd5ee52181d2f0b7809"
        "8281ba8cff3925433a89f7c3095e0c89900a469d60790c833281c4df1a11c763"
    )


def test_bundle_keys():
    assert onepw.bundle_keys(KEY_REQUEST_KEY, KA, WRAP_KB) == KEYS_BUNDLE
    assert onepw.bundle(KEY_REQUEST_KEY, "account/keys", KA + WRAP_KB) == KEYS_BUNDLE
    assert onepw.unbundle_keys(KEY_REQUEST_KEY, KEYS_BUNDLE) == (KA, WRAP_KB)


def test_unbundle_keys_client_vector():
    key_request_key = bytes.fromhex("dedd009a8275a4f672bb4b41e14a117812c0b2f400c85fa058e0293f3f45726a")
    bundle = bytes.fromhex(
        "df4717238a738501bd2ad8f7114ef193ea69751a40108149bfb88a5643a8d683"
        "a1e75b705d4db135130f0896dbac0819ab7d54334e0cd4f9c945e0a7ada91899"
        "756cedf4384be404844050270310bc2b396f100eeda0c7b428cfe77c40a873ae"
    )
    ka, wrap_kb = onepw.unbundle_keys(key_request_key, bundle)
    assert ka.hex() == "939282904b808c6003ea31aeb14bc766d2ab70ba7dcaa54f820efcf4762b9619"
    assert wrap_kb.hex() == "849ac9f71643ace46dcdd384633ec1bffe565852806ee2f859c3eba7fafeafec"


@pytest.mark.parametrize("position", [0, 63, 64, 95])
def test_tampered_bundle_is_rejected(position):
    tampered = bytearray(KEYS_BUNDLE)
    tampered[position] ^= 0x01
    with pytest.raises(ValueError, match="bad bundle MAC"):
        onepw.unbundle_keys(KEY_REQUEST_KEY, bytes(tampered))


def test_bundle_with_wrong_key_is_rejected():
    with pytest.raises(ValueError, match="bad bundle MAC"):
        onepw.unbundle_keys(bytes(32), KEYS_BUNDLE)


def test_generic_bundle_round_trip():
    payload = b"any length payload"
    data = onepw.bundle(b"k" * 32, "some/info", payload)
    assert len(data) == len(payload) + 32
    assert onepw.unbundle(b"k" * 32, "some/info", data) == payload
    with pytest.raises(ValueError):
        onepw.unbundle(b"k" * 32, "other/info", data)


@pytest.mark.parametrize(
    "token, token_type, token_id, auth_key, bundle_key",
    [
        (
            bytes(range(0xA0, 0xC0)),
            "sessionToken",
            "c0a29dcf46174973da1378696e4c82ae10f723cf4f4d9f75e39f4ae3851595ab",
            "9d8f22998ee7f5798b887042466b72d53e56ab0c094388bf65831f702d2febc0",
            "37e3fceb754cb57362a8bd60a2f2344a7c285d17ddb2b57733640ce6d1b6a7a8",
        ),
        (
            bytes(range(0xC0, 0xE0)),
            "accountResetToken",
            "46ec557e56e531a058620e9344ca9c75afac0d0bcbdd6f8c3c2f36055d9540cf",
            "716ebc28f5122ef48670a48209190a1605263c3188dfe45256265929d1c45e48",
            "aa5906d2318c6e54ecebfa52f10df4c036165c230cc78ee859f546c66ea3c126",
        ),
        (
            bytes(range(0xE0, 0x100)),
            "passwordForgotToken",
            "38dfd4b5538ba183804693ad49a25714a322fa007cce0c617dc90d1f509c555c",
            "6f273c9f0e9b452d21f42a7e4fff3bfa46faff4dd340163136dfc5c2c4d160c3",
            None,
        ),
        (
            bytes(range(0x00, 0x20)),
            "passwordChangeToken",
            "1f16a52ec13e2ff70ce41ac44f071a3bb05115c759b077eedf1286cb94f5140d",
            "f95ae63ab0a50144a15a6e23d116732ab05793d10606666cc34ba25b8cbe554f",
            None,
        ),
    ],
)
def test_derive_token(token, token_type, token_id, auth_key, bundle_key):
    keys = onepw.derive_token(token, token_type)
    assert keys.token_id.hex() == token_id
    assert keys.auth_key.hex() == auth_key
    if bundle_key is not None:
        assert keys.bundle_key.hex() == bundle_key
    assert len(keys.bundle_key) == 32


@pytest.mark.parametrize(
    "client_salt, stretched, auth_pw, unwrap_bkey",
    [
        (
            "identity.mozilla.com/picl/v1/quickStretchV2:0123456789abcdef0123456789abcdef",
            "1962d132874d2be60129f21229c42205e75661b08b7e657c4997972475459e41",
            "d278c764bd1852a14bfc4e9d8c1682b4f1a57edb9a9372bf8c370cc41592155b",
            "616616095eff30032abf6a47df30d9a3fc799d8af5e8519905c1601170553493",
        ),
        (
            "identity.mozilla.com/picl/v1/quickStretchV2:c2dc400c9cc1a93dd3cd3af1b05ebd60",
            "b38b6a81c851c34343899bb1c64bd179cdddea840260849444b0b91b413a80de",
            "28c81379c31905d16f9aa9c63fcf0950094e413e16a9c9be41f52dbb09af518e",
            "e1c1f362437c8977e2ad8372cafcaf873df7dce30ae351bcd262af05e84caa92",
        ),
    ],
)
def test_client_stretch_v2(client_salt, stretched, auth_pw, unwrap_bkey):
    assert onepw.is_valid_client_salt(client_salt)
    result = onepw.quick_stretch_v2(client_salt, PASSWORD)
    assert result.hex() == stretched
    assert onepw.auth_pw(result).hex() == auth_pw
    assert onepw.unwrap_bkey(result).hex() == unwrap_bkey


def test_pyfxa_dummy_credentials():
    password = "l33tP@55W0rd"
    assert onepw.quick_stretch_v1("PyFxATester@restmail.net", password).hex() == (
        "59eb52f6ee5ebe2b599161aaa9b171c3baa8bed594d4e2a8b4b539fb9eba8368"
    )
    client_salt = onepw.CLIENT_SALT_V2_PREFIX + "735e18bdc1e83d964930be1e89591263"
    assert onepw.quick_stretch_v2(client_salt, password).hex() == (
        "570b9e5d11640357648fc9dcda78b767fc3676393016391762a21133d291fd1d"
    )


@pytest.mark.parametrize(
    "value",
    [
        "",
        "identity.mozilla.com/picl/v1/quickStretchV2:",
        "identity.mozilla.com/picl/v1/quickStretchV2:0123456789abcdef0123456789abcde",
        "identity.mozilla.com/picl/v1/quickStretchV2:0123456789abcdef0123456789abcdef0",
        "identity.mozilla.com/picl/v1/quickStretchV2:0123456789ABCDEF0123456789ABCDEF",
        "identity.mozilla.com/picl/v1/quickStretchV2:0123456789abcdef0123456789abcdef\n",
        "identityXmozilla.com/picl/v1/quickStretchV2:0123456789abcdef0123456789abcdef",
        "identity.mozilla.com/picl/v1/quickStretch:andré@example.org",
    ],
)
def test_invalid_client_salts(value):
    assert not onepw.is_valid_client_salt(value)
