"""The /v1 error layer: the whole errno table, the AppError exception and its renderer.

Views raise ``AppError.<name>(...)``; ``exception_handler`` (DRF) and ``render_error`` (middleware,
URL fall-through) turn it into upstream's body ``{code, errno, error, message, info, ...extra}``.
Statuses and messages come from the API document's "Defined errors" table.
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

logger = logging.getLogger("fxa.errors")

INFO_URL = "https://mozilla.github.io/ecosystem-platform/api#section/Response-format"


class Errno(IntEnum):
    """Upstream's errno names (fxa-auth-server ``ERRNO``)."""

    SERVER_CONFIG_ERROR = 100
    ACCOUNT_EXISTS = 101
    ACCOUNT_UNKNOWN = 102
    INCORRECT_PASSWORD = 103
    ACCOUNT_UNVERIFIED = 104
    INVALID_VERIFICATION_CODE = 105
    INVALID_JSON = 106
    INVALID_PARAMETER = 107
    MISSING_PARAMETER = 108
    INVALID_REQUEST_SIGNATURE = 109
    INVALID_TOKEN = 110
    INVALID_TIMESTAMP = 111
    MISSING_CONTENT_LENGTH_HEADER = 112
    REQUEST_TOO_LARGE = 113
    THROTTLED = 114
    INVALID_NONCE = 115
    ENDPOINT_NOT_SUPPORTED = 116
    INCORRECT_EMAIL_CASE = 120
    DEVICE_UNKNOWN = 123
    DEVICE_CONFLICT = 124
    REQUEST_BLOCKED = 125
    ACCOUNT_RESET = 126
    INVALID_UNBLOCK_CODE = 127
    INVALID_PHONE_NUMBER = 129
    INVALID_REGION = 130
    INVALID_MESSAGE_ID = 131
    MESSAGE_REJECTED = 132
    BOUNCE_COMPLAINT = 133
    BOUNCE_HARD = 134
    BOUNCE_SOFT = 135
    EMAIL_EXISTS = 136
    EMAIL_DELETE_PRIMARY = 137
    SESSION_UNVERIFIED = 138
    USER_PRIMARY_EMAIL_EXISTS = 139
    VERIFIED_PRIMARY_EMAIL_EXISTS = 140
    UNVERIFIED_PRIMARY_EMAIL_NEWLY_CREATED = 141
    LOGIN_WITH_SECONDARY_EMAIL = 142
    SECONDARY_EMAIL_UNKNOWN = 143
    VERIFIED_SECONDARY_EMAIL_EXISTS = 144
    RESET_PASSWORD_WITH_SECONDARY_EMAIL = 145
    INVALID_SIGNIN_CODE = 146
    CHANGE_EMAIL_TO_UNVERIFIED_EMAIL = 147
    CHANGE_EMAIL_TO_UNOWNED_EMAIL = 148
    LOGIN_WITH_INVALID_EMAIL = 149
    RESEND_EMAIL_CODE_TO_UNOWNED_EMAIL = 150
    FAILED_TO_SEND_EMAIL = 151
    INVALID_TOKEN_VERIFICATION_CODE = 152
    EXPIRED_TOKEN_VERIFICATION_CODE = 153
    TOTP_TOKEN_EXISTS = 154
    TOTP_TOKEN_NOT_FOUND = 155
    RECOVERY_CODE_NOT_FOUND = 156
    DEVICE_COMMAND_UNAVAILABLE = 157
    RECOVERY_KEY_NOT_FOUND = 158
    RECOVERY_KEY_INVALID = 159
    TOTP_REQUIRED = 160
    RECOVERY_KEY_EXISTS = 161
    UNKNOWN_CLIENT_ID = 162
    INVALID_SCOPES = 163
    STALE_AUTH_AT = 164
    REDIS_CONFLICT = 165
    NOT_PUBLIC_CLIENT = 166
    INCORRECT_REDIRECT_URI = 167
    INVALID_RESPONSE_TYPE = 168
    MISSING_PKCE_PARAMETERS = 169
    INSUFFICIENT_ACR_VALUES = 170
    INCORRECT_CLIENT_SECRET = 171
    UNKNOWN_AUTHORIZATION_CODE = 172
    MISMATCH_AUTHORIZATION_CODE = 173
    EXPIRED_AUTHORIZATION_CODE = 174
    INVALID_PKCE_CHALLENGE = 175
    UNKNOWN_SUBSCRIPTION_CUSTOMER = 176
    UNKNOWN_SUBSCRIPTION = 177
    UNKNOWN_SUBSCRIPTION_PLAN = 178
    REJECTED_SUBSCRIPTION_PAYMENT_TOKEN = 179
    SUBSCRIPTION_ALREADY_CANCELLED = 180
    REJECTED_CUSTOMER_UPDATE = 181
    REFRESH_TOKEN_UNKNOWN = 182
    INVALID_EXPIRED_OTP_CODE = 183
    SUBSCRIPTION_ALREADY_CHANGED = 184
    INVALID_PLAN_UPDATE = 185
    PAYMENT_FAILED = 186
    SUBSCRIPTION_ALREADY_EXISTS = 187
    UNKNOWN_SUBSCRIPTION_FOR_SOURCE = 188
    MAX_SECONDARY_EMAILS_REACHED = 188  # upstream reuses 188
    ACCOUNT_OWNS_EMAIL = 189
    BILLING_AGREEMENT_EXISTS = 192
    MISSING_PAYPAL_PAYMENT_TOKEN = 193
    MISSING_PAYPAL_BILLING_AGREEMENT = 194
    UNVERIFIED_PRIMARY_EMAIL_HAS_ACTIVE_SUBSCRIPTION = 195
    IAP_INVALID_TOKEN = 196
    IAP_INTERNAL_OTHER = 197
    IAP_UNKNOWN_APPNAME = 198
    INVALID_PROMOTION_CODE = 199
    SERVER_BUSY = 201
    FEATURE_NOT_ENABLED = 202
    BACKEND_SERVICE_FAILURE = 203
    DISABLED_CLIENT_ID = 204
    THIRD_PARTY_ACCOUNT_ERROR = 205
    CANNOT_CREATE_PASSWORD = 206
    ACCOUNT_CREATION_REJECTED = 207
    IAP_PURCHASE_ALREADY_REGISTERED = 208
    INVALID_INVOICE_PREVIEW_REQUEST = 209
    UNABLE_TO_LOGIN_NO_PASSWORD_SET = 210
    INVALID_CURRENCY = 211
    SUBSCRIPTION_PROMO_CODE_NOT_APPLIED = 212
    UNSUPPORTED_LOCATION = 213
    RECOVERY_PHONE_NUMBER_ALREADY_EXISTS = 214
    RECOVERY_PHONE_NUMBER_DOES_NOT_EXIST = 215
    SMS_SEND_RATE_LIMIT_EXCEEDED = 216
    INVALID_CLOUDTASK_EMAILTYPE = 217
    RECOVERY_PHONE_REMOVE_MISSING_RECOVERY_CODES = 218
    RECOVERY_PHONE_REGISTRATION_LIMIT_REACHED = 219
    TOTP_SECRET_DOES_NOT_EXIST = 220
    RECOVERY_CODES_ALREADY_EXISTS = 221
    INSUFFICIENT_AAL = 222
    INVALID_MFA_TOKEN = 223
    INTERNAL_VALIDATION_ERROR = 998
    UNEXPECTED_ERROR = 999


