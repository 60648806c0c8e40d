"""The JWTs this server signs for RPs (oauth.md §8): id_tokens and at+JWT access tokens."""
import time

from django.conf import settings

from accounts import ports

from . import crypto, keys, services
from . import scopes as scope_lib

JWT_ACCESS_TOKEN_TYPE = "at+JWT"


def _access_token_audience(client, scopes, resource):
    if resource:
        return [client.client_id, resource]
    if scope_lib.OLDSYNC in scopes:
        return f"{settings.OAUTH_SYNC_TOKENSERVER_URL}/1.0/sync/1.5"
    return client.client_id


def access_token(client, account, scopes, jti, expires_in, *, resource=None, ppid_seed=0):
    """An RS256 access token (header ``typ: at+JWT``); ``jti`` is the opaque token it stands for."""
    now = int(time.time())
    claims = {
        "iss": settings.OAUTH_ISSUER,
        "sub": services.subject(client, account, ppid_seed),
        "aud": _access_token_audience(client, scopes, resource),
        "client_id": client.client_id,
        "iat": now,
        "exp": now + expires_in,
        "jti": jti,
        "scope": scope_lib.to_string(scopes),
        "fxa-generation": account.verifier_set_at,
    }
    if account.profile_changed_at is not None:
        claims["fxa-profileChangedAt"] = account.profile_changed_at
    if scope_lib.set_implies(scopes, "profile:subscriptions"):
        claims["fxa-subscriptions"] = ports.subscription_capabilities(account, client.client_id)
    return keys.sign(claims, typ=JWT_ACCESS_TOKEN_TYPE)


def id_token(client, account, access_token, *, auth_at, amr, aal, nonce="", ppid_seed=0):
    now = int(time.time())
    claims = {
        "iss": settings.OAUTH_ISSUER,
        "sub": services.subject(client, account, ppid_seed),
        "aud": client.client_id,
        "iat": now,
        "exp": now + settings.OAUTH_ID_TOKEN_TTL,
        "at_hash": crypto.at_hash(access_token),
        "amr": list(amr),
        "acr": f"AAL{aal}",
        "fxa-aal": aal,
        "auth_time": auth_at,
    }
    if nonce:
        claims["nonce"] = nonce
    return keys.sign(claims)
