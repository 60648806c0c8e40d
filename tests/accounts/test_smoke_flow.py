import pytest

from accounts import onepw
from tests.helpers import ApiClient, stretch

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("scheme", ["bearer", "hawk"])
def test_create_login_keys(scheme):
    api = ApiClient()
    auth_pw, unwrap_bkey = stretch("a@example.com")
    r = api.post("/account/create?keys=true", {"email": "a@example.com", "authPW": auth_pw})
    assert r.status_code == 200, r.json()
    created = r.json()
    r = api.get("/session/status", token=created["sessionToken"], scheme=scheme)
    assert r.status_code == 200, r.json()
    assert r.json()["state"] == "unverified"
    r = api.get("/account/keys", token=created["keyFetchToken"], token_type="keyFetchToken", scheme=scheme)
    assert r.json()["errno"] == 104
    from accounts.models import Account
    account = Account.objects.get(uid=created["uid"])
    r = api.post("/recovery_email/verify_code", {"uid": account.uid, "code": account.email_code})
    assert r.status_code == 200, r.json()
    r = api.get("/account/keys", token=created["keyFetchToken"], token_type="keyFetchToken", scheme=scheme)
    assert r.status_code == 200, r.json()
    key_request_key = onepw.derive_token(bytes.fromhex(created["keyFetchToken"]), "keyFetchToken").bundle_key
    ka, wrap_kb = onepw.unbundle_keys(key_request_key, bytes.fromhex(r.json()["bundle"]))
    kb = onepw.xor(wrap_kb, unwrap_bkey)
    r = api.post("/account/login?keys=true", {"email": "a@example.com", "authPW": auth_pw})
    assert r.status_code == 200, r.json()
    login = r.json()
    assert login["verified"] is True
    r = api.get("/account/keys", token=login["keyFetchToken"], token_type="keyFetchToken", scheme=scheme)
    ka2, wrap_kb2 = onepw.unbundle_keys(
        onepw.derive_token(bytes.fromhex(login["keyFetchToken"]), "keyFetchToken").bundle_key,
        bytes.fromhex(r.json()["bundle"]),
    )
    assert (ka2, onepw.xor(wrap_kb2, unwrap_bkey)) == (ka, kb)
