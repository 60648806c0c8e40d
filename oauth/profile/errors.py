"""The profile server's errno space (oauth.md §10) and its DRF exception handler.

Its own numbers, distinct from the auth server's and the OAuth server's: views under
``oauth.profile`` raise ``ProfileError.<name>(...)`` and render with ``exception_handler``.
"""
import logging
from enum import IntEnum
from http import HTTPStatus

from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

logger = logging.getLogger("fxa.profile")

INFO_URL = "https://github.com/mozilla/fxa/blob/main/packages/fxa-profile-server/docs/API.md"


class ProfileErrno(IntEnum):
    UNAUTHORIZED = 100
    INVALID_PARAMETER = 101
    UNSUPPORTED_PROVIDER = 102
    IMAGE_PROCESSING_ERROR = 103
    OAUTH_SERVICE_UNAVAILABLE = 104
    AUTH_SERVICE_UNAVAILABLE = 105
    TOO_MANY_REQUESTS = 114
    REQUEST_BLOCKED = 125
    # Upstream answers framework failures (404, 413, 415, insufficient scope) with this default.
    UNEXPECTED = 999


def _phrase(code):
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Error"


class ProfileError(Exception):
    def __init__(self, code, errno, message, *, error=None, headers=None, **extra):
        self.code = code
        self.errno = ProfileErrno(errno)
        self.message = message
        self.error = error or _phrase(code)
        self.headers = headers or {}
        self.extra = extra
        super().__init__(f"{int(self.errno)}: {message}")

    def to_dict(self):
        return {"code": self.code, "errno": int(self.errno), "error": self.error,
                "message": self.message, "info": INFO_URL, **self.extra}

    # Named constructors.

    @classmethod
    def unauthorized(cls, reason, challenge='Bearer error="invalid_token"'):
        """A missing, unknown or expired token, or someone else's avatar."""
        return cls(403, ProfileErrno.UNAUTHORIZED, "Unauthorized",
                   headers={"WWW-Authenticate": challenge}, reason=reason)

    @classmethod
    def missing_token(cls):
        # RFC 6750 §3.1: no error code when the request carried no credentials.
        return cls.unauthorized("Bearer token not provided", challenge="Bearer")

    @classmethod
    def insufficient_scope(cls, scope):
        # Upstream's scope check is the framework's own 403, without a profile errno.
        return cls(403, ProfileErrno.UNEXPECTED, "Insufficient scope", headers={
            "WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'})

    @classmethod
    def invalid_parameter(cls, keys, source="payload"):
        return cls(400, ProfileErrno.INVALID_PARAMETER, "Invalid request parameter",
                   error="Bad Request", validation={"source": source, "keys": list(keys)})

    @classmethod
    def image_processing_error(cls):
        return cls(500, ProfileErrno.IMAGE_PROCESSING_ERROR, "Image processing error")

    @classmethod
    def payload_too_large(cls, limit):
        return cls(413, ProfileErrno.UNEXPECTED,
                   f"Payload content length greater than maximum allowed: {limit}")

    @classmethod
    def unsupported_media_type(cls):
        return cls(415, ProfileErrno.UNEXPECTED, "Unsupported Media Type")

    @classmethod
    def not_found(cls):
        return cls(404, ProfileErrno.UNEXPECTED, "Not Found")


def to_profile_error(exc):
    if isinstance(exc, ProfileError):
        return exc
    if isinstance(exc, drf_exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {}
        return ProfileError.invalid_parameter([k for k in detail if k != "non_field_errors"])
    if isinstance(exc, drf_exceptions.ParseError):
        return ProfileError.invalid_parameter([])
    if isinstance(exc, drf_exceptions.APIException):
        return ProfileError(exc.status_code, ProfileErrno.UNEXPECTED, str(exc.detail))
    logger.error("Unhandled error", exc_info=exc)
    return ProfileError(500, ProfileErrno.UNEXPECTED, "Unspecified error")


def exception_handler(exc, context):
    """DRF exception handler of the profile routes: profile-server errnos."""
    error = to_profile_error(exc)
    set_rollback()
    response = Response(error.to_dict(), status=error.code)
    for name, value in error.headers.items():
        response[name] = value
    return response
