"""Request authentication of the two-step routes: the ``/mfa/*`` step-up JWT (upstream's ``mfa``
strategy) and upstream's ``verifiedSessionToken`` checks as DRF permissions."""
import jwt
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from accounts.authentication import SessionTokenAuthentication
from accounts.errors import AppError
from accounts.models import SessionToken
from accounts.services.assurance import check_verified_session

from . import mfa


class MfaTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <step-up JWT>``: the sessionToken the JWT is bound to (``stid``).

    The session must still exist, belong to the JWT's ``sub`` and not have expired; its
    ``mfa_scope`` is set to the JWT's scopes for ``MfaScopeRequired``.
    """

    def authenticate(self, request):
        scheme, _, token = request._request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme != "Bearer" or not token:
            return None
        try:
            claims = mfa.decode_token(token.strip())
        except jwt.InvalidTokenError:
            raise AppError.invalid_mfa_token() from None
        session = SessionToken.objects.select_related("account").filter(pk=claims["stid"]).first()
        if session is None:
            raise AppError.invalid_mfa_token("Token not found")
        if session.account_id != claims["sub"]:
            raise AppError.invalid_mfa_token()
        SessionTokenAuthentication().accept(session)  # expiry and last access, as for the session
        session.mfa_scope = claims["scope"]
        return (session.account, session)

    def authenticate_header(self, request):
        return "Bearer"


class MfaScopeRequired(BasePermission):
    """A step-up JWT whose session passes the verified-session checks and whose scope names the
    view's ``mfa_action`` (else 403, as hapi's scope check)."""

    def has_permission(self, request, view):
        session = request.auth
        if session is None or not hasattr(session, "mfa_scope"):
            raise AppError.token_not_found()
        check_verified_session(session)
        if mfa.scope_for(view.mfa_action) not in session.mfa_scope:
            raise AppError.insufficient_scope()
        return True



class MfaTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.twofactor.authentication.MfaTokenAuthentication"
    name = "MfaToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "The step-up token (`accessToken`) of POST /v1/mfa/otp/verify, scoped "
            "`mfa:<action>`.",
        }
