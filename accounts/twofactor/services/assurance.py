"""How a session's verification changes with two-step authentication (upstream's
``verifyTokensWithMethod``) and the checks of upstream's ``verifiedSessionToken`` strategy."""
from accounts.errors import AppError
from accounts.models import SessionToken, VerificationMethod, now_ms
from accounts.services import verification


def check_verified_session(session):
    """Verified email (104), verified session (138), and the account's assurance level (110)."""
    account = session.account
    if not account.email_verified:
        raise AppError.unverified_account()
    if not session.token_verified:
        raise AppError.unverified_session()
    if session.authenticator_assurance_level < account.authenticator_assurance_level:
        raise AppError.aal_mismatch()


def require_second_factor_if_enabled(account, session):
    """A two-step account's sensitive change (destroy, password change) needs an AAL2 session
    (errno 138 otherwise, also when no session was given)."""
    from . import has_enabled_totp

    if has_enabled_totp(account) and (
        session is None or session.authenticator_assurance_level < 2 or not session.token_verified
    ):
        raise AppError.unverified_session()


def verify_session_with(session, method):
    """Mark ``session`` verified by ``method``: a pending session (and the keyFetchTokens and
    sign-in event waiting with it) is confirmed; a verified one just changes method."""
    now = now_ms()
    if session.token_verification_id is not None:
        verification.verify_tokens(session.account, session.token_verification_id, method)
    else:
        SessionToken.objects.filter(pk=session.pk).update(
            verification_method=method, verified_at=now
        )
    session.token_verification_id = None
    session.verification_method = method
    session.verified_at = now


def raise_to_second_factor(session, method):
    """Verify ``session`` with a second factor unless it already is at AAL2 (upstream: AAL <= 1)."""
    if session.token_verification_id is not None or session.authenticator_assurance_level <= 1:
        verify_session_with(session, method)


def downgrade_after_removal(session):
    """Two-step authentication was removed: the (verified) session counts as email-verified."""
    verify_session_with(session, VerificationMethod.EMAIL_2FA)
