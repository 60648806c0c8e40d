"""Sign-up and sign-in confirmation: whether a new session must be confirmed, how it is reported,
the mail that asks for (or announces) it, and the codes that confirm it.

Upstream's rule (auth-api-responses.md §2): a new session on a verified account needs
confirmation unless the account is new (SIGNIN_CONFIRMATION_SKIP_NEW_ACCOUNTS), this IP address
had a verified sign-in recently (SIGNIN_CONFIRMATION_IP_RECENCY) or the sign-in spent an unblock
code; it *must* be confirmed before keys are released when the client asked for keys, or when
two-step authentication forces it.

Two kinds of code confirm: *link codes* (32 hex: the session's tokenVerificationId, or the
account's emailCode for the sign-up address) posted to /recovery_email/verify_code, and 6-digit
*email OTP codes* (``accounts.otp`` over the emailCode) posted to /session/verify_code.

Mail is queued with ``mail.send_email`` inside the caller's transaction; ``links`` are
the link options a client sent (``service``, ``redirectTo``, ``resume``, ``style``: wire names,
as the mail context takes them).
"""
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from prometheus_client import Counter

from .. import otp, ports
from ..errors import AppError, Errno
from ..models import (
    Account,
    Email,
    KeyFetchToken,
    SecurityEvent,
    SessionToken,
    VerificationMethod,
    now_ms,
)
from . import notices
from .customs_checks import check_account
from .mail import send_email, send_notification

# The link options a confirmation mail carries (the sign-in one has no ``style``).
SIGNUP_LINK_OPTIONS = ("service", "redirectTo", "resume", "style")
SIGNIN_LINK_OPTIONS = ("service", "redirectTo", "resume")
OLDSYNC_SCOPE = "https://identity.mozilla.com/apps/oldsync"
# Methods whose sign-in confirmation mail carries a 6-digit code rather than a link.
CODE_METHODS = frozenset({"email-2fa", "email-otp"})
# Methods confirmed without mail: unblock codes (already proved the mailbox) and TOTP.
SILENT_METHODS = frozenset({"email-captcha", "totp-2fa"})

# Confirmed sign-ins (``session``, by method) and sign-up addresses (``account``, method "").
VERIFICATIONS = Counter(
    "fxa_verifications", "Sessions and accounts confirmed, by method.", ["kind", "method"]
)


def link_options(data, query=None):
    """The link options present in a validated request body (``service`` also from the query)."""
    options = {key: data[key] for key in SIGNUP_LINK_OPTIONS if data.get(key) not in (None, "")}
    if "service" not in options and query and query.get("service"):
        options["service"] = query["service"]
    return options


@dataclass
class SigninVerification:
    token_verification_id: str | None
    must_verify: bool
    method: str | None  # requested or forced verificationMethod


def decide(account, context, *, keys, requested_method=None, unblocked=False):
    """How a new sign-in session for ``account`` starts out.

    ``unblocked``: the sign-in spent a valid unblock code, which proves the mailbox as a
    confirmation would (upstream ``didSigninUnblock``): the session is born verified.
    """
    now = now_ms()
    skip = unblocked or now - account.created_at <= settings.SIGNIN_CONFIRMATION_SKIP_NEW_ACCOUNTS * 1000
    if not skip and context.ip_address:
        skip = SecurityEvent.objects.filter(
            account=account,
            name="account.login",
            verified=True,
            ip_address=context.ip_address,
            created_at__gte=now - settings.SIGNIN_CONFIRMATION_IP_RECENCY * 1000,
        ).exists()
    # Only two-step authentication is forced; any other requested method just names the email
    # to send (upstream signin.js), so e.g. the web UI's "email-otp" does not defeat the skips.
    forced = requested_method == "totp-2fa"
    if skip and not forced:
        return SigninVerification(None, False, requested_method)
    return SigninVerification(
        token_verification_id=secrets.token_hex(16),
        must_verify=keys or forced,
        method=requested_method,
    )


