"""Factories for the tests: accounts with a real password, their sessions, and OAuth clients.

Every account is made by the account service itself (``create_account``), so it has what a
signed-up account has (its primary Email row, its sign-up session, its ``account.create``
event) and a real verifier: it signs in with its password over /v1 like any other.

scrypt (64 MiB, ~0.2 s) is what makes an account expensive. With ``cheap_scrypt`` (the default)
the verifiers of a password are derived once per test process, by the real ``new_password``,
and reused for every later account with the same email and password: the first account pays
for the scrypt, the others get the same authSalt, verifyHash and wrapWrapKb. Sign-in still
runs the real scrypt against them. ``cheap_scrypt=False`` derives fresh verifiers.
"""
import secrets
from dataclasses import dataclass
from unittest import mock

from accounts import onepw
from accounts.models import Account, SessionToken, VerificationMethod, now_ms
from accounts.services import accounts as account_services, passwords
from accounts.services.context import RequestContext
from accounts.tokens import create_session_token, stored_id
from accounts.twofactor import otp
from accounts.twofactor.models import TotpToken
from oauth import crypto
from oauth.models import Client
from tests.helpers import DEFAULT_PASSWORD, stretch

REDIRECT = "https://rp.example.com/oauth/callback"
FIREFOX_DESKTOP = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:120.0) Gecko/20100101 Firefox/120.0"


@dataclass
class TestAccount:
    """An account made by ``account()``, with what its client knows."""

    __test__ = False  # not a test class, whatever pytest's name rule says

    account: Account
    email: str
    password: str
    session_token: str  # the sign-up session's token (hex)
    key_fetch_token: str | None
    unwrap_bkey: bytes
    wrap_kb: bytes  # what the v1 verifier unwraps: kB = wrapKb xor unwrapBKey
    totp_secret: str | None = None

    @property
    def uid(self):
        return self.account.uid

    @property
    def session_id(self):
        """The sign-up session's tokenId (hex): what the client presents (Bearer, Hawk id)."""
        return onepw.derive_token(bytes.fromhex(self.session_token), "sessionToken").token_id.hex()

    @property
    def session_key(self):
        """The SessionToken row's primary key: the SHA-256 of ``session_id``."""
        return stored_id(self.session_id)

    @property
    def session(self):
        return SessionToken.objects.get(pk=self.session_key)


# The StoredPassword that the real new_password made for an authPW, once per test process; keyed
# also by the scrypt in force, since a test may make scrypt cheaper (and so other verifiers).
_stored_passwords = {}
_new_password = passwords.new_password


def account(email="user@example.com", password=DEFAULT_PASSWORD, *, verified=True, keys=False,
            totp=False, cheap_scrypt=True, **fields):
    """A new account, signed up through the account service; returns a TestAccount.

    ``verified``: the address is confirmed and so is the sign-up session (no sign-up mail is
    sent); otherwise both wait on the emailed code, as after /account/create.
    ``keys``: the sign-up also issued a keyFetchToken (``key_fetch_token``).
    ``totp``: two-step authentication is on (``totp_secret``) and the sign-up session was
    confirmed with it (AAL2).
    ``fields``: Account columns to set afterwards (``metrics_opt_out_at=…``, ``locale=…``).
    """
    auth_pw, unwrap_bkey = stretch(email, password)
    made_passwords = []

    def new_password(auth_pw, wrap_kb=None, v2=None):
        key = (auth_pw, onepw.big_stretch, onepw.SCRYPT_N, onepw.SCRYPT_R, onepw.SCRYPT_P)
        if not (cheap_scrypt and wrap_kb is None and v2 is None):
            stored = _new_password(auth_pw, wrap_kb=wrap_kb, v2=v2)
        else:
            if key not in _stored_passwords:
                _stored_passwords[key] = _new_password(auth_pw)
            stored = _stored_passwords[key]
        made_passwords.append(stored)
        return stored

    with mock.patch.object(passwords, "new_password", new_password):
        issued = account_services.create_account(
            email, bytes.fromhex(auth_pw), RequestContext(ip_address="127.0.0.1"), keys=keys,
            pre_verified=verified,
        )
    assert made_passwords, "create_account no longer calls passwords.new_password: update the factory"
    row = issued.account
    if fields:
        Account.objects.filter(pk=row.pk).update(**fields)
    made = TestAccount(
        row, email, password, issued.session_token, issued.key_fetch_token, unwrap_bkey,
        wrap_kb=made_passwords[-1].wrap_kb,
    )
    if totp:
        made.totp_secret = otp.new_secret()
        TotpToken.objects.create(account=row, shared_secret=made.totp_secret, verified=True, enabled=True)
        SessionToken.objects.filter(pk=made.session_key).update(
            verification_method=VerificationMethod.TOTP_2FA, verified_at=now_ms()
        )
    row.refresh_from_db()
    return made


def session(account, *, verified=True, totp=False, user_agent=FIREFOX_DESKTOP, **fields):
    """Another session of ``account`` (a TestAccount or an Account); returns its token (hex).

    ``verified=False``: a sign-in waiting on its confirmation code (mustVerify).
    ``totp``: confirmed with the authenticator app (AAL2). ``fields``: other SessionToken columns
    (``verification_method``, ``created_at``…).
    """
    row = account.account if isinstance(account, TestAccount) else account
    if not verified:
        fields.setdefault("token_verification_id", secrets.token_hex(16))
        fields.setdefault("must_verify", True)
    elif totp:
        fields.setdefault("verification_method", VerificationMethod.TOTP_2FA)
        fields.setdefault("verified_at", now_ms())
    token, _ = create_session_token(row, user_agent=user_agent, **fields)
    return token


def oauth_client(name="Test RP", *, redirect_uris=(REDIRECT,), scope="openid profile",
                 public=False, trusted=False, can_grant=False, ppid=False, webhook_url="",
                 resource_server=False, webhook_events=""):
    """An OAuth client made as the ``oauth_client`` command makes one; returns (client, secret),
    the secret None for a public client."""
    client = Client(
        name=name, redirect_uris=" ".join(redirect_uris), allowed_scopes=scope,
        client_type=Client.CLIENT_PUBLIC if public else Client.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Client.GRANT_AUTHORIZATION_CODE, trusted=trusted,
        can_grant=can_grant, ppid_enabled=ppid, webhook_url=webhook_url,
        is_resource_server=resource_server, webhook_events=webhook_events,
    )
    secret = None
    if not public:
        secret = crypto.random_hex()
        client.set_secret(secret)
    client.save()
    return client, secret
