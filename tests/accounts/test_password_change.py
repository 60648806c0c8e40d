"""Password change (/password/change/start + finish), including the v1 → v2 key-stretching upgrade."""
import pytest

from accounts import onepw
from accounts.models import PasswordChangeToken, SessionToken
from tests import factories
from tests.helpers import ApiClient, assert_error, stretch

pytestmark = pytest.mark.django_db

V2_SALT = onepw.CLIENT_SALT_V2_PREFIX + "0123456789abcdef0123456789abcdef"


def fetch_kb(api, key_fetch_token, unwrap_bkey):
    response = api.get("/account/keys", token=key_fetch_token, token_type="keyFetchToken")
    assert response.status_code == 200, response.json()
    key_request_key = onepw.derive_token(bytes.fromhex(key_fetch_token), "keyFetchToken").bundle_key
    _, wrap_kb = onepw.unbundle_keys(key_request_key, bytes.fromhex(response.json()["bundle"]))
    return onepw.xor(wrap_kb, unwrap_bkey)


def start_change(api, user, password=None):
    auth_pw, unwrap_bkey = stretch(user.email, password or user.password)
    response = api.post(
        "/password/change/start", {"email": user.email, "oldAuthPW": auth_pw}, token=user.session_token
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    return body, fetch_kb(api, body["keyFetchToken"], unwrap_bkey)


def test_change_keeps_kb_and_signs_out_other_sessions():
    api = ApiClient()
    user = factories.account("change@example.com")
    other_session = api.post(
        "/account/login", {"email": user.email, "authPW": stretch(user.email)[0]}
    ).json()["sessionToken"]
    body, kb = start_change(api, user)
    new_auth_pw, new_unwrap = stretch(user.email, "a new password")
    response = api.post(
        "/password/change/finish?keys=true",
        {
            "authPW": new_auth_pw,
            "wrapKb": onepw.xor(kb, new_unwrap).hex(),
            "sessionToken": onepw.derive_token(bytes.fromhex(user.session_token), "sessionToken").token_id.hex(),
        },
        token=body["passwordChangeToken"],
        token_type="passwordChangeToken",
    )
    assert response.status_code == 200, response.json()
    finished = response.json()
    assert set(finished) >= {"uid", "sessionToken", "verified", "authAt", "keyFetchToken"}
    assert finished["verified"] is True
    assert fetch_kb(api, finished["keyFetchToken"], new_unwrap) == kb
    # Every earlier session is gone; the replacement works.
    assert_error(api.get("/session/status", token=other_session), 401, 110)
    assert_error(api.get("/session/status", token=user.session_token), 401, 110)
    assert api.get("/session/status", token=finished["sessionToken"]).status_code == 200
    # The old password no longer signs in; the new one does.
    assert_error(api.post("/account/login", {"email": user.email, "authPW": stretch(user.email)[0]}), 400, 103)
    assert api.post("/account/login", {"email": user.email, "authPW": new_auth_pw}).status_code == 200


def test_finish_without_session_token_answers_empty_object_and_token_is_single_use():
    api = ApiClient()
    user = factories.account("single@example.com")
    body, kb = start_change(api, user)
    new_auth_pw, new_unwrap = stretch(user.email, "another")
    payload = {"authPW": new_auth_pw, "wrapKb": onepw.xor(kb, new_unwrap).hex()}
    first = api.post("/password/change/finish", payload, token=body["passwordChangeToken"],
                     token_type="passwordChangeToken")
    assert (first.status_code, first.json()) == (200, {})
    again = api.post("/password/change/finish", payload, token=body["passwordChangeToken"],
                     token_type="passwordChangeToken")
    assert_error(again, 401, 110)


def test_start_with_wrong_password_is_103():
    api = ApiClient()
    user = factories.account("wrong@example.com")
    response = api.post("/password/change/start",
                        {"email": user.email, "oldAuthPW": stretch(user.email, "nope")[0]})
    assert_error(response, 400, 103)
    assert not PasswordChangeToken.objects.exists()


def test_expired_password_change_token_is_refused():
    api = ApiClient()
    user = factories.account("expired@example.com")
    body, kb = start_change(api, user)
    PasswordChangeToken.objects.update(created_at=0)
    response = api.post("/password/change/finish", {"authPW": "00" * 32, "wrapKb": "00" * 32},
                        token=body["passwordChangeToken"], token_type="passwordChangeToken")
    assert_error(response, 401, 110)


def test_v1_to_v2_upgrade_keeps_sessions_and_kb():
    api = ApiClient()
    user = factories.account("upgrade@example.com")
    body, kb = start_change(api, user)
    auth_pw, unwrap_v1 = stretch(user.email)
    stretched_v2 = onepw.quick_stretch_v2(V2_SALT, user.password)
    auth_pw_v2, unwrap_v2 = onepw.auth_pw(stretched_v2), onepw.unwrap_bkey(stretched_v2)
    response = api.post(
        "/password/change/finish?keys=true",
        {
            "authPW": auth_pw,
            "wrapKb": onepw.xor(kb, unwrap_v1).hex(),
            "authPWVersion2": auth_pw_v2.hex(),
            "wrapKbVersion2": onepw.xor(kb, unwrap_v2).hex(),
            "clientSalt": V2_SALT,
            "sessionToken": onepw.derive_token(bytes.fromhex(user.session_token), "sessionToken").token_id.hex(),
        },
        token=body["passwordChangeToken"],
        token_type="passwordChangeToken",
    )
    assert response.status_code == 200, response.json()
    assert fetch_kb(api, response.json()["keyFetchToken2"], unwrap_v2) == kb
    # An upgrade signs nobody out.
    assert api.get("/session/status", token=user.session_token).status_code == 200
    status = api.post("/account/credentials/status", {"email": user.email}).json()
    assert status == {"currentVersion": "v2", "clientSalt": V2_SALT, "upgradeNeeded": False}
    login = api.post("/account/login?keys=true", {"email": user.email, "authPW": auth_pw_v2.hex()}).json()
    assert "keyFetchToken" not in login
    assert fetch_kb(api, login["keyFetchTokenVersion2"], unwrap_v2) == kb
    assert SessionToken.objects.filter(account=user.account).count() == 3
