"""Known-answer and interoperability tests for the Hawk verifier/signer (vectors from hawk.md §9)."""
from urllib.parse import urlsplit

import mohawk
import pytest

from accounts import hawk

HAPI_KEY = b"werxhqb98rpaxn39848xrunpaw3489ru"
HAPI_URL = "https://example.net/somewhere/over/the/rainbow"
HAPI_TS, HAPI_NONCE = 1353809207, "Ygvqdz"

# sessionToken a0a1…bebf (onepw.md §8.4)
TOKEN_ID = "c0a29dcf46174973da1378696e4c82ae10f723cf4f4d9f75e39f4ae3851595ab"
AUTH_KEY = bytes.fromhex("9d8f22998ee7f5798b887042466b72d53e56ab0c094388bf65831f702d2febc0")
HOST = "api.accounts.example.com"
FXA_TS, FXA_NONCE = 1700000000, "abc123"
DESTROY_URL = f"https://{HOST}/v1/session/destroy"
DESTROY_HASH = "vNZvU+y3rJKqH4hu1yxrNuaijNPgIJ2Rgj/sHzsQhXY="
DESTROY_MAC = "AFlKyU/vJkAATpKtmBtCGWJRAo0AQLNmjj+o0K8kM9A="
FXA_HEADER = (
    f'Hawk id="{TOKEN_ID}", ts="1700000000", nonce="abc123", hash="{DESTROY_HASH}", mac="{DESTROY_MAC}"'
)
TWENTY_YEARS = 20 * 365 * 24 * 3600


def _header_of_length(length):
    """A valid header padded through ext to exactly ``length`` characters."""
    header = 'Hawk id="a", ts="1", nonce="n", mac="m", ext=""'
    return header[:-1] + "x" * (length - len(header)) + '"'


@pytest.mark.parametrize(
    "payload, expected_hash, expected_mac",
    [
        (
            b"",
            "q/t+NNAkQZNlq/aAD6PlexImwQTxwgT2MahfTa9XRLA=",
            "ITZtYMyfEkprrB60U4wPxl+BgV8S/kXb+gbcqt0TfCk=",
        ),
        (
            b"something to write about",
            "2QfCt3GuY9HQnHWyWD3wX68ZOKbynqlfYmuO2ZBRqtY=",
            "T8QFs1YhO9eqsXWKURQgL3vO8XbZIveFYiF/cTYBPYI=",
        ),
    ],
)
def test_hapi_vectors(payload, expected_hash, expected_mac):
    payload_hash = hawk.payload_hash("text/plain", payload)
    assert payload_hash == expected_hash
    mac = hawk.request_mac(
        HAPI_KEY, HAPI_TS, HAPI_NONCE, "POST", "/somewhere/over/the/rainbow", "example.net", 443, payload_hash
    )
    assert mac == expected_mac
    header = hawk.sign_request(
        "123456", HAPI_KEY, "POST", HAPI_URL, payload, "text/plain", ts=HAPI_TS, nonce=HAPI_NONCE
    )
    assert header == (
        f'Hawk id="123456", ts="1353809207", nonce="Ygvqdz", hash="{expected_hash}", mac="{expected_mac}"'
    )


def test_fxa_get_without_hash():
    normalized = hawk.normalized_string(FXA_TS, FXA_NONCE, "GET", "/v1/session/status", HOST, 443)
    assert normalized == (
        b"hawk.1.header\n1700000000\nabc123\nGET\n/v1/session/status\napi.accounts.example.com\n443\n\n\n"
    )
    mac = hawk.request_mac(AUTH_KEY, FXA_TS, FXA_NONCE, "GET", "/v1/session/status", HOST, 443)
    assert mac == "TOrHTEO1e5UjGexwy43IMGsbY+8X80evf5/tCtjyysc="
    header = hawk.sign_request(
        TOKEN_ID, AUTH_KEY, "GET", f"https://{HOST}/v1/session/status", ts=FXA_TS, nonce=FXA_NONCE
    )
    assert header == f'Hawk id="{TOKEN_ID}", ts="1700000000", nonce="abc123", mac="{mac}"'


