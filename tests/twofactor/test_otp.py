"""The pure TOTP and backup-code module: RFC 6238 known answers, the window, the otpauth URI."""

import base64

import pytest

from accounts.twofactor import otp

# RFC 6238 appendix B (SHA1): the ASCII secret "12345678901234567890"; the last 6 of 8 digits.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = [
    (59, "287082"),
    (1111111109, "081804"),
    (1111111111, "050471"),
    (1234567890, "005924"),
    (2000000000, "279037"),
    (20000000000, "353130"),
]


@pytest.mark.parametrize("at, expected", RFC_VECTORS)
def test_codes_match_rfc_6238(at, expected):
    assert otp.code_at(RFC_SECRET, at) == expected


def test_secret_is_20_random_bytes_in_base32():
    secret = otp.new_secret()
    assert len(secret) == 32 and set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert len(otp.secret_key(secret)) == 20
    assert otp.new_secret() != secret


def test_window_is_one_period_either_side():
    at = 1_700_000_015  # mid-period
    step = otp.step_at(at)
    for delta in (-1, 0, 1):
        assert (
            otp.matching_step(RFC_SECRET, otp.code_at_step(RFC_SECRET, step + delta), at)
            == step + delta
        )
    for delta in (-2, 2, 10):
        assert otp.matching_step(RFC_SECRET, otp.code_at_step(RFC_SECRET, step + delta), at) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦", None, 123456])
def test_malformed_codes_match_nothing(code):
    assert otp.matching_step(RFC_SECRET, code, 59) is None


def test_secret_is_read_case_insensitively():
    assert otp.code_at(RFC_SECRET.lower(), 59) == "287082"
    with pytest.raises(ValueError):
        otp.secret_key("not base32!")


def test_otpauth_url_is_otplib_keyuri():
    url = otp.otpauth_url("Mozilla", "a+b@example.com", "JBSWY3DPEHPK3PXP")
    assert url == (
        "otpauth://totp/Mozilla:a%2Bb%40example.com?secret=JBSWY3DPEHPK3PXP&period=30&digits=6"
        "&algorithm=SHA1&issuer=Mozilla"
    )
    assert otp.otpauth_url("My Server", "x@y.z", "S").startswith(
        "otpauth://totp/My%20Server:x%40y.z?"
    )


def test_qr_code_is_a_png_data_url():
    url = otp.qr_code_data_url(otp.otpauth_url("Mozilla", "a@example.com", otp.new_secret()))
    prefix = "data:image/png;base64,"
    assert url.startswith(prefix)
    assert base64.b64decode(url[len(prefix) :]).startswith(b"\x89PNG\r\n\x1a\n")


def test_recovery_codes_are_8_distinct_lower_case_crockford_codes():
    codes = otp.new_recovery_codes()
    assert len(codes) == 8 and len(set(codes)) == 8
    for code in codes:
        assert len(code) == 10 and set(code) <= set("0123456789abcdefghjkmnpqrstvwxyz")
    assert otp.normalize_recovery_code(" ABCdef1234 ") == "abcdef1234"
