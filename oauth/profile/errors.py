"""The profile server's errno family (oauth.md §10), distinct from the auth and OAuth servers'.

Views under ``oauth.profile`` raise ``ProfileError(ProfileErrno.X)`` or a named constructor and
answer with ``exception_handler``.
"""
import logging

from accounts.errors import PENDING, ApiError, ErrnoTable

INFO_URL = "https://github.com/mozilla/fxa/blob/main/packages/fxa-profile-server/docs/API.md"


class ProfileErrno(ErrnoTable):
    """``NAME = errno, status, message[, error]`` (upstream's fxa-profile-server lib/error.js)."""

    UNAUTHORIZED = 100, 403, "Unauthorized"
    INVALID_PARAMETER = 101, 400, "Invalid request parameter"
    UNSUPPORTED_PROVIDER = 102, 400, "Unsupported image provider", PENDING
    IMAGE_PROCESSING_ERROR = 103, 500, "Image processing error"
    OAUTH_SERVICE_UNAVAILABLE = 104, 503, "OAuth server error", PENDING
    AUTH_SERVICE_UNAVAILABLE = 105, 503, "Auth server error", PENDING
    TOO_MANY_REQUESTS = 114, 429, "Client has sent too many requests", PENDING
    REQUEST_BLOCKED = (
        125, 400, "The request was blocked for security reasons", "Request blocked", PENDING
    )
    # Upstream answers framework failures (404, 413, 415, insufficient scope) with this default.
    UNEXPECTED = 999, 500, "Unspecified error"


class ProfileError(ApiError):
    errnos = ProfileErrno
    info_url = INFO_URL
    logger = logging.getLogger("fxa.profile")

    # Named constructors: the errors with members, headers or a status of their own.

    @classmethod
    def unauthorized(cls, reason, challenge='Bearer error="invalid_token"'):
        """A missing, unknown or expired token, or someone else's avatar."""
        headers = {"WWW-Authenticate": challenge}
        return cls(ProfileErrno.UNAUTHORIZED, headers=headers, reason=reason)

    @classmethod
    def missing_token(cls):
        # RFC 6750 §3.1: no error code when the request carried no credentials.
        return cls.unauthorized("Bearer token not provided", challenge="Bearer")

    @classmethod
    def insufficient_scope(cls, scope):
        # Upstream's scope check is the framework's own 403, without a profile errno.
        challenge = f'Bearer error="insufficient_scope", scope="{scope}"'
        return cls(ProfileErrno.UNEXPECTED, code=403, message="Insufficient scope",
                   headers={"WWW-Authenticate": challenge})

    @classmethod
    def invalid_parameter(cls, keys, source="payload"):
        validation = {"source": source, "keys": list(keys)}
        return cls(ProfileErrno.INVALID_PARAMETER, validation=validation)

    @classmethod
    def payload_too_large(cls, limit):
        message = f"Payload content length greater than maximum allowed: {limit}"
        return cls(ProfileErrno.UNEXPECTED, code=413, message=message)

    @classmethod
    def unsupported_media_type(cls):
        return cls(ProfileErrno.UNEXPECTED, code=415, message="Unsupported Media Type")

    @classmethod
    def not_found(cls):
        return cls(ProfileErrno.UNEXPECTED, code=404, message="Not Found")


exception_handler = ProfileError.exception_handler
