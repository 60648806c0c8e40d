"""Account routes: create, login and sign-in confirmation, status, keys, profile, destroy, v2 keys."""
import re
import secrets
import time

import pytest
from django.conf import settings

from accounts import onepw
from accounts.models import Account, Email, KeyFetchToken, SessionToken, now_ms
from tests import factories
from tests.helpers import ApiClient, assert_error, ok, stretch
from tests.oauth.test_profile import access_token, bearer

pytestmark = pytest.mark.django_db

HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
OTHER_IP = "203.0.113.7"



def from_ip(ip):
    """An ApiClient whose requests come from ``ip``."""
    client = ApiClient()
    client.client.defaults["REMOTE_ADDR"] = ip
    return client


def create(api, email, password="password", query="", **fields):
    auth_pw, _ = stretch(email, password)
    return api.post(f"/account/create{query}", {"email": email, "authPW": auth_pw, **fields})


def login(api, email, password="password", query="", stretch_email=None, **fields):
    auth_pw, _ = stretch(stretch_email or email, password)
    return api.post(f"/account/login{query}", {"email": email, "authPW": auth_pw, **fields})


def age(user, seconds):
    """Make the account look ``seconds`` older than it is."""
    Account.objects.filter(uid=user.uid).update(created_at=now_ms() - seconds * 1000)


def keys_of(api, key_fetch_token, unwrap_bkey):
    """(kA, kB) from /account/keys, as a client computes them."""
    body = ok(api.get("/account/keys", token=key_fetch_token, token_type="keyFetchToken"))
    key_request_key = onepw.derive_token(bytes.fromhex(key_fetch_token), "keyFetchToken").bundle_key
    ka, wrap_kb = onepw.unbundle_keys(key_request_key, bytes.fromhex(body["bundle"]))
    return ka, onepw.xor(wrap_kb, unwrap_bkey)


OLDER_THAN_NEW = settings.SIGNIN_CONFIRMATION_SKIP_NEW_ACCOUNTS + 3600


# Create.


def test_create_answers_uid_session_token_and_auth_at(api):
    body = ok(create(api, "new@example.com"))
    assert set(body) == {"uid", "sessionToken", "authAt"}
    assert HEX32.match(body["uid"]) and HEX64.match(body["sessionToken"])
    assert abs(body["authAt"] - time.time()) < 5
    account = Account.objects.get(uid=body["uid"])
    assert not account.email_verified


def test_create_with_keys_answers_a_key_fetch_token_and_echoes_verification_method(api):
    body = ok(create(api, "new@example.com", query="?keys=true", verificationMethod="email-otp"))
    assert set(body) == {"uid", "sessionToken", "keyFetchToken", "authAt", "verificationMethod"}
    assert HEX64.match(body["keyFetchToken"])
    assert body["verificationMethod"] == "email-otp"


def test_create_over_a_verified_account_is_101_with_its_address(api):
    factories.account("Taken@Example.com")
    body = assert_error(create(api, "taken@example.com"), 400, 101)
    assert body["email"] == "Taken@Example.com"
    assert Account.objects.count() == 1


def test_create_over_an_unverified_account_replaces_it(api):
    old = factories.account("pending@example.com", verified=False)
    body = ok(create(api, "pending@example.com", password="another password"))
    assert body["uid"] != old.uid
    assert list(Account.objects.values_list("uid", flat=True)) == [body["uid"]]
    assert not SessionToken.objects.filter(account_id=old.uid).exists()


def test_email_is_stored_as_given_and_looked_up_case_insensitively(api):
    body = ok(create(api, "Mixed.Case@Example.COM"))
    account = Account.objects.get(uid=body["uid"])
    assert account.email == "Mixed.Case@Example.COM"
    assert Email.objects.get(account=account).email == "Mixed.Case@Example.COM"
    assert ok(api.post("/account/status", {"email": "mixed.case@example.com"})) == {"exists": True}
    assert ok(api.post("/account/credentials/status", {"email": "MIXED.CASE@EXAMPLE.COM"}))


