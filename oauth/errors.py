"""The OAuth-server errno table (oauth.md §11) and its renderer, plus the mapping to auth-server
errnos used by the session-token ``/v1/oauth/*`` routes (upstream ``appErrorFromOauthError``).

Services raise ``OAuthError.<name>(...)``. RP-facing views render it as is; the auth-server routes
use ``auth_exception_handler``, which re-maps it to an ``accounts.errors.AppError``.
"""
import logging
from enum import IntEnum

from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from accounts.errors import AppError, Errno, _reason_phrase
from accounts.errors import exception_handler as auth_server_exception_handler

logger = logging.getLogger("fxa.oauth")

INFO_URL = "https://github.com/mozilla/fxa-oauth-server/blob/master/docs/api.md#errors"
DISABLED_CLIENT_RETRY_AFTER = 30  # seconds


class OAuthErrno(IntEnum):
    UNKNOWN_CLIENT = 101
    INCORRECT_SECRET = 102
    INCORRECT_REDIRECT = 103
    INVALID_ASSERTION = 104
    UNKNOWN_CODE = 105
    MISMATCH_CODE = 106
    EXPIRED_CODE = 107
    INVALID_TOKEN = 108
    INVALID_PARAMETER = 109
    INVALID_RESPONSE_TYPE = 110
    UNAUTHORIZED = 111
    FORBIDDEN = 112
    INVALID_CONTENT_TYPE = 113
    INVALID_SCOPES = 114
    EXPIRED_TOKEN = 115
    NOT_PUBLIC_CLIENT = 116
    MISMATCH_CODE_CHALLENGE = 117
    MISSING_PKCE_PARAMETERS = 118
    STALE_AUTH_AT = 119
    MISMATCH_ACR_VALUES = 120
    INVALID_GRANT_TYPE = 121
    UNKNOWN_TOKEN = 122
    DISABLED_CLIENT = 202
    UNEXPECTED = 999


O = OAuthErrno

ERROR_TABLE = {
    O.UNKNOWN_CLIENT: (400, "Unknown client"),
    O.INCORRECT_SECRET: (400, "Incorrect secret"),
    O.INCORRECT_REDIRECT: (400, "Incorrect redirect_uri"),
    O.INVALID_ASSERTION: (401, "Invalid assertion"),
    O.UNKNOWN_CODE: (400, "Unknown code"),
    O.MISMATCH_CODE: (400, "Incorrect code"),
    O.EXPIRED_CODE: (400, "Expired code"),
    O.INVALID_TOKEN: (400, "Invalid token"),
    O.INVALID_PARAMETER: (400, "Invalid request parameter"),
    O.INVALID_RESPONSE_TYPE: (400, "Invalid response_type"),
    O.UNAUTHORIZED: (401, "Unauthorized for route"),
    O.FORBIDDEN: (403, "Forbidden"),
    O.INVALID_CONTENT_TYPE: (
        415, "Content-Type must be either application/json or application/x-www-form-urlencoded"
    ),
    O.INVALID_SCOPES: (400, "Requested scopes are not allowed"),
    O.EXPIRED_TOKEN: (400, "Expired token"),
    O.NOT_PUBLIC_CLIENT: (400, "Not a public client"),
    O.MISMATCH_CODE_CHALLENGE: (400, "Incorrect code_challenge"),
    O.MISSING_PKCE_PARAMETERS: (400, "Public clients require PKCE OAuth parameters"),
    O.STALE_AUTH_AT: (401, "Stale authentication timestamp"),
    O.MISMATCH_ACR_VALUES: (400, "Mismatch acr value"),
    O.INVALID_GRANT_TYPE: (400, "Invalid grant_type"),
    O.UNKNOWN_TOKEN: (400, "Unknown token"),
    O.DISABLED_CLIENT: (503, "This client has been temporarily disabled"),
    O.UNEXPECTED: (500, "Unspecified error"),
}
ERROR_NAMES = {O.INVALID_SCOPES: "Invalid scopes", O.DISABLED_CLIENT: "Client Disabled"}

