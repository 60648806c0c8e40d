"""Account use cases: create, sign in, look up, fetch keys, verify the email, destroy."""
import logging
import secrets
import uuid

from django.db import IntegrityError, transaction

from .. import customs, ports, signals
from ..errors import AppError, Errno
from ..models import Account, Email, VerificationMethod, now_ms
from ..tokens import create_key_fetch_token, create_session_token, spend
from . import assurance, bounces, passwords, security_events, unblock, verification
from .lookup import find_account
from .verification import NewSession

logger = logging.getLogger("fxa.accounts")


def _release_address(normalized_email):
    """Let a sign-up take an address held only by an unverified claim (upstream behaviour)."""
    existing = Email.objects.select_related("account").filter(normalized_email=normalized_email).first()
    if existing is None:
        return
    if existing.is_primary:
        if existing.account.email_verified:
            raise AppError.account_exists(existing.email)
        existing.account.delete()
    elif existing.is_verified:
        raise AppError(Errno.VERIFIED_SECONDARY_EMAIL_EXISTS)
    else:
        existing.delete()


def create_account(email, auth_pw, context, *, keys=False, v2=None, wrap_kb=None, pre_verified=False,
                   verification_method=None, links=None):
    """POST /account/create: a new account and its first session (and keyFetchToken).

    Mails the sign-up confirmation (a link, or a 6-digit code for ``email-otp``; ``links``: the
    link options the client sent) unless the account is pre-verified.
    """
    customs.check("accountCreate", context, email=email)
    if not pre_verified:
        # The confirmation mail would be refused (upstream answers the mailer's 133/134/135).
        bounces.check(email, template="verify")
    stored = passwords.new_password(auth_pw, wrap_kb=wrap_kb, v2=v2)
    ka = secrets.token_bytes(32)
    email_code = secrets.token_hex(16)
    now = now_ms()
    try:
        with transaction.atomic():
            _release_address(email.lower())
            account = Account.objects.create(
                uid=uuid.uuid4().hex,
                email=email,
                normalized_email=email.lower(),
                email_code=email_code,
                email_verified=pre_verified,
                ka=ka.hex(),
                verifier_set_at=now,
                profile_changed_at=now,
                created_at=now,
                locale=context.locale,
                **stored.as_fields(),
            )
            Email.objects.create(
                account=account,
                email=email,
                normalized_email=email.lower(),
                email_code=email_code,
                is_primary=True,
                is_verified=pre_verified,
                verified_at=now if pre_verified else None,
                created_at=now,
            )
            # The sign-up session waits on the email code: confirming the address confirms it.
            token_verification_id = None if pre_verified else email_code
            session_token, session = create_session_token(
                account,
                token_verification_id=token_verification_id,
                must_verify=keys,
                user_agent=context.user_agent,
                ip_address=context.ip_address,
                created_at=now,
                auth_at=now,
                last_access_time=now,
                verification_method=VerificationMethod.EMAIL if pre_verified else None,
            )
            issued = NewSession(account, session, session_token, verification_method=verification_method)
            if keys:
                issued.key_fetch_token, issued.key_fetch_token_version2 = _key_fetch_tokens(
                    account, ka, stored, token_verification_id
                )
            security_events.record(account, "account.create", context, token_id=session.token_id)
            if not pre_verified:
                verification.send_signup_email(
                    account, context, method=verification_method, links=links
                )
    except IntegrityError:
        # Another request created an account with this address first.
        raise AppError.account_exists(email) from None
    return issued


def _key_fetch_tokens(account, ka, stored, token_verification_id):
    """keyFetchToken (v1) and keyFetchTokenVersion2 for a freshly created account, from the
    wrapKb values new_password already unwrapped (no scrypt here)."""
    v1 = create_key_fetch_token(account, ka, stored.wrap_kb, token_verification_id)
    v2_token = None
    if stored.wrap_kb_version2 is not None:
        v2_token = create_key_fetch_token(account, ka, stored.wrap_kb_version2, token_verification_id)
    return v1, v2_token