def test_fxa_post_with_hash():
    assert hawk.payload_hash("application/json", b"{}") == DESTROY_HASH
    mac = hawk.request_mac(
        AUTH_KEY, FXA_TS, FXA_NONCE, "POST", "/v1/session/destroy", HOST, 443, DESTROY_HASH
    )
    assert mac == DESTROY_MAC
    header = hawk.sign_request(TOKEN_ID, AUTH_KEY, "POST", DESTROY_URL, b"{}", ts=FXA_TS, nonce=FXA_NONCE)
    assert header == FXA_HEADER
    hawk.verify_request(
        AUTH_KEY, hawk.parse_header(header), "POST", "/v1/session/destroy", [(HOST, 443)],
        "application/json", b"{}",
    )


def test_empty_payload_hashes():
    assert hawk.payload_hash("application/json", b"") == "NVuBm+XMyya3Tq4EhpZ0cQWjVUyIA8sKnySkKDOIM4M="
    assert hawk.payload_hash("", b"") == "B0weSUXsMcb5UhL41FZbrUJCAotzSI3HawE1NPLRUz8="


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", " Application/JSON ;q=1"])
def test_payload_hash_strips_content_type_parameters(content_type):
    assert hawk.payload_hash(content_type, b"{}") == DESTROY_HASH


def test_normalized_string_escapes_ext_and_appends_app_dlg():
    normalized = hawk.normalized_string(1, "n", "post", "/r?a=1", "Example.NET", 8000, "h", "a\\b\nc", "app")
    assert normalized == b"hawk.1.header\n1\nn\nPOST\n/r?a=1\nexample.net\n8000\nh\na\\\\b\\nc\napp\n\n"


def test_parse_header():
    assert hawk.parse_header(FXA_HEADER) == {
        "id": TOKEN_ID,
        "ts": "1700000000",
        "nonce": "abc123",
        "hash": DESTROY_HASH,
        "mac": DESTROY_MAC,
    }


@pytest.mark.parametrize(
    "header",
    [
        'hawk id="a", ts="1", nonce="n", mac="m"',
        'HAWK   mac="m",id="a",ts="1" ,  nonce="n", ext="x y:z", app="p", dlg="d",',
        _header_of_length(4096),
    ],
)
def test_parse_header_accepts(header):
    attributes = hawk.parse_header(header)
    assert [attributes[name] for name in ("id", "ts", "nonce", "mac")] == ["a", "1", "n", "m"]


@pytest.mark.parametrize(
    "header",
    [
        pytest.param('Hawk id="a", ts="1", nonce="n", foo="x", mac="m"', id="unknown-attribute"),
        pytest.param('Hawk id="a", ts="1", nonce="n", id="b", mac="m"', id="duplicate-attribute"),
        pytest.param('Hawk id="a", ts="1", nonce="n"', id="missing-mac"),
        pytest.param('Hawk id="a", ts="1", nonce="n", mac=""', id="empty-mac"),
        pytest.param('Hawk id="a", ts="1", nonce="n", ext="say "hi"", mac="m"', id="quote-in-value"),
        pytest.param('Hawk id="a", ts="1", nonce="n", ext="a\\b", mac="m"', id="backslash-in-value"),
        pytest.param('Hawk id="a", ts="1", nonce="n", ext="é", mac="m"', id="non-ascii-value"),
        pytest.param('Hawk id="a", ts="1.5", nonce="n", mac="m"', id="non-digit-ts"),
        pytest.param('Hawk id="a" ts="1" nonce="n" mac="m"', id="missing-commas"),
        pytest.param('Basic id="a", ts="1", nonce="n", mac="m"', id="other-scheme"),
        pytest.param("Bearer fxs_" + TOKEN_ID, id="bearer"),
        pytest.param("Hawk", id="no-attributes"),
        pytest.param("", id="empty"),
        pytest.param(_header_of_length(4097), id="too-long"),
    ],
)
def test_parse_header_rejects(header):
    with pytest.raises(hawk.HawkError) as excinfo:
        hawk.parse_header(header)
    assert excinfo.value.kind == "bad_header"


def _mohawk_header(url, method, **kwargs):
    credentials = {"id": TOKEN_ID, "key": AUTH_KEY, "algorithm": "sha256"}
    return mohawk.Sender(credentials, url, method, **kwargs).request_header


def _verify(header, method, resource, content_type, body, key=AUTH_KEY, hosts=((HOST, 443),)):
    hawk.verify_request(key, hawk.parse_header(header), method, resource, list(hosts), content_type, body)


