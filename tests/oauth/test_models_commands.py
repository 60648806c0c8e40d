"""Clients and tokens at rest, the oauth_client and oauth_keys commands, signing keys."""
import hashlib
import json
from io import StringIO

import jwt
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts import hashing
from oauth import crypto, keys, scopes
from oauth.models import AccessToken, AuthorizationCode, Client, RefreshToken
from tests import factories

from .conftest import REDIRECT, code_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_first_party_clients(db):
    """These tests list and count the clients they make: without Firefox's (oauth 0003)."""
    Client.objects.all().delete()


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("oauth_client", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_client_ids_are_16_hex_and_secrets_stored_as_sha256():
    client, secret = factories.oauth_client()
    assert len(client.client_id) == 16 and int(client.client_id, 16) >= 0
    assert client.client_secret == hashlib.sha256(bytes.fromhex(secret)).hexdigest()
    assert secret not in json.dumps(list(Client.objects.values()), default=str)
    assert client.check_secret(secret) and not client.check_secret("00" * 32)


def test_create_json_prints_exactly_one_object():
    out, _ = run("create", "--name", "RP", "--redirect-uri", REDIRECT, "--redirect-uri",
                 "http://127.0.0.1:9000/cb", "--scope", "openid profile", "--trusted", "--json")
    data = json.loads(out)  # the whole stdout parses as one JSON value
    assert isinstance(data, dict) and set(data) == {"client_id", "client_secret"}
    client = Client.objects.get(client_id=data["client_id"])
    assert client.check_secret(data["client_secret"]) and client.trusted
    assert client.redirect_uri_list == [REDIRECT, "http://127.0.0.1:9000/cb"]
    assert not client.public_client


def test_create_public_client_has_no_secret():
    out, _ = run("create", "--name", "App", "--redirect-uri", "http://localhost/cb", "--public",
                 "--can-grant", "--json")
    data = json.loads(out)
    assert set(data) == {"client_id"}
    client = Client.objects.get(client_id=data["client_id"])
    assert client.public_client and client.can_grant and client.client_secret == ""


def test_create_flags_and_disable_enable():
    out, _ = run("create", "--name", "Sync RP", "--redirect-uri", REDIRECT, "--ppid",
                 "--ppid-rotating", "--jwt-access-tokens", "--json")
    client = Client.objects.get(client_id=json.loads(out)["client_id"])
    assert client.ppid_enabled and client.ppid_rotating and client.jwt_access_tokens
    run("disable", client.client_id)
    assert json.loads(run("list", "--json")[0])[0]["disabled"] is True
    run("enable", client.client_id)
    client.refresh_from_db()
    assert not client.disabled


@pytest.mark.parametrize("uri", ["http://rp.example.com/cb", "ftp://rp.example.com/cb", "nonsense"])
def test_redirect_uris_must_be_https_except_loopback(uri, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        run("create", "--name", "RP", "--redirect-uri", uri, "--json")
    with pytest.raises(CommandError):
        run("create", "--name", "RP", "--redirect-uri", REDIRECT, "--webhook-url", uri, "--json")
    assert not Client.objects.exists()


def test_list_rotate_and_delete(api, user):
    client, old = factories.oauth_client()
    out, _ = run("list", "--json")
    assert [row["client_id"] for row in json.loads(out)] == [client.client_id]
    out, _ = run("rotate-secret", client.client_id, "--json")
    new = json.loads(out)["client_secret"]
    client.refresh_from_db()
    # Both secrets work during the rotation.
    assert client.check_secret(new) and client.check_secret(old)
    code_for(api, user, client)
    run("delete", client.client_id)
    assert not Client.objects.exists() and not AuthorizationCode.objects.exists()


def test_tokens_and_codes_are_stored_hashed(api, user, rp):
    client, secret = rp
    code = code_for(api, user, client, access_type="offline")
    assert AuthorizationCode.objects.get().code == hashing.digest(hashing.OAUTH_TOKEN, code)
    body = api.post("/token", {"client_id": client.client_id, "client_secret": secret,
                               "code": code}).json()
    access, refresh = AccessToken.objects.get(), RefreshToken.objects.get()
    assert access.token_id == hashlib.sha256(bytes.fromhex(body["access_token"])).hexdigest()
    assert refresh.token_id == hashlib.sha256(bytes.fromhex(body["refresh_token"])).hexdigest()
    assert refresh.refresh_token_id == refresh.token_id and refresh.client_name == client.name


def test_scope_implication():
    assert scopes.implies("profile", "profile:email")
    assert scopes.implies("profile:write", "profile:email:write")
    assert not scopes.implies("profile:email:write", "profile")
    assert not scopes.implies("profile", "profile:write")
    assert not scopes.implies("profilebogey", "profile")
    assert scopes.implies(scopes.OLDSYNC, scopes.OLDSYNC + "/bookmarks")
    assert not scopes.implies(scopes.OLDSYNC, scopes.OLDSYNC + "er")
    assert scopes.parse("openid email") == ["openid", "profile:email"]


def test_jwks_publishes_current_and_next_keys(api, settings):
    settings.OAUTH_SIGNING_KEY_NEXT = crypto.generate_signing_key_pem()
    response = api.get("/jwks")
    assert response.status_code == 200 and "max-age" in response["Cache-Control"]
    published = response.json()["keys"]
    assert [k["kid"] for k in published] == [keys.current_key().kid, keys.next_key().kid]
    assert all(set(k) == {"kty", "alg", "use", "kid", "n", "e"} and k["alg"] == "RS256"
               for k in published)


def test_oauth_keys_generate_prints_a_usable_pem():
    out = StringIO()
    call_command("oauth_keys", "generate", stdout=out)
    key = crypto.SigningKey(out.getvalue())
    assert out.getvalue().startswith("-----BEGIN PRIVATE KEY-----") and len(key.kid) == 16


def test_oauth_keys_rotate_signs_with_next_and_keeps_publishing_the_old_key(tmp_path, settings):
    files = {slot: tmp_path / slot for slot in ("current", "next", "old")}
    first, second = crypto.generate_signing_key_pem(), crypto.generate_signing_key_pem()
    files["current"].write_text(first)
    files["next"].write_text(second)
    files["current"].chmod(0o644)
    files["next"].chmod(0o640)
    settings.OAUTH_SIGNING_KEY, settings.OAUTH_SIGNING_KEY_NEXT = first, second
    signed_before = keys.sign({"sub": "a"})
    out = StringIO()

    call_command("oauth_keys", "rotate", *(f"--{slot}={path}" for slot, path in files.items()),
                 stdout=out)

    # What the restarted server loads from the files:
    settings.OAUTH_SIGNING_KEY, settings.OAUTH_SIGNING_KEY_NEXT, settings.OAUTH_SIGNING_KEY_OLD = (
        files["current"].read_text(), files["next"].read_text(), files["old"].read_text())
    assert "PRIVATE" not in settings.OAUTH_SIGNING_KEY_OLD
    assert {slot: path.stat().st_mode & 0o777 for slot, path in files.items()} == {
        "current": 0o644, "next": 0o640, "old": 0o600}
    kids = [k["kid"] for k in keys.public_jwks()]
    assert kids[:2] == [crypto.SigningKey(second).kid, keys.next_key().kid]
    assert kids[2] == crypto.SigningKey(first).kid and len(set(kids)) == 3
    assert f"signing: {kids[0]}; old (still published): {kids[2]}" in out.getvalue()
    # A token signed before the rotation still verifies; new ones carry the new kid.
    assert crypto.verify_jwt(signed_before, keys.public_jwks())["sub"] == "a"
    assert jwt.get_unverified_header(keys.sign({"sub": "b"}))["kid"] == kids[0]

    call_command("oauth_keys", "retire", f"--old={files['old']}", stdout=StringIO())
    settings.OAUTH_SIGNING_KEY_OLD = files["old"].read_text().strip() or None
    assert [k["kid"] for k in keys.public_jwks()] == kids[:2]
    with pytest.raises(jwt.InvalidSignatureError):
        crypto.verify_jwt(signed_before, keys.public_jwks())


def test_oauth_keys_rotate_refuses_without_a_next_key(tmp_path, monkeypatch):
    current, empty = tmp_path / "current", tmp_path / "next"
    current.write_text(crypto.generate_signing_key_pem())
    empty.write_text("")
    monkeypatch.delenv("OAUTH_SIGNING_KEY_OLD_FILE", raising=False)
    with pytest.raises(CommandError, match="--old"):
        call_command("oauth_keys", "rotate", f"--current={current}", f"--next={empty}")
    with pytest.raises(CommandError, match="next key must have been published"):
        call_command("oauth_keys", "rotate", f"--current={current}", f"--next={empty}",
                     f"--old={tmp_path / 'old'}")
    assert not (tmp_path / "old").exists()


def test_signing_key_check_warns_without_a_key(settings):
    from oauth.checks import signing_key_configured

    assert signing_key_configured(None) == []
    settings.OAUTH_SIGNING_KEY = None
    assert [w.id for w in signing_key_configured(None)] == ["oauth.W001"]
    settings.OAUTH_SIGNING_KEY = "not a pem"
    assert [e.id for e in signing_key_configured(None)] == ["oauth.E001"]
