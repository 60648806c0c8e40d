"""The error layer of every API: one exception base, one errno table per family, one handler.

Three errno families answer upstream's body ``{code, errno, error, message, info, ...extra}``: the
auth server's (/v1, here), the OAuth server's (``oauth.errors``) and the profile server's
(``oauth.profile.errors``). Each family is an ``ErrnoTable`` whose members declare errno, HTTP
status and message once, and an ``ApiError`` subclass that raises them.

Code raises ``AppError(Errno.X, **members)``. A named constructor
(``AppError.unknown_account(email)``) exists only where an error carries members, headers, or a
status or message of its own. Statuses and messages come from the API document's "Defined errors"
table (auth-api-responses.md §18 for the newer ones).
"""
import logging
import time
from enum import IntEnum
from http import HTTPStatus

from django.http import Http404, JsonResponse
from django.utils.translation import gettext, ngettext
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

INFO_URL = "https://mozilla.github.io/ecosystem-platform/api#section/Response-format"
UNEXPECTED = 999  # every family's "Unspecified error", and the errno of framework failures


class _Pending:
    def __repr__(self):
        return "PENDING"


# Marks an errno that no code here raises yet: upstream's, for a feature this server lacks
# (subscriptions, IAP, recovery phone, third-party sign-in…) or an upstream-internal condition.
# tests/foundation/test_errno_tables.py keeps the mark true.
PENDING = _Pending()


class ErrnoTable(IntEnum):
    """An errno family, declared once: ``NAME = errno, HTTP status, message[, marks]``.

    Marks: a string is the body's ``error`` (else the status's reason phrase); ``PENDING`` (above);
    a member of another family is the errno this one is answered as on that family's routes.
    """

    def __new__(cls, errno, status, message, *marks):
        member = int.__new__(cls, errno)
        member._value_ = errno
        member.status = status
        member.message = message
        member.phrase = next((mark for mark in marks if isinstance(mark, str)), None)
        member.answered_as = next((mark for mark in marks if isinstance(mark, ErrnoTable)), None)
        member.pending = PENDING in marks
        return member


class ApiError(Exception):
    """An error of one errno family; subclasses name the family's table, ``info`` and logger.

    ``code`` and ``message`` default to the table's; ``headers`` go on the response; any other
    keyword is a member of the body.
    """

    errnos: type[ErrnoTable]
    info_url: str
    logger: logging.Logger

    def __init__(self, errno, *, code=None, message=None, headers=None, **extra):
        self.errno = self.errnos(errno)
        self.code = code or self.errno.status
        self.message = message or self.errno.message
        self.headers = dict(headers or {})
        self.extra = extra
        super().__init__(f"{int(self.errno)}: {self.message}")

    def to_dict(self):
        return {
            "code": self.code,
            "errno": int(self.errno),
            "error": self.errno.phrase or reason_phrase(self.code),
            "message": self.message,
            "info": self.info_url,
            **self.extra,
        }

    @classmethod
    def translate(cls, exc):
        """The family's reading of a framework exception, or None (then: 999, logged if unknown).

        By default a body that does not validate, or cannot be parsed, is ``invalid_parameter``.
        """
        if isinstance(exc, drf_exceptions.ValidationError):
            return cls.invalid_parameter(invalid_keys(exc.detail))
        if isinstance(exc, drf_exceptions.ParseError):
            return cls.invalid_parameter([])
        return None

    @classmethod
    def from_exception(cls, exc):
        """Any exception raised while answering the family's routes, as one of its errors."""
        if isinstance(exc, cls):
            return exc
        error = cls.translate(exc)
        if error is not None:
            return error
        if isinstance(exc, drf_exceptions.APIException):
            return cls(UNEXPECTED, code=exc.status_code, message=str(exc.detail))
        cls.logger.error("Unhandled error", exc_info=exc)
        return cls(UNEXPECTED)

    @classmethod
    def exception_handler(cls, exc, context):
        """DRF exception handler of the family's routes: every error leaves in upstream's body."""
        error = cls.from_exception(exc)
        set_rollback()
        return error.tag(Response(error.to_dict(), status=error.code, headers=error.headers))

    def tag(self, response):
        """``response``, marked with its errno for the request log and the metrics (monitoring)."""
        response.errno = int(self.errno)
        return response