# Login.


def test_login_to_an_unknown_account_is_102(api):
    assert_error(login(api, "nobody@example.com"), 400, 102)


def test_login_with_a_wrong_password_is_103_with_the_stored_address(api):
    factories.account("Someone@Example.com", password="right")
    body = assert_error(login(api, "Someone@Example.com", password="wrong"), 400, 103)
    assert body["email"] == "Someone@Example.com"


def test_login_stretched_with_another_email_case_is_120_then_succeeds_with_the_stored_case(api):
    factories.account("Case@Example.com", password="pw")
    body = assert_error(login(api, "case@example.com", password="pw"), 400, 120)
    assert body["email"] == "Case@Example.com"
    # The client re-stretches with the address it was told, keeping the typed one as the login.
    retried = login(
        api, "case@example.com", password="pw", stretch_email=body["email"],
        originalLoginEmail="case@example.com",
    )
    assert ok(retried)["verified"] is True


def test_login_with_a_new_primary_address_is_120_with_the_signup_address(api):
    user = factories.account("first@example.com", password="pw")
    # As after a change of primary address: clients keep stretching with the sign-up address.
    Email.objects.filter(account_id=user.uid).update(
        email="second@example.com", normalized_email="second@example.com"
    )
    body = assert_error(login(api, "second@example.com", password="pw"), 400, 120)
    assert body["email"] == "first@example.com"
    retried = login(api, "second@example.com", password="pw", stretch_email=body["email"])
    assert ok(retried)["uid"] == user.uid


def test_login_with_a_secondary_address_is_142(api):
    user = factories.account("primary@example.com", password="pw")
    Email.objects.create(
        account=user.account, email="second@example.com", normalized_email="second@example.com",
        email_code=secrets.token_hex(16), is_verified=True,
    )
    assert_error(login(api, "second@example.com", password="pw"), 400, 142)


def test_login_answers_session_fields(api):
    user = factories.account("user@example.com", password="pw")
    body = ok(login(api, "user@example.com", password="pw"))
    assert set(body) == {"uid", "sessionToken", "verified", "authAt", "metricsEnabled"}
    assert body["uid"] == user.uid
    assert body["verified"] is True and body["metricsEnabled"] is True
    assert abs(body["authAt"] - time.time()) < 5
    assert ok(api.get("/session/status", token=body["sessionToken"]))["state"] == "verified"


def test_login_with_keys_answers_a_key_fetch_token_for_the_same_keys(api):
    user = factories.account("user@example.com", password="pw", keys=True)
    body = ok(login(api, "user@example.com", password="pw", query="?keys=true"))
    assert HEX64.match(body["keyFetchToken"]) and "keyFetchTokenVersion2" not in body
    created_keys = keys_of(api, user.key_fetch_token, user.unwrap_bkey)
    assert keys_of(api, body["keyFetchToken"], user.unwrap_bkey) == created_keys
    assert created_keys[0].hex() == user.account.ka


def test_login_of_an_old_account_from_a_new_ip_with_keys_must_be_confirmed(api):
    user = factories.account("user@example.com", password="pw")
    age(user, OLDER_THAN_NEW)
    body = ok(login(from_ip(OTHER_IP), "user@example.com", password="pw", query="?keys=true"))
    assert body["verified"] is False
    assert body["verificationReason"] == "login"
    assert body["verificationMethod"] == "email"
    assert_error(
        api.get("/account/keys", token=body["keyFetchToken"], token_type="keyFetchToken"), 400, 104
    )
    assert KeyFetchToken.objects.filter(account_id=user.uid).count() == 1
    # Clicking the sign-in confirmation link releases the keys.
    code = SessionToken.objects.get(account_id=user.uid, ip_address=OTHER_IP).token_verification_id
    ok(api.post("/recovery_email/verify_code", {"uid": user.uid, "code": code}))
    assert keys_of(api, body["keyFetchToken"], user.unwrap_bkey)


