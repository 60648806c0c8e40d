"""OAuth routes: thin views over ``oauth.services``.

Two families (oauth.md §1): the RP-facing routes (``/v1/token``, ``/v1/verify``…) answer OAuth
errnos; the session-token routes (``/v1/oauth/*``) answer auth-server errnos. Each family picks its
exception handler with ``get_exception_handler``.
"""
import re
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.db import transaction
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.errors import Errno
from accounts.middleware import CONTENT_SECURITY_POLICY
from accounts.pages.flows import FlowPage
from accounts.parsers import FormBodyParser, JsonBodyParser
from accounts.services.context import RequestContext
from accounts.permissions import (
    AssertionSessionRequired,
    GrantingSessionRequired,
    TokenOptional,
    TokenRequired,
)
from accounts.serializers.responses import EmptySerializer
from accounts.validators import body_serializer
from accounts.views.base import OptionalSessionView, PublicView, SessionView

from . import auth_server, grants, keys, serializers, services, tokens
from . import permissions as oauth_permissions
from . import scopes as scope_lib
from .errors import OAuthErrno, OAuthError, auth_exception_handler, oauth_exception_handler

sensitive = method_decorator(sensitive_post_parameters(), name="dispatch")
NO_STORE = {"Cache-Control": "no-store"}  # responses carrying tokens (RFC 6749 §5.1)


def _params(request):
    data = request.data
    return data.dict() if hasattr(data, "dict") else data


def _validated(serializer_class, data):
    if not isinstance(data, dict):
        raise OAuthError.invalid_parameter([])
    serializer = body_serializer(serializer_class, data)
    if not serializer.is_valid():
        raise OAuthError.invalid_parameter(
            [k for k in serializer.errors if k != "non_field_errors"] or ["payload"]
        )
    return dict(serializer.validated_data)


class ClientView(APIView):
    """An RP-facing route: OAuth errnos, JSON or form-encoded bodies, no token authentication."""

    authentication_classes = []
    parser_classes = [FormBodyParser, JsonBodyParser]
    body_serializer = None

    def get_exception_handler(self):
        return oauth_exception_handler

    def body(self):
        return _validated(self.body_serializer, _params(self.request))


class AuthServerMixin:
    """A session-token /v1/oauth/* route: auth-server errnos."""

    parser_classes = [FormBodyParser, JsonBodyParser]

    def get_exception_handler(self):
        return auth_exception_handler


def _keyed(params):
    try:
        requested = scope_lib.parse(params.get("scope") or "")
    except scope_lib.InvalidScope:
        return False
    return bool(params.get("keys_jwe")) or any(services.is_keyed(s) for s in requested)


# Session-token routes (auth-server errnos).


class GrantMixin:
    """A route where the session authorizes an OAuth grant; ``granted_keys`` tells the
    permission whether the grant carries scoped keys (its body's scope or keys_jwe)."""

    def granted_keys(self):
        return _keyed(self.body())

    def grantor(self):
        return services.Grantor.from_session(self.request.auth)


@sensitive
class OAuthAuthorizationView(GrantMixin, AuthServerMixin, SessionView):
    response_serializer = serializers.AuthorizationCodeResponse
    body_serializer = serializers.AuthorizationBody
    permission_classes = [TokenRequired, GrantingSessionRequired]

    def post(self, request):
        return Response(grants.authorization_response(self.grantor(), self.body()))


@sensitive
class OAuthTokenView(GrantMixin, AuthServerMixin, OptionalSessionView):
    response_serializer = serializers.TokenResponse
    body_serializer = serializers.TokenBody
    permission_classes = [TokenOptional, GrantingSessionRequired]

    def body(self):
        # Read by the permission check and by post(): validated once.
        if not hasattr(self, "_params"):
            params = super().body()
            if not params.get("grant_type"):
                params["grant_type"] = "authorization_code" if params.get("code") else "fxa-credentials"
            self._params = params
        return self._params

    def granted_keys(self):
        """Only the fxa-credentials grant is authorized by the session."""
        params = self.body()
        return _keyed(params) if params["grant_type"] == "fxa-credentials" else None

    def post(self, request):
        params = self.body()
        grantor = self.grantor() if params["grant_type"] == "fxa-credentials" else None
        # With a session token the Authorization header is the session's, not client credentials.
        authorization = request.META.get("HTTP_AUTHORIZATION") if request.auth is None else None
        context = RequestContext.from_request(request)
        with transaction.atomic():
            issued = grants.token_response(params, authorization, grantor, context)
            body = auth_server.complete_grant(issued, context)
        return Response(body, headers=NO_STORE)


