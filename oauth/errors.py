"""The OAuth server's errno family (oauth.md §11), and its mapping to auth-server errnos on the
session-token ``/v1/oauth/*`` routes (upstream ``appErrorFromOauthError``).

Services raise ``OAuthError(OAuthErrno.X)`` or a named constructor. RP-facing views answer it as
is; the auth-server routes use ``auth_exception_handler``, which answers each errno as the
auth-server errno its table row names.
"""
import logging

from rest_framework import exceptions as drf_exceptions

from accounts.errors import PENDING, ApiError, AppError, Errno, ErrnoTable

INFO_URL = "https://github.com/mozilla/fxa-oauth-server/blob/master/docs/api.md#errors"
DISABLED_CLIENT_RETRY_AFTER = 30  # seconds


class OAuthErrno(ErrnoTable):
    """``NAME = errno, status, message[, error][, the auth-server errno on /v1/oauth/*]``.

    An errno without an auth-server errno is answered there as 999 with its own status and message.
    """

    UNKNOWN_CLIENT = 101, 400, "Unknown client", Errno.UNKNOWN_CLIENT_ID
    INCORRECT_SECRET = 102, 400, "Incorrect secret", Errno.INCORRECT_CLIENT_SECRET
    INCORRECT_REDIRECT = 103, 400, "Incorrect redirect_uri", Errno.INCORRECT_REDIRECT_URI
    INVALID_ASSERTION = 104, 401, "Invalid assertion", Errno.INVALID_TOKEN
    UNKNOWN_CODE = 105, 400, "Unknown code", Errno.UNKNOWN_AUTHORIZATION_CODE
    MISMATCH_CODE = 106, 400, "Incorrect code", Errno.MISMATCH_AUTHORIZATION_CODE
    EXPIRED_CODE = 107, 400, "Expired code", Errno.EXPIRED_AUTHORIZATION_CODE
    INVALID_TOKEN = 108, 400, "Invalid token", Errno.INVALID_TOKEN
    INVALID_PARAMETER = 109, 400, "Invalid request parameter", Errno.INVALID_PARAMETER
    INVALID_RESPONSE_TYPE = 110, 400, "Invalid response_type", Errno.INVALID_RESPONSE_TYPE
    UNAUTHORIZED = 111, 401, "Unauthorized for route"
    FORBIDDEN = 112, 403, "Forbidden", PENDING
    INVALID_CONTENT_TYPE = (
        113, 415,
        "Content-Type must be either application/json or application/x-www-form-urlencoded",
    )
    INVALID_SCOPES = (
        114, 400, "Requested scopes are not allowed", "Invalid scopes", Errno.INVALID_SCOPES
    )
    EXPIRED_TOKEN = 115, 400, "Expired token"
    NOT_PUBLIC_CLIENT = 116, 400, "Not a public client", Errno.NOT_PUBLIC_CLIENT
    MISMATCH_CODE_CHALLENGE = 117, 400, "Incorrect code_challenge", Errno.INVALID_PKCE_CHALLENGE
    MISSING_PKCE_PARAMETERS = (
        118, 400, "Public clients require PKCE OAuth parameters", Errno.MISSING_PKCE_PARAMETERS
    )
    STALE_AUTH_AT = 119, 401, "Stale authentication timestamp", Errno.STALE_AUTH_AT
    MISMATCH_ACR_VALUES = 120, 400, "Mismatch acr value", Errno.INSUFFICIENT_ACR_VALUES
    INVALID_GRANT_TYPE = 121, 400, "Invalid grant_type", Errno.INVALID_PARAMETER
    UNKNOWN_TOKEN = 122, 400, "Unknown token", Errno.REFRESH_TOKEN_UNKNOWN
    DISABLED_CLIENT = (
        202, 503, "This client has been temporarily disabled", "Client Disabled",
        Errno.DISABLED_CLIENT_ID,
    )
    UNEXPECTED = 999, 500, "Unspecified error"


# Members kept when answering on an auth-server route (upstream keeps these; the rest are OAuth's).
AUTH_EXTRA_KEYS = ("clientId", "redirectUri", "invalidScopes", "authAt", "foundValue", "retryAfter")


