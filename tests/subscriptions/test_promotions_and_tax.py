"""Promotion codes (reference §6.2), Stripe Tax and the anonymous previews (§4.2, §6.3), and the
card-country checks (§6), against a loopback Stripe answering from fixtures: localstripe has
neither promotion codes nor Stripe Tax."""
import secrets

import pytest

from subscriptions import services, stripe_gateway
from subscriptions.models import Subscription
from tests import factories
from tests.helpers import ApiClient, assert_error, ok

from . import stripe_fixtures as fx
from .conftest import access_token

pytestmark = pytest.mark.django_db

GEO = {"X-Geo-Country": "US", "X-Geo-Postal-Code": "10001"}


@pytest.fixture
def api():
    return ApiClient()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def coupon(api, code, price="price_pro_usd", headers=None):
    return api.request("POST", "/oauth/subscriptions/coupon",
                       {"priceId": price, "promotionCode": code}, headers=headers)


# POST /coupon


def test_a_live_code_is_valid_with_its_discount(api, fake):
    fake.on("POST", "/v1/invoices/create_preview",
            lambda params: fx.preview(promo=fx.promotion_by_id("promo_launch")))
    assert ok(coupon(api, "LAUNCH")) == {
        "promotionCode": "LAUNCH", "type": "once", "durationInMonths": None, "valid": True,
        "discountAmount": 100, "expired": False, "maximallyRedeemed": False,
    }
    [sent] = fake.sent("POST", "/v1/invoices/create_preview")
    assert sent.params["discounts[0][promotion_code]"] == "promo_launch"
    assert sent.params["subscription_details[items][0][plan]"] == "price_pro_usd"
    # Listed on the plan (not the product), and repeating over whole months: valid too.
    spring = ok(coupon(api, "SPRING"))
    assert (spring["type"], spring["durationInMonths"], spring["valid"]) == ("repeating", 3, True)


def test_expired_and_used_up_codes_are_described_not_refused(api, fake):
    expired = ok(coupon(api, "EXPIRED"))
    assert (expired["valid"], expired["expired"], expired["maximallyRedeemed"]) == \
        (False, True, False)
    maxed = ok(coupon(api, "MAXED"))
    assert (maxed["valid"], maxed["expired"], maxed["maximallyRedeemed"]) == (False, False, True)
    archived = ok(coupon(api, "ARCHIVED"))
    assert (archived["valid"], archived["expired"], archived["maximallyRedeemed"]) == \
        (False, False, False)
    # Nothing to preview for a code that cannot be used.
    assert fake.sent("POST", "/v1/invoices/create_preview") == []


def test_a_repeating_coupon_shorter_than_a_yearly_period_is_not_valid(api, fake):
    assert ok(coupon(api, "THREEMONTHS", price="price_pro_year"))["valid"] is False


def test_codes_the_price_does_not_take_are_199(api, fake):
    assert_error(coupon(api, "NOTLISTED"), 400, 199)
    # Listed on the USD plan only, not on the euro one.
    assert_error(coupon(api, "SPRING", price="price_pro_eur"), 400, 199)
    # Its coupon is restricted to another product.
    assert_error(coupon(api, "ELSEWHERE"), 400, 199)
    assert_error(coupon(api, "LAUNCH", price="price_unknown"), 400, 178)


def test_a_discount_below_the_minimum_charge_is_199(api, fake):
    # Stripe cannot charge 0.40 USD (its minimum is 0.50): the code cannot be offered.
    big = fx.promotion_code("promo_launch", "LAUNCH", fx.coupon("co_big", percent_off=96.0))
    fake.on("POST", "/v1/invoices/create_preview", lambda params: fx.preview(promo=big))
    assert_error(coupon(api, "LAUNCH"), 400, 199)


