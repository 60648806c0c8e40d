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
            "account_email_verified": account.email_verified,
            "session_verification_method": session.verification_method_name,
            "session_verified": session.token_verified,
            "must_verify": session.must_verify,
            "meets_minimum_aal": (
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
    return DuplicatedSession(copy.account, copy, session_token)


class DuplicatedSession(verification.NewSession):
    @property
    def status(self):
        """Unlike login's rule, upstream reports any unconfirmed copy as unverified, whether or
        not it must be confirmed."""
        if not self.account.email_verified:
            return verification.SignInStatus(False, "email", "signup")
        if not self.session.token_verified:
            return verification.SignInStatus(False, "email", "login")
        return verification.SignInStatus(True)


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
    issued = verification.NewSession(account, session, None, verification_method=verification_method)
    if match.version == 2:
        issued.key_fetch_token_version2 = key_fetch_token
    else:
        issued.key_fetch_token = key_fetch_token
    return issued


def prune_expired_sessions():
    deleted, _ = SessionToken.objects.expired().delete()
    return deleted