def login(email, auth_pw, context, *, keys=False, verification_method=None,
          original_login_email=None, unblock_code=None, links=None):
    """POST /account/login: a new session for the right password, and the mail it calls for.

    Customs counts every attempt (``accountLogin``). A refused caller may send the unblock code
    mailed to the address (customs.md §4): a valid ``unblock_code`` passes the block, clears it
    once the password is right, and makes the session born verified (400 errno 127 otherwise).
    It is spent before the password is checked, as upstream does: one code buys one password
    attempt, so it cannot lift the limits for guessing. While blocked, every other failure is
    answered with the block, so a refused caller learns nothing about the account.
    """
    try:
        customs.check("accountLogin", context, email=email, unblockable=True)
    except customs.Blocked as blocked:
        if unblock_code is None or not blocked.unblockable:
            raise
        return _login_unblocked(blocked, email, auth_pw, context, unblock_code, keys=keys,
                                verification_method=verification_method,
                                original_login_email=original_login_email, links=links)
    if unblock_code is not None:
        _spend_unblock_code(email, unblock_code, context)
    return _login(email, auth_pw, context, keys=keys, verification_method=verification_method,
                  original_login_email=original_login_email, unblocked=unblock_code is not None,
                  links=links)


def _spend_unblock_code(email, code, context):
    customs.check("unblockEmail", context, email=email)
    try:
        unblock.consume(find_account(email)[0], code)
    except AppError:
        customs.check("unblockCodeFailed", context, email=email)
        raise


def _login_unblocked(blocked, email, auth_pw, context, unblock_code, **options):
    """A sign-in that customs refused, retried with an unblock code. Until the code is proven,
    every failure but a wrong code is the block (an unknown address looks like a known one);
    once it is, the caller has shown they read the account's mail, and the sign-in answers as
    any other (a wrong password is 103)."""
    try:
        _spend_unblock_code(email, unblock_code, context)
    except customs.Blocked:
        raise
    except AppError as error:
        if error.errno == Errno.INVALID_UNBLOCK_CODE:
            raise
        raise blocked from None
    issued = _login(email, auth_pw, context, unblocked=True, **options)
    customs.unblock(context, email=email, uid=issued.account.uid)
    return issued


def _login(email, auth_pw, context, *, keys, verification_method, original_login_email,
           unblocked, links):
    account, match = passwords.check_credentials(
        email, auth_pw, context, original_login_email=original_login_email
    )
    if not account.email_verified:
        # The sign-up confirmation mail goes out again; a bounced address refuses it (sign-in
        # confirmation mail of verified accounts is bounce-tolerant upstream).
        bounces.check(account.primary_email.email, template="verify")
    verification_method = verification.signin_method(account, verification_method)
    signin = verification.decide(
        account, context, keys=keys, requested_method=verification_method,
        unblocked=unblocked,
    )
    now = now_ms()
    with transaction.atomic():
        session_token, session = create_session_token(
            account,
            token_verification_id=signin.token_verification_id,
            must_verify=signin.must_verify,
            user_agent=context.user_agent,
            ip_address=context.ip_address,
            created_at=now,
            auth_at=now,
            last_access_time=now,
            verification_method=None if signin.token_verification_id else VerificationMethod.EMAIL,
            verified_at=None if signin.token_verification_id else now,
        )
        issued = NewSession(account, session, session_token, verification_method=verification_method)
        if keys:
            token = create_key_fetch_token(
                account, bytes.fromhex(account.ka), match.wrap_kb, signin.token_verification_id
            )
            # Only the keyFetchToken of the password version the client used (onepw.md §2.2).
            if match.version == 2:
                issued.key_fetch_token_version2 = token
            else:
                issued.key_fetch_token = token
        security_events.record(
            account,
            "account.login",
            context,
            verified=session.token_verified,
            token_id=session.token_id,
        )
        verification.send_signin_notifications(account, session, context, signin.method, links)
    return issued


def credentials_status(email, context):
    """POST /account/credentials/status: which key-stretching version the account uses."""
    customs.check("getCredentialsStatus", context, email=email)
    account, _ = find_account(email)
    if account.disabled_at or not account.has_password:
        raise AppError(Errno.LOGIN_WITH_INVALID_EMAIL)
    return {
        "current_version": "v2" if account.client_salt else "v1",
        "upgrade_needed": not account.wrap_wrap_kb_version2,
        "client_salt": account.client_salt or None,
    }


def account_exists(email, context):
    """POST /account/status: whether ``email`` names an account (an enumeration probe: counted)."""
    customs.check("accountStatusCheck", context, email=email)
    return account_or_none(email) is not None


def account_or_none(email):
    try:
        return find_account(email)[0]
    except AppError:
        return None


def fetch_keys(key_fetch_token):
    """GET /account/keys: the bundle, once, and only for a verified token of a verified account."""
    if not (key_fetch_token.token_verified and key_fetch_token.account.email_verified):
        raise AppError(Errno.ACCOUNT_UNVERIFIED)
    spend(key_fetch_token)
    return key_fetch_token.key_bundle