@dataclass(frozen=True)
class SignInStatus:
    """How a session's confirmation is reported: ``verified``, and while it is not, the method
    that confirms it and why (``signup`` or ``login``)."""

    verified: bool
    method: str | None = None
    reason: str | None = None


def status(account, session, requested_method=None):
    """The sign-in status a login-style response reports."""
    if not account.email_verified:
        method = "email-otp" if requested_method == "email-otp" else "email"
        return SignInStatus(False, method, "signup")
    if session.must_verify and not session.token_verified:
        return SignInStatus(False, requested_method or "email", "login")
    return SignInStatus(True)


@dataclass
class NewSession:
    """Tokens issued to a client by create/login/reauth, ready to render."""

    account: object
    session: object
    session_token: str | None
    key_fetch_token: str | None = None
    key_fetch_token_version2: str | None = None
    verification_method: str | None = None  # the method the sign-in must be confirmed with

    @property
    def status(self):
        return status(self.account, self.session, self.verification_method)


def email_status(session):
    """GET /recovery_email/status: the primary address, and whether it and the session are
    confirmed."""
    account = session.account
    return {
        "email": account.primary_email.email,
        # A session that need not be confirmed does not hold "verified" back (§8).
        "verified": account.email_verified and (session.token_verified or not session.must_verify),
        "session_verified": session.token_verified,
        "email_verified": account.email_verified,
    }


def _awaiting(model, account, token_verification_id):
    """``model``'s rows of ``account`` awaiting this id. The column is encrypted (each value has
    its own nonce), so the account's few waiting rows are compared here."""
    waiting = model.objects.filter(account=account, token_verification_id__isnull=False)
    return model.objects.filter(pk__in=[
        pk for pk, stored in waiting.values_list("pk", "token_verification_id")
        if secrets.compare_digest(stored.encode(), token_verification_id.encode())
    ])


def verify_tokens(account, token_verification_id, method=VerificationMethod.EMAIL):
    """Mark the session(s) and keyFetchToken(s) awaiting this id as verified; returns the count."""
    now = now_ms()
    waiting = _awaiting(SessionToken, account, token_verification_id)
    session_ids = list(waiting.values_list("token_id", flat=True))
    sessions = waiting.update(token_verification_id=None, verification_method=method, verified_at=now)
    # The sign-in events of those sessions now count as verified (drives the same-IP exemption).
    SecurityEvent.objects.filter(token_id__in=session_ids, name="account.login").update(verified=True)
    key_fetch_tokens = _awaiting(KeyFetchToken, account, token_verification_id).update(
        token_verification_id=None
    )
    if sessions:
        ports.tell_devices_account_updated(account, "accountConfirm")
        transaction.on_commit(VERIFICATIONS.labels("session", VerificationMethod(method).label).inc)
    return sessions + key_fetch_tokens


# Mail.


def primary_address(account):
    return Email.objects.get(account=account, is_primary=True).email



def _options(links, allowed):
    return {key: value for key, value in (links or {}).items() if key in allowed and value}


def signin_method(account, requested_method):
    """The verificationMethod of a new sign-in: two-step accounts must use ``totp-2fa``.

    Asking for ``totp-2fa`` on an account without two-step authentication is errno 160.
    """
    if ports.has_enabled_totp(account):
        return "totp-2fa"
    if requested_method == "totp-2fa":
        raise AppError(Errno.TOTP_REQUIRED)
    return requested_method


def send_signup_email(account, context, *, code=None, method=None, links=None):
    """The sign-up confirmation: a 6-digit code for ``email-otp``, else a link.

    ``code`` is the link code (a session's tokenVerificationId); the emailCode by default.
    """
    to = primary_address(account)
    if method == "email-otp":
        send_email(
            "verifyShortCode", to, account=account, locale=context.locale,
            context={"code": otp.generate(account.email_code)},
        )
        return
    send_email(
        "verify", to, account=account, locale=context.locale,
        context={
            "uid": account.uid,
            "code": code or account.email_code,
            **_options(links, SIGNUP_LINK_OPTIONS),
        },
    )


