"""How a session's verification changes with two-step authentication (upstream's
``verifyTokensWithMethod``). The checks of upstream's ``verifiedSessionToken`` strategy are the
account app's (``accounts.services.assurance``)."""
from accounts.models import SessionToken, VerificationMethod, now_ms
from accounts.services import verification


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
