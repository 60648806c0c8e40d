"""The Stripe card routes of /v1/oauth/subscriptions against localstripe (reference §4–§6)."""
import pytest

from subscriptions import services, stripe_gateway
from subscriptions.models import StripeCustomer, Subscription
from tests import factories
from tests.helpers import ApiClient, assert_error, ok

from .conftest import CLIENT_ID, access_token, card, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return ApiClient()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def call(api, method, path, token, data=None):
    return api.request(method, path, data, headers=bearer(token))


def subscribe(api, token, price_id, payment_method="pm_card_visa"):
    ok(call(api, "POST", "/oauth/subscriptions/customer", token, {"displayName": "Jane"}))
    return call(api, "POST", "/oauth/subscriptions/active/new", token,
                {"priceId": price_id, "paymentMethodId": payment_method})


def test_plans_are_listed_with_their_metadata_sanitised(api, catalogue):
    plans = ok(api.get("/oauth/subscriptions/plans"))
    by_id = {plan["plan_id"]: plan for plan in plans}
    assert set(by_id) == set(catalogue.values())
    pro = by_id[catalogue["pro"]]
    assert pro["product_name"] == "123Done Pro" and pro["amount"] == 1000
    assert pro["currency"] == "usd" and pro["interval"] == "month" and pro["interval_count"] == 1
    assert pro["configuration"] is None and pro["active"] is True
    assert pro["product_metadata"]["productSet"] == "123done"
    assert not any(key.startswith("capabilities") for key in pro["product_metadata"])


def test_a_plan_without_the_required_metadata_is_not_offered(api, catalogue, stripe_api):
    product = stripe_api.products.create({"name": "Bare", "metadata": {"capabilities": "x"}})
    stripe_api.plans.create({"product": product.id, "currency": "usd", "amount": 1,
                             "interval": "month"})
    plans = ok(api.get("/oauth/subscriptions/plans"))
    assert {plan["plan_id"] for plan in plans} == set(catalogue.values())


def test_product_name(api, catalogue):
    plans = ok(api.get("/oauth/subscriptions/plans"))
    product_id = next(p["product_id"] for p in plans if p["plan_id"] == catalogue["basic"])
    assert ok(api.get(f"/oauth/subscriptions/productname?productId={product_id}")) == \
        {"product_name": "123Done Basic"}
    assert_error(api.get("/oauth/subscriptions/productname?productId=prod_nope"), 400, 178)


def test_routes_need_a_token_with_the_subscriptions_scope(api, user, catalogue):
    assert_error(api.get("/oauth/subscriptions/active"), 401, 110)
    assert_error(call(api, "GET", "/oauth/subscriptions/active", "0" * 64), 401, 110)
    profile_only = access_token(user.account, scope="profile")
    response = call(api, "GET", "/oauth/subscriptions/active", profile_only)
    assert response.status_code == 403


def test_customer_is_created_once_and_linked_to_the_uid(api, user, token, catalogue):
    first = ok(call(api, "POST", "/oauth/subscriptions/customer", token, {"displayName": "Jane"}))
    second = ok(call(api, "POST", "/oauth/subscriptions/customer", token, {}))
    assert first == second == {"invoice_settings": {"default_payment_method": None},
                               "sources": {"data": []}, "subscriptions": {"data": []}}
    row = StripeCustomer.objects.get(account=user.account)
    assert row.data["metadata"]["userid"] == user.account.uid
    assert row.data["email"] == "subscriber@example.com" and row.data["name"] == "Jane"


def test_subscribe_without_a_customer_is_176(api, token, catalogue):
    response = call(api, "POST", "/oauth/subscriptions/active/new", token,
                    {"priceId": catalogue["basic"], "paymentMethodId": "pm_card_visa"})
    assert_error(response, 404, 176)