def test_mohawk_header_with_payload_hash_verifies():
    body = '{"email": "andré@example.org"}'.encode()
    content_type = "application/json; charset=utf-8"
    url = f"https://{HOST}/v1/account/device?x=1"
    header = _mohawk_header(url, "POST", content=body, content_type=content_type)
    assert "hash=" in header
    _verify(header, "POST", "/v1/account/device?x=1", content_type, body)


def test_mohawk_header_without_payload_hash_verifies():
    # Like PyFxA on a GET: no content at all, so no hash.
    header = _mohawk_header(f"https://{HOST}/v1/account/devices", "GET", always_hash_content=False)
    assert "hash=" not in header
    _verify(header, "GET", "/v1/account/devices", None, None)


def test_mohawk_header_with_ext_verifies():
    header = _mohawk_header(f"http://{HOST}/v1/x", "GET", content=b"", content_type="", ext="some ext")
    _verify(header, "GET", "/v1/x", "", b"", hosts=[(HOST, 80)])


def _destroy_header():
    return _mohawk_header(DESTROY_URL, "POST", content=b"{}", content_type="application/json")


def test_tampered_body_is_a_bad_payload_hash():
    with pytest.raises(hawk.HawkError) as excinfo:
        _verify(_destroy_header(), "POST", "/v1/session/destroy", "application/json", b'{"a":1}')
    assert excinfo.value.kind == "bad_payload_hash"


def test_wrong_key_is_a_bad_mac():
    with pytest.raises(hawk.HawkError) as excinfo:
        _verify(_destroy_header(), "POST", "/v1/session/destroy", "application/json", b"{}", key=bytes(32))
    assert excinfo.value.kind == "bad_mac"


def test_mac_is_checked_before_payload_hash():
    with pytest.raises(hawk.HawkError) as excinfo:
        _verify(_destroy_header(), "POST", "/v1/session/destroy", "application/json", b"{ }", key=bytes(32))
    assert excinfo.value.kind == "bad_mac"


def test_mac_for_another_host_needs_that_host():
    header = _mohawk_header("http://internal:8000/v1/session/status", "GET", content=b"", content_type="")
    with pytest.raises(hawk.HawkError) as excinfo:
        _verify(header, "GET", "/v1/session/status", "", b"")
    assert excinfo.value.kind == "bad_mac"
    _verify(header, "GET", "/v1/session/status", "", b"", hosts=[(HOST, 443), ("internal", 8000)])


def _credentials_map(token_id):
    if token_id != TOKEN_ID:
        raise LookupError(token_id)
    return {"id": TOKEN_ID, "key": AUTH_KEY, "algorithm": "sha256"}


def _mohawk_receive(header, url, method, body, content_type):
    mohawk.Receiver(
        _credentials_map,
        header,
        url,
        method,
        content=body if body is not None else b"",
        content_type=content_type,
        seen_nonce=None,
        timestamp_skew_in_seconds=TWENTY_YEARS,
        accept_untrusted_content=True,
    )


@pytest.mark.parametrize(
    "method, url, body, content_type, include_hash",
    [
        ("POST", DESTROY_URL, b"{}", "application/json", True),
        ("POST", f"https://{HOST}/v1/account/login?keys=true", b'{"a": 1}', "application/json", False),
        ("GET", f"https://{HOST}/v1/account/devices?filterIdleDevicesTimestamp=1", None, "", True),
        ("GET", "http://LOCALHOST:9000/v1/session/status", b"", "", True),
    ],
)
def test_sign_request_verifies_with_mohawk(method, url, body, content_type, include_hash):
    header = hawk.sign_request(TOKEN_ID, AUTH_KEY, method, url, body, content_type, include_hash=include_hash)
    assert ("hash=" in header) == (include_hash and body is not None)
    _mohawk_receive(header, url, method, body, content_type)
    parts = urlsplit(url)
    resource = parts.path + (f"?{parts.query}" if parts.query else "")
    hosts = [(parts.hostname, parts.port or 443)]
    _verify(header, method, resource, content_type, body, hosts=hosts)


def test_mohawk_rejects_a_tampered_signed_request():
    header = hawk.sign_request(TOKEN_ID, AUTH_KEY, "POST", DESTROY_URL, b"{}")
    with pytest.raises(mohawk.exc.MacMismatch):
        _mohawk_receive(header, DESTROY_URL, "PUT", b"{}", "application/json")
