"""OAuth clients and authorizations: client authentication, scope rules, the codes a signed-in
user grants (``prompt=none`` checks included), the ``sub`` a client sees, scoped-key metadata,
id_token verification. Tokens are issued in ``grants``; what is done with them is in ``tokens``.
Errors are ``OAuthError``s; the views decide which errno space.
"""
import base64
import binascii
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import jwt
from django.conf import settings

from accounts.compiled import CompiledLookup
from accounts.models import Account, SessionToken

from . import crypto, keys
from . import scopes as scope_lib
from .errors import OAuthErrno, OAuthError
from .models import Client

PKCE_METHOD = "S256"


# Clients.


# Every token request and verification names its client: compiled once (accounts/compiled.py).
_CLIENTS = CompiledLookup(Client.objects.all(), "client_id")


def get_client(client_id):
    client = _CLIENTS.get((client_id or "").lower())
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


def keys_refused(requested, redirect_uri):
    """The requested keyed scopes whose keys may not go to this redirect URI (upstream's
    scopedKeys.validation: per keyed scope, the redirect URIs allowed to receive its key)."""
    allowed = settings.OAUTH_SCOPED_KEYS_REDIRECT_URIS
    return [scope for scope in requested
            if is_keyed(scope) and redirect_uri not in allowed.get(scope, ())]


def check_keys_destination(requested, redirect_uri, keys_jwe):
    """A keys_jwe carries every requested keyed scope's key: only to a redirect URI allowed for
    each of them, else errno 114 naming the others."""
    refused = keys_refused(requested, redirect_uri) if keys_jwe else []
    if refused:
        raise OAuthError.invalid_scopes(refused)


def may_receive_keys(requested, redirect_uri):
    """Whether a request with keys_jwk may have its keys: some keyed scope, all allowed here."""
    return any(is_keyed(scope) for scope in requested) and not keys_refused(requested, redirect_uri)


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


def check_acr(acr_values, aal):
    """acr_values=AAL2 needs a session that passed two-step authentication (errno 120)."""
    if acr_values and "AAL2" in acr_values.split() and aal < 2:
        raise OAuthError.mismatch_acr(f"AAL{aal}")


def check_pkce_request(client, challenge, method):
    """Public clients must use PKCE (S256); confidential ones may (OAuth 2.1), and it is then
    checked. Upstream refuses PKCE from confidential clients, which standard RP libraries send."""
    if client.public_client and not challenge:
        raise OAuthError(OAuthErrno.MISSING_PKCE_PARAMETERS)
    if (challenge or method) and (not challenge or method != PKCE_METHOD):
        raise OAuthError(OAuthErrno.MISSING_PKCE_PARAMETERS)


def resolve_redirect(client, redirect_uri):
    """The exact registered redirect_uri asked for, else the client's first (errno 103)."""
    if not redirect_uri:
        return client.redirect_uri
    if redirect_uri not in client.redirect_uri_list:
        raise OAuthError.incorrect_redirect(redirect_uri)
    return redirect_uri


def with_query(uri, params):
    return uri + ("&" if "?" in uri else "?") + urlencode(params)


RESPONSE_MODES = ("query", "fragment", "form_post")


def check_authorization_request(client, query):
    """What an authorization request (the /authorization page's query) can be refused for before
    anyone signs in: a disabled client (202), a response_type other than code (110), scopes the
    client may not have (114), missing PKCE of a public client (118), or an unknown response_mode
    or a malformed max_age (109). The client and its redirect_uri are checked by the caller."""
    if client.disabled:
        raise OAuthError.disabled_client(client.client_id)
    if query.get("response_type", "code") != "code":
        raise OAuthError(OAuthErrno.INVALID_RESPONSE_TYPE)
    check_scopes(client, parse_scope(query.get("scope", "")))
    check_pkce_request(client, query.get("code_challenge"), query.get("code_challenge_method"))
    if query.get("response_mode", "query") not in RESPONSE_MODES:
        raise OAuthError.invalid_parameter(["response_mode"])
    if not query.get("max_age", "0").isdigit():
        raise OAuthError.invalid_parameter(["max_age"])


def _id_token_hint_claims(client, hint):
    """The claims of an id_token we issued to this client (it may have expired), or None."""
    try:
        return crypto.verify_jwt(hint, keys.public_jwks(), issuer=settings.OAUTH_ISSUER,
                                 audience=client.client_id, options={"verify_exp": False})
    except jwt.PyJWTError:
        return None


def prompt_none_error(client, query):
    """The ``error`` a ``prompt=none`` authorization request goes straight back to the client
    with (oauth.md §5), or None when it may be answered silently.

    These are the checks the server can make alone. Whether the browser holds a verified session
    of the hinted account is known only to the page, which holds that session in its storage:
    the silent page (``static/js/pages/oauth_silent.js``) answers with a code, or itself with
    ``login_required``, ``interaction_required``, ``account_selection_required`` or
    ``consent_required``.
    """
    requested = query.get("scope", "").split()
    if query.get("keys_jwk") or any(is_keyed(scope) for scope in requested):
        return "invalid_request"
    hint = query.get("id_token_hint")
    if hint:
        if _id_token_hint_claims(client, hint) is None:
            return "invalid_request"
    else:
        if client.client_id not in settings.OAUTH_PROMPT_NONE_CLIENTS:
            return "unauthorized_client"
        if not (query.get("login_hint") or query.get("email")):
            return "invalid_request"
    return None


def prompt_none_hint(client, query):
    """Who a silent request is for: ``{"email", "uid", "opaque"}``. ``uid`` is the sub of the
    id_token_hint (already verified by ``prompt_none_error``); ``opaque`` says that the hint names
    someone the page cannot recognise (a pairwise sub of a PPID client)."""
    email = query.get("login_hint") or query.get("email") or ""
    uid, opaque = "", False
    hint = query.get("id_token_hint")
    claims = _id_token_hint_claims(client, hint) if hint else None
    if claims:
        if client.ppid_enabled:
            opaque = True
        else:
            uid = str(claims.get("sub", ""))
    return {"email": email, "uid": uid, "opaque": opaque}


def subject(client, account, ppid_seed=0):
    """The ``sub`` a client sees: the uid, or for PPID clients a pairwise id (oauth.md §2) that
    rotating clients see change every OAUTH_PPID_ROTATION_PERIOD."""
    if not client.ppid_enabled:
        return account.uid
    salt = settings.OAUTH_PPID_SALT or settings.SECRET_KEY
    epoch = int(time.time()) // settings.OAUTH_PPID_ROTATION_PERIOD if client.ppid_rotating else 0
    return crypto.ppid_sub(client.client_id, account.uid, salt, ppid_seed or 0, epoch)


def client_info(client):
    return {"id": client.client_id, "name": client.name, "trusted": client.trusted,
            "image_uri": client.image_uri, "redirect_uri": client.redirect_uri}


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
        scope: {"identifier": scope, "key_rotation_secret": "0" * 64, "key_rotation_timestamp": timestamp}
        for scope in keyed
    }


def verify_id_token(client_id, token, expiry_grace_period=0):
    """POST /v1/oauth/id-token-verify: an id_token this server issued to the client, its claims."""
    try:
        claims = crypto.verify_jwt(
            token, keys.public_jwks(), issuer=settings.OAUTH_ISSUER, audience=client_id,
            leeway=expiry_grace_period, options={"require": ["exp", "iat", "sub"]},
        )
    except jwt.PyJWTError:
        raise OAuthError(OAuthErrno.INVALID_TOKEN) from None
    return claims