# OAuth errno -> auth-server errno on the /v1/oauth/* routes (oauth.md §11).
AUTH_ERRNOS = {
    O.UNKNOWN_CLIENT: Errno.UNKNOWN_CLIENT_ID,
    O.INCORRECT_SECRET: Errno.INCORRECT_CLIENT_SECRET,
    O.INCORRECT_REDIRECT: Errno.INCORRECT_REDIRECT_URI,
    O.INVALID_ASSERTION: Errno.INVALID_TOKEN,
    O.UNKNOWN_CODE: Errno.UNKNOWN_AUTHORIZATION_CODE,
    O.MISMATCH_CODE: Errno.MISMATCH_AUTHORIZATION_CODE,
    O.EXPIRED_CODE: Errno.EXPIRED_AUTHORIZATION_CODE,
    O.INVALID_TOKEN: Errno.INVALID_TOKEN,
    O.INVALID_PARAMETER: Errno.INVALID_PARAMETER,
    O.INVALID_RESPONSE_TYPE: Errno.INVALID_RESPONSE_TYPE,
    O.INVALID_SCOPES: Errno.INVALID_SCOPES,
    O.NOT_PUBLIC_CLIENT: Errno.NOT_PUBLIC_CLIENT,
    O.MISMATCH_CODE_CHALLENGE: Errno.INVALID_PKCE_CHALLENGE,
    O.MISSING_PKCE_PARAMETERS: Errno.MISSING_PKCE_PARAMETERS,
    O.STALE_AUTH_AT: Errno.STALE_AUTH_AT,
    O.MISMATCH_ACR_VALUES: Errno.INSUFFICIENT_ACR_VALUES,
    O.INVALID_GRANT_TYPE: Errno.INVALID_PARAMETER,
    O.UNKNOWN_TOKEN: Errno.REFRESH_TOKEN_UNKNOWN,
    O.DISABLED_CLIENT: Errno.DISABLED_CLIENT_ID,
}
# Extra payload keys kept when re-mapping (upstream keeps these; the rest are OAuth-specific).
AUTH_EXTRA_KEYS = ("clientId", "redirectUri", "invalidScopes", "authAt", "foundValue", "retryAfter")


class OAuthError(Exception):
    def __init__(self, errno, message=None, **extra):
        self.errno = OAuthErrno(errno)
        self.code, default_message = ERROR_TABLE[self.errno]
        self.message = message or default_message
        self.extra = extra
        super().__init__(f"{int(self.errno)}: {self.message}")

    def to_dict(self):
        body = {
            "code": self.code,
            "errno": int(self.errno),
            "error": ERROR_NAMES.get(self.errno, _reason_phrase(self.code)),
            "message": self.message,
            "info": INFO_URL,
        }
        body.update(self.extra)
        return body

    def to_app_error(self):
        auth_errno = AUTH_ERRNOS.get(self.errno)
        if auth_errno is None:
            return AppError(Errno.UNEXPECTED_ERROR, code=self.code, message=self.message)
        extra = {key: self.extra[key] for key in AUTH_EXTRA_KEYS if key in self.extra}
        error = AppError(auth_errno, **extra)
        error.headers.update(self.headers())
        return error

    # Named constructors.

    @classmethod
    def unknown_client(cls, client_id):
        return cls(O.UNKNOWN_CLIENT, clientId=client_id)

    @classmethod
    def incorrect_secret(cls, client_id):
        return cls(O.INCORRECT_SECRET, clientId=client_id)

    @classmethod
    def incorrect_redirect(cls, uri):
        return cls(O.INCORRECT_REDIRECT, redirectUri=uri)

    @classmethod
    def invalid_assertion(cls, detail=None):
        return cls(O.INVALID_ASSERTION, **({"detail": detail} if detail else {}))

    @classmethod
    def unknown_code(cls, code):
        return cls(O.UNKNOWN_CODE, requestCode=code)

    @classmethod
    def mismatch_code(cls, code, client_id):
        return cls(O.MISMATCH_CODE, requestCode=code, client=client_id)

    @classmethod
    def expired_code(cls, code, expired_at):
        return cls(O.EXPIRED_CODE, requestCode=code, expiredAt=expired_at)

    @classmethod
    def invalid_token(cls):
        return cls(O.INVALID_TOKEN)

    @classmethod
    def invalid_parameter(cls, keys):
        return cls(O.INVALID_PARAMETER, validation={"keys": list(keys)})

    @classmethod
    def invalid_response_type(cls):
        return cls(O.INVALID_RESPONSE_TYPE)

    @classmethod
    def unauthorized(cls, detail):
        return cls(O.UNAUTHORIZED, detail=detail)

    @classmethod
    def invalid_scopes(cls, scopes):
        return cls(O.INVALID_SCOPES, invalidScopes=sorted(scopes))

    @classmethod
    def expired_token(cls, expired_at):
        return cls(O.EXPIRED_TOKEN, expiredAt=expired_at)

    @classmethod
    def not_public_client(cls, client_id):
        return cls(O.NOT_PUBLIC_CLIENT, clientId=client_id)

    @classmethod
    def mismatch_code_challenge(cls, challenge):
        return cls(O.MISMATCH_CODE_CHALLENGE, requestCodeChallenge=challenge)

    @classmethod
    def missing_pkce(cls):
        return cls(O.MISSING_PKCE_PARAMETERS)

    @classmethod
    def stale_auth_at(cls, auth_at):
        return cls(O.STALE_AUTH_AT, authAt=auth_at)

    @classmethod
    def mismatch_acr(cls, found):
        return cls(O.MISMATCH_ACR_VALUES, foundValue=found)

    @classmethod
    def invalid_grant_type(cls):
        return cls(O.INVALID_GRANT_TYPE)

    @classmethod
    def unknown_token(cls):
        return cls(O.UNKNOWN_TOKEN)

    @classmethod
    def disabled_client(cls, client_id):
        return cls(O.DISABLED_CLIENT, clientId=client_id, retryAfter=DISABLED_CLIENT_RETRY_AFTER)

    def headers(self):
        retry_after = self.extra.get("retryAfter")
        return {"Retry-After": str(retry_after)} if retry_after is not None else {}


