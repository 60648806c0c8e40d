"""Session use cases: status, destroy, duplicate, re-authenticate."""
import secrets

from django.db import transaction

from .. import customs, ports
from ..errors import AppError
from ..models import SessionToken, now_ms
from ..tokens import create_key_fetch_token, create_session_token, stored_id
from . import passwords, security_events, verification


def session_state(session):
    """GET /session/status details."""
    account = session.account
    return {
        "state": "verified" if session.token_verified else "unverified",
        "uid": account.uid,
        "details": {
            "accountEmailVerified": account.email_verified,
            "sessionVerificationMethod": session.verification_method_name,
            "sessionVerified": session.token_verified,
            "mustVerify": session.must_verify,
            "sessionVerificationMeetsMinimumAAL": (
                session.authenticator_assurance_level >= account.authenticator_assurance_level
            ),
            "verified": account.email_verified and session.token_verified,
        },
    }


def destroy_session(session, context, custom_session_token_id=None):
    """POST /session/destroy: this session, or another of the same account's."""
    target = session
    if custom_session_token_id is not None:
        target = SessionToken.objects.filter(
            pk=stored_id(custom_session_token_id), account_id=session.account_id
        ).first()
        if target is None:
            raise AppError.token_not_found()
    with transaction.atomic():
        end_session(session.account, target, context)


def end_session(account, session, context, **info):
    """Sign ``session`` (of ``account``) out: its device, if it has one, is disconnected (the
    account's devices are told), and ``session.destroy`` is recorded with ``info``. Call inside a
    transaction: /session/destroy, and support staff's sign-out (``by="support"``)."""
    ports.tell_devices_session_destroyed(session)
    SessionToken.objects.filter(pk=session.pk).delete()
    security_events.record(account, "session.destroy", context, token_id=session.token_id, **info)


def duplicate_session(session, context):
    """POST /session/duplicate: a new token in the same verification state.

    An unverified copy gets its own verification code, as upstream: confirming one session must
    not confirm the other.
    """
    token_verification_id = None if session.token_verified else secrets.token_hex(16)
    with transaction.atomic():
        session_token, copy = create_session_token(
            session.account,
            token_verification_id=token_verification_id,
            must_verify=session.must_verify,
            verification_method=session.verification_method,
            verified_at=session.verified_at,
            created_at=session.created_at,
            auth_at=session.auth_at,
            user_agent=context.user_agent,
            ip_address=context.ip_address,
        )
    return session_token, copy


def duplicate_status(session):
    """verified/verificationMethod/verificationReason of a duplicated session.

    Unlike login's rule, upstream reports any unconfirmed copy as unverified, whether or not it
    must be confirmed.
    """
    if not session.account.email_verified:
        return {"verified": False, "verificationMethod": "email", "verificationReason": "signup"}
    if not session.token_verified:
        return {"verified": False, "verificationMethod": "email", "verificationReason": "login"}
    return {"verified": True}


def reauth(session, email, auth_pw, context, *, keys=False, verification_method=None, links=None):
    """POST /session/reauth: prove the password again on an existing session.

    Sends the sign-in mail as /account/login does (upstream calls ``sendSigninNotifications``),
    but no new-sign-in notice: the session is not new. Customs counts every attempt on the
    session's account (``authenticatedAccountLogin``).
    """
    customs.check("authenticatedAccountLogin", context, email=email, uid=session.account_id)
    account, match = passwords.check_credentials(email, auth_pw, context, uid=session.account_id)
    verification_method = verification.signin_method(account, verification_method)
    with transaction.atomic():
        session = SessionToken.objects.select_for_update().get(pk=session.pk)
        session.auth_at = now_ms()
        if keys or verification_method:
            session.must_verify = True
        session.save(update_fields=["auth_at", "must_verify"])
        key_fetch_token = None
        if keys:
            key_fetch_token = create_key_fetch_token(
                account, bytes.fromhex(account.ka), match.wrap_kb, session.token_verification_id
            )
        security_events.record(
            account, "account.login", context, verified=session.token_verified, token_id=session.pk
        )
        verification.send_signin_notifications(
            account, session, context, verification_method, links, new_session=False
        )
    session.account = account
    return session, key_fetch_token, match, verification_method


def sign_in_status(session, verification_method=None):
    """verified/verificationMethod/verificationReason of a session, as login reports them."""
    return verification.status(session.account, session, verification_method)


def prune_expired_sessions():
    deleted, _ = SessionToken.objects.expired().delete()
    return deleted