def invalid_keys(detail):
    """The fields a DRF ValidationError names (none for a non-field error)."""
    if not isinstance(detail, dict):
        return []
    return [field for field in detail if field != "non_field_errors"]


# Upstream's "error" strings where they differ from (some versions of) Python's phrases.
REASON_PHRASES = {413: "Request Entity Too Large", 422: "Unprocessable Entity"}


def reason_phrase(code):
    if code in REASON_PHRASES:
        return REASON_PHRASES[code]
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Error"


class Errno(ErrnoTable):
    """The auth server's errnos, under upstream's names (fxa-auth-server ``ERRNO``)."""

    SERVER_CONFIG_ERROR = 100, 400, "Incorrect Database Patch Level", PENDING
    ACCOUNT_EXISTS = 101, 400, "Account already exists"
    ACCOUNT_UNKNOWN = 102, 400, "Unknown account"
    INCORRECT_PASSWORD = 103, 400, "Incorrect password"
    ACCOUNT_UNVERIFIED = 104, 400, "Unconfirmed account"
    # A passwordForgotToken's wrong code adds the ``tries`` left and its ``ttl``.
    INVALID_VERIFICATION_CODE = 105, 400, "Invalid confirmation code"
    INVALID_JSON = 106, 400, "Invalid JSON in request body"
    INVALID_PARAMETER = 107, 400, "Invalid parameter in request body"
    MISSING_PARAMETER = 108, 400, "Missing parameter in request body"
    INVALID_REQUEST_SIGNATURE = 109, 401, "Invalid request signature"
    INVALID_TOKEN = 110, 401, "Invalid authentication token in request signature"
    INVALID_TIMESTAMP = 111, 401, "Invalid timestamp in request signature"
    MISSING_CONTENT_LENGTH_HEADER = 112, 411, "Missing content-length header"
    REQUEST_TOO_LARGE = 113, 413, "Request body too large"
    THROTTLED = 114, 429, "Client has sent too many requests"
    INVALID_NONCE = 115, 401, "Invalid nonce in request signature"
    ENDPOINT_NOT_SUPPORTED = 116, 410, "This endpoint is no longer supported", PENDING
    INCORRECT_EMAIL_CASE = 120, 400, "Incorrect email case"
    DEVICE_UNKNOWN = 123, 400, "Unknown device"
    DEVICE_CONFLICT = 124, 400, "Session already registered by another device"
    REQUEST_BLOCKED = 125, 400, "The request was blocked for security reasons", "Request blocked"
    ACCOUNT_RESET = 126, 400, "Account must be reset"
    INVALID_UNBLOCK_CODE = 127, 400, "Invalid unblock code"
    INVALID_PHONE_NUMBER = 129, 400, "Invalid phone number", PENDING
    INVALID_REGION = 130, 400, "Invalid region", PENDING
    INVALID_MESSAGE_ID = 131, 400, "Invalid message id", PENDING
    MESSAGE_REJECTED = 132, 500, "Message rejected", PENDING
    BOUNCE_COMPLAINT = 133, 400, "Email account sent complaint"
    BOUNCE_HARD = 134, 400, "Email account hard bounced"
    BOUNCE_SOFT = 135, 400, "Email account soft bounced"
    EMAIL_EXISTS = 136, 400, "Email already exists"
    EMAIL_DELETE_PRIMARY = 137, 400, "Can not delete primary email"
    SESSION_UNVERIFIED = 138, 400, "Unverified session"
    USER_PRIMARY_EMAIL_EXISTS = 139, 400, "Can not add secondary email that is same as your primary"
    VERIFIED_PRIMARY_EMAIL_EXISTS = 140, 400, "Email already exists"
    UNVERIFIED_PRIMARY_EMAIL_NEWLY_CREATED = 141, 400, "Email already exists"
    LOGIN_WITH_SECONDARY_EMAIL = 142, 400, "Sign in with this email type is not currently supported"
    SECONDARY_EMAIL_UNKNOWN = 143, 400, "Unknown email"
    VERIFIED_SECONDARY_EMAIL_EXISTS = 144, 400, "Email already exists"
    RESET_PASSWORD_WITH_SECONDARY_EMAIL = (
        145, 400, "Reset password with this email type is not currently supported"
    )
    INVALID_SIGNIN_CODE = 146, 400, "Invalid signin code", PENDING
    CHANGE_EMAIL_TO_UNVERIFIED_EMAIL = (
        147, 400, "Can not change primary email to an unverified email"
    )
    CHANGE_EMAIL_TO_UNOWNED_EMAIL = (
        148, 400, "Can not change primary email to an email that does not belong to this account"
    )
    LOGIN_WITH_INVALID_EMAIL = 149, 400, "This email can not currently be used to login"
    RESEND_EMAIL_CODE_TO_UNOWNED_EMAIL = (
        150, 400, "Can not resend email code to an email that does not belong to this account"
    )
    # 500 when the message could not be queued; upstream answers 422 (``code=422``) for some causes.
    FAILED_TO_SEND_EMAIL = 151, 500, "Failed to send email", PENDING  # mail waits in the outbox instead
    INVALID_TOKEN_VERIFICATION_CODE = 152, 400, "Invalid token confirmation code"
    EXPIRED_TOKEN_VERIFICATION_CODE = 153, 400, "Expired token confirmation code", PENDING
    TOTP_TOKEN_EXISTS = 154, 400, "TOTP token already exists for this account."
    TOTP_TOKEN_NOT_FOUND = 155, 400, "TOTP token not found."
    RECOVERY_CODE_NOT_FOUND = 156, 400, "Backup authentication code not found."
    DEVICE_COMMAND_UNAVAILABLE = 157, 400, "Unavailable device command."
    RECOVERY_KEY_NOT_FOUND = 158, 400, "Account recovery key not found."
    RECOVERY_KEY_INVALID = 159, 400, "Account recovery key is not valid."
    TOTP_REQUIRED = (
        160, 400, "This request requires two step authentication enabled on your account."
    )
    RECOVERY_KEY_EXISTS = 161, 400, "Account recovery key already exists."
    UNKNOWN_CLIENT_ID = 162, 400, "Unknown client_id"
    INVALID_SCOPES = 163, 400, "Requested scopes are not allowed"
    STALE_AUTH_AT = 164, 400, "Stale auth timestamp"
    REDIS_CONFLICT = 165, 409, "Redis WATCH detected a conflicting update", PENDING
    NOT_PUBLIC_CLIENT = 166, 400, "Not a public client"
    INCORRECT_REDIRECT_URI = 167, 400, "Incorrect redirect URI"
    INVALID_RESPONSE_TYPE = 168, 400, "Invalid response_type"
    MISSING_PKCE_PARAMETERS = 169, 400, "Public clients require PKCE OAuth parameters"
    INSUFFICIENT_ACR_VALUES = (
        170, 400, "Required Authentication Context Reference values could not be satisfied"
    )
    INCORRECT_CLIENT_SECRET = 171, 400, "Incorrect client_secret"
    UNKNOWN_AUTHORIZATION_CODE = 172, 400, "Unknown authorization code"
    MISMATCH_AUTHORIZATION_CODE = 173, 400, "Mismatched authorization code"
    EXPIRED_AUTHORIZATION_CODE = 174, 400, "Expired authorization code"
    INVALID_PKCE_CHALLENGE = 175, 400, "Public clients require PKCE OAuth parameters"
    UNKNOWN_SUBSCRIPTION_CUSTOMER = 176, 404, "Unknown customer"
    UNKNOWN_SUBSCRIPTION = 177, 404, "Unknown subscription"
    UNKNOWN_SUBSCRIPTION_PLAN = 178, 400, "Unknown subscription plan"
    REJECTED_SUBSCRIPTION_PAYMENT_TOKEN = 179, 400, "Subscription payment token rejected"
    SUBSCRIPTION_ALREADY_CANCELLED = 180, 400, "Subscription has already been cancelled"
    REJECTED_CUSTOMER_UPDATE = 181, 400, "Customer update rejected"
    REFRESH_TOKEN_UNKNOWN = 182, 400, "Unknown refresh token"
    INVALID_EXPIRED_OTP_CODE = 183, 400, "Invalid or expired confirmation code"
    SUBSCRIPTION_ALREADY_CHANGED = 184, 400, "Subscription has already been cancelled", PENDING
    INVALID_PLAN_UPDATE = 185, 400, "Subscription plan is not a valid update"
    PAYMENT_FAILED = 186, 400, "Payment method failed", PENDING
    SUBSCRIPTION_ALREADY_EXISTS = 187, 409, "User already subscribed"
    UNKNOWN_SUBSCRIPTION_FOR_SOURCE = (
        188, 500, "Failed to find a subscription associated with Stripe source"
    )
    # Upstream reuses 188; its 400 and message are AppError.max_secondary_emails_reached's.
    MAX_SECONDARY_EMAILS_REACHED = UNKNOWN_SUBSCRIPTION_FOR_SOURCE
    ACCOUNT_OWNS_EMAIL = 189, 400, "This email already belongs to your account"
    BILLING_AGREEMENT_EXISTS = (
        192, 400, "Billing agreement already on file for this customer", PENDING
    )
    MISSING_PAYPAL_PAYMENT_TOKEN = 193, 400, "PayPal payment token is missing", PENDING
    MISSING_PAYPAL_BILLING_AGREEMENT = (
        194, 400, "PayPal billing agreement is missing for the existing subscriber", PENDING
    )
    UNVERIFIED_PRIMARY_EMAIL_HAS_ACTIVE_SUBSCRIPTION = (
        195, 400, "Account for this email has an active subscription", PENDING
    )
    IAP_INVALID_TOKEN = 196, 400, "Invalid token", PENDING
    IAP_INTERNAL_OTHER = 197, 500, "IAP Internal Error", PENDING
    IAP_UNKNOWN_APPNAME = 198, 404, "Unknown app name", PENDING
    INVALID_PROMOTION_CODE = 199, 400, "Invalid promotion code"
    SERVER_BUSY = 201, 503, "Service unavailable"
    FEATURE_NOT_ENABLED = 202, 503, "Feature not enabled"
    BACKEND_SERVICE_FAILURE = 203, 500, "A backend service request failed."
    DISABLED_CLIENT_ID = 204, 503, "This client has been temporarily disabled"
    THIRD_PARTY_ACCOUNT_ERROR = (
        205, 500, "Could not login with third party account, please try again later", PENDING
    )
    CANNOT_CREATE_PASSWORD = 206, 400, "Can not create password, password already set."
    ACCOUNT_CREATION_REJECTED = 207, 400, "Account creation rejected.", PENDING
    IAP_PURCHASE_ALREADY_REGISTERED = (
        208, 403, "Purchase has been registered to another user.", PENDING
    )
    INVALID_INVOICE_PREVIEW_REQUEST = 209, 400, "Invalid invoice preview request"
    UNABLE_TO_LOGIN_NO_PASSWORD_SET = (
        210, 400, "Complete account setup, please reset password to continue"
    )
    INVALID_CURRENCY = 211, 400, "Invalid currency"
    SUBSCRIPTION_PROMO_CODE_NOT_APPLIED = 212, 400, "Promotion code could not be applied"
    UNSUPPORTED_LOCATION = (
        213, 400, "Location is not supported according to our Terms of Service."
    )
    RECOVERY_PHONE_NUMBER_ALREADY_EXISTS = 214, 400, "Recovery phone number already exists", PENDING
    RECOVERY_PHONE_NUMBER_DOES_NOT_EXIST = 215, 400, "Recovery phone number does not exist", PENDING
    SMS_SEND_RATE_LIMIT_EXCEEDED = 216, 429, "Text message limit reached", PENDING
    INVALID_CLOUDTASK_EMAILTYPE = 217, 400, "Invalid email type", PENDING
    RECOVERY_PHONE_REMOVE_MISSING_RECOVERY_CODES = (
        218, 400, "Unable to remove recovery phone, missing backup authentication codes.", PENDING
    )
    RECOVERY_PHONE_REGISTRATION_LIMIT_REACHED = (
        219, 400, "Limit reached for number of accounts", PENDING
    )
    TOTP_SECRET_DOES_NOT_EXIST = 220, 400, "TOTP secret does not exist", PENDING
    RECOVERY_CODES_ALREADY_EXISTS = 221, 400, "Backup authentication codes already exist", PENDING
    INSUFFICIENT_AAL = 222, 403, "Insufficient authentication assurance level", PENDING
    INVALID_MFA_TOKEN = 223, 401, "Invalid or expired MFA token", PENDING
    INTERNAL_VALIDATION_ERROR = 998, 500, "An internal validation check failed.", PENDING
    UNEXPECTED_ERROR = 999, 500, "Unspecified error"