def destroy_account(email, auth_pw, context, session=None):
    """POST /account/destroy: erase the account after checking its password.

    Customs counts every attempt (``accountDestroy``, on the session's account or the one the
    address names) and wrong passwords (``accountDestroyFailed``).
    """
    account = account_or_none(email)
    uid = session.account_id if session is not None else getattr(account, "uid", None)
    customs.check("accountDestroy", context, email=email, uid=uid)
    if account is None or (session is not None and session.account_id != account.uid):
        raise AppError.unknown_account(email)
    assurance.require_second_factor_if_enabled(account, session)
    if account.has_password:
        try:
            passwords.check_password(account, auth_pw, email)
        except AppError as error:
            if error.errno == Errno.INCORRECT_PASSWORD:
                customs.check("accountDestroyFailed", context, email=email, uid=account.uid)
            raise
    delete_account(account, context, by="user")
    return account


def delete_account(account, context=None, *, by):
    """Erase the account and everything it holds; its devices get ``fxaccounts:account_destroyed``.

    The one way an account is deleted on request: /account/destroy once the password is checked
    (``by="user"``), support staff in the admin (``by="support (admin user <name>)"``). Its
    security events go with it, as upstream's do, so the deletion itself is logged here.
    Its Stripe subscriptions end first: if Stripe cannot be reached the deletion fails (203)
    rather than leave a subscription charging an account that is gone.
    """
    ports.end_subscriptions(account)
    with transaction.atomic():
        # The devices are told once the account is gone, so they are captured first.
        ports.tell_devices_account_destroyed(account)
        signals.account_deleting.send(Account, account=account)
        Account.objects.filter(pk=account.pk).delete()
        # Logged once the deletion commits (a caller's outer transaction may still roll it back).
        transaction.on_commit(lambda: logger.info(
            "Account %s deleted by %s (from %s)", account.uid, by,
            (context.ip_address if context else None) or "-",
        ))


@transaction.atomic
def save_by_support(account, changed_fields):
    """The admin's edit of an account (its locale is the field it may change); the relying parties
    hear of a new locale."""
    account.save()
    if "locale" in changed_fields:
        signals.profile_changed.send(Account, account=account, changes={"locale": account.locale})


def account_uid_exists(uid, context):
    """GET /account/status?uid=: whether the uid is an account's (counted as a probe)."""
    customs.check("accountStatusCheck", context, uid=uid)
    return Account.objects.filter(uid=uid).exists()


def third_party_auth_status(email):
    """The extra fields of POST /account/status with thirdPartyAuthStatus."""
    try:
        account, _ = find_account(email)
    except AppError:
        return {"has_linked_account": False, "has_password": False}
    return {"has_linked_account": False, "has_password": account.has_password}


def account_data(account):
    """GET /account: the account's own data (upstream's newer fields) and its subscriptions."""
    return {
        "created_at": account.created_at,
        "password_created_at": account.verifier_set_at if account.has_password else None,
        "has_password": account.has_password,
        "metrics_opt_out_at": account.metrics_opt_out_at,
        "subscriptions": ports.account_subscriptions(account),
    }


@transaction.atomic
def set_metrics_opt(account, state):
    """POST /account/metrics_opt: opt the account out of data collection ("out") or back in."""
    opted_out_at = now_ms() if state == "out" else None
    changed = Account.objects.filter(
        pk=account.pk, metrics_opt_out_at__isnull=opted_out_at is not None
    ).update(metrics_opt_out_at=opted_out_at)
    account.metrics_opt_out_at = opted_out_at
    if changed:  # opting out twice keeps the first time and tells the RPs once
        signals.metrics_changed.send(Account, account=account, enabled=opted_out_at is None)


def profile(account):
    """GET /account/profile for a sessionToken (every field)."""
    methods = ["pwd", "email"] + (["otp"] if account.authenticator_assurance_level == 2 else [])
    return {
        "email": account.primary_email.email,
        "locale": account.locale or None,
        "authentication_methods": methods,
        "authenticator_assurance_level": account.authenticator_assurance_level,
        "subscriptions_by_client_id": ports.subscriptions_by_client_id(account),
        # Always a time (auth-api-responses.md §1): an account never changed since it was made has
        # its password's time, or its creation's.
        "profile_changed_at": account.profile_changed_at or account.verifier_set_at or account.created_at,
        "metrics_enabled": account.metrics_enabled,
        "at_least_18_at_reg": account.at_least_18_at_reg,
    }