def test_login_without_keys_needs_no_confirmation_though_the_session_is_unverified(api):
    user = factories.account("user@example.com", password="pw")
    age(user, OLDER_THAN_NEW)
    body = ok(login(from_ip(OTHER_IP), "user@example.com", password="pw"))
    assert body["verified"] is True
    status = ok(api.get("/session/status", token=body["sessionToken"]))
    assert status["state"] == "unverified"
    assert status["details"]["mustVerify"] is False


def test_recent_confirmed_login_from_the_same_ip_exempts_a_new_one(api):
    user = factories.account("user@example.com", password="pw")
    home = from_ip("198.51.100.1")
    # A new account's sign-in is born confirmed, which makes its IP address known.
    assert ok(login(home, "user@example.com", password="pw"))["verified"] is True
    age(user, OLDER_THAN_NEW)
    assert ok(login(home, "user@example.com", password="pw", query="?keys=true"))["verified"] is True
    elsewhere = ok(login(from_ip(OTHER_IP), "user@example.com", password="pw", query="?keys=true"))
    assert elsewhere["verified"] is False


def test_requested_verification_method_alone_does_not_force_confirmation(api):
    factories.account("user@example.com", password="pw")
    body = ok(login(api, "user@example.com", password="pw", verificationMethod="email-otp"))
    assert body["verified"] is True
    assert "verificationReason" not in body


def test_login_to_an_unverified_account_reports_signup(api):
    factories.account("user@example.com", password="pw", verified=False)
    body = ok(login(api, "user@example.com", password="pw"))
    assert body["verified"] is False
    assert body["verificationReason"] == "signup"
    assert body["verificationMethod"] == "email"


# Status.


def test_account_status_by_uid(api):
    user = factories.account()
    assert ok(api.get(f"/account/status?uid={user.uid}")) == {"exists": True}
    assert ok(api.get(f"/account/status?uid={secrets.token_hex(16)}")) == {"exists": False}


def test_account_status_without_uid_is_108(api):
    body = assert_error(api.get("/account/status"), 400, 108)
    assert body["param"] == "uid"


@pytest.mark.parametrize("uid", ["zz" * 16, "abc", "a" * 34])
def test_account_status_with_a_bad_uid_is_107(api, uid):
    assert_error(api.get(f"/account/status?uid={uid}"), 400, 107)


def test_account_status_with_a_session_answers_exists_and_locale(api):
    body = ok(api.post(
        "/account/create",
        {"email": "fr@example.com", "authPW": stretch("fr@example.com")[0]},
        headers={"Accept-Language": "fr"},
    ))
    assert ok(api.get("/account/status", token=body["sessionToken"])) == {"exists": True, "locale": "fr"}


def test_account_status_by_email(api):
    factories.account("user@example.com")
    assert ok(api.post("/account/status", {"email": "user@example.com"})) == {"exists": True}
    assert ok(api.post("/account/status", {"email": "other@example.com"})) == {"exists": False}


def test_account_status_with_third_party_auth_status(api):
    factories.account("user@example.com")
    body = ok(api.post("/account/status", {"email": "user@example.com", "thirdPartyAuthStatus": True}))
    assert body == {"exists": True, "hasLinkedAccount": False, "hasPassword": True}


@pytest.mark.parametrize("check_domain", [True, "example.com", None])
def test_account_status_accepts_any_check_domain(api, check_domain):
    body = ok(api.post("/account/status", {"email": "user@example.com", "checkDomain": check_domain}))
    assert body == {"exists": False}


# Credentials status and key-stretching v2.


def test_credentials_status_of_a_v1_account(api):
    factories.account("user@example.com")
    body = ok(api.post("/account/credentials/status", {"email": "user@example.com"}))
    assert body == {"currentVersion": "v1", "upgradeNeeded": True}


def test_credentials_status_of_an_unknown_account_is_102(api):
    assert_error(api.post("/account/credentials/status", {"email": "no@example.com"}), 400, 102)