def test_subscribe_with_a_card(api, user, token, catalogue):
    body = ok(subscribe(api, token, catalogue["basic"]))
    sub = body["subscription"]
    assert body["sourceCountry"] == "FR"  # the card's country (localstripe: always FR)
    assert sub["status"] == "active" and sub["cancel_at_period_end"] is False
    assert sub["items"]["data"][0]["price"]["id"] == catalogue["basic"]
    assert "capabilities" not in str(sub["items"]["data"][0]["price"]["metadata"])
    assert set(sub) == {"id", "status", "created", "current_period_start", "current_period_end",
                        "cancel_at_period_end", "cancel_at", "canceled_at", "ended_at",
                        "latest_invoice", "items"}
    active = ok(call(api, "GET", "/oauth/subscriptions/active", token))
    assert [(a["uid"], a["subscriptionId"], a["cancelledAt"]) for a in active] == \
        [(user.account.uid, sub["id"], None)]
    assert active[0]["createdAt"] == sub["created"] * 1000
    customer = ok(call(api, "POST", "/oauth/subscriptions/customer", token, {}))
    assert customer["invoice_settings"]["default_payment_method"].startswith("pm_")
    assert [s["id"] for s in customer["subscriptions"]["data"]] == [sub["id"]]


def test_subscribing_twice_to_a_product_set_is_187(api, token, catalogue):
    ok(subscribe(api, token, catalogue["basic"]))
    assert_error(subscribe(api, token, catalogue["pro"]), 409, 187)
    assert_error(subscribe(api, token, catalogue["basic"]), 409, 187)
    ok(subscribe(api, token, catalogue["vpn"]))  # another product set


def test_unknown_plan_is_178(api, token, catalogue):
    assert_error(subscribe(api, token, "plan_unknown"), 400, 178)


def test_a_declined_card_is_179_and_leaves_no_subscription(api, user, token, catalogue):
    response = subscribe(api, token, catalogue["basic"], "pm_card_chargeCustomerFail")
    assert_error(response, 400, 179)
    assert ok(call(api, "GET", "/oauth/subscriptions/active", token)) == []
    assert not Subscription.objects.filter(status="active").exists()


def test_eligibility(api, token, catalogue):
    path = "/oauth/mozilla-subscriptions/customer/plan-eligibility/"
    assert ok(call(api, "GET", path + catalogue["pro"], token)) == {"eligibility": "create"}
    ok(subscribe(api, token, catalogue["basic"]))
    upgrade = ok(call(api, "GET", path + catalogue["pro"], token))
    assert upgrade["eligibility"] == "upgrade"
    assert upgrade["currentPlan"]["plan_id"] == catalogue["basic"]
    assert ok(call(api, "GET", path + catalogue["basic"], token)) == {"eligibility": "invalid"}
    assert ok(call(api, "GET", path + catalogue["vpn"], token)) == {"eligibility": "create"}
    assert_error(call(api, "GET", path + "plan_nope", token), 400, 178)


def test_cancel_at_period_end_then_reactivate(api, token, catalogue):
    sub_id = ok(subscribe(api, token, catalogue["basic"]))["subscription"]["id"]
    assert ok(call(api, "DELETE", f"/oauth/subscriptions/active/{sub_id}", token)) == \
        {"subscriptionId": sub_id}
    cached = Subscription.objects.get(pk=sub_id)
    assert cached.cancel_at_period_end and cached.status == "active"
    assert cached.data["metadata"]["cancelled_for_customer_at"]
    assert ok(call(api, "POST", "/oauth/subscriptions/reactivate", token,
                   {"subscriptionId": sub_id})) == {}
    cached.refresh_from_db()
    assert not cached.cancel_at_period_end
    assert "cancelled_for_customer_at" not in cached.data["metadata"]  # "" unsets a key


def test_someone_elses_subscription_is_177(api, token, catalogue):
    sub_id = ok(subscribe(api, token, catalogue["basic"]))["subscription"]["id"]
    other = access_token(factories.account("other@example.com").account)
    assert_error(call(api, "DELETE", f"/oauth/subscriptions/active/{sub_id}", other), 404, 177)
    assert_error(call(api, "POST", "/oauth/subscriptions/reactivate", other,
                      {"subscriptionId": sub_id}), 404, 177)