@sensitive
class OAuthDestroyView(AuthServerMixin, PublicView):
    response_serializer = EmptySerializer
    body_serializer = serializers.DestroyBody

    def post(self, request):
        params = self.body()
        client = services.authenticate_client(params, request.META.get("HTTP_AUTHORIZATION"))
        return Response(tokens.destroy_any(client, params["token"]))


class OAuthClientInfoView(AuthServerMixin, PublicView):
    response_serializer = serializers.ClientInfoResponse
    def get(self, request, client_id):
        return Response(services.client_info(services.get_client(client_id)))


class IdTokenVerifyView(AuthServerMixin, PublicView):
    response_serializer = serializers.IdTokenClaimsResponse
    body_serializer = serializers.IdTokenVerifyBody

    def post(self, request):
        params = self.body()
        return Response(services.verify_id_token(
            params["client_id"], params["id_token"], params.get("expiry_grace_period", 0)))


class ScopedKeyDataView(GrantMixin, AuthServerMixin, SessionView):
    response_serializer = serializers.ScopedKeyDataResponse
    body_serializer = serializers.ScopedKeyDataBody
    permission_classes = [TokenRequired, GrantingSessionRequired]

    def granted_keys(self):
        return True

    def post(self, request):
        params = self.body()
        return self.answer(services.scoped_key_data(self.grantor(), params["client_id"], params["scope"]))


# RP-facing routes (OAuth errnos).


@sensitive
class TokenView(ClientView):
    response_serializer = serializers.TokenResponse
    body_serializer = serializers.ClientTokenBody

    def post(self, request):
        params = self.body()
        issued = grants.token_response(params, request.META.get("HTTP_AUTHORIZATION"),
                                       context=RequestContext.from_request(request))
        return Response(issued.body, headers=NO_STORE)


class VerifyView(ClientView):
    response_serializer = serializers.VerifyResponse
    body_serializer = serializers.VerifyBody

    def post(self, request):
        return Response(tokens.verify(self.body()["token"]))


class IntrospectView(ClientView):
    response_serializer = serializers.IntrospectResponse
    body_serializer = serializers.IntrospectBody

    def post(self, request):
        params = self.body()
        return Response(tokens.introspect(params["token"], params.get("token_type_hint")))


@sensitive
class DestroyView(ClientView):
    response_serializer = EmptySerializer
    body_serializer = serializers.ClientDestroyBody

    def post(self, request):
        params = self.body()
        client = None
        if params.get("client_id") or request.META.get("HTTP_AUTHORIZATION"):
            client = services.authenticate_client(params, request.META.get("HTTP_AUTHORIZATION"))
        return Response(tokens.destroy(params, client))


class AuthorizedClientsView(ClientView, SessionView):
    """POST /v1/authorized-clients. Upstream takes an identity assertion; here the session token
    it would be minted from (Bearer fxs_… or Hawk)."""

    response_serializer = serializers.AuthorizedClientResponse(many=True)

    authentication_classes = SessionView.authentication_classes

    def post(self, request):
        return Response(tokens.authorized_clients(request.user))


class AuthorizedClientsDestroyView(ClientView, SessionView):
    response_serializer = EmptySerializer
    authentication_classes = SessionView.authentication_classes
    body_serializer = serializers.AuthorizedClientDestroyBody

    def post(self, request):
        params = self.body()
        return Response(tokens.revoke_authorization(
            request.user, params["client_id"], params.get("refresh_token_id")))


class ClientInfoView(ClientView):
    response_serializer = serializers.ClientInfoResponse
    def get(self, request, client_id):
        return Response(services.client_info(services.get_client(client_id)))


