"""Token authentication of /v1 routes: Bearer and verified Hawk, and the errno of every failure."""
import secrets
import time

import pytest
from django.conf import settings

from accounts import hawk, onepw
from accounts.models import Account, SessionToken, now_ms
from tests import factories
from tests.helpers import ApiClient, assert_error, authorization, stretch, token_credentials

pytestmark = pytest.mark.django_db

SESSION_ROUTES = [
    ("GET", "/session/status"),
    ("GET", "/recovery_email/status"),
    ("GET", "/account/profile"),
    ("GET", "/account"),
    ("POST", "/session/destroy"),
    ("POST", "/session/duplicate"),
    ("POST", "/session/reauth"),
]


@pytest.fixture
def user():
    return factories.account(keys=True)


def url(path):
    return settings.PUBLIC_URL + "/v1" + path


def test_hawk_get_without_payload_hash_is_accepted(api, user):
    response = api.get("/session/status", token=user.session_token, scheme="hawk")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["uid"] == user.uid


def test_hawk_get_with_empty_payload_hash_is_accepted(api, user):
    # fxa-auth-client hashes the empty payload of a GET too.
    header = authorization(
        user.session_token, "sessionToken", "GET", url("/session/status"), body=b"", scheme="hawk",
        content_type="",
    )
    assert 'hash="' in header
    response = api.get("/session/status", headers={"Authorization": header})
    assert response.status_code == 200, response.content


def test_hawk_post_with_payload_hash_is_accepted(api, user):
    response = api.post("/session/duplicate", {"reason": "x"}, token=user.session_token, scheme="hawk")
    assert response.status_code == 200, response.content
    assert SessionToken.objects.filter(account_id=user.uid).count() == 2


def test_bearer_session_token_is_accepted(api, user):
    response = api.get("/session/status", token=user.session_token)
    assert response.status_code == 200, response.content
    assert response.json()["uid"] == user.uid


@pytest.mark.parametrize("scheme", ["bearer", "hawk"])
def test_key_fetch_token_is_accepted_on_account_keys(api, user, scheme):
    response = api.get(
        "/account/keys", token=user.key_fetch_token, token_type="keyFetchToken", scheme=scheme
    )
    assert response.status_code == 200, response.content
    # The bundle opens with the keyFetchToken's key (its MAC checked), and holds the account's kA
    # and the wrapKb that the stored verifier unwraps (onepw.md §5), derived here independently.
    bundle_key = onepw.derive_token(bytes.fromhex(user.key_fetch_token), "keyFetchToken").bundle_key
    ka, wrap_kb = onepw.unbundle_keys(bundle_key, bytes.fromhex(response.json()["bundle"]))
    account = user.account
    auth_pw = bytes.fromhex(stretch(user.email, user.password)[0])
    wrapwrap_key = onepw.derive_verifier(auth_pw, bytes.fromhex(account.auth_salt)).wrapwrap_key
    assert ka.hex() == account.ka
    assert wrap_kb == onepw.xor(bytes.fromhex(account.wrap_wrap_kb), wrapwrap_key) == user.wrap_kb


def test_stale_timestamp_is_111_with_server_time(api, user):
    stale = int(time.time()) - settings.HAWK_TIMESTAMP_SKEW - 60
    response = api.get("/session/status", token=user.session_token, scheme="hawk", ts=stale)
    body = assert_error(response, 401, 111)
    assert abs(body["serverTime"] - time.time()) < 5


def test_absurd_timestamp_is_111(api, user):
    response = api.get("/session/status", token=user.session_token, scheme="hawk", ts=10**400)
    assert_error(response, 401, 111)


def test_replayed_nonce_is_115(api, user):
    header = authorization(user.session_token, "sessionToken", "GET", url("/session/status"), scheme="hawk")
    first = api.get("/session/status", headers={"Authorization": header})
    assert first.status_code == 200, first.content
    assert_error(api.get("/session/status", headers={"Authorization": header}), 401, 115)


def test_payload_hash_of_another_body_is_109(api, user):
    header = authorization(
        user.session_token, "sessionToken", "POST", url("/session/duplicate"),
        body=b'{"reason":"a"}', scheme="hawk",
    )
    response = api.post(
        "/session/duplicate", raw_body=b'{"reason":"b"}', headers={"Authorization": header}
    )
    assert_error(response, 401, 109)
    assert SessionToken.objects.filter(account_id=user.uid).count() == 1


def test_mac_with_the_wrong_key_is_109(api, user):
    token_id, _ = token_credentials(user.session_token, "sessionToken")
    header = hawk.sign_request(token_id, secrets.token_bytes(32), "GET", url("/session/status"))
    assert_error(api.get("/session/status", headers={"Authorization": header}), 401, 109)


@pytest.mark.parametrize("scheme", ["bearer", "hawk"])
def test_unknown_token_is_110(api, scheme):
    response = api.get("/session/status", token=secrets.token_hex(32), scheme=scheme)
    body = assert_error(response, 401, 110)
    # Upstream's wording, and no members beyond the errno format's.
    assert body["message"] == "The authentication token could not be found"
    assert "detail" not in body


@pytest.mark.parametrize("scheme", ["bearer", "hawk"])
def test_session_token_on_account_keys_is_110(api, user, scheme):
    response = api.get("/account/keys", token=user.session_token, scheme=scheme)
    assert_error(response, 401, 110)