E = Errno

# errno -> (HTTP status, message). The API document's table, plus the newer errnos (§18 of
# auth-api-responses.md) and 999. errno 151 is 500 or 422 depending on the cause: the status is
# chosen by its constructor.
ERROR_TABLE = {
    E.SERVER_CONFIG_ERROR: (400, "Incorrect Database Patch Level"),
    E.ACCOUNT_EXISTS: (400, "Account already exists"),
    E.ACCOUNT_UNKNOWN: (400, "Unknown account"),
    E.INCORRECT_PASSWORD: (400, "Incorrect password"),
    E.ACCOUNT_UNVERIFIED: (400, "Unconfirmed account"),
    E.INVALID_VERIFICATION_CODE: (400, "Invalid confirmation code"),
    E.INVALID_JSON: (400, "Invalid JSON in request body"),
    E.INVALID_PARAMETER: (400, "Invalid parameter in request body"),
    E.MISSING_PARAMETER: (400, "Missing parameter in request body"),
    E.INVALID_REQUEST_SIGNATURE: (401, "Invalid request signature"),
    E.INVALID_TOKEN: (401, "Invalid authentication token in request signature"),
    E.INVALID_TIMESTAMP: (401, "Invalid timestamp in request signature"),
    E.MISSING_CONTENT_LENGTH_HEADER: (411, "Missing content-length header"),
    E.REQUEST_TOO_LARGE: (413, "Request body too large"),
    E.THROTTLED: (429, "Client has sent too many requests"),
    E.INVALID_NONCE: (401, "Invalid nonce in request signature"),
    E.ENDPOINT_NOT_SUPPORTED: (410, "This endpoint is no longer supported"),
    E.INCORRECT_EMAIL_CASE: (400, "Incorrect email case"),
    E.DEVICE_UNKNOWN: (400, "Unknown device"),
    E.DEVICE_CONFLICT: (400, "Session already registered by another device"),
    E.REQUEST_BLOCKED: (400, "The request was blocked for security reasons"),
    E.ACCOUNT_RESET: (400, "Account must be reset"),
    E.INVALID_UNBLOCK_CODE: (400, "Invalid unblock code"),
    E.INVALID_PHONE_NUMBER: (400, "Invalid phone number"),
    E.INVALID_REGION: (400, "Invalid region"),
    E.INVALID_MESSAGE_ID: (400, "Invalid message id"),
    E.MESSAGE_REJECTED: (500, "Message rejected"),
    E.BOUNCE_COMPLAINT: (400, "Email account sent complaint"),
    E.BOUNCE_HARD: (400, "Email account hard bounced"),
    E.BOUNCE_SOFT: (400, "Email account soft bounced"),
    E.EMAIL_EXISTS: (400, "Email already exists"),
    E.EMAIL_DELETE_PRIMARY: (400, "Can not delete primary email"),
    E.SESSION_UNVERIFIED: (400, "Unverified session"),
    E.USER_PRIMARY_EMAIL_EXISTS: (400, "Can not add secondary email that is same as your primary"),
    E.VERIFIED_PRIMARY_EMAIL_EXISTS: (400, "Email already exists"),
    E.UNVERIFIED_PRIMARY_EMAIL_NEWLY_CREATED: (400, "Email already exists"),
    E.LOGIN_WITH_SECONDARY_EMAIL: (400, "Sign in with this email type is not currently supported"),
    E.SECONDARY_EMAIL_UNKNOWN: (400, "Unknown email"),
    E.VERIFIED_SECONDARY_EMAIL_EXISTS: (400, "Email already exists"),
    E.RESET_PASSWORD_WITH_SECONDARY_EMAIL: (
        400,
        "Reset password with this email type is not currently supported",
    ),
    E.INVALID_SIGNIN_CODE: (400, "Invalid signin code"),
    E.CHANGE_EMAIL_TO_UNVERIFIED_EMAIL: (400, "Can not change primary email to an unverified email"),
    E.CHANGE_EMAIL_TO_UNOWNED_EMAIL: (
        400,
        "Can not change primary email to an email that does not belong to this account",
    ),
    E.LOGIN_WITH_INVALID_EMAIL: (400, "This email can not currently be used to login"),
    E.RESEND_EMAIL_CODE_TO_UNOWNED_EMAIL: (
        400,
        "Can not resend email code to an email that does not belong to this account",
    ),
    E.FAILED_TO_SEND_EMAIL: (500, "Failed to send email"),
    E.INVALID_TOKEN_VERIFICATION_CODE: (400, "Invalid token confirmation code"),
    E.EXPIRED_TOKEN_VERIFICATION_CODE: (400, "Expired token confirmation code"),
    E.TOTP_TOKEN_EXISTS: (400, "TOTP token already exists for this account."),
    E.TOTP_TOKEN_NOT_FOUND: (400, "TOTP token not found."),
    E.RECOVERY_CODE_NOT_FOUND: (400, "Backup authentication code not found."),
    E.DEVICE_COMMAND_UNAVAILABLE: (400, "Unavailable device command."),
    E.RECOVERY_KEY_NOT_FOUND: (400, "Account recovery key not found."),
    E.RECOVERY_KEY_INVALID: (400, "Account recovery key is not valid."),
    E.TOTP_REQUIRED: (
        400,
        "This request requires two step authentication enabled on your account.",
    ),
    E.RECOVERY_KEY_EXISTS: (400, "Account recovery key already exists."),
    E.UNKNOWN_CLIENT_ID: (400, "Unknown client_id"),
    E.INVALID_SCOPES: (400, "Requested scopes are not allowed"),
    E.STALE_AUTH_AT: (400, "Stale auth timestamp"),
    E.REDIS_CONFLICT: (409, "Redis WATCH detected a conflicting update"),
    E.NOT_PUBLIC_CLIENT: (400, "Not a public client"),
    E.INCORRECT_REDIRECT_URI: (400, "Incorrect redirect URI"),
    E.INVALID_RESPONSE_TYPE: (400, "Invalid response_type"),
    E.MISSING_PKCE_PARAMETERS: (400, "Public clients require PKCE OAuth parameters"),
    E.INSUFFICIENT_ACR_VALUES: (
        400,
        "Required Authentication Context Reference values could not be satisfied",
    ),
    E.INCORRECT_CLIENT_SECRET: (400, "Incorrect client_secret"),
    E.UNKNOWN_AUTHORIZATION_CODE: (400, "Unknown authorization code"),
    E.MISMATCH_AUTHORIZATION_CODE: (400, "Mismatched authorization code"),
    E.EXPIRED_AUTHORIZATION_CODE: (400, "Expired authorization code"),
    E.INVALID_PKCE_CHALLENGE: (400, "Public clients require PKCE OAuth parameters"),
    E.UNKNOWN_SUBSCRIPTION_CUSTOMER: (404, "Unknown customer"),
    E.UNKNOWN_SUBSCRIPTION: (404, "Unknown subscription"),
    E.UNKNOWN_SUBSCRIPTION_PLAN: (400, "Unknown subscription plan"),
    E.REJECTED_SUBSCRIPTION_PAYMENT_TOKEN: (400, "Subscription payment token rejected"),
    E.SUBSCRIPTION_ALREADY_CANCELLED: (400, "Subscription has already been cancelled"),
    E.REJECTED_CUSTOMER_UPDATE: (400, "Customer update rejected"),
    E.REFRESH_TOKEN_UNKNOWN: (400, "Unknown refresh token"),
    E.INVALID_EXPIRED_OTP_CODE: (400, "Invalid or expired confirmation code"),
    E.SUBSCRIPTION_ALREADY_CHANGED: (400, "Subscription has already been cancelled"),
    E.INVALID_PLAN_UPDATE: (400, "Subscription plan is not a valid update"),
    E.PAYMENT_FAILED: (400, "Payment method failed"),
    E.SUBSCRIPTION_ALREADY_EXISTS: (409, "User already subscribed"),
    E.UNKNOWN_SUBSCRIPTION_FOR_SOURCE: (
        500,
        "Failed to find a subscription associated with Stripe source",
    ),
    E.ACCOUNT_OWNS_EMAIL: (400, "This email already belongs to your account"),
    E.BILLING_AGREEMENT_EXISTS: (400, "Billing agreement already on file for this customer"),
    E.MISSING_PAYPAL_PAYMENT_TOKEN: (400, "PayPal payment token is missing"),
    E.MISSING_PAYPAL_BILLING_AGREEMENT: (
        400,
        "PayPal billing agreement is missing for the existing subscriber",
    ),
    E.UNVERIFIED_PRIMARY_EMAIL_HAS_ACTIVE_SUBSCRIPTION: (
        400,
        "Account for this email has an active subscription",
    ),
    E.IAP_INVALID_TOKEN: (400, "Invalid token"),
    E.IAP_INTERNAL_OTHER: (500, "IAP Internal Error"),
    E.IAP_UNKNOWN_APPNAME: (404, "Unknown app name"),
    E.INVALID_PROMOTION_CODE: (400, "Invalid promotion code"),
    E.SERVER_BUSY: (503, "Service unavailable"),
    E.FEATURE_NOT_ENABLED: (503, "Feature not enabled"),
    E.BACKEND_SERVICE_FAILURE: (500, "A backend service request failed."),
    E.DISABLED_CLIENT_ID: (503, "This client has been temporarily disabled"),
    E.THIRD_PARTY_ACCOUNT_ERROR: (500, "Could not login with third party account, please try again later"),
    E.CANNOT_CREATE_PASSWORD: (400, "Can not create password, password already set."),
    E.ACCOUNT_CREATION_REJECTED: (400, "Account creation rejected."),
    E.IAP_PURCHASE_ALREADY_REGISTERED: (403, "Purchase has been registered to another user."),
    E.INVALID_INVOICE_PREVIEW_REQUEST: (400, "Invalid invoice preview request"),
    E.UNABLE_TO_LOGIN_NO_PASSWORD_SET: (400, "Complete account setup, please reset password to continue"),
    E.INVALID_CURRENCY: (400, "Invalid currency"),
    E.SUBSCRIPTION_PROMO_CODE_NOT_APPLIED: (400, "Promotion code could not be applied"),
    E.UNSUPPORTED_LOCATION: (400, "Location is not supported according to our Terms of Service."),
    E.RECOVERY_PHONE_NUMBER_ALREADY_EXISTS: (400, "Recovery phone number already exists"),
    E.RECOVERY_PHONE_NUMBER_DOES_NOT_EXIST: (400, "Recovery phone number does not exist"),
    E.SMS_SEND_RATE_LIMIT_EXCEEDED: (429, "Text message limit reached"),
    E.INVALID_CLOUDTASK_EMAILTYPE: (400, "Invalid email type"),
    E.RECOVERY_PHONE_REMOVE_MISSING_RECOVERY_CODES: (
        400,
        "Unable to remove recovery phone, missing backup authentication codes.",
    ),
    E.RECOVERY_PHONE_REGISTRATION_LIMIT_REACHED: (400, "Limit reached for number of accounts"),
    E.TOTP_SECRET_DOES_NOT_EXIST: (400, "TOTP secret does not exist"),
    E.RECOVERY_CODES_ALREADY_EXISTS: (400, "Backup authentication codes already exist"),
    E.INSUFFICIENT_AAL: (403, "Insufficient authentication assurance level"),
    E.INVALID_MFA_TOKEN: (401, "Invalid or expired MFA token"),
    E.INTERNAL_VALIDATION_ERROR: (500, "An internal validation check failed."),
    E.UNEXPECTED_ERROR: (500, "Unspecified error"),
}


