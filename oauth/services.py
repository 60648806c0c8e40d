"""OAuth use cases: authorize (code), redeem grants into tokens, verify/introspect/destroy tokens,
the profile a token reveals. Errors are ``OAuthError``s; the views decide which errno space.
"""
import base64
import binascii
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import jwt
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.devices import services as device_services
from accounts.models import Account, SessionToken

from . import crypto, keys
from . import scopes as scope_lib
from .errors import OAuthError
from .models import AccessToken, AuthorizationCode, Client, RefreshToken

PKCE_METHOD = "S256"


# Clients.


def get_client(client_id):
    client = Client.objects.filter(client_id=(client_id or "").lower()).first()
    if client is None:
        raise OAuthError.unknown_client(client_id)
    return client


def parse_basic_auth(header):
    """(client_id, client_secret) from ``Authorization: Basic …``, or None."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError.invalid_parameter(["authorization"]) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError.invalid_parameter(["authorization"])
    return client_id, secret


def authenticate_client(params, authorization_header=None, secret_required=True):
    """The client named by the request, its secret checked (oauth.md §2 "Client authentication").

    Credentials come from the body or HTTP Basic, never both. A public client must not send a
    secret; a confidential one must (unless ``secret_required`` is False and none is sent).
    """
    basic = parse_basic_auth(authorization_header)
    if basic is not None:
        if params.get("client_secret") or (
            params.get("client_id") and params["client_id"].lower() != basic[0].lower()
        ):
            raise OAuthError.invalid_parameter(["client_secret"])
        client_id, secret = basic
    else:
        client_id, secret = params.get("client_id"), params.get("client_secret")
    if not client_id:
        raise OAuthError.invalid_parameter(["client_id"])
    client = get_client(client_id)
    if client.public_client:
        if secret:
            raise OAuthError.invalid_parameter(["client_secret"])
        return client
    if not secret:
        if secret_required:
            raise OAuthError.invalid_parameter(["client_secret"])
        return client
    if not client.check_secret(secret):
        raise OAuthError.incorrect_secret(client.client_id)
    return client


def check_scopes(client, requested):
    """Refuse scopes the client may not request (errno 114)."""
    allowed = scope_lib.parse(client.allowed_scopes)
    refused = []
    for scope in requested:
        # The profile server would tell a PPID client the real uid (oauth.md §2).
        if client.ppid_enabled and scope.split(":")[0] == "profile":
            refused.append(scope)
            continue
        if scope_lib.set_implies(allowed, scope):
            continue
        if not scope.startswith("https://") and (client.trusted or scope in scope_lib.UNTRUSTED_ALLOWED):
            continue
        refused.append(scope)
    if refused:
        raise OAuthError.invalid_scopes(refused)


def is_keyed(scope):
    """Whether a scope carries scoped keys (upstream's scopes table, hasScopedKeys)."""
    return scope in settings.OAUTH_KEYED_SCOPES


def parse_scope(value, key="scope"):
    try:
        return scope_lib.parse(value)
    except scope_lib.InvalidScope:
        raise OAuthError.invalid_parameter([key]) from None


# Who grants: a verified session (session-token routes).


@dataclass(frozen=True)
class Grantor:
    account: Account
    session_token_id: str
    auth_at: int  # seconds
    amr: list = field(default_factory=list)
    aal: int = 1
    token_verified: bool = True

    @classmethod
    def from_session(cls, session: SessionToken):
        return cls(
            account=session.account,
            session_token_id=session.token_id,
            auth_at=session.auth_at_seconds,
            amr=session.amr,
            aal=session.authenticator_assurance_level,
            token_verified=session.token_verified,
        )


def _check_acr(acr_values, aal):
    if acr_values and "AAL2" in acr_values.split() and aal < 2:
        raise OAuthError.mismatch_acr(f"AAL{aal}")


def resolve_redirect(client, redirect_uri):
    if not redirect_uri:
        return client.redirect_uri
    if redirect_uri not in client.redirect_uri_list:
        raise OAuthError.incorrect_redirect(redirect_uri)
    return redirect_uri


def with_query(uri, params):
    return uri + ("&" if "?" in uri else "?") + urlencode(params)


def prompt_none_error(client, query):
    """The ``error`` a ``prompt=none`` authorization request is sent back with (oauth.md §5).

    Silent sign-in needs a browser already signed in to this server; the sign-in pages do not
    keep such a session yet, so a request that passes every check answers ``login_required``
    and the RP falls back to an interactive sign-in.
    """
    requested = query.get("scope", "").split()
    if query.get("keys_jwk") or any(is_keyed(scope) for scope in requested):
        return "invalid_request"
    hint = query.get("id_token_hint")
    if hint:
        try:
            # An id_token_hint may have expired; it must still be ours and for this client.
            crypto.verify_jwt(hint, keys.public_jwks(), issuer=settings.OAUTH_ISSUER,
                              audience=client.client_id, options={"verify_exp": False})
        except jwt.PyJWTError:
            return "invalid_request"
    else:
        if client.client_id not in settings.OAUTH_PROMPT_NONE_CLIENTS:
            return "unauthorized_client"
        if not (query.get("login_hint") or query.get("email")):
            return "invalid_request"
    return "login_required"


def authorize(grantor, params):
    """POST /v1/oauth/authorization: a single-use code for the client, and where to send it."""
    client = get_client(params["client_id"])
    if client.disabled:
        raise OAuthError.disabled_client(client.client_id)
    if params.get("response_type", "code") != "code":
        raise OAuthError.invalid_response_type()
    requested = parse_scope(params.get("scope", ""))
    check_scopes(client, requested)
    redirect_uri = resolve_redirect(client, params.get("redirect_uri"))
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    # Public clients must use PKCE; confidential ones may (OAuth 2.1), and it is then checked.
    # Upstream refuses PKCE from confidential clients, which standard RP libraries send.
    if client.public_client and not challenge:
        raise OAuthError.missing_pkce()
    if (challenge or method) and (not challenge or method != PKCE_METHOD):
        raise OAuthError.missing_pkce()
    _check_acr(params.get("acr_values"), grantor.aal)
    code = crypto.random_hex()
    AuthorizationCode.objects.create(
        code=crypto.token_id(code),
        application=client,
        account=grantor.account,
        expires=AuthorizationCode.default_expiry(),
        redirect_uri=redirect_uri,
        scope=scope_lib.to_string(requested),
        code_challenge=challenge or "",
        code_challenge_method=method or "",
        nonce=params.get("nonce") or "",
        auth_at=grantor.auth_at,
        amr=grantor.amr,
        aal=grantor.aal,
        offline=params.get("access_type") == "offline",
        keys_jwe=params.get("keys_jwe") or "",
        session_token_id=grantor.session_token_id,
        profile_changed_at=grantor.account.profile_changed_at,
    )
    state = params.get("state", "")
    redirect = with_query(redirect_uri, {"code": code, "state": state})
    return {"redirect": redirect, "code": code, "state": state}


def subject(client, account, ppid_seed=0):
    """The ``sub`` a client sees: the uid, or for PPID clients a pairwise id (oauth.md §2) that
    rotating clients see change every OAUTH_PPID_ROTATION_PERIOD."""
    if not client.ppid_enabled:
        return account.uid
    salt = settings.OAUTH_PPID_SALT or settings.SECRET_KEY
    epoch = int(time.time()) // settings.OAUTH_PPID_ROTATION_PERIOD if client.ppid_rotating else 0
    return crypto.ppid_sub(client.client_id, account.uid, salt, ppid_seed or 0, epoch)


# Token consumers.


def _jwt_access_token_id(value):
    """The stored id of a JWT access token we signed (SHA-256 of its ``jti``), else None."""
    try:
        # Expiry is the record's business (errno 115, like opaque tokens).
        claims = crypto.verify_jwt(value, keys.public_jwks(), options={"verify_aud": False, "verify_exp": False})
    except jwt.PyJWTError:
        return None, None
    jti = claims.get("jti")
    return (crypto.token_id(jti), claims) if isinstance(jti, str) else (None, None)


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
        stored_id = crypto.token_id(value)
    token = (AccessToken.objects.select_related("account", "application")
             .filter(token_id=stored_id).first())
    if token is not None:
        token.jwt_claims = claims
    return token


def find_refresh_token(value):
    if not isinstance(value, str) or not value:
        return None
    return (RefreshToken.objects.select_related("account", "application")
            .filter(token_id=crypto.token_id(value)).first())


def valid_access_token(value):
    """The AccessToken a bearer value names; 108 if unknown, 115 if expired."""
    token = find_access_token(value)
    if token is None:
        raise OAuthError.invalid_token()
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
    raise OAuthError.invalid_token()


def destroy_any(client, value):
    """POST /v1/oauth/destroy: either type of the client's token; unknown tokens are fine."""
    access = find_access_token(value)
    if access is not None and access.application_id == client.pk:
        access.delete()
    refresh_token = find_refresh_token(value)
    if refresh_token is not None and refresh_token.application_id == client.pk:
        delete_refresh_token(refresh_token)
    return {}


def client_info(client):
    return {"id": client.client_id, "name": client.name, "trusted": client.trusted,
            "image_uri": client.image_uri, "redirect_uri": client.redirect_uri}


def profile(token):
    """GET /v1/profile: the fields the token's scopes allow (oauth.md §10)."""
    held = token.scope.split()
    account = token.account

    def allowed(scope):
        return scope_lib.set_implies(held, scope)

    body = {}
    if allowed("profile:uid"):
        body["uid"] = account.uid
    if allowed("profile:email"):
        body["email"] = account.primary_email.email
    if allowed("profile:locale"):
        body["locale"] = account.locale or None
    if allowed("profile:email") or allowed("profile:locale"):
        body["metricsEnabled"] = account.metrics_enabled
    if allowed("profile:amr"):
        aal = account.authenticator_assurance_level
        body["amrValues"] = ["pwd", "email"] + (["otp"] if aal >= 2 else [])
        body["twoFactorAuthentication"] = aal >= 2
    if "openid" in held:
        body["sub"] = subject(token.application, account)
    return body



def scoped_key_data(grantor, client_id, scope):
    """Key metadata of each requested keyed scope the client may have (oauth.md §9).

    ``keyRotationTimestamp`` is when the account's keys last changed; a sign-in older than that
    (a password reset since) must re-authenticate first (errno 119).
    """
    client = get_client(client_id)
    requested = parse_scope(scope)
    check_scopes(client, requested)
    account = grantor.account
    timestamp = max(account.keys_changed_at or account.verifier_set_at or account.created_at, 0)
    keyed = [s for s in requested if is_keyed(s)]
    if keyed and grantor.auth_at < timestamp // 1000:
        raise OAuthError.stale_auth_at(grantor.auth_at)
    return {
        scope: {"identifier": scope, "keyRotationSecret": "0" * 64, "keyRotationTimestamp": timestamp}
        for scope in keyed
    }


# Authorized clients (oauth.md §10) — also what /v1/account/attached_clients lists.


def _forget_device(token_id):
    from accounts.devices.services import forget_refresh_token

    forget_refresh_token(token_id)


def delete_refresh_token(token):
    """Revoke a refresh token: its access tokens and the device it registered go with it."""
    token.delete()
    _forget_device(token.token_id)


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
            raise OAuthError.unknown_token()
        delete_refresh_token(token)
        return {}
    for token in RefreshToken.objects.filter(account=account, application=client):
        delete_refresh_token(token)
    AccessToken.objects.filter(account=account, application=client).delete()
    AuthorizationCode.objects.filter(account=account, application=client).delete()
    return {}


class AttachedClientsProvider:
    """The OAuth side of /v1/account/attached_clients (accounts.devices.attached_clients)."""

    def authorizations(self, account):
        from accounts.devices.attached_clients import OAuthAuthorization

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
                raise OAuthError.unknown_token().to_app_error()
            client_id = token.application.client_id
        try:
            revoke_authorization(account, client_id, refresh_token_id)
        except OAuthError as error:
            raise error.to_app_error() from None


def prune_expired():
    now = timezone.now()
    access, _ = AccessToken.objects.filter(expires__lte=now).delete()
    codes, _ = AuthorizationCode.objects.filter(expires__lte=now).delete()
    return {"access_tokens": access, "codes": codes}


def verify_id_token(client_id, token, expiry_grace_period=0):
    """POST /v1/oauth/id-token-verify: an id_token this server issued to the client, its claims."""
    try:
        claims = crypto.verify_jwt(
            token, keys.public_jwks(), issuer=settings.OAUTH_ISSUER, audience=client_id,
            leeway=expiry_grace_period, options={"require": ["exp", "iat", "sub"]},
        )
    except jwt.PyJWTError:
        raise OAuthError.invalid_token() from None
    return claims


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
