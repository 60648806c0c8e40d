"""No credential from a database read (issue 14, item 7): token tables are keyed by the SHA-256 of
the token id, every reference to a session holds that hash, and the secrets the server reads back
(Hawk keys, TOTP secrets) are encrypted under FIELD_ENCRYPTION_KEYS, with rotation."""
import importlib
import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from accounts import hawk, tokens
from accounts.checks import field_encryption_configured
from accounts.devices.models import Device
from accounts.fields import keyring
from accounts.models import Account, KeyFetchToken, SecurityEvent, SessionToken
from accounts.twofactor import otp
from accounts.twofactor.models import TotpToken
from emails import sealing
from oauth.models import AuthorizationCode
from tests import factories
from tests.emails.test_secret_scan import dump_database, found
from tests.helpers import ApiClient, assert_error, ok, token_credentials

pytestmark = pytest.mark.django_db

SESSIONS_MIGRATION = importlib.import_module("accounts.migrations.0007_secrets_at_rest")
TOTP_MIGRATION = importlib.import_module("accounts.twofactor.migrations.0003_encrypted_secrets")
OAUTH_MIGRATION = importlib.import_module("oauth.migrations.0005_hashed_session_refs")
CODES_MIGRATION = importlib.import_module("accounts.migrations.0008_encrypted_codes")


@pytest.fixture
def api():
    return ApiClient()


@pytest.fixture
def user(db):
    return factories.account("at-rest@example.com", keys=True)


def bearer(prefix, value):
    return {"Authorization": f"Bearer {prefix}_{value}"}


