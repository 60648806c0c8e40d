"""Codes and tokens on oauthlib's grant logic: the authorization endpoint
(``/v1/oauth/authorization``, ``POST /v1/authorization``) and the token endpoint (``/v1/token``,
``/v1/oauth/token``).

Both run against ``FxaRequestValidator``, a django-oauth-toolkit validator whose hooks hold FxA's
rules (oauth.md §2, §6–8). oauthlib's ``AuthorizationEndpoint`` issues codes to the signed-in user
(the ``grantor``): known, enabled client, exact redirect_uri, allowed scopes, PKCE, acr_values.
Its ``TokenEndpoint`` runs the grants (RFC 6749 ``authorization_code`` and ``refresh_token``,
plus FxA's ``fxa-credentials``): client authentication by body or HTTP Basic, single-use codes
bound to their client with PKCE and the exact redirect_uri, refresh tokens that are never rotated
and may only narrow their scope (trusted clients may add allowed scopes), 64-hex opaque or
``at+JWT`` access tokens stored as SHA-256, id_tokens for ``openid``, and FxA's response fields
(``auth_at``, ``keys_jwe``).

FxA's failures are ``OAuthError``s raised from the hooks (oauthlib lets them through); the few
generic oauthlib errors left are mapped onto the OAuth errno table (``errors.from_oauthlib``).
Customs counts each refresh token exchanged, per token and per IP (``tokenExchange``).
"""
import json
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2 import AuthorizationCodeGrant, BearerToken, RefreshTokenGrant
from oauthlib.oauth2.rfc6749.endpoints.authorization import AuthorizationEndpoint
from oauthlib.oauth2.rfc6749.endpoints.token import TokenEndpoint
from oauthlib.oauth2.rfc6749.errors import OAuth2Error
from oauthlib.oauth2.rfc6749.grant_types.base import GrantTypeBase

from accounts import customs, hashing
from accounts.compiled import CompiledInsert

from . import crypto, events, jwts, services
from . import scopes as scope_lib
from .authentication import LAST_USED_RESOLUTION_MS
from .errors import OAuthErrno, OAuthError, from_oauthlib
from .models import AccessToken, AuthorizationCode, RefreshToken, now_ms
from .tokens import REFRESH_TOKENS

ACCESS_TOKENS = CompiledInsert(AccessToken)

# The endpoints' address as oauthlib sees it: it only checks that there is no query string.
ENDPOINT_URI = "https://localhost/v1/token"


@dataclass
class GrantContext:
    """What a grant carries into its tokens besides client, account and scopes."""

    offline: bool = False
    auth_at: int | None = None  # seconds
    amr: list = field(default_factory=list)
    aal: int = 1
    nonce: str = ""
    keys_jwe: str = ""
    refresh_token: RefreshToken | None = None  # the refresh token a refresh grant uses
    with_id_token: bool = True
    session_token_id: str = ""  # the session that authorized the grant, when known


@dataclass
class IssuedTokens:
    """A token response and what it was issued for (the auth-server route adds to it)."""

    body: dict
    account: object
    client: object
    scopes: list
    session_token_id: str
    refresh_token: RefreshToken | None  # created by this grant (offline grants only)


def _param(request, name):
    """A body field oauthlib does not know of (its Request raises AttributeError for those)."""
    return getattr(request, name, None)


def _ttl(request):
    maximum = settings.OAUTH_ACCESS_TOKEN_TTL
    ttl = _param(request, "ttl")
    if ttl is None:
        return maximum
    return max(1, min(int(ttl), maximum))


def _ppid_seed(request):
    return int(_param(request, "ppid_seed") or 0)


def _generate_access_token(request):
    """A 64-hex token; for clients configured for them, an at+JWT whose ``jti`` is that token.

    Either way the stored id is SHA-256 of the 64-hex value, so revocation works for both.
    """
    opaque = crypto.random_hex()
    request.access_token_id = hashing.digest(hashing.OAUTH_TOKEN, opaque)
    if not request.client.jwt_access_tokens:
        return opaque
    return jwts.access_token(request.client, request.user, request.scopes, opaque,
                             request.expires_in, resource=request.resource,
                             ppid_seed=_ppid_seed(request))


