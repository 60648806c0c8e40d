"""Who may call the subscription routes (reference subscriptions.md §4): an OAuth access token
carrying the subscriptions scope (optional on the previews a signed-out visitor may ask for),
our own pages' verified session token where a route also takes one, or, for GET
/oauth/subscriptions/clients, the shared secret of the event broker."""
import hmac

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from accounts.errors import AppError
from accounts.models import SessionToken
from accounts.services.assurance import check_verified_session
from oauth import scopes
from oauth.errors import OAuthError
from oauth.tokens import valid_access_token

SUBSCRIPTIONS_SCOPE = "https://identity.mozilla.com/account/subscriptions"


class AccessTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <access token>`` as ``(account, AccessToken)``; auth-server errnos."""

    def authenticate(self, request):
        scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return None
        try:
            token = valid_access_token(value.strip())
        except OAuthError:
            raise AppError.token_not_found() from None
        return (token.account, token)

    def authenticate_header(self, request):
        return "Bearer"


class AccessTokenScheme(OpenApiAuthenticationExtension):
    target_class = AccessTokenAuthentication
    name = "SubscriptionsAccessToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": f"An OAuth access token with the scope {SUBSCRIPTIONS_SCOPE}."}


def _check_caller(auth):
    """A session token stands for the account itself (§3.2: our own pages see everything), as
    upstream's verifiedSessionToken; an access token must carry the subscriptions scope."""
    if isinstance(auth, SessionToken):
        check_verified_session(auth)
    elif not scopes.set_implies(auth.scope.split(), SUBSCRIPTIONS_SCOPE):
        raise AppError.insufficient_scope()


class SubscriptionsScopeRequired(BasePermission):
    def has_permission(self, request, view):
        if request.auth is None:
            raise AppError.missing_authentication()
        _check_caller(request.auth)
        return True


class SubscriptionsScopeOptional(BasePermission):
    """Anonymous callers pass (upstream's auth mode "try"); a token sent must be valid and
    carry the scope, as on the routes that require one."""

    def has_permission(self, request, view):
        if request.auth is not None:
            _check_caller(request.auth)
        return True


class SharedSecretRequired(BasePermission):
    """§3.3: the Authorization header is the shared secret itself, compared in constant time;
    with no secret configured nobody passes."""

    def has_permission(self, request, view):
        secret = settings.SUBSCRIPTIONS_SHARED_SECRET
        given = request.META.get("HTTP_AUTHORIZATION", "")
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            raise AppError.token_not_found()
        return True