def stored(sql, *params):
    """A column as the database holds it (what psql or a backup shows)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


# A value read from the database is not a credential.


def test_a_session_id_read_from_the_security_events_is_not_a_bearer_token(api, user):
    """The attack of the issue: an id copied from accounts_securityevent, sent as Bearer."""
    event = SecurityEvent.objects.get(account_id=user.uid, name="account.create")
    assert event.token_id == user.session_key != user.session_id
    ok(api.get("/session/status", headers=bearer("fxs", user.session_id)))  # the client's id works
    for value in (event.token_id, SessionToken.objects.get(account_id=user.uid).pk):
        assert_error(api.get("/session/status", headers=bearer("fxs", value)), 401, 110)


def test_a_session_row_does_not_sign_hawk_requests_even_with_its_key_decrypted(api, user):
    row = user.session
    url = api.base_url + "/v1/session/status"
    header = hawk.sign_request(row.pk, bytes.fromhex(row.auth_key), "GET", url)
    assert_error(api.get("/session/status", headers={"Authorization": header}), 401, 110)
    _, auth_key = token_credentials(user.session_token, "sessionToken")
    assert row.auth_key == auth_key.hex()  # the same key signs for the client, with its id
    ok(api.get("/session/status", token=user.session_token, scheme="hawk"))


def test_device_and_oauth_code_references_to_a_session_are_not_bearer_tokens(api, user):
    ok(api.post("/account/device", {"name": "Laptop", "type": "desktop"}, token=user.session_token))
    client, _ = factories.oauth_client()
    body = {"client_id": client.client_id, "state": "st4te", "scope": "openid profile"}
    ok(api.post("/oauth/authorization", body, token=user.session_token))
    references = [Device.objects.get(account_id=user.uid).session_token_id,
                  AuthorizationCode.objects.get(account_id=user.uid).session_token_id]
    assert references == [user.session_key] * 2
    for value in references:
        assert_error(api.get("/session/status", headers=bearer("fxs", value)), 401, 110)


@pytest.mark.parametrize(("kind", "prefix", "method", "path"), [
    ("keyFetchToken", "fxk", "GET", "/account/keys"),
    ("passwordChangeToken", "fxpc", "POST", "/password/change/finish"),
    ("passwordForgotToken", "fxpf", "GET", "/password/forgot/status"),
    ("accountResetToken", "fxar", "POST", "/account/reset"),
])
def test_the_other_token_tables_keep_no_usable_id(api, user, kind, prefix, method, path):
    token_hex = {
        "keyFetchToken": lambda: user.key_fetch_token,
        "passwordChangeToken": lambda: tokens.create_password_change_token(user.account),
        "passwordForgotToken": lambda: tokens.create_password_forgot_token(user.account, 3)[0],
        "accountResetToken": lambda: tokens.create_account_reset_token(user.account),
    }[kind]()
    token_id, _ = token_credentials(token_hex, kind)
    model = apps.get_model("accounts", kind)
    row = model.objects.get(account_id=user.uid)
    assert row.pk == tokens.stored_id(token_id) != token_id
    data = None if method == "GET" else {}
    assert_error(api.request(method, path, data, headers=bearer(prefix, row.pk)), 401, 110)
    # The client's own id still authenticates (the route then answers on the empty body).
    assert api.request(method, path, data, headers=bearer(prefix, token_id)).status_code != 401


def test_a_database_dump_holds_no_token_id_hawk_key_or_totp_secret(api):
    user = factories.account("dumped@example.com", keys=True, totp=True)
    credentials = []
    for token_hex, kind in ((user.session_token, "sessionToken"),
                            (user.key_fetch_token, "keyFetchToken")):
        token_id, auth_key = token_credentials(token_hex, kind)
        credentials += [token_hex, token_id, auth_key.hex()]
    assert found(dump_database(), *credentials, user.totp_secret) == []


# Encryption.


def test_encrypted_columns_hold_a_sealed_value_that_reads_back(user):
    secret = otp.new_secret()
    TotpToken.objects.create(account=user.account, shared_secret=secret)
    raw = stored("SELECT shared_secret FROM twofactor_totptoken WHERE uid = %s", user.uid)
    assert raw.startswith("v1.") and secret not in raw
    assert TotpToken.objects.get(pk=user.uid).shared_secret == secret
    raw_key = stored("SELECT auth_key FROM accounts_keyfetchtoken WHERE uid = %s", user.uid)
    assert raw_key.startswith("v1.") and KeyFetchToken.objects.get(account_id=user.uid).auth_key not in raw_key


def test_a_sealed_value_moved_to_another_column_does_not_decrypt(user):
    TotpToken.objects.create(account=user.account, shared_secret=otp.new_secret())
    with connection.cursor() as cursor:
        cursor.execute("UPDATE twofactor_totptoken SET replacement_secret = shared_secret")
    with pytest.raises(sealing.SealError, match="tampered"):
        TotpToken.objects.get(pk=user.uid)


def reencrypt_fields():
    out = io.StringIO()
    call_command("reencrypt_fields", stdout=out)
    return out.getvalue()


def test_reencrypt_fields_shows_its_progress_batch_by_batch(settings):
    settings.FIELD_ENCRYPTION_KEYS = ["the-old-key"]
    for number in range(3):
        factories.account(f"batch{number}@example.com")
    settings.FIELD_ENCRYPTION_KEYS = ["the-new-key", "the-old-key"]
    out, err = io.StringIO(), io.StringIO()
    call_command("reencrypt_fields", "--batch-size", "2", stdout=out, stderr=err)
    assert "accounts.SessionToken (auth_key, token_verification_id): 3 of 3 rows rewritten" in out.getvalue()
    progress = [line for line in err.getvalue().splitlines() if line.startswith("accounts.SessionToken")]
    assert progress == ["accounts.SessionToken: 2 of 3 rows read", "accounts.SessionToken: 3 of 3 rows read"]


def test_rotation_reads_under_both_keys_and_reencrypt_fields_moves_rows_to_the_new_one(settings):
    settings.FIELD_ENCRYPTION_KEYS = ["the-old-key"]
    user = factories.account("rotated@example.com", totp=True)
    old = stored("SELECT shared_secret FROM twofactor_totptoken WHERE uid = %s", user.uid)

    settings.FIELD_ENCRYPTION_KEYS = ["the-new-key", "the-old-key"]
    assert TotpToken.objects.get(pk=user.uid).shared_secret == user.totp_secret
    out = reencrypt_fields()
    assert "twofactor.TotpToken (shared_secret, replacement_secret): 1 of 1 rows rewritten" in out
    assert "accounts.SessionToken (auth_key, token_verification_id): 1 of 1 rows rewritten" in out
    new = stored("SELECT shared_secret FROM twofactor_totptoken WHERE uid = %s", user.uid)
    assert new != old and sealing.sealed_with_first_key(keyring(), new)
    assert "twofactor.TotpToken (shared_secret, replacement_secret): 0 of 1 rows" in reencrypt_fields()

    settings.FIELD_ENCRYPTION_KEYS = ["the-new-key"]  # the old key dropped
    assert TotpToken.objects.get(pk=user.uid).shared_secret == user.totp_secret
    ok(ApiClient().get("/session/status", token=user.session_token, scheme="hawk"))
    settings.FIELD_ENCRYPTION_KEYS = ["the-old-key"]
    with pytest.raises(sealing.SealError, match="FIELD_ENCRYPTION_KEYS"):
        TotpToken.objects.get(pk=user.uid)


def test_new_key_prints_a_fresh_key():
    keys = set()
    for _ in range(2):
        out = io.StringIO()
        call_command("reencrypt_fields", "--new-key", stdout=out)
        keys.add(out.getvalue().strip())
    assert len(keys) == 2 and all(len(key) == 43 for key in keys)


def test_the_deploy_check_warns_while_the_keys_derive_from_secret_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    assert [check.id for check in field_encryption_configured(None)] == ["accounts.W001"]
    settings.FIELD_ENCRYPTION_KEYS = ["a-key-from-the-environment"]
    assert field_encryption_configured(None) == []


# The data migrations, run over rows in the format they convert.


def _as_before_the_migration(user):
    """Rewrite the user's sign-up session, its device and its events as they were stored."""
    token_id, auth_key = token_credentials(user.session_token, "sessionToken")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_sessiontoken SET token_id = %s, auth_key = %s WHERE token_id = %s",
                       [token_id, auth_key.hex(), user.session_key])
        cursor.execute("UPDATE devices_device SET session_token_id = %s WHERE session_token_id = %s",
                       [token_id, user.session_key])
        cursor.execute("UPDATE accounts_securityevent SET token_id = %s WHERE token_id = %s",
                       [token_id, user.session_key])
        cursor.execute("UPDATE oauth_authorizationcode SET session_token_id = %s", [token_id])
    return token_id