def test_upgrade_with_a_proration_preview(api, token, catalogue):
    sub_id = ok(subscribe(api, token, catalogue["basic"]))["subscription"]["id"]
    preview = ok(call(api, "POST", "/oauth/subscriptions/invoice/preview", token,
                      {"priceId": catalogue["pro"]}))
    assert preview["total"] == 1000
    assert preview["line_items"][0]["amount"] == 1000
    # localstripe credits the whole period paid for (Stripe credits the unused part of it).
    assert (preview["prorated_amount"], preview["one_time_charge"]) == (-500, 500)
    # Downgrades are not offered through the API.
    assert ok(call(api, "PUT", f"/oauth/subscriptions/active/{sub_id}", token,
                   {"planId": catalogue["pro"]})) == {"subscriptionId": sub_id}
    cached = Subscription.objects.get(pk=sub_id)
    assert cached.plan_id == catalogue["pro"]
    assert cached.data["metadata"]["previous_plan_id"] == catalogue["basic"]
    assert_error(call(api, "PUT", f"/oauth/subscriptions/active/{sub_id}", token,
                      {"planId": catalogue["basic"]}), 400, 185)


def test_clients_needs_the_shared_secret(api, catalogue):
    assert_error(api.get("/oauth/subscriptions/clients"), 401, 110)
    wrong = api.get("/oauth/subscriptions/clients", headers={"Authorization": "nope"})
    assert_error(wrong, 401, 110)
    body = ok(api.get("/oauth/subscriptions/clients",
                      headers={"Authorization": "broker-shared-secret"}))
    assert body == [
        {"clientId": "aaaa000011112222", "capabilities": ["everyone", "vpn"]},
        {"clientId": CLIENT_ID, "capabilities": ["123doneBasic", "123donePro", "everyone"]},
    ]


def test_an_incomplete_first_invoice_is_retried_with_another_card(api, token, catalogue,
                                                                  stripe_api):
    three_d_secure = card(stripe_api, "4000002500003155")
    sub = ok(subscribe(api, token, catalogue["basic"], three_d_secure))["subscription"]
    assert sub["status"] == "incomplete"
    invoice_id = sub["latest_invoice"]["id"]
    retried = ok(call(api, "POST", "/oauth/subscriptions/invoice/retry", token, {
        "invoiceId": invoice_id, "paymentMethodId": "pm_card_visa", "idempotencyKey": "k-1"}))
    assert retried["id"] == invoice_id and retried["status"] == "paid"
    assert retried["payment_intent"]["status"] == "succeeded"
    assert Subscription.objects.get(pk=sub["id"]).status == "active"
    assert_error(call(api, "POST", "/oauth/subscriptions/invoice/retry", token, {
        "invoiceId": "in_nope", "paymentMethodId": "pm_card_visa", "idempotencyKey": "k-2"}),
        500, 203)


def test_a_preview_for_a_new_subscriber_has_no_proration(api, token, catalogue):
    ok(call(api, "POST", "/oauth/subscriptions/customer", token, {}))
    preview = ok(call(api, "POST", "/oauth/subscriptions/invoice/preview", token,
                      {"priceId": catalogue["basic"]}))
    assert preview["total"] == preview["subtotal"] == 500
    assert "prorated_amount" not in preview
    assert_error(call(api, "POST", "/oauth/subscriptions/invoice/preview", token,
                      {"priceId": "plan_nope"}), 400, 178)


def test_plan_names_are_localised(api, stripe_api, catalogue):
    plan_id = make_product(stripe_api, "Monitor", "monitor", 1, capabilities={"capabilities": "m"},
                           **{"product:name:de": "Monitor (de)"})[0]
    german = ok(api.request("GET", "/oauth/subscriptions/plans",
                            headers={"Accept-Language": "de-DE,de;q=0.9"}))
    english = ok(api.get("/oauth/subscriptions/plans"))
    assert next(p for p in german if p["plan_id"] == plan_id)["product_name"] == "Monitor (de)"
    assert next(p for p in english if p["plan_id"] == plan_id)["product_name"] == "Monitor"


