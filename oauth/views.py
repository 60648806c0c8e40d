"""OAuth routes: thin views over ``oauth.services``.

Two families (oauth.md §1): the RP-facing routes (``/v1/token``, ``/v1/verify``…) answer OAuth
errnos; the session-token routes (``/v1/oauth/*``) answer auth-server errnos. Each family picks its
exception handler with ``get_exception_handler``.
"""
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.db import transaction
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from rest_framework.parsers import FormParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.errors import AppError
from accounts.parsers import JsonBodyParser
from accounts.services.context import RequestContext
from accounts.authentication import TokenOptional, TokenRequired
from accounts.views.base import OptionalSessionView, PublicView, SessionView

from . import auth_server, grants, keys, serializers, services, tokens
from . import scopes as scope_lib
from .errors import OAuthError, auth_exception_handler, oauth_exception_handler

sensitive = method_decorator(sensitive_post_parameters(), name="dispatch")
NO_STORE = {"Cache-Control": "no-store"}  # responses carrying tokens (RFC 6749 §5.1)


def _params(request):
    data = request.data
    return data.dict() if hasattr(data, "dict") else data


def _validated(serializer_class, data):
    if not isinstance(data, dict):
        raise OAuthError.invalid_parameter([])
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise OAuthError.invalid_parameter(
            [k for k in serializer.errors if k != "non_field_errors"] or ["payload"]
        )
    return dict(serializer.validated_data)


class ClientView(APIView):
    """An RP-facing route: OAuth errnos, JSON or form-encoded bodies, no token authentication."""

    authentication_classes = []
    parser_classes = [FormParser, JsonBodyParser]
    body_serializer = None

    def get_exception_handler(self):
        return oauth_exception_handler

    def body(self):
        return _validated(self.body_serializer, _params(self.request))


class AuthServerMixin:
    """A session-token /v1/oauth/* route: auth-server errnos."""

    parser_classes = [FormParser, JsonBodyParser]

    def get_exception_handler(self):
        return auth_exception_handler


def _grantor(request, keyed=False):
    """The session authorizing a grant: verified account, and a confirmed session when needed."""
    session = request.auth
    if not session.account.email_verified:
        raise AppError.unverified_account()
    if not session.token_verified and (session.must_verify or keyed):
        raise AppError.unverified_session()
    if session.account.authenticator_assurance_level > session.authenticator_assurance_level:
        raise AppError.aal_mismatch()
    return services.Grantor.from_session(session)


def _keyed(params):
    try:
        requested = scope_lib.parse(params.get("scope") or "")
    except scope_lib.InvalidScope:
        return False
    return bool(params.get("keys_jwe")) or any(services.is_keyed(s) for s in requested)


# Session-token routes (auth-server errnos).


@sensitive
class OAuthAuthorizationView(AuthServerMixin, SessionView):
    body_serializer = serializers.AuthorizationBody

    def post(self, request):
        params = self.body()
        return Response(grants.authorization_response(_grantor(request, _keyed(params)), params))


@sensitive
class OAuthTokenView(AuthServerMixin, OptionalSessionView):
    body_serializer = serializers.TokenBody

    def post(self, request):
        params = self.body()
        if not params.get("grant_type"):
            params["grant_type"] = "authorization_code" if params.get("code") else "fxa-credentials"
        grantor = None
        if params["grant_type"] == "fxa-credentials":
            if request.auth is None:
                raise AppError.token_not_found()
            grantor = _grantor(request, _keyed(params))
        # With a session token the Authorization header is the session's, not client credentials.
        authorization = request.META.get("HTTP_AUTHORIZATION") if request.auth is None else None
        with transaction.atomic():
            issued = grants.token_response(params, authorization, grantor)
            body = auth_server.complete_grant(issued, RequestContext.from_request(request))
        return Response(body, headers=NO_STORE)


@sensitive
class OAuthDestroyView(AuthServerMixin, PublicView):
    body_serializer = serializers.DestroyBody

    def post(self, request):
        params = self.body()
        client = services.authenticate_client(params, request.META.get("HTTP_AUTHORIZATION"))
        return Response(tokens.destroy_any(client, params["token"]))


class OAuthClientInfoView(AuthServerMixin, PublicView):
    def get(self, request, client_id):
        return Response(services.client_info(services.get_client(client_id)))


class IdTokenVerifyView(AuthServerMixin, PublicView):
    body_serializer = serializers.IdTokenVerifyBody

    def post(self, request):
        params = self.body()
        return Response(services.verify_id_token(
            params["client_id"], params["id_token"], params.get("expiry_grace_period", 0)))


class ScopedKeyDataView(AuthServerMixin, SessionView):
    body_serializer = serializers.ScopedKeyDataBody

    def post(self, request):
        params = self.body()
        grantor = _grantor(request, keyed=True)
        return Response(services.scoped_key_data(grantor, params["client_id"], params["scope"]))


# RP-facing routes (OAuth errnos).