def send_signin_code_email(account, context):
    """``verifyLoginCode``: the 6-digit code that confirms a sign-in."""
    send_email(
        "verifyLoginCode", account.mail_recipients(), account=account, locale=context.locale,
        context={"code": otp.generate(account.email_code)},
    )


def send_signin_link_email(account, session, context, links=None):
    """``verifyLogin``: the /complete_signin link with the session's tokenVerificationId."""
    send_email(
        "verifyLogin", account.mail_recipients(), account=account, locale=context.locale,
        context={
            "uid": account.uid,
            "code": session.token_verification_id,
            **_options(links, SIGNIN_LINK_OPTIONS),
        },
    )


def send_new_device_login(account, context):
    """``newDeviceLogin``: the notice of a confirmed sign-in."""
    notices.notify("newDeviceLogin", account, context, userAgent=context.user_agent,
                   ipAddress=context.ip_address, time=now_ms())


def send_signin_notifications(account, session, context, method=None, links=None, *,
                              new_session=True):
    """The mail of a sign-in (/account/login, /session/reauth), §2 step 6 (``sendSigninNotifications``).

    Unverified account: the sign-up mail again. A session that must be confirmed: the sign-in
    confirmation (link or code, by method; none for unblock codes and TOTP). Otherwise the
    new-sign-in notice, for a ``new_session`` only (a reauth proves the password on an old one).
    """
    if not account.email_verified:
        send_signup_email(
            account, context, code=session.token_verification_id, method=method, links=links
        )
    elif session.must_verify and not session.token_verified:
        if method in CODE_METHODS:
            send_signin_code_email(account, context)
        elif method not in SILENT_METHODS:
            send_signin_link_email(account, session, context, links)
    elif new_session:
        send_new_device_login(account, context)


def _is_sync_scope(scope):
    base = scope.split("#", 1)[0]
    if base.endswith(":write"):
        base = base[: -len(":write")]
    return base == OLDSYNC_SCOPE


def verify_account(account, context, *, service=None, scopes=()):
    """Mark the account's primary address verified; ``postVerify`` when it was for Sync.

    Upstream's ``signupUtils.verifyAccount``: the post-verification mail is Sync-specific, so it
    goes only for ``service: "sync"`` or a Sync-scoped OAuth client.
    """
    now = now_ms()
    account.email_verified = True
    account.save(update_fields=["email_verified"])
    Email.objects.filter(account=account, is_primary=True).update(is_verified=True, verified_at=now)
    ports.tell_devices_account_updated(account, "accountVerify")
    transaction.on_commit(VERIFICATIONS.labels("account", "").inc)
    if service == "sync" or any(_is_sync_scope(scope) for scope in scopes or ()):
        send_notification(
            "postVerify", primary_address(account), account=account,
            locale=context.locale if context else "", context={"service": "sync"},
        )


# Confirming with a code.


def verify_session_code(session, code, context, *, service=None, scopes=()):
    """POST /session/verify_code: a 6-digit email code confirms this session (``email-2fa``).

    The code also confirms the account's address if it was not yet. Email OTP codes are
    time-based, not single use, as upstream's: the same code stays valid for its window (so a
    resend within one step repeats it), and presenting it again is a no-op success.

    Customs counts every attempt on the account (``verifySessionCode``) and wrong codes per IP
    (``verifySessionCodeFailed``).
    """
    check_account("verifySessionCode", session.account_id, context)
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=session.account_id)
        wrong = not otp.verify(code, account.email_code)
        if not wrong:
            _confirm_session_with_code(account, session, context, service, scopes)
    if wrong:
        check_account("verifySessionCodeFailed", account, context)
        raise AppError(Errno.INVALID_EXPIRED_OTP_CODE)