def test_a_preview_stripe_refuses_makes_the_code_invalid(api, fake):
    fake.on("POST", "/v1/invoices/create_preview",
            {"error": {"type": "invalid_request_error", "message": "No such coupon"}}, status=400)
    assert ok(coupon(api, "LAUNCH"))["valid"] is False


# POST /invoice/preview


def test_an_anonymous_preview_with_a_code_and_tax_from_geo_ip(api, fake):
    """US sales tax is added on top of the discounted price."""
    fake.on("POST", "/v1/invoices/create_preview", lambda params: fx.preview(
        promo=fx.promotion_by_id("promo_launch"), tax=72))
    body = ok(api.request("POST", "/oauth/subscriptions/invoice/preview",
                          {"priceId": "price_pro_usd", "promotionCode": "LAUNCH"}, headers=GEO))
    assert body["line_items"][0]["amount"] == 1000 and body["line_items"][0]["id"] == \
        "price_pro_usd"
    assert (body["subtotal"], body["subtotal_excluding_tax"]) == (1000, 1000)
    assert (body["total"], body["total_excluding_tax"]) == (972, 900)
    assert body["tax"] == [{"amount": 72, "inclusive": False, "display_name": "Sales Tax"}]
    assert body["discount"] == {"amount": 100, "amount_off": None, "percent_off": 10.0}
    [sent] = fake.sent("POST", "/v1/invoices/create_preview")
    assert "customer" not in sent.params
    assert sent.params["automatic_tax[enabled]"] == "true"
    assert sent.params["customer_details[shipping][address][country]"] == "US"
    assert sent.params["customer_details[shipping][address][postal_code]"] == "10001"
    assert sent.params["customer_details[tax_exempt]"] == "none"
    assert sent.params["expand[0]"] == "total_tax_amounts.tax_rate"


def test_inclusive_vat_is_inside_the_total(api, fake):
    """German VAT is part of the euro price: the total stays 10.00, 1.60 of it tax."""
    fake.on("POST", "/v1/invoices/create_preview", lambda params: fx.preview(
        currency="eur", tax=160, inclusive=True, tax_name="VAT", price=fx.PLAN_EUR))
    body = ok(api.request("POST", "/oauth/subscriptions/invoice/preview",
                          {"priceId": "price_pro_eur"},
                          headers={"X-Geo-Country": "DE", "X-Geo-Postal-Code": "10115"}))
    assert (body["total"], body["total_excluding_tax"], body["subtotal_excluding_tax"]) == \
        (1000, 840, 840)
    assert body["tax"] == [{"amount": 160, "inclusive": True, "display_name": "VAT"}]
    assert "discount" not in body


def test_without_a_location_or_in_another_currency_there_is_no_tax(api, fake):
    ok(api.request("POST", "/oauth/subscriptions/invoice/preview", {"priceId": "price_pro_usd"}))
    # A US visitor looking at a euro price: Stripe Tax is not asked (upstream's rule).
    ok(api.request("POST", "/oauth/subscriptions/invoice/preview", {"priceId": "price_pro_eur"},
                   headers=GEO))
    first, second = fake.sent("POST", "/v1/invoices/create_preview")
    assert "automatic_tax[enabled]" not in first.params
    assert "customer_details[shipping][address][country]" not in first.params
    assert first.params["customer_details[tax_exempt]"] == "none"
    assert "automatic_tax[enabled]" not in second.params
    body = ok(api.request("POST", "/oauth/subscriptions/invoice/preview",
                          {"priceId": "price_pro_usd"}))
    assert "tax" not in body and body["total"] == 1000


def test_an_unsupported_location_is_213(api, fake, settings):
    settings.SUBSCRIPTIONS_UNSUPPORTED_LOCATIONS = ["US"]
    assert_error(api.request("POST", "/oauth/subscriptions/invoice/preview",
                             {"priceId": "price_pro_usd"}, headers=GEO), 400, 213)


