"""Secrets at rest (accounts.hashing): each kind's stored format is pinned, independently of the
helper, because rows already in databases must keep matching."""
import hashlib
import hmac

import pytest

from accounts import hashing, onepw

SECRET_KEY = "a-secret-key-for-these-tests"

# Rows exist under these purposes: changing one orphans them (and needs a data migration).
STORED_PURPOSES = {
    "UNBLOCK_CODE": "accounts.unblock_code",
    "RECOVERY_CODE": "accounts.twofactor.recovery_code",
    "RESET_OTP": "accounts.password_reset.otp",
    "SESSION_TOKEN_HANDLE": "accounts.devices.session-token-handle",
    "MFA_OTP_KEY": "accounts.twofactor.mfa_otp",
    "MFA_JWT_KEY": "accounts.twofactor.mfa_jwt",
    "FLOW_ID_KEY": "accounts.pages.metrics.flow_id",
}
KINDS = {name: value for name, value in vars(hashing).items() if isinstance(value, hashing.Secret)}


@pytest.fixture(autouse=True)
def _secret_key(settings):
    settings.SECRET_KEY = SECRET_KEY


def _keyed(purpose, value):
    """HMAC-SHA256 under SHA-256(purpose + SECRET_KEY): Django's salted_hmac, written out."""
    key = hashlib.sha256((purpose + SECRET_KEY).encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256)


def test_keyed_kinds_keep_their_purpose_strings():
    keyed = {name: kind.purpose for name, kind in KINDS.items()
             if kind.method in (hashing.KEYED, hashing.KEY)}
    assert keyed == STORED_PURPOSES
    assert len({kind.purpose for kind in KINDS.values()}) == len(KINDS)


@pytest.mark.parametrize("name", ["UNBLOCK_CODE", "RECOVERY_CODE", "RESET_OTP",
                                  "SESSION_TOKEN_HANDLE"])
def test_keyed_kinds_are_salted_hmac_sha256_hex(name):
    value = "0123456789abcdef0123456789abcdef:ABCD2345"
    assert hashing.digest(KINDS[name], value) == _keyed(STORED_PURPOSES[name], value).hexdigest()


@pytest.mark.parametrize("name", ["MFA_OTP_KEY", "MFA_JWT_KEY", "FLOW_ID_KEY"])
def test_derived_keys_are_the_salted_hmac_bytes(name):
    expected = _keyed(STORED_PURPOSES[name], "signing-key").digest()
    assert hashing.derive_key(KINDS[name], "signing-key") == expected


def test_oauth_tokens_and_pass_codes_are_sha256_of_the_bytes_their_hex_spells():
    token = "ab" * 32
    expected = hashlib.sha256(bytes.fromhex(token)).hexdigest()
    assert hashing.digest(hashing.OAUTH_TOKEN, token) == expected
    assert hashing.digest(hashing.PASS_CODE, token) == expected
    assert hashing.digest(hashing.AUTH_TOKEN_ID, token) == expected
    # Not hex (e.g. a JWT jti from elsewhere): its text.
    expected = hashlib.sha256(b"not hex!").hexdigest()
    assert hashing.digest(hashing.OAUTH_TOKEN, "not hex!") == expected


def test_recovery_key_ids_are_sha256_of_the_lower_cased_text():
    key_id = "00112233445566778899aabbccddeeff"
    expected = hashlib.sha256(key_id.encode()).hexdigest()
    assert hashing.digest(hashing.RECOVERY_KEY_ID, key_id) == expected


def test_matches_is_exact_and_nothing_matches_an_empty_row():
    stored = hashing.digest(hashing.UNBLOCK_CODE, "uid:ABCD2345")
    assert hashing.matches(hashing.UNBLOCK_CODE, "uid:ABCD2345", stored)
    assert not hashing.matches(hashing.UNBLOCK_CODE, "uid:ABCD2346", stored)
    assert not hashing.matches(hashing.RECOVERY_CODE, "uid:ABCD2345", stored)
    assert not hashing.matches(hashing.OAUTH_TOKEN, "", None)
    assert not hashing.matches(hashing.OAUTH_TOKEN, "", "")


def test_a_key_is_not_a_digest_and_a_digest_is_not_a_key():
    with pytest.raises(ValueError):
        hashing.digest(hashing.MFA_JWT_KEY, "signing-key")
    with pytest.raises(ValueError):
        hashing.derive_key(hashing.UNBLOCK_CODE, "uid:ABCD2345")


def test_a_new_secret_key_voids_keyed_values(settings):
    before = hashing.digest(hashing.RECOVERY_CODE, "uid:code")
    settings.SECRET_KEY = SECRET_KEY + "-rotated"
    assert hashing.digest(hashing.RECOVERY_CODE, "uid:code") != before


def test_b64url_is_unpadded_and_reads_padded_or_not():
    assert onepw.b64url_encode(bytes([251, 255, 191])) == "-_-_"
    assert onepw.b64url_encode(b"ab") == "YWI"
    assert onepw.b64url_decode("YWI") == onepw.b64url_decode("YWI=") == b"ab"