class FxaRequestValidator(OAuth2Validator):
    """FxA's rules as oauthlib validator hooks (django-oauth-toolkit's validator, FxA models)."""

    def __init__(self, grantor=None):
        self.grantor = grantor
        self.issued = None  # IssuedTokens, once save_bearer_token ran
        self.issued_code = None  # (code, redirect_uri), once save_authorization_code ran

    # Authorization requests (code issuance).

    def validate_client_id(self, client_id, request, *args, **kwargs):
        request.client = services.get_client(client_id)
        if request.client.disabled:
            raise OAuthError.disabled_client(request.client.client_id)
        return True

    def validate_redirect_uri(self, client_id, redirect_uri, request, *args, **kwargs):
        services.resolve_redirect(request.client, redirect_uri)
        return True

    def validate_response_type(self, client_id, response_type, client, request, *args, **kwargs):
        return True

    def get_default_scopes(self, client_id, request, *args, **kwargs):
        return []

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        request.scopes = services.parse_scope(" ".join(scopes))
        services.check_scopes(request.client, request.scopes)
        return True

    def save_authorization_code(self, client_id, code, request, *args, **kwargs):
        grantor = self.grantor
        keys_jwe = _param(request, "keys_jwe") or ""
        services.check_keys_destination(request.scopes, request.redirect_uri, keys_jwe)
        AuthorizationCode.objects.create(
            code=hashing.digest(hashing.OAUTH_TOKEN, code["code"]), application=request.client,
            account=grantor.account, expires=AuthorizationCode.default_expiry(),
            redirect_uri=request.redirect_uri, scope=scope_lib.to_string(request.scopes),
            code_challenge=request.code_challenge or "",
            code_challenge_method=request.code_challenge_method or "",
            nonce=request.nonce or "", auth_at=grantor.auth_at, amr=grantor.amr,
            aal=grantor.aal, offline=_param(request, "access_type") == "offline",
            keys_jwe=keys_jwe, session_token_id=grantor.session_token_id,
            profile_changed_at=grantor.account.profile_changed_at,
        )
        events.record_use(grantor.account.pk, request.client)
        self.issued_code = (code["code"], request.redirect_uri)

    # Client authentication: every client goes through authenticate_client (public ones too),
    # so that FxA's errnos (101 unknown, 102 wrong secret, 109 secret from a public client) apply.

    def client_authentication_required(self, request, *args, **kwargs):
        return True

    def authenticate_client(self, request, *args, **kwargs):
        params = {"client_id": request.client_id, "client_secret": request.client_secret}
        request.client = services.authenticate_client(
            params, request.headers.get("Authorization"),
            secret_required=request.grant_type != "fxa-credentials",
        )
        request.client_id = request.client.client_id
        return True

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        # Refresh and credentials grants of a disabled client are refused; codes it already
        # holds may still be redeemed (upstream).
        if grant_type != "authorization_code" and client.disabled:
            raise OAuthError.disabled_client(client.client_id)
        return True

    # authorization_code (oauth.md §6).

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        grant = (AuthorizationCode.objects.select_for_update().select_related("account")
                 .filter(code=hashing.digest(hashing.OAUTH_TOKEN, code)).first())
        if grant is None:
            raise OAuthError.unknown_code(code)
        if grant.application_id != client.pk:
            raise OAuthError.mismatch_code(code, client.client_id)
        if grant.expires <= timezone.now():
            raise OAuthError.expired_code(code, int(grant.expires.timestamp() * 1000))
        self._check_pkce(grant, client, request.code_verifier)
        request.authorization_code = grant
        request.user = grant.account
        request.scopes = grant.scope.split()
        request.grant = GrantContext(
            offline=grant.offline, auth_at=grant.auth_at, amr=grant.amr, aal=grant.aal,
            nonce=grant.nonce, keys_jwe=grant.keys_jwe, session_token_id=grant.session_token_id,
        )
        return True

    @staticmethod
    def _check_pkce(grant, client, verifier):
        if grant.code_challenge:
            if not verifier:
                raise OAuthError(OAuthErrno.MISSING_PKCE_PARAMETERS)
            if not crypto.same_hash(crypto.pkce_challenge(verifier), grant.code_challenge):
                raise OAuthError.mismatch_code_challenge(grant.code_challenge)
        elif verifier:
            raise OAuthError.mismatch_code_challenge(None)
        elif client.public_client:
            raise OAuthError(OAuthErrno.MISSING_PKCE_PARAMETERS)

    def get_code_challenge(self, code, request):
        return None  # checked in validate_code, with FxA's errnos

    def is_pkce_required(self, client_id, request):
        return False

    def get_default_redirect_uri(self, client_id, request, *args, **kwargs):
        code = getattr(request, "authorization_code", None)  # set when redeeming a code
        if code is not None:
            return code.redirect_uri
        return services.resolve_redirect(request.client, None) or None

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, request, *args, **kwargs):
        if redirect_uri != request.authorization_code.redirect_uri:
            raise OAuthError.incorrect_redirect(redirect_uri)
        return True

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        request.authorization_code.delete()

    # refresh_token (oauth.md §8: not rotated; the scope may only narrow).

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        token = REFRESH_TOKENS.get(hashing.digest(hashing.OAUTH_TOKEN, refresh_token))
        if token is None or token.application_id != client.pk:
            raise OAuthError(OAuthErrno.INVALID_TOKEN)
        request.user = token.account
        request.grant = GrantContext(refresh_token=token, with_id_token=False)
        return True

    def get_original_scopes(self, refresh_token, request, *args, **kwargs):
        return request.grant.refresh_token.scope.split()

    def is_within_original_scope(self, request_scopes, refresh_token, request, *args, **kwargs):
        held = request.grant.refresh_token.scope.split()
        # Trusted clients may also add scopes they are allowed.
        allowed = scope_lib.parse(request.client.allowed_scopes) if request.client.trusted else []
        extra = [s for s in services.parse_scope(" ".join(request_scopes))
                 if not scope_lib.set_implies(held, s) and not scope_lib.set_implies(allowed, s)]
        if extra:
            raise OAuthError.invalid_scopes(extra)
        return True

    def rotate_refresh_token(self, request):
        return False

    # Token storage and FxA's response fields.

    def save_bearer_token(self, token, request, *args, **kwargs):
        grant, client, account = request.grant, request.client, request.user
        token["token_type"] = "bearer"
        new_refresh_token = None
        if grant.offline:
            new_refresh_token = RefreshToken.objects.create(
                token_id=hashing.digest(hashing.OAUTH_TOKEN, token["refresh_token"]),
                application=client, account=account, scope=token["scope"],
                profile_changed_at=account.profile_changed_at, amr=list(grant.amr), aal=grant.aal,
            )
        else:
            token.pop("refresh_token", None)
        now = now_ms()
        if grant.refresh_token is None:
            events.record_use(account.pk, client)  # a code redeemed, an fxa-credentials grant
        elif now - grant.refresh_token.last_used_at > LAST_USED_RESOLUTION_MS:
            # Recorded at a coarse resolution so that busy refreshers do not each cost a write.
            RefreshToken.objects.filter(pk=grant.refresh_token.pk).update(last_used_at=now)
            events.record_use(account.pk, client)
        ACCESS_TOKENS.create(
            token_id=request.access_token_id, application=client, account=account,
            scope=token["scope"], expires=timezone.now() + timedelta(seconds=token["expires_in"]),
            refresh_token=new_refresh_token or grant.refresh_token,
            profile_changed_at=account.profile_changed_at,
        )
        if grant.with_id_token and "openid" in request.scopes:
            token["id_token"] = jwts.id_token(
                client, account, token["access_token"], auth_at=grant.auth_at, amr=grant.amr,
                aal=grant.aal, nonce=grant.nonce, ppid_seed=_ppid_seed(request))
        if grant.auth_at is not None:
            token["auth_at"] = grant.auth_at
        if grant.keys_jwe:
            token["keys_jwe"] = grant.keys_jwe
        self.issued = IssuedTokens(token, account, client, list(request.scopes),
                                   grant.session_token_id, new_refresh_token)


