"""``Authorization: Bearer <access token>`` on the profile routes, or the session token of our own
settings pages (``Bearer fxs_<tokenId>``)."""
from dataclasses import dataclass

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication

from accounts.authentication import SessionTokenAuthentication
from accounts.errors import AppError
from accounts.models import Account
from accounts.services.assurance import check_verified_session

from ..errors import OAuthError
from ..tokens import valid_access_token
from .errors import ProfileError

SESSION_PREFIX = "fxs_"


@dataclass(frozen=True)
class SessionGrant:
    """What a session token may do here: its own account's whole profile, as the access token of
    upstream's settings client (fxa-credentials, ``profile:write``) may. A session already holds
    more than that (it changes the password), so this widens nothing."""

    account: Account
    scope: str = "profile:write"
    application = None  # not a client: no openid ``sub``


class AccessTokenAuthentication(BaseAuthentication):
    """Authenticates as ``(account, access token)``; any failure is the profile server's 100."""

    def authenticate(self, request):
        scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise ProfileError.missing_token()
        if value.startswith(SESSION_PREFIX):
            return self.authenticate_session(request)
        try:
            token = valid_access_token(value.strip())
        except OAuthError as error:
            raise ProfileError.unauthorized(error.message) from None
        return (token.account, token)

    def authenticate_session(self, request):
        """A verified session that meets the account's assurance level, as the settings need."""
        try:
            found = SessionTokenAuthentication().authenticate(request)
            if found is None:
                raise AppError.token_not_found()
            check_verified_session(found[1])
        except AppError as error:
            raise ProfileError.unauthorized(error.message) from None
        return (found[0], SessionGrant(found[0]))

    def authenticate_header(self, request):
        return "Bearer"


class AccessTokenScheme(OpenApiAuthenticationExtension):
    target_class = AccessTokenAuthentication
    name = "AccessToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "An OAuth access token; each route names the scope it needs. Our "
                               "own settings pages send their session token (fxs_<tokenId>)."}
