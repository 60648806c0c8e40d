"""Capabilities (reference §3): from the catalogue's metadata over active subscriptions, seen in
the profiles, in JWT access tokens and GET /account, and signalled to the RP events outbox."""
import jwt
import pytest
import stripe

from accounts.services.accounts import delete_account
from oauth import keys
from subscriptions import capabilities
from subscriptions.models import StripeCustomer, Subscription
from subscriptions.signals import capabilities_changed
from tests import factories
from tests.helpers import ApiClient, ok
from tests.live import OAUTH_SIGNING_KEY
from tests.oauth.conftest import code_for

from .conftest import CLIENT_ID, access_token
from .test_routes import call, subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return ApiClient()


@pytest.fixture
def rp(db):
    """The RP the catalogue grants to, with JWT access tokens."""
    client, secret = factories.oauth_client(
        "123Done", scope="profile:email profile:subscriptions", trusted=True
    )
    client.client_id = CLIENT_ID
    client.jwt_access_tokens = True
    client.save()
    return client, secret


def test_metadata_parsing():
    granted = capabilities.from_metadata({
        "capabilities": "a, b", "capabilities:ABCD": "c,,d ", "capabilitiesX": "no",
        "productSet": "x",
    })
    assert granted == {"*": {"a", "b"}, "abcd": {"c", "d"}}
    assert capabilities.for_client(granted, "ABCD") == ["a", "b", "c", "d"]
    assert capabilities.for_client(granted, "ffff") == ["a", "b"]
    assert capabilities.every_capability(granted) == ["a", "b", "c", "d"]
    assert capabilities.strip({"capabilities:x": "1", "PromotionCodes": "2", "keep": "3"}) == \
        {"keep": "3"}


def test_capabilities_appear_in_the_profiles_and_get_account(api, user, token, catalogue, rp):
    assert ok(api.get("/account/profile", token=user.session_token))["subscriptionsByClientId"] \
        == {}
    sub_id = ok(subscribe(api, token, catalogue["pro"]))["subscription"]["id"]
    profile = ok(api.get("/account/profile", token=user.session_token))
    assert profile["subscriptionsByClientId"] == {
        "*": ["everyone"], CLIENT_ID: ["123doneBasic", "123donePro"]}
    account = ok(api.get("/account", token=user.session_token))
    assert [(s["subscription_id"], s["product_name"], s["status"], s["_subscription_type"])
            for s in account["subscriptions"]] == [(sub_id, "123Done Pro", "active", "web")]

    rp_token = access_token(user.account, "profile:subscriptions", client=rp[0])
    bearer = {"Authorization": f"Bearer {rp_token}"}
    assert ok(api.get("/subscriptions", headers=bearer)) == \
        {"subscriptions": ["123doneBasic", "123donePro", "everyone"]}
    assert ok(api.get("/profile", headers=bearer))["subscriptions"] == \
        ["123doneBasic", "123donePro", "everyone"]
    other = access_token(user.account, "profile:subscriptions")  # an RP the catalogue ignores
    assert ok(api.get("/subscriptions", headers={"Authorization": f"Bearer {other}"})) == \
        {"subscriptions": ["everyone"]}
    no_scope = access_token(user.account, "profile:email", client=rp[0])
    assert api.get("/subscriptions", headers={"Authorization": f"Bearer {no_scope}"}) \
        .status_code == 403
    assert "subscriptions" not in ok(api.get("/profile",
                                             headers={"Authorization": f"Bearer {no_scope}"}))


def test_jwt_access_tokens_carry_fxa_subscriptions(api, user, token, catalogue, rp, settings):
    settings.OAUTH_SIGNING_KEY = OAUTH_SIGNING_KEY
    ok(subscribe(api, token, catalogue["basic"]))
    client, secret = rp

    def claims(scope):
        code = code_for(api, user, client, scope=scope)
        body = ok(api.post("/token", {"client_id": client.client_id, "client_secret": secret,
                                      "code": code}))
        return jwt.decode(body["access_token"], keys.current_key().private_key.public_key(),
                          algorithms=["RS256"], options={"verify_aud": False})

    assert claims("profile:subscriptions")["fxa-subscriptions"] == ["123doneBasic"]
    assert "fxa-subscriptions" not in claims("profile:email")


def test_each_change_is_signalled_to_the_outbox(api, user, token, catalogue, signals):
    sub_id = ok(subscribe(api, token, catalogue["basic"]))["subscription"]["id"]
    assert len(signals) == 1
    granted = signals[0]
    assert granted["account"] == user.account and granted["is_active"] is True
    assert granted["capabilities_by_client"] == {CLIENT_ID: ["123doneBasic"]}
    assert isinstance(granted["change_time"], int) and granted["change_time"] > 10**12

    signals.clear()
    ok(call(api, "PUT", f"/oauth/subscriptions/active/{sub_id}", token,
            {"planId": catalogue["pro"]}))
    # The bare capability reaches every RP the catalogue names; nothing was revoked.
    assert [(s["is_active"], s["capabilities_by_client"]) for s in signals] == [
        (True, {"aaaa000011112222": ["everyone"], CLIENT_ID: ["123donePro", "everyone"]})]

    signals.clear()
    ok(call(api, "DELETE", f"/oauth/subscriptions/active/{sub_id}", token))
    assert signals == []  # still active until the period ends


def test_a_change_that_rolls_back_signals_inside_the_transaction(api, token, catalogue):
    """Receivers run inside the caching transaction: a receiver's failure undoes the change."""
    def failing(sender, **kwargs):
        raise RuntimeError("outbox down")

    capabilities_changed.connect(failing)
    try:
        assert subscribe(api, token, catalogue["basic"]).status_code == 500
    finally:
        capabilities_changed.disconnect(failing)
    assert not Subscription.objects.exists()


def test_account_deletion_cancels_the_subscription(api, user, token, catalogue, signals,
                                                   stripe_api):
    sub_id = ok(subscribe(api, token, catalogue["basic"]))["subscription"]["id"]
    customer_id = user.account.stripe_customer.customer_id
    signals.clear()
    delete_account(user.account, by="user")
    assert stripe_api.subscriptions.retrieve(sub_id).status == "canceled"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_api.customers.retrieve(customer_id)
    assert not StripeCustomer.objects.exists()
    assert [(s["is_active"], s["capabilities_by_client"]) for s in signals] == [
        (False, {CLIENT_ID: ["123doneBasic"]})]


def test_a_change_of_capabilities_bumps_profile_changed_at(api, user, token, catalogue):
    """RPs keep the profile by profileChangedAt (§13: the capabilities are in it)."""
    def changed_at():
        return ok(api.get("/account/profile", token=user.session_token))["profileChangedAt"]

    before = changed_at()
    sub_id = ok(subscribe(api, token, catalogue["basic"]))["subscription"]["id"]
    granted = changed_at()
    assert granted > (before or 0)
    ok(call(api, "DELETE", f"/oauth/subscriptions/active/{sub_id}", token))
    assert changed_at() == granted  # cancelling at the period's end changes nothing yet
    ok(call(api, "PUT", f"/oauth/subscriptions/active/{sub_id}", token,
            {"planId": catalogue["pro"]}))
    assert changed_at() > granted
