"""Issuing auth-server tokens: a fresh random token for the client, its id and Hawk key for us."""
import secrets

from . import onepw
from .models import KeyFetchToken, PasswordChangeToken, SessionToken


def _new_token(token_type):
    token = secrets.token_bytes(32)
    return token.hex(), onepw.derive_token(token, token_type)


def create_session_token(account, **fields):
    """A new sessionToken row; returns (token hex for the client, the row)."""
    token_hex, keys = _new_token("sessionToken")
    session = SessionToken.objects.create(
        token_id=keys.token_id.hex(), auth_key=keys.auth_key.hex(), account=account, **fields
    )
    return token_hex, session


def create_key_fetch_token(account, ka, wrap_kb, token_verification_id=None):
    """A keyFetchToken whose /account/keys bundle (kA || wrapKb) is sealed now.

    The bundle is computed at issue time because only now, with authPW in hand, can wrapKb be
    unwrapped (onepw.md §5).
    """
    token_hex, keys = _new_token("keyFetchToken")
    KeyFetchToken.objects.create(
        token_id=keys.token_id.hex(),
        auth_key=keys.auth_key.hex(),
        account=account,
        key_bundle=onepw.bundle_keys(keys.bundle_key, ka, wrap_kb).hex(),
        token_verification_id=token_verification_id,
    )
    return token_hex


def create_password_change_token(account):
    token_hex, keys = _new_token("passwordChangeToken")
    PasswordChangeToken.objects.create(
        token_id=keys.token_id.hex(), auth_key=keys.auth_key.hex(), account=account
    )
    return token_hex
