"""Finding the account an address names (sign-in, reset, recovery-key and unblock flows)."""
from ..errors import AppError
from ..models import Account, Email


def find_account(email):
    """The account that ``email`` names, and the matching Email row (None for the sign-up address).

    Addresses are matched case-insensitively. An address that is no longer on any account but is
    an account's sign-up address still finds it: clients re-stretch with that address after
    errno 120/103 (``emailToHashWith``).
    """
    normalized = email.lower()
    email_row = Email.objects.select_related("account").filter(normalized_email=normalized).first()
    if email_row is not None:
        return email_row.account, email_row
    account = Account.objects.filter(normalized_email=normalized).first()
    if account is None:
        raise AppError.unknown_account(email)
    return account, None