def _strip_unrefreshable(request):
    """Refreshed grants never carry openid (no id_token) nor the session-token scope."""
    request.scopes = [s for s in services.parse_scope(" ".join(request.scopes))
                      if s not in scope_lib.NOT_REFRESHABLE]


class FxaCredentialsGrant(GrantTypeBase):
    """grant_type=fxa-credentials: a canGrant public client trades the user's session for tokens."""

    def create_token_response(self, request, token_handler):
        self.validate_token_request(request)
        token = token_handler.create_token(request, refresh_token=request.grant.offline)
        self.request_validator.save_token(token, request)
        return self._get_default_headers(), json.dumps(token), 200

    def validate_token_request(self, request):
        grantor = self.request_validator.grantor
        if grantor is None:  # /v1/token: upstream wants an identity assertion; we have none
            raise OAuthError(OAuthErrno.INVALID_GRANT_TYPE)
        self.validate_client_authentication(request)
        client = request.client
        if not client.can_grant:
            raise OAuthError(OAuthErrno.INVALID_GRANT_TYPE)
        if not client.public_client:
            raise OAuthError.not_public_client(client.client_id)
        self.validate_grant_type(request)
        request.scopes = services.parse_scope(request.scope or "")
        services.check_scopes(client, request.scopes)
        request.user = grantor.account
        request.grant = GrantContext(
            offline=_param(request, "access_type") == "offline", auth_at=grantor.auth_at,
            amr=grantor.amr, aal=grantor.aal, session_token_id=grantor.session_token_id,
        )


def _check_authorization_pkce(request):
    services.check_pkce_request(request.client, request.code_challenge,
                                request.code_challenge_method)
    return {}