def _confirm_session_with_code(account, session, context, service, scopes):
    """The rest of verify_session_code once the code is right (inside its transaction)."""
    session = SessionToken.objects.filter(pk=session.pk).first()
    if session is None:
        raise AppError.token_not_found()
    confirmed = False
    if session.token_verification_id is not None:
        confirmed = bool(
            verify_tokens(account, session.token_verification_id, VerificationMethod.EMAIL_2FA)
        )
    if not account.email_verified:
        verify_account(account, context, service=service, scopes=scopes)
    elif confirmed:
        send_new_device_login(account, context)


def verify_link_code(uid, code, context=None, *, service=None):
    """POST /recovery_email/verify_code: a code from a sign-up or sign-in confirmation link.

    The code confirms the sessions (and keyFetchTokens) waiting on it; the account's address is
    confirmed when the code is its email code, or confirmed a session of an unverified account.
    A code that matches nothing is 105, unless it is the emailCode of an already verified
    account (a stale sign-up link, silently accepted as upstream does). Customs counts every
    attempt on the uid (``recoveryEmailVerifyCode``).
    """
    check_account("recoveryEmailVerifyCode", uid, context)
    with transaction.atomic():
        account = Account.objects.select_for_update().filter(uid=uid).first()
        if account is None:
            raise AppError.unknown_account()
        matched = verify_tokens(account, code)
        is_email_code = secrets.compare_digest(code, account.email_code)
        if not matched and not is_email_code:
            raise AppError(Errno.INVALID_VERIFICATION_CODE)
        if not account.email_verified:
            verify_account(account, context, service=service)
    return account


# Re-sending.


def resend_session_code(session, context):
    """POST /session/resend_code: the current 6-digit code, for sign-in or sign-up (customs:
    ``sendVerifyCode``)."""
    account = Account.objects.get(pk=session.account_id)
    check_account("sendVerifyCode", account, context)
    if ports.has_enabled_totp(account):
        return  # confirmed with the authenticator app, never by mail
    with transaction.atomic():
        if account.email_verified:
            send_signin_code_email(account, context)
        else:
            send_signup_email(account, context, method="email-otp")


def resend_recovery_email_code(session, context, *, email=None, kind=None, links=None):
    """POST /recovery_email/resend_code (§8): the confirmation mail this session still needs.

    Nothing when the account and session are verified (and no address is named). A named address
    must be one of the account's (150): the primary is handled as without ``email``; an unverified
    secondary gets its 6-digit ``verifySecondaryCode`` (the code /recovery_email/secondary/
    verify_code takes; upstream's legacy link mail for secondaries is gone). Otherwise the code is
    the session's tokenVerificationId while the session is unverified (confirming it then confirms
    the address too), else the emailCode; the template is ``verifyPrimary`` for
    ``type: upgradeSession``, ``verify`` for an unverified account, else ``verifyLogin``.
    Customs counts every request on the account (``recoveryEmailResendCode``).
    """
    account = Account.objects.get(pk=session.account_id)
    check_account("recoveryEmailResendCode", account, context)
    if email is not None:
        row = Email.objects.filter(account=account, normalized_email=email.lower()).first()
        if row is None:
            raise AppError(Errno.RESEND_EMAIL_CODE_TO_UNOWNED_EMAIL)
        if row.is_verified:
            return
        if not row.is_primary:
            with transaction.atomic():
                send_email(
                    "verifySecondaryCode", row.email, account=account, locale=context.locale,
                    context={"code": otp.generate(row.email_code), "email": row.email},
                )
            return
    elif account.email_verified and (session.token_verified or ports.has_enabled_totp(account)):
        return
    code = session.token_verification_id or account.email_code
    with transaction.atomic():
        if kind == "upgradeSession":
            address = primary_address(account)
            send_email(
                "verifyPrimary", address, account=account, locale=context.locale,
                context={"uid": account.uid, "code": code, "email": address},
            )
        elif not account.email_verified:
            send_signup_email(account, context, code=code, links=links)
        else:
            send_signin_link_email(account, session, context, links)