class OAuthError(ApiError):
    errnos = OAuthErrno
    info_url = INFO_URL
    logger = logging.getLogger("fxa.oauth")

    def to_app_error(self):
        """This error as the session-token /v1/oauth/* routes answer it (its row's auth errno)."""
        auth_errno = self.errno.answered_as
        if auth_errno is None:
            return AppError(Errno.UNEXPECTED_ERROR, code=self.code, message=self.message)
        extra = {key: self.extra[key] for key in AUTH_EXTRA_KEYS if key in self.extra}
        return AppError(auth_errno, headers=self.headers, **extra)

    @classmethod
    def translate(cls, exc):
        if isinstance(exc, AppError):
            if exc.code == 401:  # session-token authentication of the authorized-clients routes
                return cls.unauthorized(exc.message)
            # Raised by shared plumbing (e.g. the edge checks); keep its status, OAuth's 999 family.
            return cls(OAuthErrno.UNEXPECTED, code=exc.code, message=exc.message)
        if isinstance(exc, drf_exceptions.UnsupportedMediaType):
            return cls(OAuthErrno.INVALID_CONTENT_TYPE)
        return super().translate(exc)

    # Named constructors: the errors with members of their own.

    @classmethod
    def unknown_client(cls, client_id):
        return cls(OAuthErrno.UNKNOWN_CLIENT, clientId=client_id)

    @classmethod
    def incorrect_secret(cls, client_id):
        return cls(OAuthErrno.INCORRECT_SECRET, clientId=client_id)

    @classmethod
    def incorrect_redirect(cls, uri):
        return cls(OAuthErrno.INCORRECT_REDIRECT, redirectUri=uri)

    @classmethod
    def invalid_assertion(cls, detail=None):
        return cls(OAuthErrno.INVALID_ASSERTION, **({"detail": detail} if detail else {}))

    @classmethod
    def unknown_code(cls, code):
        return cls(OAuthErrno.UNKNOWN_CODE, requestCode=code)

    @classmethod
    def mismatch_code(cls, code, client_id):
        return cls(OAuthErrno.MISMATCH_CODE, requestCode=code, client=client_id)

    @classmethod
    def expired_code(cls, code, expired_at):
        return cls(OAuthErrno.EXPIRED_CODE, requestCode=code, expiredAt=expired_at)

    @classmethod
    def invalid_parameter(cls, keys):
        return cls(OAuthErrno.INVALID_PARAMETER, validation={"keys": list(keys)})

    @classmethod
    def unauthorized(cls, detail):
        return cls(OAuthErrno.UNAUTHORIZED, detail=detail)

    @classmethod
    def invalid_scopes(cls, scopes):
        return cls(OAuthErrno.INVALID_SCOPES, invalidScopes=sorted(scopes))

    @classmethod
    def expired_token(cls, expired_at):
        return cls(OAuthErrno.EXPIRED_TOKEN, expiredAt=expired_at)

    @classmethod
    def not_public_client(cls, client_id):
        return cls(OAuthErrno.NOT_PUBLIC_CLIENT, clientId=client_id)

    @classmethod
    def mismatch_code_challenge(cls, challenge):
        return cls(OAuthErrno.MISMATCH_CODE_CHALLENGE, requestCodeChallenge=challenge)

    @classmethod
    def stale_auth_at(cls, auth_at):
        return cls(OAuthErrno.STALE_AUTH_AT, authAt=auth_at)

    @classmethod
    def mismatch_acr(cls, found):
        return cls(OAuthErrno.MISMATCH_ACR_VALUES, foundValue=found)

    @classmethod
    def disabled_client(cls, client_id):
        retry_after = DISABLED_CLIENT_RETRY_AFTER
        return cls(OAuthErrno.DISABLED_CLIENT, headers={"Retry-After": str(retry_after)},
                   clientId=client_id, retryAfter=retry_after)


# Errors oauthlib's grant logic reports itself (FxA's own checks raise OAuthError directly).
OAUTHLIB_ERRNOS = {
    "unsupported_grant_type": OAuthErrno.INVALID_GRANT_TYPE,
    "invalid_scope": OAuthErrno.INVALID_SCOPES,
    "invalid_grant": OAuthErrno.INVALID_TOKEN,
    "invalid_client": OAuthErrno.UNKNOWN_CLIENT,
}


def from_oauthlib(error_code):
    """An oauthlib error code (RFC 6749 §5.2 ``error``) as an OAuth errno."""
    errno = OAUTHLIB_ERRNOS.get(error_code)
    if errno is None:
        return OAuthError.invalid_parameter([])
    if errno == OAuthErrno.INVALID_SCOPES:
        return OAuthError.invalid_scopes([])
    return OAuthError(errno)


oauth_exception_handler = OAuthError.exception_handler  # the RP-facing routes: OAuth errnos


def auth_exception_handler(exc, context):
    """DRF exception handler of the session-token /v1/oauth/* routes: auth-server errnos."""
    if isinstance(exc, OAuthError):
        exc = exc.to_app_error()
    return AppError.exception_handler(exc, context)
