"""What holders of OAuth tokens can do with them, and what happens to a user's grants: verify,
introspect and revoke access/refresh tokens (opaque or JWT), list and revoke a user's authorized
clients (also ``/v1/account/attached_clients``), revoke grants when the password changes, prune.
Errors are ``OAuthError``s.
"""
import jwt
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import hashing, ports
from accounts.compiled import CompiledLookup
from accounts.devices import services as device_services

from . import crypto, keys
from .errors import OAuthErrno, OAuthError
from .models import AccessToken, AuthorizationCode, Client, RefreshToken
from .services import get_client


# Token consumers.


def _jwt_access_token_id(value):
    """The stored id of a JWT access token we signed (SHA-256 of its ``jti``), else None."""
    try:
        # Expiry is the record's business (errno 115, like opaque tokens).
        claims = crypto.verify_jwt(value, keys.public_jwks(), options={"verify_aud": False, "verify_exp": False})
    except jwt.PyJWTError:
        return None, None
    jti = claims.get("jti")
    if not isinstance(jti, str):
        return None, None
    return hashing.digest(hashing.OAUTH_TOKEN, jti), claims


# What RPs call per request: compiled once (accounts/compiled.py).
# The account's two-step state rides along, as with session tokens: /v1/profile reads it (amr).
_ACCESS_TOKENS = CompiledLookup(
    AccessToken.objects.select_related("account", "application").annotate(
        account_two_step=ports.has_enabled_totp_expression()),
    "token_id",
)
REFRESH_TOKENS = CompiledLookup(RefreshToken.objects.select_related("account", "application"), "token_id")


def find_access_token(value):
    """The AccessToken an opaque (64 hex) or JWT access token names, or None.

    A JWT's signature is checked and then its record looked up, so that revoking a JWT access
    token works like revoking an opaque one (upstream trusts short-lived JWTs on their signature
    alone). ``jwt_claims`` holds the JWT's claims (None for opaque tokens).
    """
    if not isinstance(value, str) or not value:
        return None
    claims = None
    if value.count(".") == 2:
        stored_id, claims = _jwt_access_token_id(value)
        if stored_id is None:
            return None
    else:
        stored_id = hashing.digest(hashing.OAUTH_TOKEN, value)
    token = _ACCESS_TOKENS.get(stored_id)
    if token is not None:
        token.jwt_claims = claims
        token.account.two_step_enabled = token.account_two_step
    return token


def find_refresh_token(value):
    if not isinstance(value, str) or not value:
        return None
    return REFRESH_TOKENS.get(hashing.digest(hashing.OAUTH_TOKEN, value))


def valid_access_token(value):
    """The AccessToken a bearer value names; 108 if unknown, 115 if expired."""
    token = find_access_token(value)
    if token is None:
        raise OAuthError(OAuthErrno.INVALID_TOKEN)
    if token.expires <= timezone.now():
        raise OAuthError.expired_token(token.expires_at_ms)
    return token


def verify(value):
    token = valid_access_token(value)
    body = {
        # A JWT's sub is what its client knows the user as (a pairwise id for PPID clients).
        "user": token.jwt_claims["sub"] if token.jwt_claims else token.account_id,
        "client_id": token.application.client_id,
        "scope": token.scope.split(),
        "generation": token.account.verifier_set_at,
    }
    if token.profile_changed_at is not None:
        body["profile_changed_at"] = token.profile_changed_at
    return body


def introspect(value, hint=None):
    order = ["refresh_token", "access_token"] if hint == "refresh_token" else [
        "access_token", "refresh_token"]
    for kind in order:
        if kind == "access_token":
            token = find_access_token(value)
            if token is not None and token.expires > timezone.now():
                return {
                    "active": True, "scope": token.scope, "client_id": token.application.client_id,
                    "token_type": "access_token", "iat": token.created_at,
                    "exp": token.expires_at_ms, "sub": token.account_id, "jti": token.token_id,
                }
        else:
            token = find_refresh_token(value)
            if token is not None:
                if not token.application.public_client:
                    raise OAuthError.not_public_client(token.application.client_id)
                return {
                    "active": True, "scope": token.scope, "client_id": token.application.client_id,
                    "token_type": "refresh_token", "iat": token.created_at, "sub": token.account_id,
                    "jti": token.token_id, "fxa-lastUsedAt": token.last_used_at,
                }
    return {"active": False}


def _owned(token, client):
    return client is None or token.application_id == client.pk


def destroy(params, client=None):
    """POST /v1/destroy: one token (access, refresh or refresh id); 108 when unknown."""
    hint = params.get("token_type_hint")
    access = params.get("access_token") or (params.get("token") if hint != "refresh_token" else None)
    refresh_value = params.get("refresh_token") or (
        params.get("token") if hint == "refresh_token" else None)
    if access:
        token = find_access_token(access)
        if token is not None and _owned(token, client):
            token.delete()
            return {}
        if params.get("token") and not params.get("access_token"):
            refresh_value = params["token"]  # RFC 7009: the server may search other types
    if refresh_value:
        token = find_refresh_token(refresh_value)
        if token is not None and _owned(token, client):
            delete_refresh_token(token)
            return {}
    if params.get("refresh_token_id"):
        token = RefreshToken.objects.filter(token_id=params["refresh_token_id"].lower()).first()
        if token is not None and _owned(token, client):
            delete_refresh_token(token)
            return {}
    raise OAuthError(OAuthErrno.INVALID_TOKEN)