class AppError(ApiError):
    """An error answered to a /v1 client."""

    errnos = Errno
    info_url = INFO_URL
    logger = logging.getLogger("fxa.errors")

    @classmethod
    def translate(cls, exc):
        if isinstance(exc, drf_exceptions.ValidationError):
            return from_validation_errors(exc.detail, getattr(exc, "source", "payload"))
        if isinstance(exc, drf_exceptions.ParseError):
            return cls(Errno.INVALID_JSON)
        if isinstance(exc, drf_exceptions.MethodNotAllowed):
            return cls.method_not_allowed()
        if isinstance(exc, (drf_exceptions.NotFound, Http404)):
            return cls.not_found()
        if isinstance(exc, (drf_exceptions.NotAuthenticated, drf_exceptions.AuthenticationFailed)):
            return cls.token_not_found()
        if isinstance(exc, drf_exceptions.Throttled):
            return cls.throttled(int(exc.wait or 0))
        return None

    # Request format and plumbing.

    @classmethod
    def invalid_parameter(cls, keys, source="payload"):
        return cls(Errno.INVALID_PARAMETER, validation={"source": source, "keys": list(keys)})

    @classmethod
    def missing_parameter(cls, param):
        message = f"{Errno.MISSING_PARAMETER.message}: {param}"
        return cls(Errno.MISSING_PARAMETER, message=message, param=param)

    @classmethod
    def _retry_later(cls, errno, retry_after):
        return cls(
            errno,
            headers={"Retry-After": str(retry_after)},
            retryAfter=retry_after,
            retryAfterLocalized=localized_wait(retry_after),
        )

    @classmethod
    def server_busy(cls, retry_after):
        return cls._retry_later(Errno.SERVER_BUSY, retry_after)

    @classmethod
    def throttled(cls, retry_after):
        return cls._retry_later(Errno.THROTTLED, retry_after)

    @classmethod
    def not_found(cls):
        return cls(Errno.UNEXPECTED_ERROR, code=404, message="Not Found")

    @classmethod
    def method_not_allowed(cls):
        return cls(Errno.UNEXPECTED_ERROR, code=405, message="Method Not Allowed")

    # Authentication.

    @classmethod
    def token_not_found(cls):
        """Credentials were sent, but name no live token of the route's types, or cannot be read."""
        return cls(Errno.INVALID_TOKEN, message="The authentication token could not be found")

    @classmethod
    def missing_authentication(cls):
        """A token route called without credentials (upstream's wording)."""
        message = "Invalid authentication token: Missing authentication"
        return cls(Errno.INVALID_TOKEN, message=message)

    @classmethod
    def token_expired(cls):
        return cls(Errno.INVALID_TOKEN, message="The authentication token has expired")

    @classmethod
    def invalid_mfa_token(cls, detail="Token invalid"):
        """A bad, expired or orphaned step-up JWT (upstream's mfa strategy: unauthorized)."""
        return cls(Errno.INVALID_TOKEN, message="Unauthorized for route", detail=detail)

    @classmethod
    def aal_mismatch(cls):
        return cls.invalid_mfa_token(detail="AAL mismatch")

    @classmethod
    def insufficient_scope(cls):
        # hapi's scope check (Boom.forbidden), which upstream renders with errno 999.
        return cls(Errno.UNEXPECTED_ERROR, code=403, message="Insufficient scope")

    @classmethod
    def invalid_timestamp(cls):
        return cls(Errno.INVALID_TIMESTAMP, serverTime=int(time.time()))

    # Accounts and devices.

    @classmethod
    def account_exists(cls, email):
        return cls(Errno.ACCOUNT_EXISTS, email=email)

    @classmethod
    def unknown_account(cls, email=None):
        return cls(Errno.ACCOUNT_UNKNOWN, **({"email": email} if email is not None else {}))

    @classmethod
    def incorrect_password(cls, email):
        return cls(Errno.INCORRECT_PASSWORD, email=email)

    @classmethod
    def incorrect_email_case(cls, email):
        return cls(Errno.INCORRECT_EMAIL_CASE, email=email)

    @classmethod
    def account_must_be_reset(cls, email):
        return cls(Errno.ACCOUNT_RESET, email=email)

    @classmethod
    def max_secondary_emails_reached(cls):
        # errno 188 is shared with UNKNOWN_SUBSCRIPTION_FOR_SOURCE (500): status and message are
        # upstream's maxSecondaryEmailsReached ones, not the table's.
        return cls(
            Errno.MAX_SECONDARY_EMAILS_REACHED,
            code=400,
            message="You have reached the maximum allowed secondary emails",
        )

    @classmethod
    def device_conflict(cls, device_id):
        """The token already has this other device record (upstream's deviceSessionConflict)."""
        return cls(Errno.DEVICE_CONFLICT, deviceId=device_id)


exception_handler = AppError.exception_handler  # settings.REST_FRAMEWORK["EXCEPTION_HANDLER"]


def localized_wait(seconds):
    """``retryAfterLocalized``: upstream's wording, in the request's language."""
    if seconds < 60:
        return gettext("in a few seconds")
    minutes = round(seconds / 60)
    if minutes < 60:
        return ngettext("in %(count)d minute", "in %(count)d minutes", minutes) % {"count": minutes}
    hours = round(minutes / 60)
    return ngettext("in %(count)d hour", "in %(count)d hours", hours) % {"count": hours}


def render_error(error):
    """The HTTP response for an AppError, outside DRF (middleware, URL fall-through)."""
    response = JsonResponse(error.to_dict(), status=error.code)
    for name, value in error.headers.items():
        response[name] = value
    return error.tag(response)


def from_validation_errors(detail, source="payload"):
    """DRF field errors -> 108 for the first missing field, else 107 naming the bad keys."""
    for field, errors in detail.items() if isinstance(detail, dict) else ():
        errors = errors if isinstance(errors, list) else [errors]
        codes = [getattr(error, "code", None) for error in errors]
        if "required" in codes:
            return AppError.missing_parameter(field)
    return AppError.invalid_parameter(invalid_keys(detail), source)