class JwksView(ClientView):
    response_serializer = serializers.JwksResponse
    def get(self, request):
        response = Response({"keys": keys.public_jwks()})
        response["Cache-Control"] = "public, max-age=10"
        return response


class AuthorizationView(GrantMixin, ClientView, OptionalSessionView):
    """GET: to the authorization page with the same query (oauth.md §5). POST: an authorization
    by the signed-in user: a code (``response_type=code``) or, for canGrant clients, an access token
    (``response_type=token``). Upstream authenticates the POST with an identity assertion minted
    from the session; here the session token itself (Bearer fxs_… or Hawk)."""

    response_serializer = {"get": None, "post": serializers.AuthorizationResponse}  # GET: a redirect

    authentication_classes = OptionalSessionView.authentication_classes
    body_serializer = serializers.ClientAuthorizationBody

    def get_permissions(self):
        if self.request.method == "POST":
            return [TokenRequired(), AssertionSessionRequired()]
        return [TokenOptional()]

    def get(self, request):
        if "keys_jwk" in request.GET:
            raise OAuthError.invalid_parameter(["keys_jwk"])
        return HttpResponseRedirect(f"{settings.PUBLIC_URL}/authorization?{request.GET.urlencode()}")

    def post(self, request):
        params = self.body()
        grantor = self.grantor()
        if params.get("response_type") == "token":
            if not services.get_client(params["client_id"]).can_grant:
                raise OAuthError(OAuthErrno.INVALID_RESPONSE_TYPE)
            return Response(grants.token_response(
                {**params, "grant_type": "fxa-credentials", "access_type": "online"},
                grantor=grantor).body, headers=NO_STORE)
        return Response(grants.authorization_response(grantor, params))


class KeyDataView(GrantMixin, ClientView, SessionView):
    """POST /v1/key-data: scoped-key metadata (oauth.md §9), OAuth errnos; the session token
    stands for upstream's assertion."""

    response_serializer = serializers.ScopedKeyDataResponse

    authentication_classes = SessionView.authentication_classes
    body_serializer = serializers.ScopedKeyDataBody
    permission_classes = [TokenRequired, AssertionSessionRequired]

    def granted_keys(self):
        return True

    def post(self, request):
        params = self.body()
        return self.answer(services.scoped_key_data(self.grantor(), params["client_id"], params["scope"]))


# Discovery documents (outside /v1; not in the /v1 OpenAPI document).


def _cors_json(body):
    response = JsonResponse(body)
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=3600"
    return response


def openid_configuration(request):
    base = settings.PUBLIC_URL
    return _cors_json({
        "authorization_endpoint": f"{base}/authorization",
        "issuer": settings.OAUTH_ISSUER,
        "jwks_uri": f"{base}/v1/jwks",
        "token_endpoint": f"{base}/v1/token",
        "userinfo_endpoint": f"{base}/v1/profile",
        "introspection_endpoint": f"{base}/v1/introspect",
        "revocation_endpoint": f"{base}/v1/destroy",
        "claims_supported": ["aud", "exp", "iat", "iss", "sub"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code"],
        "scopes_supported": ["openid", "profile", "email"],
        "subject_types_supported": ["public"],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_post", "client_secret_basic", "none"
        ],
    })


def fxa_client_configuration(request):
    """What Firefox reads before a sign-in (content-server.md §1, §6): bare bases, no ``/v1``
    (Firefox appends it, and ``/1.0/sync/1.5`` to the tokenserver's)."""
    base = settings.PUBLIC_URL
    body = {
        "auth_server_base_url": base,
        "oauth_server_base_url": base,
        "profile_server_base_url": base,
        "pairing_server_base_uri": settings.OAUTH_PAIRING_SERVER_URL,
    }
    if settings.OAUTH_SYNC_TOKENSERVER_URL:
        body["sync_tokenserver_base_url"] = settings.OAUTH_SYNC_TOKENSERVER_URL
    response = _cors_json(body)
    response["Cache-Control"] = "public, max-age=86400"
    return response


# Pages: the authorization request (oauth.md §5), the consent page, and the answer to the client.
# The sign-in itself happens on the accounts pages; static/js/oauth.js authorizes afterwards.

