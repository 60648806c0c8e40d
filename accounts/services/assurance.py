"""What a session must have proven before a sensitive use case runs: upstream's
``verifiedSessionToken`` checks, and the second factor a two-step account's changes need."""
from .. import ports
from ..errors import AppError, Errno


def check_verified_session(session):
    """Verified email (104), verified session (138), and the account's assurance level (110)."""
    account = session.account
    if not account.email_verified:
        raise AppError(Errno.ACCOUNT_UNVERIFIED)
    if not session.token_verified:
        raise AppError(Errno.SESSION_UNVERIFIED)
    if session.authenticator_assurance_level < account.authenticator_assurance_level:
        raise AppError.aal_mismatch()


def require_second_factor_if_enabled(account, session):
    """A two-step account's sensitive change (destroy, password change) needs an AAL2 session
    (errno 138 otherwise, also when no session was given)."""
    if ports.has_enabled_totp(account) and (
        session is None or session.authenticator_assurance_level < 2 or not session.token_verified
    ):
        raise AppError(Errno.SESSION_UNVERIFIED)
