"""MFA step-up: the emailed one-time codes and the short-lived JWT they buy (upstream's /mfa/*).

Sensitive settings (two-step authentication, password, emails, recovery key, passkeys) ask a
verified session to prove the mailbox again: ``POST /mfa/otp/request {action}`` mails a code,
``POST /mfa/otp/verify {action, code}`` answers ``{accessToken}``, which the ``/mfa/*`` routes
take as ``Authorization: Bearer <jwt>``.

* The code is 6 digits, stateless: HOTP over a key bound to the uid, the account's emailCode, the
  session's key (the SHA-256 of its id) and the action, at a 300-second step with a window of 1
  (upstream's ``mfa.otp``). A code asked for by one session, or for one action, is useless for
  another.
* The token is an HS256 JWT (upstream's claims): ``sub`` uid, ``scope`` ``["mfa:<action>"]``,
  ``iat``, ``exp`` (``MFA_JWT_LIFETIME``), ``jti``, ``stid`` (the key of the session it is bound
  to, not its id, which is a credential: destroying the session revokes it), ``iss`` (PUBLIC_URL)
  and ``aud`` ``"fxa"``. The key is
  ``MFA_JWT_KEY``, or one derived from SECRET_KEY.
"""
import hmac
import time
import uuid

import jwt
from django.conf import settings

from accounts import hashing
from accounts.otp import hotp

from .otp import step_at

ACTIONS = ("2fa", "email", "recovery_key", "password", "passkey")  # upstream mfa.actions
OTP_STEP = 300  # seconds
OTP_WINDOW = 1
OTP_DIGITS = 6
AUDIENCE = "fxa"
ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("sub", "scope", "stid", "exp", "iat", "iss", "aud")


def scope_for(action):
    return f"mfa:{action}"


def _otp_key(uid, email_code, session_token_id, action):
    value = f"{uid}-{email_code}-{session_token_id}-{action}"
    return hashing.derive_key(hashing.MFA_OTP_KEY, value)


def otp_code(account, session_token_id, action, at=None):
    """The step-up code for this account, session and action at time ``at`` (now by default)."""
    key = _otp_key(account.uid, account.email_code, session_token_id, action)
    return hotp(key, step_at(at, OTP_STEP), OTP_DIGITS)


def verify_otp_code(account, session_token_id, action, code, at=None):
    """Whether ``code`` is this step-up code for the current step or one step around it."""
    key = _otp_key(account.uid, account.email_code, session_token_id, action)
    current = step_at(at, OTP_STEP)
    matched = False
    for counter in range(current - OTP_WINDOW, current + OTP_WINDOW + 1):
        matched |= hmac.compare_digest(hotp(key, counter, OTP_DIGITS), code)
    return matched


def signing_key():
    if settings.MFA_JWT_KEY:
        return settings.MFA_JWT_KEY.encode()
    return hashing.derive_key(hashing.MFA_JWT_KEY, "signing-key")


def issue_token(uid, session_token_id, action, now=None):
    """The step-up JWT for ``action``, bound to the session that proved the code."""
    issued_at = int(time.time() if now is None else now)
    claims = {
        "sub": uid,
        "scope": [scope_for(action)],
        "iat": issued_at,
        "exp": issued_at + settings.MFA_JWT_LIFETIME,
        "jti": str(uuid.uuid4()),
        "stid": session_token_id,
        "iss": settings.PUBLIC_URL,
        "aud": AUDIENCE,
    }
    return jwt.encode(claims, signing_key(), algorithm=ALGORITHM)


def decode_token(token):
    """The claims of a valid, unexpired step-up JWT; ``jwt.InvalidTokenError`` otherwise."""
    claims = jwt.decode(
        token,
        signing_key(),
        algorithms=[ALGORITHM],
        audience=AUDIENCE,
        issuer=settings.PUBLIC_URL,
        options={"require": list(REQUIRED_CLAIMS)},
    )
    scope = claims["scope"]
    if not isinstance(scope, list) or not all(isinstance(item, str) for item in scope):
        raise jwt.InvalidTokenError("scope must be a list of strings")
    if not isinstance(claims["sub"], str) or not isinstance(claims["stid"], str):
        raise jwt.InvalidTokenError("sub and stid must be strings")
    return claims