# action -> the first page of the flow, with the query carried (content-server.md §2).
ACTION_PAGES = {"email": "/oauth/", "signin": "/oauth/signin", "signup": "/oauth/signup",
                "force_auth": "/oauth/force_auth"}

# The page's words for what stops a sign-in: (heading, what happened, what to do, the OAuth error
# the "back to the application" link answers with, or None for no link). %(client)s is its name.
PROBLEMS = {
    "unknown_client": (
        _("Unknown application"),
        _("The application that sent you here is not registered with this server, so you cannot "
          "sign in to it here."),
        _("Go back to the application and try again, or contact its support."),
        None,
    ),
    "redirect_uri": (
        _("Sign-in request refused"),
        _("The application asked to send you back to an address it has not registered. To "
          "protect your account, you were not sent there."),
        _("Go back to the application and try again, or contact its support."),
        None,
    ),
    "invalid_scopes": (
        _("Sign-in request refused"),
        _("%(client)s asked for more of your account than it is allowed to have."),
        _("Nothing was shared. Contact the application’s support."),
        "invalid_scope",
    ),
    "disabled_client": (
        _("Application unavailable"),
        _("Signing in to %(client)s is turned off for now."),
        _("Try again later."),
        "temporarily_unavailable",
    ),
    "pkce": (
        _("Sign-in request refused"),
        _("%(client)s sent an incomplete sign-in request: it must be protected with PKCE, and "
          "it was not."),
        _("Nothing was shared. Contact the application’s support."),
        "invalid_request",
    ),
    "invalid_request": (
        _("Sign-in request refused"),
        _("%(client)s sent a sign-in request that this server does not understand."),
        _("Nothing was shared. Contact the application’s support."),
        "invalid_request",
    ),
    "keys": (
        _("Encryption keys not available"),
        _("%(client)s asks for the keys that encrypt your synced data."),
        _("This server gives those keys only to the applications allowed to receive them, "
          "such as Firefox."),
        "invalid_request",
    ),
    "two_step_required": (
        _("Two-step authentication required"),
        _("%(client)s only accepts accounts protected by two-step authentication, and yours "
          "does not have it turned on."),
        _("Setting up two-step authentication is not available on these pages yet: it comes "
          "with the account settings pages. Once it is on, sign in again."),
        "access_denied",
    ),
    "unexpected": (
        _("Something went wrong"),
        _("We could not finish signing you in to %(client)s."),
        _("Go back to the application and try again."),
        None,
    ),
}
# auth-server errno (what the pages' /v1 calls answer; OAuth errors are mapped onto them) ->
# the problem shown.
PROBLEMS_BY_ERRNO = {
    Errno.UNKNOWN_CLIENT_ID: "unknown_client",
    Errno.INCORRECT_REDIRECT_URI: "redirect_uri",
    Errno.INVALID_SCOPES: "invalid_scopes",
    Errno.DISABLED_CLIENT_ID: "disabled_client",
    Errno.MISSING_PKCE_PARAMETERS: "pkce",
    Errno.INVALID_RESPONSE_TYPE: "invalid_request",
    Errno.INVALID_PARAMETER: "invalid_request",
    Errno.INSUFFICIENT_ACR_VALUES: "two_step_required",
}
# The errors a page may send back to the client (OAuth 2.0 §4.1.2.1, OIDC Core §3.1.2.6).
ANSWER_ERRORS = frozenset({
    "access_denied", "login_required", "interaction_required", "account_selection_required",
    "consent_required", "invalid_request", "invalid_scope", "temporarily_unavailable",
    "unauthorized_client",
})
CODE = re.compile(r"^[0-9a-f]{64}$")
# What may stand in a CSP source expression taken from a registered URI.
CSP_ORIGIN = re.compile(
    r"^https?://(?:[A-Za-z0-9.\-]+|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$"
)


def _origin(uri):
    """scheme://host[:port] of an http(s) URI, fit for a CSP directive, or None."""
    parts = urlsplit(uri or "")
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return origin if CSP_ORIGIN.match(origin) else None


