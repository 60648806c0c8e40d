"""Sign-in confirmation: whether a new session must be confirmed, and how it is reported.

Upstream's rule (auth-api-responses.md §2): a new session on a verified account needs
confirmation unless the account is new (SIGNIN_CONFIRMATION_SKIP_NEW_ACCOUNTS) or this IP
address had a verified sign-in recently (SIGNIN_CONFIRMATION_IP_RECENCY); it *must* be confirmed
before keys are released when the client asked for keys.
"""
import secrets
from dataclasses import dataclass

from django.conf import settings

from ..models import KeyFetchToken, SecurityEvent, SessionToken, VerificationMethod, now_ms


@dataclass
class SigninVerification:
    token_verification_id: str | None
    must_verify: bool
    method: str | None  # requested or forced verificationMethod


def decide(account, context, *, keys, requested_method=None):
    """How a new sign-in session for ``account`` starts out."""
    now = now_ms()
    skip = now - account.created_at <= settings.SIGNIN_CONFIRMATION_SKIP_NEW_ACCOUNTS * 1000
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


def status(account, session, requested_method=None):
    """``verified``/``verificationMethod``/``verificationReason`` for a login-style response."""
    if not account.email_verified:
        method = "email-otp" if requested_method == "email-otp" else "email"
        return {"verified": False, "verificationMethod": method, "verificationReason": "signup"}
    if session.must_verify and not session.token_verified:
        return {
            "verified": False,
            "verificationMethod": requested_method or "email",
            "verificationReason": "login",
        }
    return {"verified": True}


def verify_tokens(account, token_verification_id, method=VerificationMethod.EMAIL):
    """Mark the session(s) and keyFetchToken(s) awaiting this id as verified; returns the count."""
    now = now_ms()
    waiting = SessionToken.objects.filter(account=account, token_verification_id=token_verification_id)
    session_ids = list(waiting.values_list("token_id", flat=True))
    sessions = waiting.update(token_verification_id=None, verification_method=method, verified_at=now)
    # The sign-in events of those sessions now count as verified (drives the same-IP exemption).
    SecurityEvent.objects.filter(token_id__in=session_ids, name="account.login").update(verified=True)
    key_fetch_tokens = KeyFetchToken.objects.filter(
        account=account, token_verification_id=token_verification_id
    ).update(token_verification_id=None)
    return sessions + key_fetch_tokens