@pytest.fixture(scope="module")
def v2_client():
    """A v2 client's secrets for one password: the 650000-round PBKDF2 runs once per module."""
    email, password = "v2@example.com", "v2 password"
    client_salt = onepw.CLIENT_SALT_V2_PREFIX + secrets.token_hex(16)
    stretched_v1 = onepw.quick_stretch_v1(email, password)
    stretched_v2 = onepw.quick_stretch_v2(client_salt, password)
    kb = secrets.token_bytes(32)
    unwrap_v1, unwrap_v2 = onepw.unwrap_bkey(stretched_v1), onepw.unwrap_bkey(stretched_v2)
    return {
        "email": email,
        "kb": kb,
        "unwrap_v1": unwrap_v1,
        "unwrap_v2": unwrap_v2,
        "body": {
            "email": email,
            "authPW": onepw.auth_pw(stretched_v1).hex(),
            "wrapKb": onepw.xor(kb, unwrap_v1).hex(),
            "authPWVersion2": onepw.auth_pw(stretched_v2).hex(),
            "wrapKbVersion2": onepw.xor(kb, unwrap_v2).hex(),
            "clientSalt": client_salt,
        },
    }


def _verify(uid):
    account = Account.objects.get(uid=uid)
    ok(ApiClient().post("/recovery_email/verify_code", {"uid": uid, "code": account.email_code}))


def test_v2_account_keeps_the_clients_kb_for_both_passwords(api, v2_client):
    created = ok(api.post("/account/create?keys=true", v2_client["body"]))
    _verify(created["uid"])
    kb = v2_client["kb"]
    assert keys_of(api, created["keyFetchToken"], v2_client["unwrap_v1"])[1] == kb
    assert keys_of(api, created["keyFetchTokenVersion2"], v2_client["unwrap_v2"])[1] == kb

    body = v2_client["body"]
    v1_login = ok(api.post(
        "/account/login?keys=true", {"email": body["email"], "authPW": body["authPW"]}
    ))
    assert "keyFetchTokenVersion2" not in v1_login
    v2_login = ok(api.post(
        "/account/login?keys=true", {"email": body["email"], "authPW": body["authPWVersion2"]}
    ))
    assert "keyFetchToken" not in v2_login
    v1_keys = keys_of(api, v1_login["keyFetchToken"], v2_client["unwrap_v1"])
    assert keys_of(api, v2_login["keyFetchTokenVersion2"], v2_client["unwrap_v2"]) == v1_keys
    assert v1_keys[1] == kb


def test_credentials_status_of_a_v2_account(api, v2_client):
    ok(api.post("/account/create", v2_client["body"]))
    body = ok(api.post("/account/credentials/status", {"email": v2_client["email"]}))
    assert body == {
        "currentVersion": "v2",
        "clientSalt": v2_client["body"]["clientSalt"],
        "upgradeNeeded": False,
    }


@pytest.mark.parametrize("missing", ["wrapKb", "authPWVersion2", "wrapKbVersion2", "clientSalt"])
def test_create_with_partial_v2_fields_is_107(api, v2_client, missing):
    body = {k: v for k, v in v2_client["body"].items() if k != missing}
    assert_error(api.post("/account/create", body), 400, 107)
    assert not Account.objects.exists()


def test_create_with_a_malformed_client_salt_is_107(api, v2_client):
    body = {**v2_client["body"], "clientSalt": "identity.mozilla.com/picl/v1/quickStretchV2:xyz"}
    assert_error(api.post("/account/create", body), 400, 107)


# Keys.


def test_account_keys_are_fetched_once(api):
    user = factories.account(keys=True)
    ka, kb = keys_of(api, user.key_fetch_token, user.unwrap_bkey)
    assert (ka.hex(), kb) == (user.account.ka, onepw.xor(user.wrap_kb, user.unwrap_bkey))
    assert_error(
        api.get("/account/keys", token=user.key_fetch_token, token_type="keyFetchToken"), 401, 110
    )