# Errors oauthlib's grant logic reports itself (FxA's own checks raise OAuthError directly).
OAUTHLIB_ERRNOS = {
    "unsupported_grant_type": O.INVALID_GRANT_TYPE,
    "invalid_scope": O.INVALID_SCOPES,
    "invalid_grant": O.INVALID_TOKEN,
    "invalid_client": O.UNKNOWN_CLIENT,
}


def from_oauthlib(error_code):
    """An oauthlib error code (RFC 6749 §5.2 ``error``) as an OAuth errno."""
    errno = OAUTHLIB_ERRNOS.get(error_code)
    if errno is None:
        return OAuthError.invalid_parameter([])
    if errno == O.INVALID_SCOPES:
        return OAuthError.invalid_scopes([])
    return OAuthError(errno)


def to_oauth_error(exc):
    if isinstance(exc, OAuthError):
        return exc
    if isinstance(exc, AppError):
        if exc.code == 401:  # session-token authentication of the authorized-clients routes
            return OAuthError.unauthorized(exc.message)
        # Raised by shared plumbing (e.g. the edge checks); keep its status, OAuth's 999 family.
        error = OAuthError(O.UNEXPECTED, message=exc.message)
        error.code = exc.code
        return error
    if isinstance(exc, drf_exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {}
        return OAuthError.invalid_parameter([k for k in detail if k != "non_field_errors"])
    if isinstance(exc, drf_exceptions.ParseError):
        return OAuthError.invalid_parameter([])
    if isinstance(exc, drf_exceptions.UnsupportedMediaType):
        return OAuthError(O.INVALID_CONTENT_TYPE)
    if isinstance(exc, drf_exceptions.APIException):
        error = OAuthError(O.UNEXPECTED, message=str(exc.detail))
        error.code = exc.status_code
        return error
    logger.error("Unhandled error", exc_info=exc)
    return OAuthError(O.UNEXPECTED)


def oauth_exception_handler(exc, context):
    """DRF exception handler of the RP-facing routes: OAuth errnos."""
    error = to_oauth_error(exc)
    set_rollback()
    return Response(error.to_dict(), status=error.code, headers=error.headers())


def auth_exception_handler(exc, context):
    """DRF exception handler of the session-token /v1/oauth/* routes: auth-server errnos."""
    if isinstance(exc, OAuthError):
        exc = exc.to_app_error()
    return auth_server_exception_handler(exc, context)