def authorization_endpoint(validator):
    grant = AuthorizationCodeGrant(validator)
    # FxA's codes are 32 random bytes in hex (oauthlib's own are 30 characters).
    grant.register_code_modifier(lambda code, handler, request: {**code, "code": crypto.random_hex()})
    grant.custom_validators.pre_auth.append(_check_authorization_pkce)
    grant.custom_validators.post_auth.append(
        lambda request: services.check_acr(request.acr_values, validator.grantor.aal) or {})
    return AuthorizationEndpoint(default_response_type="code",
                                 default_token_type=BearerToken(validator),
                                 response_types={"code": grant})


# Request fields of an authorization request oauthlib reads, as strings.
AUTHORIZATION_PARAMS = ("client_id", "redirect_uri", "scope", "state", "access_type",
                        "code_challenge", "code_challenge_method", "keys_jwe", "acr_values", "nonce")


@transaction.atomic
def authorization_response(grantor, params):
    """A code for the client, granted by the signed-in user: ``{code, state, redirect}``."""
    body = {key: str(params[key]) for key in AUTHORIZATION_PARAMS if params.get(key) is not None}
    body["response_type"] = "code"
    validator = FxaRequestValidator(grantor)
    try:
        headers, _, _ = authorization_endpoint(validator).create_authorization_response(
            ENDPOINT_URI, "POST", body, {"Content-Type": "application/x-www-form-urlencoded"})
    except OAuth2Error as error:
        raise from_oauthlib(error.error) from None
    if validator.issued_code is None:  # oauthlib's own refusal, sent back in the redirect
        raise from_oauthlib(parse_qs(urlsplit(headers["Location"]).query).get("error", [""])[0])
    (code, redirect_uri), state = validator.issued_code, params.get("state", "")
    return {"redirect": services.with_query(redirect_uri, {"code": code, "state": state}),
            "code": code, "state": state}


def token_endpoint(validator):
    bearer = BearerToken(validator, token_generator=_generate_access_token,
                         refresh_token_generator=lambda request: crypto.random_hex(),
                         expires_in=_ttl)
    refresh_grant = RefreshTokenGrant(validator, issue_new_refresh_tokens=False)
    refresh_grant.custom_validators.post_token.append(_strip_unrefreshable)
    return TokenEndpoint(
        default_grant_type="authorization_code",
        default_token_type=bearer,
        grant_types={
            "authorization_code": AuthorizationCodeGrant(validator),
            "refresh_token": refresh_grant,
            "fxa-credentials": FxaCredentialsGrant(validator),
        },
    )


# Request fields oauthlib reads, as strings (it takes a form-like body).
TOKEN_PARAMS = ("grant_type", "client_id", "client_secret", "code", "code_verifier", "redirect_uri",
                "refresh_token", "scope", "access_type", "ttl", "ppid_seed", "resource")


class TokenExchangeRefused(OAuthError):
    """Customs refused a refresh grant: its 429 (errno 114, ``retryAfter``, ``Retry-After``) on
    the session-token routes, and on the RP-facing ones the same status, headers and members in
    the OAuth family's body (whose table has no errno for it: 999, its "Unspecified error")."""

    def __init__(self, blocked):
        super().__init__(OAuthErrno.UNEXPECTED, code=blocked.code, message=blocked.message,
                         headers=blocked.headers, **blocked.extra)
        self.blocked = blocked

    def to_app_error(self):
        return self.blocked


def check_token_exchange(body, context):
    """``tokenExchange``: one more use of the presented refresh token (its hash) from this IP."""
    if body.get("grant_type") != "refresh_token" or not body.get("refresh_token"):
        return
    try:
        customs.check("tokenExchange", context,
                      token=hashing.digest(hashing.OAUTH_TOKEN, body["refresh_token"]))
    except customs.Blocked as blocked:
        raise TokenExchangeRefused(blocked) from None


def token_response(params, authorization=None, grantor=None, context=None):
    """Run one token request: ``IssuedTokens`` (``.body`` is the response) or an ``OAuthError``.

    ``authorization`` is the request's Authorization header when it may carry HTTP Basic client
    credentials; ``grantor`` the signed-in user for the fxa-credentials grant; ``context`` the
    request's (customs counts refresh grants on its IP), before the grant's transaction.
    """
    body = {key: str(params[key]) for key in TOKEN_PARAMS if params.get(key) is not None}
    body.setdefault("grant_type", "authorization_code")
    check_token_exchange(body, context)
    return _token_response(body, authorization, grantor)


@transaction.atomic
def _token_response(body, authorization, grantor):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if authorization:
        headers["Authorization"] = authorization
    validator = FxaRequestValidator(grantor)
    try:
        _, content, status = token_endpoint(validator).create_token_response(
            ENDPOINT_URI, "POST", body, headers)
    except OAuth2Error as error:
        raise from_oauthlib(error.error) from None
    if status != 200:
        raise from_oauthlib(json.loads(content).get("error"))
    return validator.issued