def test_account_keys_wait_for_the_email_to_be_verified(api):
    user = factories.account(keys=True, verified=False)
    assert_error(
        api.get("/account/keys", token=user.key_fetch_token, token_type="keyFetchToken"), 400, 104
    )
    assert KeyFetchToken.objects.filter(account_id=user.uid).exists()
    _verify(user.uid)
    ok(api.get("/account/keys", token=user.key_fetch_token, token_type="keyFetchToken"))


# Destroy.


def test_account_destroy_with_a_wrong_password_is_103(api):
    user = factories.account("user@example.com", password="right")
    response = api.post(
        "/account/destroy", {"email": "user@example.com", "authPW": stretch(user.email, "wrong")[0]}
    )
    assert_error(response, 400, 103)
    assert Account.objects.filter(uid=user.uid).exists()


@pytest.mark.parametrize("with_session", [False, True])
def test_account_destroy_erases_the_account_and_its_tokens(api, with_session):
    user = factories.account("user@example.com", password="pw", keys=True)
    session = user.session_token if with_session else None
    body = {"email": "user@example.com", "authPW": stretch(user.email, "pw")[0]}
    assert ok(api.post("/account/destroy", body, token=session)) == {}
    assert not Account.objects.filter(uid=user.uid).exists()
    assert not Email.objects.filter(normalized_email="user@example.com").exists()
    assert not SessionToken.objects.filter(account_id=user.uid).exists()
    assert not KeyFetchToken.objects.filter(account_id=user.uid).exists()
    assert_error(login(api, "user@example.com", password="pw"), 400, 102)


def test_account_destroy_with_another_accounts_session_is_102(api):
    victim = factories.account("victim@example.com", password="pw")
    intruder = factories.account("intruder@example.com")
    body = {"email": "victim@example.com", "authPW": stretch(victim.email, "pw")[0]}
    assert_error(api.post("/account/destroy", body, token=intruder.session_token), 400, 102)
    assert Account.objects.filter(uid=victim.uid).exists()


# Profile and account.


def test_account_profile_for_a_session(api):
    user = factories.account("user@example.com")
    body = ok(api.get("/account/profile", token=user.session_token))
    assert body == {
        "email": "user@example.com",
        "locale": None,
        "authenticationMethods": ["pwd", "email"],
        "authenticatorAssuranceLevel": 1,
        "subscriptionsByClientId": {},
        "profileChangedAt": user.account.profile_changed_at,
        "metricsEnabled": True,
        "atLeast18AtReg": None,
    }


def test_get_account_answers_its_dates_and_no_subscriptions(api):
    user = factories.account()
    account = user.account
    assert ok(api.get("/account", token=user.session_token)) == {
        "createdAt": account.created_at,
        "passwordCreatedAt": account.verifier_set_at,
        "hasPassword": True,
        "metricsOptOutAt": None,
        "subscriptions": [],
    }


def test_get_account_of_an_account_without_password(api):
    user = factories.account()
    Account.objects.filter(uid=user.uid).update(verifier_set_at=0)
    body = ok(api.get("/account", token=user.session_token))
    assert body["hasPassword"] is False and body["passwordCreatedAt"] is None


# Data collection (metrics opt-out).


def test_metrics_opt_out_then_in_is_read_back_everywhere(api):
    user = factories.account("user@example.com", password="pw")
    token = access_token(user, "profile")

    def enabled():
        account = ok(api.get("/account/profile", token=user.session_token))["metricsEnabled"]
        profile = api.client.get("/v1/profile", headers=bearer(token)).json()["metricsEnabled"]
        signed_in = ok(login(api, "user@example.com", password="pw"))["metricsEnabled"]
        reauth = ok(api.post("/session/reauth", {"email": "user@example.com",
                                                 "authPW": stretch(user.email, "pw")[0]},
                             token=user.session_token))["metricsEnabled"]
        return {account, profile, signed_in, reauth}

    before = now_ms()
    assert ok(api.post("/account/metrics_opt", {"state": "out"}, token=user.session_token)) == {}
    assert Account.objects.get(uid=user.uid).metrics_opt_out_at >= before
    assert ok(api.get("/account", token=user.session_token))["metricsOptOutAt"] >= before
    assert enabled() == {False}
    assert ok(api.post("/account/metrics_opt", {"state": "in"}, token=user.session_token)) == {}
    assert Account.objects.get(uid=user.uid).metrics_opt_out_at is None
    assert enabled() == {True}