def _csp(**directives):
    """Our strict Content-Security-Policy with some directives replaced (``img_src="…"``)."""
    policy = dict(item.split(" ", 1) for item in CONTENT_SECURITY_POLICY.split("; "))
    for name, value in directives.items():
        policy[name.replace("_", "-")] = value
    return "; ".join(f"{name} {value}" for name, value in policy.items())


def _problem_page(request, problem, client=None, detail="", status=400):
    """Our page saying why the sign-in cannot go on; never a redirect. When the client is known,
    a link sends the user back to it with an OAuth error (through /authorization/response,
    which checks the redirect_uri again)."""
    if client is None and problem not in ("unknown_client", "redirect_uri"):
        problem = "unknown_client"
    heading, message, advice, back_error = PROBLEMS[problem]
    context = {
        "heading": heading,
        "message": str(message) % {"client": client.name if client else ""},
        "advice": advice,
        "client_name": client.name if client else "",
        "detail": detail,
    }
    if back_error and client is not None:
        data = request.POST if request.method == "POST" else request.GET
        fields = {"client_id": client.client_id, **_answer_fields(data, error=back_error)}
        context["back_url"] = f"/authorization/response?{urlencode(fields)}"
    response = render(request, "oauth/error.html", context, status=status)
    response["Referrer-Policy"] = "no-referrer"
    return response


def _error_page(request, error, client=None):
    """The problem page of an OAuthError raised while checking a request."""
    problem = PROBLEMS_BY_ERRNO.get(error.to_app_error().errno, "invalid_request")
    detail = f"{error.message} ({int(error.errno)})"
    return _problem_page(request, problem, client, detail, status=400)


def _answer_fields(data, **fields):
    """The fields of an answer to the client, with the request's routing (client_id,
    redirect_uri, response_mode) for /authorization/response."""
    carried = {key: data[key] for key in ("client_id", "redirect_uri", "response_mode")
               if data.get(key)}
    if carried.get("response_mode") not in services.RESPONSE_MODES:
        carried.pop("response_mode", None)
    return {**carried, **fields, "state": data.get("state", "")}


def _answer(request, client, redirect_uri, response_mode, fields):
    """Send the client its answer at a registered redirect_uri: in the query (default), in the
    fragment, or as an auto-submitted form (``form_post``), whose page may post to that origin
    alone (its CSP's form-action)."""
    origin = _origin(redirect_uri)
    if origin is None:  # a native client's URN: answered over WebChannel, not by these pages
        return _problem_page(request, "invalid_request", client)
    if response_mode == "form_post":
        response = render(request, "oauth/form_post.html",
                          {"client": client, "action": redirect_uri, "fields": fields})
        response["Content-Security-Policy"] = _csp(form_action=origin)
        response["Referrer-Policy"] = "no-referrer"
        return response
    if response_mode == "fragment":
        return HttpResponseRedirect(f"{redirect_uri}#{urlencode(fields)}")
    return HttpResponseRedirect(services.with_query(redirect_uri, fields))


@never_cache
def authorization_page(request):
    """/authorization (discovery's authorization_endpoint): checks what can be checked before
    anyone signs in, then hands the request to the first page of the flow.

    An unknown client, an unregistered redirect_uri or a request the client may not make gets our
    error page (never a redirect to an address the client did not register). ``prompt=none``
    requests that fail the server's checks go back to the client with their error; the others
    get the silent page, which answers from the session the browser holds.
    """
    query = request.GET
    try:
        client = services.get_client(query.get("client_id", ""))
        redirect_uri = services.resolve_redirect(client, query.get("redirect_uri"))
    except OAuthError as error:
        return _error_page(request, error)
    try:
        services.check_authorization_request(client, query)
        _validated(serializers.AuthorizationBody, {
            key: query[key] for key in grants.AUTHORIZATION_PARAMS if key in query
        } | {"client_id": client.client_id, "state": query.get("state", "")})
    except OAuthError as error:
        return _error_page(request, error, client)
    response_mode = query.get("response_mode", "query")
    if "none" in query.get("prompt", "").split():
        error = services.prompt_none_error(client, query)
        if error:
            return _answer(request, client, redirect_uri, response_mode,
                           {"error": error, "state": query.get("state", "")})
        response = render(request, "oauth/silent.html", {
            "page": "oauth_silent", "client": client,
            "hint": services.prompt_none_hint(client, query),
        })
        response["Referrer-Policy"] = "no-referrer"  # the query may carry an id_token
        return response
    if query.get("keys_jwk") and not services.may_receive_keys(
            services.parse_scope(query.get("scope", "")), redirect_uri):
        return _problem_page(request, "keys", client, status=400)
    changes = {}
    action = query.get("action", "email")
    if action in ("signin", "signup", "force_auth") and not query.get("email") \
            and query.get("login_hint"):
        changes["email"] = query["login_hint"]  # those pages take the address as `email`
    carried = [(key, value) for key, value in query.lists() if key not in changes]
    encoded = urlencode(carried + list(changes.items()), doseq=True)
    first_page = ACTION_PAGES.get(action, "/oauth/")
    return HttpResponseRedirect(f"{settings.PUBLIC_URL}{first_page}?{encoded}")