def test_a_preview_code_that_cannot_be_used_is_199(api, fake):
    for code in ("ARCHIVED", "EXPIRED", "NOTLISTED"):
        assert_error(api.request("POST", "/oauth/subscriptions/invoice/preview",
                                 {"priceId": "price_pro_usd", "promotionCode": code}), 400, 199)


def test_a_customers_preview_is_taxed_where_stripe_tax_places_it(api, fake, user, customer):
    ok(api.request("POST", "/oauth/subscriptions/invoice/preview", {"priceId": "price_pro_usd"},
                   headers=bearer(access_token(user.account))))
    [sent] = fake.sent("POST", "/v1/invoices/create_preview")
    assert sent.params["customer"] == fx.CUSTOMER_ID
    assert sent.params["automatic_tax[enabled]"] == "true"
    assert not any(key.startswith("customer_details") for key in sent.params)
    [lookup] = fake.sent("GET", f"/v1/customers/{fx.CUSTOMER_ID}")
    assert lookup.params["expand[1]"] == "tax"


def test_a_token_without_the_scope_is_refused_even_where_one_is_optional(api, fake, user):
    profile_only = access_token(user.account, scope="profile")
    response = api.request("POST", "/oauth/subscriptions/coupon",
                           {"priceId": "price_pro_usd", "promotionCode": "LAUNCH"},
                           headers=bearer(profile_only))
    assert response.status_code == 403
    assert_error(api.request("POST", "/oauth/subscriptions/coupon",
                             {"priceId": "price_pro_usd", "promotionCode": "LAUNCH"},
                             headers=bearer("0" * 64)), 401, 110)


# POST /active/new with a promotion code, Stripe Tax and the card's country


def subscribe_routes(fake):
    """What Stripe answers along a subscription with LAUNCH by a US card."""
    launch = fx.promotion_by_id("promo_launch")
    fake.on("GET", "/v1/subscriptions", {"object": "list", "data": [], "has_more": False})
    fake.on("GET", "/v1/payment_methods/pm_us", fx.card_payment_method("pm_us", "US"))
    fake.on("GET", "/v1/payment_methods/pm_de", fx.card_payment_method("pm_de", "DE"))
    fake.on("POST", "/v1/payment_methods/pm_us/attach",
            fx.card_payment_method("pm_us", "US", fx.CUSTOMER_ID))
    with_card = {**fx.CUSTOMER, "invoice_settings": {
        **fx.CUSTOMER["invoice_settings"],
        "default_payment_method": fx.card_payment_method("pm_us", "US", fx.CUSTOMER_ID)}}
    fake.on("POST", f"/v1/customers/{fx.CUSTOMER_ID}", with_card)
    created = fx.subscription(promo=launch, latest_invoice=fx.paid_invoice(promo=launch))
    fake.on("POST", "/v1/subscriptions", created)
    fake.on("POST", "/v1/subscriptions/sub_fixture", lambda params: fx.subscription(
        promo=launch, metadata={"appliedPromotionCode": params["metadata[appliedPromotionCode]"]}))