def test_a_promotion_code_the_plan_does_not_list_is_199(api, token, catalogue):
    ok(call(api, "POST", "/oauth/subscriptions/customer", token, {}))
    response = call(api, "POST", "/oauth/subscriptions/active/new", token, {
        "priceId": catalogue["basic"], "paymentMethodId": "pm_card_visa",
        "promotionCode": "NOTLISTED"})
    assert_error(response, 400, 199)


def test_an_upgrade_to_another_currency_is_211(api, token, catalogue, stripe_api):
    sub_id = ok(subscribe(api, token, catalogue["basic"]))["subscription"]["id"]
    euro = make_product(stripe_api, "123Done Max", "123done", 3,
                        capabilities={"capabilities": "max"}, plans=(("eur", 900),))[0]
    services.refresh_catalogue()  # as its plan.created webhook does
    assert_error(call(api, "PUT", f"/oauth/subscriptions/active/{sub_id}", token,
                      {"planId": euro}), 400, 211)


def test_without_a_stripe_key_the_routes_are_202(api, token, catalogue, settings):
    settings.STRIPE_API_KEY = ""
    assert_error(call(api, "POST", "/oauth/subscriptions/customer", token, {}), 503, 202)


def test_billing_and_subscriptions(api, user, token, catalogue):
    path = "/oauth/mozilla-subscriptions/customer/billing-and-subscriptions"
    assert_error(call(api, "GET", path, token), 404, 176)
    sub_id = ok(subscribe(api, token, catalogue["basic"]))["subscription"]["id"]
    body = ok(call(api, "GET", path, token))
    assert body["customerId"] == user.account.stripe_customer.customer_id
    assert body["billing_name"] == "Jane" and body["payment_provider"] == "stripe"
    assert (body["brand"], body["last4"]) == ("visa", "4242")
    [web] = body["subscriptions"]
    assert web["_subscription_type"] == "web" and web["subscription_id"] == sub_id
    assert web["plan_id"] == catalogue["basic"] and web["product_name"] == "123Done Basic"
    assert web["latest_invoice_items"]["total"] == 500 and web["promotion_code"] is None
    account = ok(api.get("/account", token=user.session_token))
    assert account["subscriptions"] == body["subscriptions"]


def test_preview_subsequent(api, token, catalogue):
    path = "/oauth/subscriptions/invoice/preview-subsequent"
    assert_error(call(api, "GET", path, token), 404, 176)
    sub = ok(subscribe(api, token, catalogue["basic"]))["subscription"]
    [next_invoice] = ok(call(api, "GET", path, token))
    assert next_invoice["subscriptionId"] == sub["id"] and next_invoice["currency"] == "usd"
    assert next_invoice["total"] == next_invoice["subtotal"] == 500
    assert next_invoice["period_start"] >= sub["current_period_start"]
    ok(call(api, "DELETE", f"/oauth/subscriptions/active/{sub['id']}", token))
    # Still listed, as what a reactivation would bring.
    assert [n["subscriptionId"] for n in ok(call(api, "GET", path, token))] == [sub["id"]]


def test_change_the_default_card_through_a_setup_intent(api, token, catalogue, stripe_api):
    ok(subscribe(api, token, catalogue["basic"]))
    intent = ok(call(api, "POST", "/oauth/subscriptions/setupintent/create", token, {}))
    assert set(intent) == {"client_secret", "created", "next_action", "payment_method", "status"}
    customer_id = StripeCustomer.objects.get().customer_id
    # What Stripe.js's confirmCardSetup leaves: a new card attached to the customer.
    mastercard = card(stripe_api, "5555555555554444", 2041)
    stripe_api.payment_methods.attach(mastercard, {"customer": customer_id})
    customer = ok(call(api, "POST", "/oauth/subscriptions/paymentmethod/default", token,
                       {"paymentMethodId": mastercard}))
    assert customer["invoice_settings"]["default_payment_method"] == mastercard
    billing = ok(call(api, "GET",
                      "/oauth/mozilla-subscriptions/customer/billing-and-subscriptions", token))
    assert (billing["last4"], billing["exp_year"]) == ("4444", 2041)
    stranger = card(stripe_api, "4242424242424242", 2041)
    assert_error(call(api, "POST", "/oauth/subscriptions/paymentmethod/default", token,
                      {"paymentMethodId": stranger}), 400, 181)