class AppError(Exception):
    """An error answered to a /v1 client in upstream's format."""

    def __init__(self, errno, code=None, message=None, **extra):
        default_code, default_message = ERROR_TABLE[Errno(errno)]
        self.errno = int(errno)
        self.code = code or default_code
        self.message = message or default_message
        self.extra = extra
        self.headers = {}
        super().__init__(f"{self.errno}: {self.message}")

    def to_dict(self):
        body = {
            "code": self.code,
            "errno": self.errno,
            "error": _reason_phrase(self.code),
            "message": self.message,
            "info": INFO_URL,
        }
        body.update(self.extra)
        return body

    # Request format and plumbing.

    @classmethod
    def invalid_json(cls):
        return cls(E.INVALID_JSON)

    @classmethod
    def invalid_parameter(cls, keys, source="payload"):
        return cls(E.INVALID_PARAMETER, validation={"source": source, "keys": list(keys)})

    @classmethod
    def missing_parameter(cls, param):
        message = f"{ERROR_TABLE[E.MISSING_PARAMETER][1]}: {param}"
        return cls(E.MISSING_PARAMETER, message=message, param=param)

    @classmethod
    def missing_content_length(cls):
        return cls(E.MISSING_CONTENT_LENGTH_HEADER)

    @classmethod
    def request_too_large(cls):
        return cls(E.REQUEST_TOO_LARGE)

    @classmethod
    def server_busy(cls, retry_after):
        error = cls(
            E.SERVER_BUSY,
            retryAfter=retry_after,
            retryAfterLocalized=localized_wait(retry_after),
        )
        error.headers["Retry-After"] = str(retry_after)
        return error

    @classmethod
    def not_found(cls):
        return cls(E.UNEXPECTED_ERROR, code=404, message="Not Found")

    @classmethod
    def method_not_allowed(cls):
        return cls(E.UNEXPECTED_ERROR, code=405, message="Method Not Allowed")

    @classmethod
    def unexpected(cls):
        return cls(E.UNEXPECTED_ERROR)

    # Authentication.

    @classmethod
    def invalid_signature(cls, message=None):
        return cls(E.INVALID_REQUEST_SIGNATURE, message=message)

    @classmethod
    def invalid_token(cls, message=None, **extra):
        return cls(E.INVALID_TOKEN, message=message, **extra)

    @classmethod
    def token_not_found(cls):
        """Credentials were sent, but name no live token of the route's types (or cannot be read)."""
        return cls(E.INVALID_TOKEN, message="The authentication token could not be found")

    @classmethod
    def missing_authentication(cls):
        """A token route called without credentials (upstream's wording)."""
        return cls(E.INVALID_TOKEN, message="Invalid authentication token: Missing authentication")

    @classmethod
    def token_expired(cls):
        return cls(E.INVALID_TOKEN, message="The authentication token has expired")

    @classmethod
    def invalid_mfa_token(cls, detail="Token invalid"):
        """A bad, expired or orphaned step-up JWT (upstream's mfa strategy: unauthorized)."""
        return cls(E.INVALID_TOKEN, message="Unauthorized for route", detail=detail)

    @classmethod
    def insufficient_scope(cls):
        # hapi's scope check (Boom.forbidden), which upstream renders with errno 999.
        return cls(E.UNEXPECTED_ERROR, code=403, message="Insufficient scope")

    @classmethod
    def invalid_timestamp(cls):
        return cls(E.INVALID_TIMESTAMP, serverTime=int(time.time()))

    @classmethod
    def invalid_nonce(cls):
        return cls(E.INVALID_NONCE)

    # Accounts.

    @classmethod
    def account_exists(cls, email):
        return cls(E.ACCOUNT_EXISTS, email=email)

    @classmethod
    def unknown_account(cls, email=None):
        return cls(E.ACCOUNT_UNKNOWN, **({"email": email} if email is not None else {}))

    @classmethod
    def incorrect_password(cls, email):
        return cls(E.INCORRECT_PASSWORD, email=email)

    @classmethod
    def incorrect_email_case(cls, email):
        return cls(E.INCORRECT_EMAIL_CASE, email=email)

    @classmethod
    def invalid_verification_code(cls, **extra):
        """105; a passwordForgotToken's wrong code adds the ``tries`` left and its ``ttl``."""
        return cls(E.INVALID_VERIFICATION_CODE, **extra)

    @classmethod
    def invalid_expired_otp_code(cls):
        return cls(E.INVALID_EXPIRED_OTP_CODE)

    @classmethod
    def invalid_unblock_code(cls):
        return cls(E.INVALID_UNBLOCK_CODE)

    @classmethod
    def unverified_account(cls):
        return cls(E.ACCOUNT_UNVERIFIED)

    @classmethod
    def unverified_session(cls):
        return cls(E.SESSION_UNVERIFIED)

    @classmethod
    def account_must_be_reset(cls, email):
        return cls(E.ACCOUNT_RESET, email=email)

    @classmethod
    def login_with_secondary_email(cls):
        return cls(E.LOGIN_WITH_SECONDARY_EMAIL)

    @classmethod
    def cannot_login_with_email(cls):
        return cls(E.LOGIN_WITH_INVALID_EMAIL)

    @classmethod
    def no_password_set(cls):
        return cls(E.UNABLE_TO_LOGIN_NO_PASSWORD_SET)

    @classmethod
    def reset_password_with_secondary_email(cls):
        return cls(E.RESET_PASSWORD_WITH_SECONDARY_EMAIL)

    @classmethod
    def cannot_create_password(cls):
        return cls(E.CANNOT_CREATE_PASSWORD)

    @classmethod
    def verified_secondary_email_exists(cls):
        return cls(E.VERIFIED_SECONDARY_EMAIL_EXISTS)

    # Secondary email addresses (/recovery_email*).

    @classmethod
    def email_exists(cls):
        return cls(E.EMAIL_EXISTS)

    @classmethod
    def cannot_delete_primary_email(cls):
        return cls(E.EMAIL_DELETE_PRIMARY)

    @classmethod
    def your_primary_email_exists(cls):
        return cls(E.USER_PRIMARY_EMAIL_EXISTS)

    @classmethod
    def verified_primary_email_exists(cls):
        return cls(E.VERIFIED_PRIMARY_EMAIL_EXISTS)

    @classmethod
    def unverified_primary_email_newly_created(cls):
        return cls(E.UNVERIFIED_PRIMARY_EMAIL_NEWLY_CREATED)

    @classmethod
    def unknown_secondary_email(cls):
        return cls(E.SECONDARY_EMAIL_UNKNOWN)

    @classmethod
    def cannot_change_email_to_unverified_email(cls):
        return cls(E.CHANGE_EMAIL_TO_UNVERIFIED_EMAIL)

    @classmethod
    def cannot_change_email_to_unowned_email(cls):
        return cls(E.CHANGE_EMAIL_TO_UNOWNED_EMAIL)

    @classmethod
    def cannot_resend_email_code_to_unowned_email(cls):
        return cls(E.RESEND_EMAIL_CODE_TO_UNOWNED_EMAIL)

    @classmethod
    def max_secondary_emails_reached(cls):
        # errno 188 is shared with UNKNOWN_SUBSCRIPTION_FOR_SOURCE (500): status and message are
        # upstream's maxSecondaryEmailsReached ones, not the table's.
        return cls(
            E.MAX_SECONDARY_EMAILS_REACHED,
            code=400,
            message="You have reached the maximum allowed secondary emails",
        )

    @classmethod
    def already_owns_email(cls):
        return cls(E.ACCOUNT_OWNS_EMAIL)

    # Account recovery keys.

    @classmethod
    def recovery_key_not_found(cls):
        return cls(E.RECOVERY_KEY_NOT_FOUND)

    @classmethod
    def recovery_key_invalid(cls):
        return cls(E.RECOVERY_KEY_INVALID)

    @classmethod
    def recovery_key_exists(cls):
        return cls(E.RECOVERY_KEY_EXISTS)

    # Bounces and complaints (``bouncedAt``: the latest one of that type, ms).

    @classmethod
    def email_complaint(cls, bounced_at):
        return cls(E.BOUNCE_COMPLAINT, bouncedAt=bounced_at)

    @classmethod
    def email_bounced_hard(cls, bounced_at):
        return cls(E.BOUNCE_HARD, bouncedAt=bounced_at)

    @classmethod
    def email_bounced_soft(cls, bounced_at):
        return cls(E.BOUNCE_SOFT, bouncedAt=bounced_at)

    # Devices.

    @classmethod
    def unknown_authorization_code(cls):
        return cls(E.UNKNOWN_AUTHORIZATION_CODE)

    @classmethod
    def unknown_device(cls):
        return cls(E.DEVICE_UNKNOWN)

    @classmethod
    def device_conflict(cls, device_id):
        """The token already has this other device record (upstream's deviceSessionConflict)."""
        return cls(E.DEVICE_CONFLICT, deviceId=device_id)

    @classmethod
    def unavailable_device_command(cls):
        return cls(E.DEVICE_COMMAND_UNAVAILABLE)

    @classmethod
    def aal_mismatch(cls):
        return cls(E.INVALID_TOKEN, message="Unauthorized for route", detail="AAL mismatch")

    @classmethod
    def totp_required(cls):
        return cls(E.TOTP_REQUIRED)

    # Two-step authentication (TOTP, backup authentication codes).

    @classmethod
    def totp_token_exists(cls):
        return cls(E.TOTP_TOKEN_EXISTS)

    @classmethod
    def totp_token_not_found(cls):
        return cls(E.TOTP_TOKEN_NOT_FOUND)

    @classmethod
    def invalid_token_verification_code(cls):
        return cls(E.INVALID_TOKEN_VERIFICATION_CODE)

    @classmethod
    def recovery_code_not_found(cls):
        return cls(E.RECOVERY_CODE_NOT_FOUND)

    @classmethod
    def feature_not_enabled(cls):
        return cls(E.FEATURE_NOT_ENABLED)

    @classmethod
    def failed_to_send_email(cls, code=500):
        # 500 when the message could not be queued; upstream answers 422 for some causes.
        return cls(E.FAILED_TO_SEND_EMAIL, code=code)

    @classmethod
    def throttled(cls, retry_after):
        error = cls(
            E.THROTTLED, retryAfter=retry_after, retryAfterLocalized=localized_wait(retry_after)
        )
        error.headers["Retry-After"] = str(retry_after)
        return error