def test_subscribe_with_a_promotion_code(api, fake, user, customer):
    subscribe_routes(fake)
    token = access_token(user.account)
    body = ok(api.request("POST", "/oauth/subscriptions/active/new", {
        "priceId": "price_pro_usd", "paymentMethodId": "pm_us", "promotionCode": "LAUNCH"},
        headers=bearer(token)))
    assert body["sourceCountry"] == "US"
    assert body["subscription"]["id"] == "sub_fixture"
    assert body["subscription"]["latest_invoice"]["payment_intent"]["status"] == "succeeded"
    [create] = fake.sent("POST", "/v1/subscriptions")
    assert create.params["discounts[0][promotion_code]"] == "promo_launch"
    assert create.params["automatic_tax[enabled]"] == "true"  # the customer is taxable in USD
    assert create.params["items[0][plan]"] == "price_pro_usd"
    # upstream's key: ssc- + sha256(customer, price, card fingerprint, minute), base64url.
    key = create.headers["Idempotency-Key"]
    assert key.startswith("ssc-") and len(key) == 4 + 43
    [update] = fake.sent("POST", "/v1/subscriptions/sub_fixture")
    assert update.params["metadata[appliedPromotionCode]"] == "LAUNCH"
    # The US card's billing postal code places the customer for Stripe Tax from now on.
    [located] = [r for r in fake.sent("POST", f"/v1/customers/{fx.CUSTOMER_ID}")
                 if "shipping[address][postal_code]" in r.params]
    assert (located.params["shipping[address][country]"],
            located.params["shipping[address][postal_code]"]) == ("US", "10001")
    [web] = ok(api.get("/account", token=user.session_token))["subscriptions"]
    assert web["promotion_code"] == "LAUNCH" and web["promotion_percent_off"] == 10.0
    assert (web["promotion_duration"], web["promotion_name"], web["promotion_amount_off"]) == \
        ("once", "Launch 10%", None)
    assert web["latest_invoice_items"]["discount"]["amount"] == 100
    assert (web["latest_invoice"], web["latest_invoice_url"]) == \
        ("ABC123-0001", "https://invoice.stripe.com/i/acct_fixture/in_fixture")


def test_a_card_from_a_country_that_does_not_pay_in_the_currency_is_211(api, fake, user,
                                                                        customer):
    subscribe_routes(fake)
    response = api.request("POST", "/oauth/subscriptions/active/new", {
        "priceId": "price_pro_usd", "paymentMethodId": "pm_de"},
        headers=bearer(access_token(user.account)))
    assert_error(response, 400, 211)
    assert fake.sent("POST", "/v1/payment_methods/pm_de/attach") == []
    assert fake.sent("POST", "/v1/subscriptions") == []


def test_subscribing_with_an_unusable_code_is_199(api, fake, user, customer):
    subscribe_routes(fake)
    response = api.request("POST", "/oauth/subscriptions/active/new", {
        "priceId": "price_pro_usd", "paymentMethodId": "pm_us", "promotionCode": "EXPIRED"},
        headers=bearer(access_token(user.account)))
    assert_error(response, 400, 199)
    assert fake.sent("POST", "/v1/subscriptions") == []


# PUT /coupon/apply


@pytest.fixture
def running(fake, customer):
    """The customer's running subscription to the USD plan, cached as a webhook caches it."""
    services._store_subscriptions(customer, [stripe_gateway.normalise_subscription(
        fx.subscription())])
    for promo in fx.PROMOTION_CODES:
        fake.on("GET", f"/v1/promotion_codes/{promo['id']}", promo)
    launch = fx.promotion_by_id("promo_launch")
    fake.on("POST", "/v1/subscriptions/sub_fixture", lambda params: fx.subscription(
        promo=launch, metadata={"appliedPromotionCode": params["metadata[appliedPromotionCode]"]}))
    return customer


def apply(api, token, promotion_id, subscription_id="sub_fixture"):
    return api.request("PUT", "/oauth/subscriptions/coupon/apply",
                       {"promotionId": promotion_id, "subscriptionId": subscription_id},
                       headers=bearer(token))


def test_apply_a_code_to_a_running_subscription(api, fake, user, running):
    body = ok(apply(api, access_token(user.account), "promo_launch"))
    assert body["id"] == "sub_fixture" and body["status"] == "active"
    [update] = fake.sent("POST", "/v1/subscriptions/sub_fixture")
    assert update.params["discounts[0][promotion_code]"] == "promo_launch"
    assert update.params["metadata[appliedPromotionCode]"] == "LAUNCH"
    cached = Subscription.objects.get(pk="sub_fixture")
    assert cached.data["discount"]["coupon"]["percent_off"] == 10.0
    assert cached.data["metadata"]["appliedPromotionCode"] == "LAUNCH"