def test_the_migrations_convert_issued_sessions_which_keep_working(api):
    user = factories.account("migrated@example.com")
    ok(api.post("/account/device", {"name": "Laptop", "type": "desktop"}, token=user.session_token))
    client, _ = factories.oauth_client()
    body = {"client_id": client.client_id, "state": "st4te", "scope": "openid profile"}
    ok(api.post("/oauth/authorization", body, token=user.session_token))
    token_id = _as_before_the_migration(user)
    assert stored("SELECT auth_key FROM accounts_sessiontoken WHERE token_id = %s", token_id) == (
        token_credentials(user.session_token, "sessionToken")[1].hex())

    SESSIONS_MIGRATION.hash_ids_and_seal_keys(apps, None)
    OAUTH_MIGRATION.hash_refs(apps, None)
    assert user.session.device.name == "Laptop"
    assert SecurityEvent.objects.filter(token_id=user.session_key).exists()
    assert not SecurityEvent.objects.filter(token_id=token_id).exists()
    assert AuthorizationCode.objects.get(account_id=user.uid).session_token_id == user.session_key
    assert stored("SELECT auth_key FROM accounts_sessiontoken WHERE token_id = %s",
                  user.session_key).startswith("v1.")
    ok(api.get("/session/status", token=user.session_token, scheme="hawk"))
    assert_error(api.get("/session/status", headers=bearer("fxs", user.session_key)), 401, 110)


def test_the_totp_migration_seals_clear_secrets_and_its_reverse_writes_them_back(user):
    secret = otp.new_secret()
    TotpToken.objects.create(account=user.account, shared_secret=secret)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE twofactor_totptoken SET shared_secret = %s", [secret])

    TOTP_MIGRATION.seal(apps, None)
    assert stored("SELECT shared_secret FROM twofactor_totptoken").startswith("v1.")
    assert TotpToken.objects.get(pk=user.uid).shared_secret == secret

    TOTP_MIGRATION.unseal(apps, None)
    assert stored("SELECT shared_secret FROM twofactor_totptoken") == secret
    assert stored("SELECT replacement_secret FROM twofactor_totptoken") == ""


def test_the_codes_migration_seals_clear_codes_and_its_reverse_writes_them_back(api):
    user = factories.account("codes@example.com", verified=False)
    session = SessionToken.objects.get(pk=user.session_key)
    code = session.token_verification_id
    assert code == Account.objects.get(pk=user.uid).email_code
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_account SET email_code = %s", [code])
        cursor.execute("UPDATE accounts_email SET email_code = %s", [code])
        cursor.execute("UPDATE accounts_sessiontoken SET token_verification_id = %s", [code])

    columns = (("accounts_account", "email_code"), ("accounts_email", "email_code"),
               ("accounts_sessiontoken", "token_verification_id"))
    CODES_MIGRATION.seal(apps, None)
    assert all(stored(f"SELECT {column} FROM {table}").startswith("v1.") for table, column in columns)
    CODES_MIGRATION.unseal(apps, None)
    assert [stored(f"SELECT {column} FROM {table}") for table, column in columns] == [code] * 3

    CODES_MIGRATION.seal(apps, None)
    # The sign-up link's code still confirms the account and its session.
    ok(api.post("/recovery_email/verify_code", {"uid": user.uid, "code": code}))
    assert SessionToken.objects.get(pk=user.session_key).token_verification_id is None
    assert Account.objects.get(pk=user.uid).email_verified


def test_leaving_the_secret_key_default_lists_the_secret_key_value_second(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    user = factories.account("from-default@example.com", totp=True)
    settings.FIELD_ENCRYPTION_KEYS = ["the-first-real-key", settings.SECRET_KEY]
    assert "twofactor.TotpToken (shared_secret, replacement_secret): 1 of 1" in reencrypt_fields()
    settings.FIELD_ENCRYPTION_KEYS = ["the-first-real-key"]
    assert TotpToken.objects.get(pk=user.uid).shared_secret == user.totp_secret
