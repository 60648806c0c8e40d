"""Setting an account's password: upstream's ``resetAccount`` (onepw.md §6.6), shared by the
password change, the password reset and /password/create, and the session they hand back."""
from oauth import tokens as oauth_tokens

from .. import ports, signals
from ..models import (
    AccountResetToken,
    KeyFetchToken,
    PasswordChangeToken,
    PasswordForgotToken,
    RecoveryKey,
    SessionToken,
    now_ms,
)
from ..tokens import create_key_fetch_token, create_session_token


def reset_account(account, stored, *, keys_changed, revoke=True, password_changed=False, now=None):
    """Store ``stored`` (a ``passwords.StoredPassword``) on the locked ``account`` row.

    ``keys_changed``: kB is new (a reset without recovery key), so ``keysChangedAt`` moves and
    relying services (Sync's tokenserver) see new keys. ``revoke`` (everything but a password
    upgrade): every session (with its device), token and the recovery key of the account goes, so
    nothing issued under the old password outlives it, OAuth grants included (after a
    ``password_changed`` with the old password known, only those of public and canGrant clients, as
    upstream). Call inside the caller's transaction; the caller queues the push first, while the
    devices still exist.
    """
    now = now or now_ms()
    previous_set_at = account.verifier_set_at
    for field, value in stored.as_fields().items():
        setattr(account, field, value)
    account.verifier_set_at = now
    account.profile_changed_at = now
    if keys_changed:
        account.keys_changed_at = now
    else:
        account.keys_changed_at = account.keys_changed_at or previous_set_at or account.created_at
    account.locked_at = None
    account.save()
    if revoke:
        signals.password_changed.send(type(account), account=account, change_time=now)
        ports.forget_devices(account)
        for model in (SessionToken, KeyFetchToken, PasswordChangeToken, PasswordForgotToken,
                      AccountResetToken, RecoveryKey):
            model.objects.filter(account=account).delete()
        oauth_tokens.revoke_account_tokens(account, public_and_can_grant_only=password_changed)


def session_body(account, context, *, wrap_kb, v2=None, keys=False, token_verification_id=None,
                 must_verify=False, verification_method=None, verified_at=None):
    """A new sessionToken (and keyFetchTokens for ``keys``) after a password was set.

    ``wrap_kb`` (bytes) is the new password's wrapKb; ``v2`` the key-stretching v2 fields, whose
    wrap_kb seals the second keyFetchToken. The keyFetchTokens are verified: the password
    was just proven.
    """
    session_token, session = create_session_token(
        account,
        token_verification_id=token_verification_id,
        must_verify=must_verify,
        verification_method=verification_method,
        verified_at=verified_at,
        user_agent=context.user_agent,
        ip_address=context.ip_address,
    )
    body = {
        "uid": account.uid,
        "session_token": session_token,
        "verified": session.token_verified and account.email_verified,
        "auth_at": session.auth_at_seconds,
    }
    if keys:
        ka = bytes.fromhex(account.ka)
        body["key_fetch_token"] = create_key_fetch_token(account, ka, wrap_kb)
        if v2:
            body["key_fetch_token_2"] = create_key_fetch_token(
                account, ka, v2.wrap_kb
            )
    return body
