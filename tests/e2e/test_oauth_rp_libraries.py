"""A relying party with standard client libraries against the live server over real HTTP.

authlib's OAuth2 client (discovery, code + PKCE S256, id_token checked against /v1/jwks, userinfo,
refresh with a narrower scope, RFC 7009 revocation, RFC 7662 introspection) and PyFxA's
``fxa.oauth.Client``. The code comes from ``POST /v1/oauth/authorization`` with a session token,
as FxA's web content obtains it after sign-in (tests/e2e/test_pages_oauth.py drives those pages in a
browser).
"""
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import warnings

from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from fxa.errors import ClientError
from fxa.oauth import Client as PyFxAClient

from tests import factories
from tests.factories import REDIRECT
from tests.helpers import authorization

with warnings.catch_warnings():
    # authlib's JOSE module (what its OIDC id_token validation builds on) announces joserfc.
    warnings.simplefilter("ignore")
    from authlib.jose import JsonWebKey, jwt

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(live, user, authorize_url):
    """What FxA web content does on the authorization page: POST /v1/oauth/authorization."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    body = {k: query[k] for k in ("client_id", "scope", "state", "code_challenge",
                                  "code_challenge_method", "redirect_uri", "nonce") if k in query}
    body["access_type"] = "offline"
    url = live.url + "/v1/oauth/authorization"
    response = requests.post(url, json=body, timeout=10, headers={
        "Authorization": authorization(user.session_token, "sessionToken", "POST", url)})
    assert response.status_code == 200, response.text
    return response.json()["redirect"]


def test_authlib_relying_party(live_stack, monkeypatch):
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    user = factories.account("live.rp@example.com")
    client, _ = factories.oauth_client("Live RP", public=True, scope="openid profile")

    metadata = requests.get(live_stack.url + "/.well-known/openid-configuration", timeout=10).json()
    assert metadata["issuer"] == live_stack.url
    session = OAuth2Session(client.client_id, token_endpoint_auth_method="none",
                            scope="openid profile", redirect_uri=REDIRECT,
                            code_challenge_method="S256")
    session.metadata = metadata
    verifier = "v" * 20 + "erifier-0123456789-abcdefghijklmnop"
    url, state = session.create_authorization_url(metadata["authorization_endpoint"],
                                                  code_verifier=verifier, nonce="n-0S6_WzA2Mj")
    landing = requests.get(url, allow_redirects=False, timeout=10)
    # To our email-first page, the RP's request carried (the browser flow: test_pages_oauth.py).
    assert landing.status_code == 302 and "/oauth/?" in landing.headers["Location"]
    assert parse_qs(urlsplit(landing.headers["Location"]).query)["state"] == [state]

    redirect = sign_in(live_stack, user, url)
    token = session.fetch_token(metadata["token_endpoint"], authorization_response=redirect,
                                code_verifier=verifier)
    assert token["token_type"] == "bearer" and token["refresh_token"]

    jwks = JsonWebKey.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())
    claims = jwt.decode(token["id_token"], jwks, claims_cls=CodeIDToken,
                        claims_options={"iss": {"values": [metadata["issuer"]]}},
                        claims_params={"nonce": "n-0S6_WzA2Mj", "client_id": client.client_id,
                                       "access_token": token["access_token"]})
    claims.validate(leeway=5)
    assert claims["sub"] == user.uid and claims["acr"] == "AAL1"

    profile = session.get(metadata["userinfo_endpoint"], timeout=10).json()
    assert profile["email"] == user.email and profile["sub"] == user.uid

    refreshed = session.refresh_token(metadata["token_endpoint"], scope="profile:email")
    assert refreshed["scope"] == "profile:email"
    narrowed = requests.get(metadata["userinfo_endpoint"], timeout=10, headers={
        "Authorization": f"Bearer {refreshed['access_token']}"}).json()
    assert narrowed == {"email": user.email, "metricsEnabled": True}

    refresh_token = token["refresh_token"]
    live_info = session.introspect_token(metadata["introspection_endpoint"], token=refresh_token,
                                         token_type_hint="refresh_token").json()
    assert live_info["active"] is True and live_info["token_type"] == "refresh_token"
    revoked = session.revoke_token(metadata["revocation_endpoint"], token=refresh_token,
                                   token_type_hint="refresh_token")
    assert revoked.status_code == 200
    for value in (refresh_token, refreshed["access_token"]):
        after = session.introspect_token(metadata["introspection_endpoint"], token=value).json()
        assert after == {"active": False}


def test_pyfxa_oauth_client(live_stack):
    user = factories.account("live.pyfxa@example.com")
    app, _ = factories.oauth_client("PyFxA app", public=True, scope="profile")
    rp, secret = factories.oauth_client("PyFxA RP", scope="profile")
    fxa_session = SimpleNamespace(token=user.session_token)

    public = PyFxAClient(app.client_id, server_url=live_stack.url)
    access_token = public.authorize_token(fxa_session, scope="profile")
    verified = public.verify_token(access_token, scope="profile")
    assert verified["user"] == user.uid and verified["client_id"] == app.client_id
    assert public.get_client_metadata()["name"] == "PyFxA app"
    public.destroy_token(access_token)
    with pytest.raises(ClientError):
        PyFxAClient(app.client_id, server_url=live_stack.url, cache=None).verify_token(access_token)

    confidential = PyFxAClient(rp.client_id, secret, server_url=live_stack.url + "/v1")
    code = confidential.authorize_code(fxa_session, scope="profile")
    tokens = confidential.trade_code(code)
    assert tokens["scope"] == "profile" and "refresh_token" not in tokens
