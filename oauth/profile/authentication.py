"""``Authorization: Bearer <access token>`` on the profile routes."""
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication

from ..errors import OAuthError
from ..tokens import valid_access_token
from .errors import ProfileError


class AccessTokenAuthentication(BaseAuthentication):
    """Authenticates as ``(account, access token)``; any failure is the profile server's 100."""

    def authenticate(self, request):
        scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise ProfileError.missing_token()
        try:
            token = valid_access_token(value.strip())
        except OAuthError as error:
            raise ProfileError.unauthorized(error.message) from None
        return (token.account, token)

    def authenticate_header(self, request):
        return "Bearer"


class AccessTokenScheme(OpenApiAuthenticationExtension):
    target_class = AccessTokenAuthentication
    name = "AccessToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "An OAuth access token; each route names the scope it needs."}