def test_a_failed_card_is_detached_only_while_nothing_is_paid(api, token, catalogue,
                                                              stripe_api):
    three_d_secure = card(stripe_api, "4000002500003155")
    assert ok(subscribe(api, token, catalogue["basic"], three_d_secure))["subscription"][
        "status"] == "incomplete"
    path = "/oauth/subscriptions/paymentmethod/failed/detach"
    detached = ok(call(api, "POST", path, token, {"paymentMethodId": three_d_secure}))
    assert detached["id"] == three_d_secure and detached["customer"] is None
    ok(subscribe(api, token, catalogue["vpn"]))
    untouched = ok(call(api, "POST", path, token, {"paymentMethodId": "pm_whatever"}))
    assert untouched == {"id": "pm_whatever"}


def test_a_new_attempt_cancels_the_incomplete_subscription_to_the_same_plan(
        api, token, catalogue, stripe_api):
    stuck = ok(subscribe(api, token, catalogue["basic"], card(stripe_api, "4000002500003155")))
    assert stuck["subscription"]["status"] == "incomplete"
    fresh = ok(subscribe(api, token, catalogue["basic"]))["subscription"]
    assert fresh["status"] == "active" and fresh["id"] != stuck["subscription"]["id"]
    assert stripe_api.subscriptions.retrieve(stuck["subscription"]["id"]).status == "canceled"
    assert Subscription.objects.get(pk=stuck["subscription"]["id"]).status == "canceled"
    assert [s["subscriptionId"] for s in ok(call(api, "GET", "/oauth/subscriptions/active",
                                                 token))] == [fresh["id"]]


def test_our_pages_session_token_reads_billing_and_eligibility(api, user, token, catalogue):
    """The two read routes of the settings pages also take a verified session token (Hawk),
    which stands for the whole account; the others stay OAuth-only, as upstream's."""
    billing = "/oauth/mozilla-subscriptions/customer/billing-and-subscriptions"
    eligibility = f"/oauth/mozilla-subscriptions/customer/plan-eligibility/{catalogue['pro']}"
    session = {"token": user.session_token, "scheme": "hawk"}
    assert_error(api.get(billing, **session), 404, 176)
    sub_id = ok(subscribe(api, token, catalogue["basic"]))["subscription"]["id"]
    assert [s["subscription_id"] for s in ok(api.get(billing, **session))["subscriptions"]] == \
        [sub_id]
    assert ok(api.get(eligibility, **session))["eligibility"] == "upgrade"
    assert_error(api.get("/oauth/subscriptions/active", **session), 401, 110)
    pending = factories.account("pending@example.com", verified=False)
    assert_error(api.get(eligibility, token=pending.session_token, scheme="hawk"), 400, 104)


def test_a_card_from_a_country_that_does_not_pay_in_the_currency_is_211(
        api, token, catalogue, stripe_api, settings):
    """§6: at subscribe the card's country must pay in the plan's currency, and at a card change
    in the customer's (localstripe's cards are French)."""
    settings.SUBSCRIPTIONS_CURRENCY_COUNTRIES = {"USD": ["US"]}
    assert_error(subscribe(api, token, catalogue["basic"]), 400, 211)
    assert not Subscription.objects.exists()
    settings.SUBSCRIPTIONS_CURRENCY_COUNTRIES = {"USD": ["US", "FR"]}
    ok(subscribe(api, token, catalogue["basic"]))
    customer_id = StripeCustomer.objects.get().customer_id
    french = card(stripe_api, "5555555555554444", 2041)
    stripe_api.payment_methods.attach(french, {"customer": customer_id})
    settings.SUBSCRIPTIONS_CURRENCY_COUNTRIES = {"USD": ["US"]}
    assert_error(call(api, "POST", "/oauth/subscriptions/paymentmethod/default", token,
                      {"paymentMethodId": french}), 400, 211)
    default = StripeCustomer.objects.get().data["invoice_settings"]["default_payment_method"]
    assert stripe_gateway.expanded_id(default).startswith("pm_")
    assert stripe_gateway.expanded_id(default) != french
