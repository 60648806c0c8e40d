"""Malformed bodies on every OAuth and profile route: a 400 in the route's errno family (OAuth 109,
auth-server 106/107/108), never a 500 and never a change."""
import json

import pytest

from oauth.models import AccessToken, AuthorizationCode
from tests.helpers import ApiClient, assert_error

from .conftest import REDIRECT

pytestmark = pytest.mark.django_db

HEX64 = "ab" * 32
NOT_STRINGS = [1.5, True, None, {"a": "b"}, ["x"]]
BAD_HEX = ["zz", "ab" * 33, "not hex", ""] + NOT_STRINGS
BAD_STRINGS = ["x" * 9000] + NOT_STRINGS

TOKEN_FIELDS = {
    "client_id": ["zz" * 8, "ab" * 9] + NOT_STRINGS,
    "client_secret": ["zz", "abc", "not hex", ""] + NOT_STRINGS,
    "code": BAD_HEX,
    "code_verifier": ["short", "x" * 129, "!" * 43, "v" * 42 + " "] + NOT_STRINGS,
    "grant_type": ["password", "implicit", ""] + NOT_STRINGS,
    "refresh_token": BAD_HEX,
    "scope": ["x" * 257, "bad scope!", "https://user:pw@x.example"] + NOT_STRINGS,
    "ttl": [-1, "soon", 1.5, None, [], {}],
    "ppid_seed": [-1, 1025, "seed", None],
    "access_type": ["forever", ""] + NOT_STRINGS,
}
AUTHORIZATION_FIELDS = {
    "client_id": ["zz" * 8] + NOT_STRINGS,
    "scope": ["x" * 257] + NOT_STRINGS,
    "state": ["x" * 513] + NOT_STRINGS,
    "redirect_uri": ["x" * 257] + NOT_STRINGS,
    "access_type": ["forever"] + NOT_STRINGS,
    "code_challenge": ["short", "!" * 43] + NOT_STRINGS,
    "code_challenge_method": ["plain", "s256"] + NOT_STRINGS,
    "keys_jwe": ["not.a.jwe", "a.b.c.d.e.f"] + NOT_STRINGS,
    "acr_values": ["x" * 257] + NOT_STRINGS,
    "nonce": ["x" * 257] + NOT_STRINGS,
}

# (path, family, needs a session, a valid body, the fields to corrupt)
ROUTES = [
    ("/token", "oauth", False, {"client_id": "ab" * 8, "code": HEX64}, TOKEN_FIELDS),
    ("/oauth/token", "auth", True, {"client_id": "ab" * 8, "code": HEX64}, TOKEN_FIELDS),
    ("/oauth/authorization", "auth", True,
     {"client_id": "ab" * 8, "state": "s", "scope": "profile"}, AUTHORIZATION_FIELDS),
    ("/authorization", "oauth", True,
     {"client_id": "ab" * 8, "state": "s", "scope": "profile"},
     {**AUTHORIZATION_FIELDS, "response_type": ["id_token", ""] + NOT_STRINGS,
      "ttl": [-1, "soon"]}),
    ("/verify", "oauth", False, {"token": HEX64}, {"token": NOT_STRINGS}),
    ("/introspect", "oauth", False, {"token": HEX64},
     {"token": NOT_STRINGS, "token_type_hint": ["x" * 65] + NOT_STRINGS}),
    ("/destroy", "oauth", False, {"access_token": HEX64},
     {"access_token": ["not a token"] + NOT_STRINGS, "client_id": ["zz"] + NOT_STRINGS}),
    ("/oauth/destroy", "auth", False, {"client_id": "ab" * 8, "token": HEX64},
     {"client_id": ["zz"] + NOT_STRINGS, "token": ["not a token"] + NOT_STRINGS}),
    ("/key-data", "oauth", True, {"client_id": "ab" * 8, "scope": "profile"},
     {"client_id": ["zz"] + NOT_STRINGS, "scope": ["x" * 257] + NOT_STRINGS}),
    ("/account/scoped-key-data", "auth", True, {"client_id": "ab" * 8, "scope": "profile"},
     {"client_id": ["zz"] + NOT_STRINGS, "scope": ["x" * 257] + NOT_STRINGS}),
    ("/oauth/id-token-verify", "auth", False, {"client_id": "ab" * 8, "id_token": "a.b.c"},
     {"client_id": ["zz"] + NOT_STRINGS, "id_token": BAD_STRINGS,
      "expiry_grace_period": [-1, "long", None]}),
    ("/authorized-clients/destroy", "oauth", True, {"client_id": "ab" * 8},
     {"client_id": ["zz"] + NOT_STRINGS, "refresh_token_id": BAD_HEX}),
]

ERRNOS = {"oauth": {109}, "auth": {106, 107, 108}}


def cases():
    for path, family, session, valid, fields in ROUTES:
        for field, values in fields.items():
            for value in values:
                yield pytest.param(path, family, session, {**valid, field: value},
                                   id=f"{path}:{field}={json.dumps(value)[:20]}")
        for body in ([], "text", 1, None):
            yield pytest.param(path, family, session, body, id=f"{path}:body={json.dumps(body)}")


@pytest.mark.parametrize("path,family,session,body", list(cases()))
def test_malformed_bodies_are_refused_in_the_routes_errno_family(path, family, session, body,
                                                                 request):
    # Accounts cost a scrypt each: only the session routes get one.
    token = request.getfixturevalue("user").session_token if session else None
    response = ApiClient().post(path, raw_body=json.dumps(body).encode(), token=token)
    assert_error(response, 400, ERRNOS[family])
    assert not AuthorizationCode.objects.exists() and not AccessToken.objects.exists()


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2", b"[" * 8000 + b"]" * 8000])
@pytest.mark.parametrize("path,family", [("/token", "oauth"), ("/oauth/token", "auth"),
                                         ("/verify", "oauth"), ("/introspect", "oauth")])
def test_invalid_json_is_refused(path, family, body):
    response = ApiClient().client.post("/v1" + path, body, content_type="application/json")
    assert_error(response, 400, ERRNOS[family] | {106})


def test_form_bodies_with_repeated_fields_are_not_a_500():
    response = ApiClient().client.post(
        "/v1/token", "client_id=abababababababab&client_id=cdcdcdcdcdcdcdcd&code=" + HEX64,
        content_type="application/x-www-form-urlencoded")
    assert_error(response, 400, {101, 109})


def test_redirect_query_of_the_authorization_page_is_not_a_500(rp):
    from django.test import Client as HttpClient

    client, _ = rp
    for query in ({"client_id": ["a", "b"]}, {"client_id": "zz"}, {"client_id": client.client_id,
                                                                   "redirect_uri": REDIRECT * 30}):
        assert HttpClient().get("/authorization", query).status_code == 400