@pytest.mark.parametrize("scheme", ["bearer", "hawk"])
def test_key_fetch_token_on_session_status_is_110(api, user, scheme):
    response = api.get(
        "/session/status", token=user.key_fetch_token, token_type="keyFetchToken", scheme=scheme
    )
    assert_error(response, 401, 110)


def test_bearer_with_another_token_types_prefix_is_110(api, user):
    token_id, _ = token_credentials(user.session_token, "sessionToken")
    response = api.get("/session/status", headers={"Authorization": f"Bearer fxk_{token_id}"})
    assert_error(response, 401, 110)


def test_bearer_of_a_session_token_id_on_account_keys_is_110(api, user):
    token_id, _ = token_credentials(user.session_token, "sessionToken")
    response = api.get("/account/keys", headers={"Authorization": f"Bearer fxk_{token_id}"})
    assert_error(response, 401, 110)


@pytest.mark.parametrize("method, path", SESSION_ROUTES + [("GET", "/account/keys")])
def test_token_route_without_authorization_is_110(api, method, path):
    response = api.request(method, path, {} if method == "POST" else None)
    body = assert_error(response, 401, 110)
    assert body["message"] == "Invalid authentication token: Missing authentication"
    assert "detail" not in body


@pytest.mark.parametrize(
    "header",
    [
        'Hawk id="abc"',
        "Hawk garbage",
        'Hawk id="a", ts="1", nonce="n", mac="m", color="red"',
        'Hawk id="a", id="b", ts="1", nonce="n", mac="m"',
        'Hawk id="a", ts="soon", nonce="n", mac="m"',
    ],
)
def test_malformed_hawk_header_is_401_110_as_upstream(api, header):
    body = assert_error(api.get("/session/status", headers={"Authorization": header}), 401, 110)
    assert body["message"] == "The authentication token could not be found"


def test_hawk_signed_for_the_requests_host_header_is_accepted(user):
    internal = ApiClient(base_url="http://localhost:8123")
    assert (settings.PUBLIC_HOST, settings.PUBLIC_PORT) != ("localhost", 8123)
    response = internal.get("/session/status", token=user.session_token, scheme="hawk")
    assert response.status_code == 200, response.content


def test_hawk_signed_for_an_unrelated_host_is_109(user):
    header = authorization(
        user.session_token, "sessionToken", "GET", "http://elsewhere.example/v1/session/status",
        scheme="hawk",
    )
    response = ApiClient(base_url="http://localhost:8123").get(
        "/session/status", headers={"Authorization": header}
    )
    assert_error(response, 401, 109)


def test_payload_required_route_refuses_hawk_without_payload_hash(api, user):
    response = api.post(
        "/session/duplicate", {"reason": "x"}, token=user.session_token, scheme="hawk",
        include_hash=False,
    )
    assert_error(response, 401, 109)
    assert SessionToken.objects.filter(account_id=user.uid).count() == 1


def test_account_destroy_refuses_hawk_without_payload_hash(api, user):
    auth_pw, _ = stretch(user.email, user.password)
    response = api.post(
        "/account/destroy", {"email": user.email, "authPW": auth_pw}, token=user.session_token,
        scheme="hawk", include_hash=False,
    )
    assert_error(response, 401, 109)
    assert Account.objects.filter(uid=user.uid).exists()


def test_session_destroy_takes_hawk_without_payload_hash(api, user):
    # Old clients sign their empty-bodied sign-out without a hash; upstream never required one.
    response = api.post("/session/destroy", token=user.session_token, scheme="hawk", include_hash=False)
    assert response.status_code == 200, response.content
    assert not SessionToken.objects.filter(account_id=user.uid).exists()


def test_payload_required_route_refuses_an_empty_body(api, user):
    response = api.post(
        "/session/duplicate", raw_body=b"", token=user.session_token, headers={"Content-Length": "0"}
    )
    assert_error(response, 401, 109)


def test_expired_session_token_is_110_and_deleted(api, user):
    lifetime_ms = settings.SESSION_TOKEN_WITHOUT_DEVICE_LIFETIME * 1000
    SessionToken.objects.filter(account_id=user.uid).update(created_at=now_ms() - lifetime_ms - 60_000)
    body = assert_error(api.get("/session/status", token=user.session_token), 401, 110)
    assert body["message"] == "The authentication token has expired"
    assert not SessionToken.objects.filter(account_id=user.uid).exists()


def test_session_token_within_its_lifetime_is_accepted(api, user):
    lifetime_ms = settings.SESSION_TOKEN_WITHOUT_DEVICE_LIFETIME * 1000
    SessionToken.objects.filter(account_id=user.uid).update(created_at=now_ms() - lifetime_ms + 60_000)
    assert api.get("/session/status", token=user.session_token).status_code == 200


def test_invalid_token_on_an_optional_session_route_is_110(api, user):
    # A client that sends credentials must not silently be treated as anonymous.
    response = api.get("/account/status", token=secrets.token_hex(32))
    assert_error(response, 401, 110)


def test_every_response_carries_a_timestamp_header(api):
    response = api.get("/session/status")
    assert abs(int(response["Timestamp"]) - time.time()) < 5


@pytest.mark.parametrize("scheme", ["hawk", "bearer"])
def test_session_status_is_one_query(api, user, scheme, django_assert_num_queries):
    # The token, its account and the account's two-step state come in one lookup: the hot path
    # of bench/hot_path.py.
    with django_assert_num_queries(1):
        response = api.get("/session/status", token=user.session_token, scheme=scheme)
    assert response.status_code == 200, response.content
    assert response.json()["uid"] == user.uid