@sensitive
class TokenView(ClientView):
    body_serializer = serializers.ClientTokenBody

    def post(self, request):
        params = self.body()
        issued = grants.token_response(params, request.META.get("HTTP_AUTHORIZATION"))
        return Response(issued.body, headers=NO_STORE)


class VerifyView(ClientView):
    body_serializer = serializers.VerifyBody

    def post(self, request):
        return Response(tokens.verify(self.body()["token"]))


class IntrospectView(ClientView):
    body_serializer = serializers.IntrospectBody

    def post(self, request):
        params = self.body()
        return Response(tokens.introspect(params["token"], params.get("token_type_hint")))


@sensitive
class DestroyView(ClientView):
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

    authentication_classes = SessionView.authentication_classes

    def post(self, request):
        return Response(tokens.authorized_clients(request.user))


class AuthorizedClientsDestroyView(ClientView, SessionView):
    authentication_classes = SessionView.authentication_classes
    body_serializer = serializers.AuthorizedClientDestroyBody

    def post(self, request):
        params = self.body()
        return Response(tokens.revoke_authorization(
            request.user, params["client_id"], params.get("refresh_token_id")))


class ClientInfoView(ClientView):
    def get(self, request, client_id):
        return Response(services.client_info(services.get_client(client_id)))


class JwksView(ClientView):
    def get(self, request):
        response = Response({"keys": keys.public_jwks()})
        response["Cache-Control"] = "public, max-age=10"
        return response


def _rp_grantor(request, keyed=False):
    """The session behind an RP-family route (upstream: the identity assertion minted from it).

    A session that could not have produced an assertion answers OAuth's 104 Invalid assertion.
    """
    try:
        return _grantor(request, keyed)
    except AppError as error:
        raise OAuthError.invalid_assertion(error.message) from None


class AuthorizationView(ClientView, OptionalSessionView):
    """GET: to the authorization page with the same query (oauth.md §5). POST: an authorization
    by the signed-in user: a code (``response_type=code``) or, for canGrant clients, an access token
    (``response_type=token``). Upstream authenticates the POST with an identity assertion minted
    from the session; here the session token itself (Bearer fxs_… or Hawk)."""

    authentication_classes = OptionalSessionView.authentication_classes
    body_serializer = serializers.ClientAuthorizationBody

    def get_permissions(self):
        return [TokenRequired() if self.request.method == "POST" else TokenOptional()]

    def get(self, request):
        if "keys_jwk" in request.GET:
            raise OAuthError.invalid_parameter(["keys_jwk"])
        return HttpResponseRedirect(f"{settings.PUBLIC_URL}/authorization?{request.GET.urlencode()}")

    def post(self, request):
        params = self.body()
        grantor = _rp_grantor(request, _keyed(params))
        if params.get("response_type") == "token":
            if not services.get_client(params["client_id"]).can_grant:
                raise OAuthError.invalid_response_type()
            return Response(grants.token_response(
                {**params, "grant_type": "fxa-credentials", "access_type": "online"},
                grantor=grantor).body, headers=NO_STORE)
        return Response(grants.authorization_response(grantor, params))


class KeyDataView(ClientView, SessionView):
    """POST /v1/key-data: scoped-key metadata (oauth.md §9), OAuth errnos; the session token
    stands for upstream's assertion."""

    authentication_classes = SessionView.authentication_classes
    body_serializer = serializers.ScopedKeyDataBody

    def post(self, request):
        params = self.body()
        grantor = _rp_grantor(request, keyed=True)
        return Response(services.scoped_key_data(grantor, params["client_id"], params["scope"]))


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
    base = settings.PUBLIC_URL
    return _cors_json({
        "auth_server_base_url": base,
        "oauth_server_base_url": base,
        "profile_server_base_url": base,
        "pairing_server_base_url": settings.OAUTH_PAIRING_SERVER_URL,
        "sync_tokenserver_base_url": settings.OAUTH_SYNC_TOKENSERVER_URL,
    })


def authorization_page(request):
    """/authorization (discovery's authorization_endpoint): checks what can be checked before
    anyone signs in, then hands the request to the sign-in page.

    An unknown client or an unregistered redirect_uri gets an error page (never a redirect to
    an address the client did not register); ``prompt=none`` errors go back to the client.
    """
    query = request.GET
    try:
        client = services.get_client(query.get("client_id", ""))
        redirect_uri = services.resolve_redirect(client, query.get("redirect_uri"))
    except OAuthError as error:
        return render(request, "oauth/error.html", {"message": error.message}, status=400)
    if query.get("prompt") == "none":
        error = services.prompt_none_error(client, query)
        params = {"error": error, "state": query.get("state", "")}
        return HttpResponseRedirect(services.with_query(redirect_uri, params))
    encoded = urlencode(list(query.lists()), doseq=True)
    return HttpResponseRedirect(f"{settings.PUBLIC_URL}/signin?{encoded}")
