"""What a session must have proven before a sensitive use case runs: upstream's
``verifiedSessionToken`` checks, and the second factor a two-step account's changes need."""
from .. import ports
from ..errors import AppError, Errno


def check_session(session, *, verified_email=True, confirmed=True, full_assurance=True):
    """What a session has proven, as the errno it lacks, for what a route needs of it: a
    verified email (104), a confirmed sign-in (138), the account's assurance level (110)."""
    account = session.account
    if verified_email and not account.email_verified:
        raise AppError(Errno.ACCOUNT_UNVERIFIED)
    if confirmed and not session.token_verified:
        raise AppError(Errno.SESSION_UNVERIFIED)
    if full_assurance and \
            session.authenticator_assurance_level < account.authenticator_assurance_level:
        raise AppError.aal_mismatch()


def check_verified_session(session):
    """upstream's verifiedSessionToken: every check of ``check_session``."""
    check_session(session)


def check_confirmed_session(session):
    """Only a confirmed sign-in (138): the two-step set-up routes, as upstream's handlers check."""
    check_session(session, verified_email=False, full_assurance=False)


def check_granting_session(session, *, keyed):
    """A session authorizing an OAuth grant: its sign-in must be confirmed when it was asked to
    be (mustVerify) or when the grant carries scoped keys."""
    check_session(session, confirmed=session.must_verify or keyed)


def require_second_factor_if_enabled(account, session):
    """A two-step account's sensitive change (destroy, password change) needs an AAL2 session
    (errno 138 otherwise, also when no session was given)."""
    if ports.has_enabled_totp(account) and (
        session is None or session.authenticator_assurance_level < 2 or not session.token_verified
    ):
        raise AppError(Errno.SESSION_UNVERIFIED)