@pytest.mark.parametrize("body, errno", [
    ({"state": "maybe"}, 107), ({"state": ""}, 107), ({"state": True}, 107), ({}, 108),
])
def test_metrics_opt_with_a_bad_state_is_refused(api, body, errno):
    user = factories.account()
    assert_error(api.post("/account/metrics_opt", body, token=user.session_token), 400, errno)
    assert Account.objects.get(uid=user.uid).metrics_opt_out_at is None


def test_metrics_opt_needs_a_session(api):
    assert_error(api.post("/account/metrics_opt", {"state": "out"}), 401, 110)


# Email verification.


def test_recovery_email_status_of_a_verified_account(api):
    user = factories.account("user@example.com")
    body = ok(api.get("/recovery_email/status", token=user.session_token))
    assert body == {
        "email": "user@example.com",
        "verified": True,
        "sessionVerified": True,
        "emailVerified": True,
    }


def test_email_code_verifies_the_account_and_the_signup_session(api):
    user = factories.account("user@example.com", verified=False)
    before = ok(api.get("/recovery_email/status", token=user.session_token))
    assert (before["verified"], before["sessionVerified"], before["emailVerified"]) == (False,) * 3
    response = api.post(
        "/recovery_email/verify_code", {"uid": user.uid, "code": user.account.email_code}
    )
    assert ok(response) == {}
    after = ok(api.get("/recovery_email/status", token=user.session_token))
    assert (after["verified"], after["sessionVerified"], after["emailVerified"]) == (True,) * 3
    assert ok(api.get("/session/status", token=user.session_token))["state"] == "verified"


def test_wrong_email_code_is_105(api):
    user = factories.account(verified=False)
    response = api.post("/recovery_email/verify_code", {"uid": user.uid, "code": secrets.token_hex(16)})
    assert_error(response, 400, 105)
    assert not Account.objects.get(uid=user.uid).email_verified


def test_email_code_for_an_unknown_uid_is_102(api):
    response = api.post(
        "/recovery_email/verify_code", {"uid": secrets.token_hex(16), "code": secrets.token_hex(16)}
    )
    assert_error(response, 400, 102)


# Utilities.


def test_get_random_bytes_with_an_empty_body(api):
    response = api.post("/get_random_bytes", raw_body=b"", headers={"Content-Length": "0"})
    data = ok(response)["data"]
    assert HEX64.match(data)
    assert ok(api.post("/get_random_bytes", raw_body=b"", headers={"Content-Length": "0"}))["data"] != data


@pytest.fixture
def scrypt_runs(monkeypatch):
    """How many server-side stretches (scrypt, ~0.2 s and 64 MiB each) a request costs."""
    runs = []
    real = onepw.big_stretch

    def counting(*args, **kwargs):
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(onepw, "big_stretch", counting)
    return runs


def test_create_with_keys_costs_one_scrypt_per_verifier(api, v2_client, scrypt_runs):
    ok(create(api, "v1only@example.com", query="?keys=true"))
    assert len(scrypt_runs) == 1
    scrypt_runs.clear()
    created = ok(api.post("/account/create?keys=true", v2_client["body"]))
    assert len(scrypt_runs) == 2
    # The tokens still carry the right bundles (checked against the client's kB).
    _verify(created["uid"])
    assert keys_of(api, created["keyFetchToken"], v2_client["unwrap_v1"])[1] == v2_client["kb"]
    assert keys_of(api, created["keyFetchTokenVersion2"], v2_client["unwrap_v2"])[1] == v2_client["kb"]