@never_cache
def authorization_error_page(request):
    """/authorization/error?errno=…|problem=… (with the flow's query): what stopped a sign-in
    after the user signed in, in words. The pages' script sends the user here on an errno."""
    try:
        client = services.get_client(request.GET.get("client_id", ""))
    except OAuthError:
        client = None
    problem = request.GET.get("problem")
    errno = request.GET.get("errno", "")
    if problem not in PROBLEMS:
        problem = PROBLEMS_BY_ERRNO.get(int(errno) if errno.isdigit() else 0, "unexpected")
    detail = f"errno {errno}" if errno.isdigit() else ""
    return _problem_page(request, problem, client, detail, status=200)


@csrf_exempt  # see the docstring
@never_cache
@require_http_methods(["GET", "POST"])
def authorization_response(request):
    """/authorization/response: the pages' answer to the client, at a registered redirect_uri.

    GET carries an error (``access_denied`` after Cancel, the silent page's ``login_required``…)
    in any response_mode; POST also a code, for ``form_post`` (a code never travels in our own
    URLs). Not CSRF-protected on purpose: it only relays to the client's registered address what
    anyone could post or link there directly.
    """
    data = request.POST if request.method == "POST" else request.GET
    try:
        client = services.get_client(data.get("client_id", ""))
        redirect_uri = services.resolve_redirect(client, data.get("redirect_uri"))
    except OAuthError as error:
        return _error_page(request, error)
    response_mode = data.get("response_mode") or "query"
    code, error = data.get("code", ""), data.get("error", "")
    if request.method == "POST" and CODE.match(code):
        fields = {"code": code}
    elif error in ANSWER_ERRORS:
        fields = {"error": error}
    else:
        fields = None
    if fields is None or response_mode not in services.RESPONSE_MODES:
        return _problem_page(request, "invalid_request", client)
    fields["state"] = data.get("state", "")
    return _answer(request, client, redirect_uri, response_mode, fields)


class PermissionsPage(FlowPage):
    """/signin_permissions, /signup_permissions (and under /oauth/): the consent page of
    untrusted clients (content-server.md §3). The client and the permissions are rendered here,
    in words; the page's module records the answer. Its CSP also allows the client's image."""

    page = "oauth_permissions"

    def get(self, request, *args, **kwargs):
        try:
            self.client = services.get_client(request.GET.get("client_id", ""))
            services.resolve_redirect(self.client, request.GET.get("redirect_uri"))
            self.requested = services.parse_scope(request.GET.get("scope", ""))
            services.check_scopes(self.client, self.requested)
        except OAuthError as error:
            return _error_page(request, error, getattr(self, "client", None))
        response = super().get(request, *args, **kwargs)
        image_origin = _origin(self.client.image_uri)
        if image_origin:
            response["Content-Security-Policy"] = _csp(img_src=f"'self' data: blob: {image_origin}")
        return response

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "client": self.client,
            "client_image": self.client.image_uri if _origin(self.client.image_uri) else "",
            "permissions": oauth_permissions.describe(self.requested),
        }