# Upstream's "error" strings where they differ from (some versions of) Python's phrases.
REASON_PHRASES = {413: "Request Entity Too Large", 422: "Unprocessable Entity"}


def _reason_phrase(code):
    if code in REASON_PHRASES:
        return REASON_PHRASES[code]
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Error"


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
    return response


def from_validation_errors(detail, source="payload"):
    """DRF field errors -> 108 for the first missing field, else 107 naming the bad keys."""
    if not isinstance(detail, dict):
        return AppError.invalid_parameter([], source)
    for field, errors in detail.items():
        codes = [getattr(e, "code", None) for e in (errors if isinstance(errors, list) else [errors])]
        if "required" in codes:
            return AppError.missing_parameter(field)
    keys = [field for field in detail if field != "non_field_errors"]
    return AppError.invalid_parameter(keys, source)


def to_app_error(exc):
    """Map any exception raised while handling a /v1 request to an AppError."""
    if isinstance(exc, AppError):
        return exc
    if isinstance(exc, drf_exceptions.ValidationError):
        return from_validation_errors(exc.detail)
    if isinstance(exc, drf_exceptions.ParseError):
        return AppError.invalid_json()
    if isinstance(exc, drf_exceptions.MethodNotAllowed):
        return AppError.method_not_allowed()
    if isinstance(exc, (drf_exceptions.NotFound, Http404)):
        return AppError.not_found()
    if isinstance(exc, (drf_exceptions.NotAuthenticated, drf_exceptions.AuthenticationFailed)):
        return AppError.token_not_found()
    if isinstance(exc, drf_exceptions.Throttled):
        return AppError.throttled(int(exc.wait or 0))
    if isinstance(exc, drf_exceptions.APIException):
        return AppError(E.UNEXPECTED_ERROR, code=exc.status_code, message=str(exc.detail))
    logger.error("Unhandled error", exc_info=exc)
    return AppError.unexpected()


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every error leaves as upstream's JSON body."""
    error = to_app_error(exc)
    set_rollback()
    return Response(error.to_dict(), status=error.code, headers=error.headers)
