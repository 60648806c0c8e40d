"""Customs checks of callers who name an account (upstream's ``checkAuthenticated``, customs.md
§3): its uid and address, plus the client IP. Calls that only have an address use
``customs.check`` with it."""
from .. import customs
from ..models import Email


def account_address(account):
    """The primary address of ``account`` (an Account or a uid), which sign-in counts on too;
    None for an unknown uid."""
    uid = getattr(account, "pk", account)
    address = Email.objects.filter(account_id=uid, is_primary=True).values_list(
        "email", flat=True
    ).first()
    return address or getattr(account, "email", None)


def check_account(action, account, context, *, email=None):
    """Count ``action`` for ``account`` (an Account or a uid), or raise ``customs.Blocked``.
    ``email``: the address the request is about, when it is not the primary one (a secondary
    address that is sent a code)."""
    uid = getattr(account, "pk", account)
    customs.check(action, context, uid=uid, email=email or account_address(account))