def destroy_any(client, value):
    """POST /v1/oauth/destroy: either type of the client's token; unknown tokens are fine."""
    access = find_access_token(value)
    if access is not None and access.application_id == client.pk:
        access.delete()
    refresh_token = find_refresh_token(value)
    if refresh_token is not None and refresh_token.application_id == client.pk:
        delete_refresh_token(refresh_token)
    return {}


# Authorized clients (oauth.md §10) — also what /v1/account/attached_clients lists.


def delete_refresh_token(token):
    """Revoke a refresh token: its access tokens and the device it registered go with it."""
    token.delete()
    device_services.forget_refresh_token(token.token_id)


def authorized_clients(account):
    """One entry per refresh token, plus one per client holding only access tokens (canGrant
    clients' access tokens hidden), most recently used first."""
    entries = []
    for token in RefreshToken.objects.filter(account=account).select_related("application"):
        entries.append({
            "client_id": token.application.client_id, "refresh_token_id": token.token_id,
            "client_name": token.application.name, "created_time": token.created_at,
            "last_access_time": token.last_used_at, "scope": sorted(token.scope.split()),
        })
    merged = {}
    live = (AccessToken.objects.filter(account=account, refresh_token__isnull=True,
                                       expires__gt=timezone.now(), application__can_grant=False)
            .select_related("application"))
    for token in live:
        entry = merged.setdefault(token.application_id, {
            "client_id": token.application.client_id, "client_name": token.application.name,
            "created_time": token.created_at, "last_access_time": token.created_at, "scope": set(),
        })
        entry["created_time"] = min(entry["created_time"], token.created_at)
        entry["last_access_time"] = max(entry["last_access_time"], token.created_at)
        entry["scope"].update(token.scope.split())
    for entry in merged.values():
        entry["scope"] = sorted(entry["scope"])
        entries.append(entry)
    entries.sort(key=lambda e: (-e["last_access_time"], e["client_name"], e["created_time"]))
    return entries


@transaction.atomic
def revoke_authorization(account, client_id, refresh_token_id=None):
    """One refresh token (122 if unknown), or every token of the client."""
    client = get_client(client_id)
    if refresh_token_id:
        token = RefreshToken.objects.filter(account=account, application=client,
                                            token_id=refresh_token_id.lower()).first()
        if token is None:
            raise OAuthError(OAuthErrno.UNKNOWN_TOKEN)
        delete_refresh_token(token)
        return {}
    for token in RefreshToken.objects.filter(account=account, application=client):
        delete_refresh_token(token)
    AccessToken.objects.filter(account=account, application=client).delete()
    AuthorizationCode.objects.filter(account=account, application=client).delete()
    return {}


class AttachedClientsProvider:
    """The OAuth side of /v1/account/attached_clients (the ``accounts.devices.oauth_clients`` port)."""

    def authorizations(self, account):
        from accounts.devices.oauth_clients import OAuthAuthorization

        return [
            OAuthAuthorization(
                client_id=e["client_id"], client_name=e["client_name"],
                created_time=e["created_time"], last_access_time=e["last_access_time"],
                scope=e["scope"], refresh_token_id=e.get("refresh_token_id"),
            )
            for e in authorized_clients(account)
        ]

    def revoke(self, account, client_id=None, refresh_token_id=None):
        if client_id is None and refresh_token_id:
            token = RefreshToken.objects.filter(account=account,
                                                token_id=refresh_token_id.lower()).first()
            if token is None:
                raise OAuthError(OAuthErrno.UNKNOWN_TOKEN).to_app_error()
            client_id = token.application.client_id
        try:
            revoke_authorization(account, client_id, refresh_token_id)
        except OAuthError as error:
            raise error.to_app_error() from None


def expired_access_tokens():
    return AccessToken.objects.filter(expires__lte=timezone.now())


def expired_codes():
    return AuthorizationCode.objects.filter(expires__lte=timezone.now())


def prune_expired():
    access, _ = expired_access_tokens().delete()
    codes, _ = expired_codes().delete()
    return {"access_tokens": access, "codes": codes}


def revoke_account_tokens(account, *, public_and_can_grant_only=False):
    """Revoke the account's OAuth grants when its password is reset (all of them) or changed
    (upstream: only those of public and canGrant clients, i.e. browsers and native apps)."""
    refresh_tokens = RefreshToken.objects.filter(account=account)
    access_tokens = AccessToken.objects.filter(account=account)
    codes = AuthorizationCode.objects.filter(account=account)
    if public_and_can_grant_only:
        clients = Q(application__client_type=Client.CLIENT_PUBLIC) | Q(application__can_grant=True)
        refresh_tokens, access_tokens, codes = (
            refresh_tokens.filter(clients), access_tokens.filter(clients), codes.filter(clients)
        )
    for refresh_token_id in refresh_tokens.values_list("token_id", flat=True):
        device_services.forget_refresh_token(refresh_token_id)
    for queryset in (access_tokens, refresh_tokens, codes):
        queryset.delete()
