"""JWT access tokens (typ at+JWT) for clients configured for them (oauth.md §8)."""
import jwt
import pytest
from fxa.oauth import Client as PyFxAClient

from accounts import hashing
from oauth import crypto, keys, scopes
from oauth.models import AccessToken
from tests import factories
from tests.helpers import assert_error, ok

from .conftest import code_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def jwt_rp(db):
    client, secret = factories.oauth_client("JWT RP", scope="openid profile " + scopes.OLDSYNC, trusted=True)
    client.jwt_access_tokens = True
    client.save()
    return client, secret


def grant(api, user, client, secret, *, scope="profile", access_type="online", **extra):
    code = code_for(api, user, client, scope=scope, access_type=access_type)
    return ok(api.post("/token", {"client_id": client.client_id, "client_secret": secret,
                                  "code": code, **extra}))


def decode(token):
    return jwt.decode(token, keys.current_key().private_key.public_key(), algorithms=["RS256"],
                      options={"verify_aud": False})


def test_access_token_is_a_signed_at_jwt_with_upstream_claims(api, user, jwt_rp, settings):
    client, secret = jwt_rp
    body = grant(api, user, client, secret)
    token = body["access_token"]
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "at+JWT" and header["alg"] == "RS256"
    assert header["kid"] == keys.current_key().kid
    claims = decode(token)
    assert claims["iss"] == settings.OAUTH_ISSUER and claims["sub"] == user.uid
    assert claims["aud"] == client.client_id and claims["client_id"] == client.client_id
    assert claims["scope"] == "profile" and claims["exp"] - claims["iat"] == body["expires_in"]
    assert claims["fxa-generation"] == user.account.verifier_set_at
    # The record is keyed by the jti (the 64-hex token), never by the JWT itself.
    assert len(claims["jti"]) == 64
    assert AccessToken.objects.get().token_id == hashing.digest(hashing.OAUTH_TOKEN, claims["jti"])


def test_audience_names_the_sync_tokenserver_or_the_resource(api, user, jwt_rp, settings):
    client, secret = jwt_rp
    sync = grant(api, user, client, secret, scope=scopes.OLDSYNC)
    assert decode(sync["access_token"])["aud"] == \
        settings.OAUTH_SYNC_TOKENSERVER_URL + "/1.0/sync/1.5"
    resource = grant(api, user, client, secret, resource="https://api.rp.example")
    assert decode(resource["access_token"])["aud"] == [client.client_id, "https://api.rp.example"]


def test_jwt_access_tokens_work_where_opaque_ones_do(api, user, jwt_rp):
    client, secret = jwt_rp
    token = grant(api, user, client, secret, scope="openid profile")["access_token"]
    verified = ok(api.post("/verify", {"token": token}))
    assert verified["user"] == user.uid and verified["scope"] == ["openid", "profile"]
    assert ok(api.post("/introspect", {"token": token}))["active"] is True
    assert ok(api.get("/profile", headers={"Authorization": f"Bearer {token}"}))["uid"] == user.uid
    # Revocation applies to JWTs too: the record is checked after the signature.
    assert ok(api.post("/destroy", {"access_token": token})) == {}
    assert_error(api.post("/verify", {"token": token}), 400, 108)
    assert ok(api.post("/introspect", {"token": token})) == {"active": False}


def test_forged_and_expired_jwts_are_refused(api, user, jwt_rp):
    client, secret = jwt_rp
    token = grant(api, user, client, secret)["access_token"]
    claims = decode(token)
    other_key = crypto.SigningKey(crypto.generate_signing_key_pem())
    forged = other_key.sign(claims, typ="at+JWT")
    assert_error(api.post("/verify", {"token": forged}), 400, 108)
    AccessToken.objects.update(expires="2000-01-01T00:00:00Z")
    assert_error(api.post("/verify", {"token": token}), 400, 115)


def test_pyfxa_verifies_jwt_access_tokens_against_the_jwks(api, user, jwt_rp):
    client, secret = jwt_rp
    token = grant(api, user, client, secret)["access_token"]
    jwks = ok(api.get("/jwks"))["keys"]
    verified = PyFxAClient(client.client_id, secret, server_url="http://unused.invalid/v1",
                           jwks=jwks).verify_token(token, scope="profile")
    assert verified["user"] == user.uid and verified["client_id"] == client.client_id


def test_refresh_grants_mint_jwts_too(api, user, jwt_rp):
    client, secret = jwt_rp
    refresh_token = grant(api, user, client, secret, access_type="offline")["refresh_token"]
    refreshed = ok(api.post("/token", {"client_id": client.client_id, "client_secret": secret,
                                       "grant_type": "refresh_token",
                                       "refresh_token": refresh_token}))
    assert "refresh_token" not in refreshed
    assert decode(refreshed["access_token"])["scope"] == "profile"
    assert AccessToken.objects.filter(refresh_token__isnull=False).count() == 2


def test_ppid_clients_jwts_carry_the_same_pairwise_sub_as_their_id_tokens(api, user):
    client, secret = factories.oauth_client("PPID JWT", ppid=True, scope="openid")
    client.jwt_access_tokens = True
    client.save()
    body = grant(api, user, client, secret, scope="openid", ppid_seed=7)
    claims = decode(body["access_token"])
    id_claims = decode(body["id_token"])
    assert claims["sub"] == id_claims["sub"] != user.uid
    assert ok(api.post("/verify", {"token": body["access_token"]}))["user"] == claims["sub"]