def test_codes_that_cannot_be_applied_are_212(api, fake, user, running):
    token = access_token(user.account)
    for promotion_id in ("promo_expired", "promo_elsewhere", "promo_maxed", "promo_three"):
        assert_error(apply(api, token, promotion_id), 400, 212)
    assert fake.sent("POST", "/v1/subscriptions/sub_fixture") == []
    other = access_token(factories.account("other@example.com").account)
    assert_error(apply(api, other, "promo_launch"), 404, 176)
    assert_error(apply(api, token, "promo_launch", "sub_unknown"), 404, 177)


def test_an_unknown_code_or_an_update_stripe_refuses_is_212(api, fake, user, running):
    token = access_token(user.account)
    assert_error(apply(api, token, "promo_unknown"), 400, 212)
    # e.g. the subscription's customer already redeemed a first-time-only code.
    fake.on("POST", "/v1/subscriptions/sub_fixture", {"error": {
        "type": "invalid_request_error", "message": "This promotion code cannot be redeemed"}},
        status=400)
    assert_error(apply(api, token, "promo_launch"), 400, 212)
    assert Subscription.objects.get(pk="sub_fixture").data["discount"] is None


# Customs


def test_customs_counts_the_previews_of_an_ip_and_the_coupons_of_an_account(api, fake, user,
                                                                         settings):
    """Upstream's checkIpOnly for a signed-out caller, its account check for a signed-in one;
    refused before Stripe is asked (429 errno 114)."""
    # An address of its own (documentation prefix): no other test counts from it.
    api.client.defaults["REMOTE_ADDR"] = f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"
    settings.CUSTOMS_RULES = ("previewInvoice : ip : 2 : 24 hours : 15 minutes\n"
                              "retrieveCouponDetails : uid : 1 : 24 hours : 15 minutes")
    for _ in range(2):
        ok(api.request("POST", "/oauth/subscriptions/invoice/preview",
                       {"priceId": "price_pro_usd"}))
    assert_error(api.request("POST", "/oauth/subscriptions/invoice/preview",
                             {"priceId": "price_pro_usd"}), 429, 114)
    assert len(fake.sent("POST", "/v1/invoices/create_preview")) == 2
    token = bearer(access_token(user.account))
    ok(coupon(api, "EXPIRED", headers=token))
    assert_error(coupon(api, "EXPIRED", headers=token), 429, 114)
    ok(coupon(api, "EXPIRED"))  # anonymous: the uid rule has nothing to count


# Idempotency keys and locations sent


def test_a_new_customer_is_placed_at_the_geo_ip_location(api, fake, user):
    fake.on("POST", "/v1/customers", {**fx.CUSTOMER, "metadata": {"userid": user.account.uid}})
    ok(api.request("POST", "/oauth/subscriptions/customer", {"displayName": "Jane"},
                   headers={**GEO, **bearer(access_token(user.account))}))
    [create] = fake.sent("POST", "/v1/customers")
    assert create.params["shipping[address][country]"] == "US"
    assert create.params["shipping[address][postal_code]"] == "10001"
    assert create.params["metadata[userid]"] == user.account.uid
    # sha256(uid), base64url: a retried creation is the same customer.
    assert create.headers["Idempotency-Key"] == stripe_gateway.idempotency_key(user.account.uid)


def test_an_invoice_retry_sends_the_callers_key(api, fake, user, customer):
    fake.on("GET", "/v1/invoices/in_open", {**fx.paid_invoice("in_open"), "status": "open",
                                             "customer": fx.CUSTOMER_ID})
    fake.on("POST", "/v1/payment_methods/pm_us/attach",
            fx.card_payment_method("pm_us", "US", fx.CUSTOMER_ID))
    fake.on("POST", f"/v1/customers/{fx.CUSTOMER_ID}", fx.CUSTOMER)
    fake.on("POST", "/v1/invoices/in_open/pay", fx.paid_invoice("in_open"))
    fake.on("GET", "/v1/subscriptions/sub_fixture", fx.subscription(latest_invoice="in_open"))
    body = ok(api.request("POST", "/oauth/subscriptions/invoice/retry", {
        "invoiceId": "in_open", "paymentMethodId": "pm_us", "idempotencyKey": "client-key-1"},
        headers=bearer(access_token(user.account))))
    assert body == {"id": "in_open", "object": "invoice", "status": "paid", "payment_intent": {
        "client_secret": "pi_fixture_secret_x", "created": fx.NOW, "next_action": None,
        "payment_method": "pm_us", "status": "succeeded"}}
    [attach] = fake.sent("POST", "/v1/payment_methods/pm_us/attach")
    assert attach.headers["Idempotency-Key"] == "client-key-1-retryInvoice"


