"""Email OTP codes (accounts.otp): RFC 4226/6238 known answers, and otplib's decoding of emailCodes.

The emailCode answers were computed with otplib 11.0.1 (the version upstream's auth server
depends on) as upstream does: ``authenticator`` with ``{step: 600, window: 1}`` and the emailCode
as the secret.
"""
import base64
import secrets

import pytest

from accounts import otp

RFC_KEY = b"12345678901234567890"


@pytest.mark.parametrize("counter, expected", list(enumerate([
    "755224", "287082", "359152", "969429", "338314",
    "254676", "287922", "162583", "399871", "520489",
])))
def test_hotp_matches_rfc_4226(counter, expected):
    assert otp.hotp(RFC_KEY, counter) == expected


@pytest.mark.parametrize("at, expected", [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
])
def test_totp_sha1_matches_rfc_6238(at, expected):
    assert otp.hotp(RFC_KEY, at // 30, digits=8) == expected


# (emailCode, time in s, the code otplib 11.0.1's authenticator gives with step 600).
OTPLIB_ANSWERS = [
    ("0123456789abcdef0123456789abcdef", 0, "434046"),
    ("0123456789abcdef0123456789abcdef", 599, "434046"),
    ("0123456789abcdef0123456789abcdef", 600, "682881"),
    ("0123456789abcdef0123456789abcdef", 1700000000, "294737"),
    ("0123456789abcdef0123456789abcdef", 1732200000, "345282"),
    ("ffffffffffffffffffffffffffffffff", 0, "165064"),
    ("ffffffffffffffffffffffffffffffff", 1700000000, "527299"),
    ("00000000000000000000000000000000", 600, "463444"),
    ("00000000000000000000000000000000", 1732200000, "350895"),
    ("a1b2c3d4e5f60718293a4b5c6d7e8f90", 599, "569845"),
    ("a1b2c3d4e5f60718293a4b5c6d7e8f90", 1700000000, "088122"),
    ("a1b2c3d4e5f60718293a4b5c6d7e8f90", 1732200000, "865343"),
    ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1732200000, "309999"),
]


@pytest.mark.parametrize("secret, at, expected", OTPLIB_ANSWERS)
def test_email_codes_are_those_of_otplib(secret, at, expected):
    assert otp.generate(secret, at) == expected


def test_an_email_code_decodes_as_thirty_two_does():
    # thirty-two 1.0.2 (otplib's base32 decoder) turns "0189", absent from base32, into 0xff.
    assert otp.thirty_two_decode("00") == b"\xff"
    assert otp.thirty_two_decode("0123456789abcdef0123456789abcdef").hex() == (
        "fff5be77dfffc0110c85fff5be77dfffc0110c85"
    )
    assert len(otp.hmac_key(secrets.token_hex(16))) == 20


@pytest.mark.parametrize("text", ["ABCDEFGH", "MZXW6YTBOI", "mzxw6ytboi", "GEZDGNBVGY3TQOJQ"])
def test_thirty_two_decoding_is_base32_for_valid_input(text):
    padded = text.upper() + "=" * (-len(text) % 8)
    assert otp.thirty_two_decode(text) == base64.b32decode(padded)


def test_thirty_two_refuses_characters_past_its_table():
    with pytest.raises(ValueError):
        otp.thirty_two_decode("abcé")


def test_short_secrets_are_repeated_as_otplib_pads_them():
    assert otp.hmac_key("ME") == bytes.fromhex("61" * 18)
    assert otp.generate("ME", 1000) == "616083"  # otplib 11.0.1


def test_a_code_is_valid_one_step_either_side_and_no_further():
    secret = "0123456789abcdef0123456789abcdef"
    code = otp.generate(secret, 1700000000)  # 200 s into its step
    assert code == "294737"
    assert otp.verify(code, secret, 1700000000)
    assert otp.verify(code, secret, 1700000000 - 600)  # the next step's code, seen early
    assert otp.verify(code, secret, 1700000000 + 999)  # one step later
    assert not otp.verify(code, secret, 1700000000 + 1000)  # two steps later: expired
    assert not otp.verify(code, secret, 1700000000 - 1200)


def test_the_code_is_the_same_throughout_a_step():
    secret = secrets.token_hex(16)
    assert otp.generate(secret, 6000) == otp.generate(secret, 6599) != otp.generate(secret, 6600)


@pytest.mark.parametrize("code", ["", "12345", "1234567", "12345a", "١٢٣٤٥٦", None, 123456])
def test_malformed_codes_never_verify(code):
    secret = "0" * 32
    assert not otp.verify(code, secret, 0)


def test_another_accounts_code_does_not_verify():
    mine, theirs = "0123456789abcdef0123456789abcdef", "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    assert not otp.verify(otp.generate(theirs, 1700000000), mine, 1700000000)