def test_the_next_invoices_carry_their_tax(api, fake, user, running):
    fake.on("POST", "/v1/invoices/create_preview", lambda params: {
        **fx.preview(tax=80), "subscription": params.get("subscription")})
    [upcoming] = ok(api.request("GET", "/oauth/subscriptions/invoice/preview-subsequent",
                                headers=bearer(access_token(user.account))))
    assert upcoming["subscriptionId"] == "sub_fixture" and upcoming["total"] == 1080
    assert upcoming["tax"] == [{"amount": 80, "inclusive": False, "display_name": "Sales Tax"}]
    assert "discount" not in upcoming


def test_the_next_invoice_of_a_subscription_ending_is_the_one_a_reactivation_would_bring(
        api, fake, user, customer):
    ending = fx.subscription()
    ending["cancel_at_period_end"] = True
    services._store_subscriptions(customer, [stripe_gateway.normalise_subscription(ending)])
    ok(api.request("GET", "/oauth/subscriptions/invoice/preview-subsequent",
                   headers=bearer(access_token(user.account))))
    [sent] = fake.sent("POST", "/v1/invoices/create_preview")
    assert sent.params["subscription"] == "sub_fixture"
    assert sent.params["subscription_details[cancel_at_period_end]"] == "false"


def test_a_new_default_card_from_the_us_moves_the_customer_to_its_postal_code(
        api, fake, user, customer):
    fake.on("GET", "/v1/payment_methods/pm_us",
            fx.card_payment_method("pm_us", "US", fx.CUSTOMER_ID))
    fake.on("GET", "/v1/payment_methods/pm_gb",
            fx.card_payment_method("pm_gb", "GB", fx.CUSTOMER_ID))
    fake.on("POST", f"/v1/customers/{fx.CUSTOMER_ID}", fx.CUSTOMER)
    token = bearer(access_token(user.account))
    for card_id in ("pm_gb", "pm_us"):
        ok(api.request("POST", "/oauth/subscriptions/paymentmethod/default",
                       {"paymentMethodId": card_id}, headers=token))
    updates = fake.sent("POST", f"/v1/customers/{fx.CUSTOMER_ID}")
    assert [r.params.get("invoice_settings[default_payment_method]") for r in updates] == \
        ["pm_gb", "pm_us", None]
    assert updates[2].params["shipping[address][postal_code]"] == "10001"


def test_the_sellers_tax_id_goes_on_the_invoices_of_a_first_card(api, fake, user, customer,
                                                                 settings):
    settings.SUBSCRIPTIONS_TAX_IDS = {"USD": "US-123456"}
    subscribe_routes(fake)
    ok(api.request("POST", "/oauth/subscriptions/active/new", {
        "priceId": "price_pro_usd", "paymentMethodId": "pm_us"},
        headers=bearer(access_token(user.account))))
    [tagged] = [r for r in fake.sent("POST", f"/v1/customers/{fx.CUSTOMER_ID}")
                if "invoice_settings[custom_fields][0][name]" in r.params]
    assert (tagged.params["invoice_settings[custom_fields][0][name]"],
            tagged.params["invoice_settings[custom_fields][0][value]"]) == ("Tax ID", "US-123456")
