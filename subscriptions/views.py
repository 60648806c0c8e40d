"""Subscription routes under /v1/oauth/ (reference subscriptions.md §4): thin views over
``subscriptions.services``, auth-server errnos."""
import logging

import stripe
from django.conf import settings
from django.utils import translation
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts.errors import AppError
from accounts.serializers.responses import EmptySerializer, render
from accounts import customs
from accounts.authentication import SessionTokenAuthentication
from accounts.services.customs_checks import check_account
from accounts.views.base import PublicView
from oauth.profile.views import ProfileRoute

from . import serializers, services, stripe_gateway, tasks
from .authentication import (
    AccessTokenAuthentication, SharedSecretRequired, SubscriptionsScopeOptional,
    SubscriptionsScopeRequired,
)

logger = logging.getLogger("fxa.subscriptions")


def request_location(request):
    """``(country, postal code)`` of the caller from the geo-IP headers the proxy in front sets
    (SUBSCRIPTIONS_GEO_*_HEADER), or None: Stripe Tax needs both (upstream's buildTaxAddress)."""
    def header(name):
        return request.headers.get(name, "").strip() if name else ""

    country = header(settings.SUBSCRIPTIONS_GEO_COUNTRY_HEADER).upper()
    postal_code = header(settings.SUBSCRIPTIONS_GEO_POSTAL_CODE_HEADER)
    if len(country) == 2 and country.isalpha() and postal_code:
        return country, postal_code[:32]
    return None


class SubscriptionView(PublicView):
    """A route that takes an access token with the subscriptions scope.

    ``customs_action``: what customs counts of each request (upstream's name; or one per
    method), once the caller is known and before Stripe is called: the account (uid, address)
    and IP of a caller with a token, the IP of one without.
    """

    authentication_classes = [AccessTokenAuthentication]
    permission_classes = [SubscriptionsScopeRequired]
    customs_action = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        action = self.customs_action
        if isinstance(action, dict):
            action = action.get(request.method.lower())
        if action is None:
            return
        if request.auth is not None:
            check_account(action, request.user, self.context())
        else:
            customs.check(action, self.context())


class SessionOrSubscriptionView(SubscriptionView):
    """A route our own settings pages also call with their (verified) session token."""

    authentication_classes = [SessionTokenAuthentication, AccessTokenAuthentication]


class OptionalSubscriptionView(SubscriptionView):
    """A route a signed-out visitor of the product page may call too (upstream: "try")."""

    # AllowAny adds nothing to the check; it is how the OpenAPI document learns that the token
    # is optional (drf-spectacular then lists the empty security requirement).
    permission_classes = [SubscriptionsScopeOptional, AllowAny]

    def caller(self):
        return self.request.user if self.request.auth is not None else None


class PlansView(PublicView):
    """GET /v1/oauth/subscriptions/plans"""

    response_serializer = serializers.AbbreviatedPlanSerializer(many=True)

    def get(self, request):
        language = translation.get_language() or "en"
        return self.answer([services.abbreviated_plan(plan, language)
                            for plan in services.offered_plans()])


class ProductNameView(PublicView):
    """GET /v1/oauth/subscriptions/productname?productId="""

    query_serializer = serializers.ProductNameQuerySerializer
    response_serializer = serializers.ProductNameResponseSerializer

    def get(self, request):
        return self.answer({"product_name": services.product_name(self.query()["productId"])})


class ClientsView(PublicView):
    """GET /v1/oauth/subscriptions/clients (the event broker's shared secret)"""

    permission_classes = [SharedSecretRequired]
    response_serializer = serializers.ClientCapabilitiesSerializer(many=True)

    def get(self, request):
        return self.answer(services.clients_capabilities())


class ActiveView(SubscriptionView):
    """GET /v1/oauth/subscriptions/active"""

    response_serializer = serializers.ActiveSubscriptionSerializer(many=True)

    def get(self, request):
        return self.answer(services.active_subscriptions(request.user))


class CustomerView(SubscriptionView):
    """POST /v1/oauth/subscriptions/customer {displayName?}"""

    customs_action = "createCustomer"
    body_serializer = serializers.CustomerSerializer
    response_serializer = serializers.FilteredCustomerSerializer

    def post(self, request):
        row = services.ensure_customer(request.user, self.body().get("displayName", ""),
                                       request_location(request))
        return self.answer(services.filtered_customer(row))


class NewSubscriptionView(SubscriptionView):
    """POST /v1/oauth/subscriptions/active/new {priceId, paymentMethodId?, promotionCode?}"""

    customs_action = "createSubscriptionWithPMI"
    body_serializer = serializers.NewSubscriptionSerializer
    response_serializer = serializers.NewSubscriptionResponseSerializer

    def post(self, request):
        data = self.body()
        subscription, country = services.subscribe(
            request.user, data["priceId"], data.get("paymentMethodId"), data.get("promotionCode")
        )
        return self.answer({"subscription": subscription, "source_country": country})


class SubscriptionItemView(SubscriptionView):
    """PUT (upgrade) and DELETE (cancel at period end) /v1/oauth/subscriptions/active/{id}"""

    body_serializer = serializers.PlanChangeSerializer
    response_serializer = serializers.SubscriptionIdResponseSerializer
    customs_action = {"put": "updateSubscription", "delete": "deleteSubscription"}

    # The path parameter keeps the reference's name, {subscriptionId}.
    def put(self, request, subscriptionId):
        services.change_plan(request.user, subscriptionId, self.body()["planId"])
        return self.answer({"subscription_id": subscriptionId})

    def delete(self, request, subscriptionId):
        services.cancel(request.user, subscriptionId)
        return self.answer({"subscription_id": subscriptionId})


class ReactivateView(SubscriptionView):
    """POST /v1/oauth/subscriptions/reactivate {subscriptionId}"""

    customs_action = "reactivateSubscription"
    body_serializer = serializers.SubscriptionIdSerializer
    response_serializer = EmptySerializer

    def post(self, request):
        services.reactivate(request.user, self.body()["subscriptionId"])
        return self.answer({})


class InvoiceRetryView(SubscriptionView):
    """POST /v1/oauth/subscriptions/invoice/retry {invoiceId, paymentMethodId, idempotencyKey}"""

    customs_action = "retryInvoice"
    body_serializer = serializers.InvoiceRetrySerializer
    response_serializer = serializers.FilteredInvoiceSerializer

    def post(self, request):
        data = self.body()
        invoice = services.retry_invoice(
            request.user, data["invoiceId"], data["paymentMethodId"], data["idempotencyKey"]
        )
        return self.answer(services.filtered_invoice(invoice))


class InvoicePreviewView(OptionalSubscriptionView):
    """POST /v1/oauth/subscriptions/invoice/preview {priceId, promotionCode?}

    The first invoice of a price, with the promotion code's discount and Stripe Tax: for the
    token's customer where Stripe Tax knows its location, else (no token, or no customer yet)
    at the caller's geo-IP location. An upgrade adds what the change would charge today.
    Errnos: 178 unknown plan, 199 a code the price does not take or that cannot be used now,
    209 a preview Stripe refuses, 213 a location the terms of service exclude.
    """

    customs_action = "previewInvoice"
    body_serializer = serializers.InvoicePreviewSerializer
    response_serializer = serializers.InvoicePreviewResponseSerializer

    def post(self, request):
        data = self.body()
        return self.answer(services.preview_invoice(
            self.caller(), data["priceId"], data.get("promotionCode") or None,
            request_location(request)))


class CouponView(OptionalSubscriptionView):
    """POST /v1/oauth/subscriptions/coupon {priceId, promotionCode}

    What a promotion code does for a price: its coupon's duration, and whether it can be used
    now (``valid``; ``expired``, ``maximallyRedeemed`` say why not), with the discount off the
    first invoice when it can. Errno 199 when the price does not list the code, its coupon is
    for another product, or the discount would leave less than Stripe's minimum charge.
    """

    customs_action = "retrieveCouponDetails"
    body_serializer = serializers.CouponSerializer
    response_serializer = serializers.CouponDetailsSerializer

    def post(self, request):
        data = self.body()
        return self.answer(services.coupon_details(data["priceId"], data["promotionCode"],
                                                   request_location(request)))


class ApplyCouponView(SubscriptionView):
    """PUT /v1/oauth/subscriptions/coupon/apply {promotionId, subscriptionId}

    Applies a promotion code, by its Stripe id, to one of the caller's active subscriptions and
    answers the subscription. Errnos: 176 no customer, 177 not the caller's subscription, 212
    a code the subscription's plan does not take or that cannot be used now.
    """

    customs_action = "applyPromotionCodeToSubscription"
    body_serializer = serializers.ApplyCouponSerializer
    response_serializer = serializers.FilteredSubscriptionSerializer

    def put(self, request):
        data = self.body()
        return self.answer(services.apply_promotion_code(
            request.user, data["promotionId"], data["subscriptionId"]))


class BillingAndSubscriptionsView(SessionOrSubscriptionView):
    """GET /v1/oauth/mozilla-subscriptions/customer/billing-and-subscriptions

    Also with the account's verified session token (our settings pages)."""

    customs_action = "mozillaSubscriptionsCustomerBillingAndSubscriptions"
    response_serializer = serializers.BillingAndSubscriptionsResponseSerializer

    def get(self, request):
        return self.answer(services.billing_and_subscriptions(request.user))


class PreviewSubsequentView(SubscriptionView):
    """GET /v1/oauth/subscriptions/invoice/preview-subsequent"""

    customs_action = "subsequentInvoicePreviews"
    response_serializer = serializers.SubsequentInvoiceSerializer(many=True)

    def get(self, request):
        return self.answer(services.preview_subsequent_invoices(request.user))


class SetupIntentView(SubscriptionView):
    """POST /v1/oauth/subscriptions/setupintent/create"""

    customs_action = "createSetupIntent"
    response_serializer = serializers.FilteredIntentSerializer

    def post(self, request):
        return self.answer(services.create_setup_intent(request.user))


class DefaultPaymentMethodView(SubscriptionView):
    """POST /v1/oauth/subscriptions/paymentmethod/default {paymentMethodId}"""

    customs_action = "updateDefaultPaymentMethod"
    body_serializer = serializers.PaymentMethodSerializer
    response_serializer = serializers.FilteredCustomerSerializer

    def post(self, request):
        row = services.set_default_payment_method(request.user, self.body()["paymentMethodId"])
        return self.answer(services.filtered_customer(row))


class DetachFailedPaymentMethodView(SubscriptionView):
    """POST /v1/oauth/subscriptions/paymentmethod/failed/detach {paymentMethodId}"""

    customs_action = "detachFailedPaymentMethod"
    body_serializer = serializers.PaymentMethodSerializer
    response_serializer = serializers.DetachedPaymentMethodSerializer

    def post(self, request):
        return self.answer(services.detach_failed_payment_method(
            request.user, self.body()["paymentMethodId"]))


class PlanEligibilityView(SessionOrSubscriptionView):
    """GET /v1/oauth/mozilla-subscriptions/customer/plan-eligibility/{planId}

    Also with the account's verified session token (our settings pages)."""

    customs_action = "mozillaSubscriptionsValidatePlanEligibility"
    response_serializer = serializers.PlanEligibilityResponseSerializer

    def get(self, request, planid):  # the reference's {planid}
        kind, current = services.eligibility(request.user, services.find_plan(planid))
        body = {"eligibility": kind}
        if current is not None:
            body["current_plan"] = services.abbreviated_plan(current)
        return self.answer(body)


class StripeEventView(PublicView):
    """POST /v1/oauth/subscriptions/stripe/event: verified here, handled by a worker."""

    # Stripe's events carry whole objects, far above the API's 16 KiB; upstream raises it too.
    max_body_bytes = 1024 * 1024
    response_serializer = EmptySerializer

    def post(self, request):
        try:
            event = stripe_gateway.construct_event(
                request.body, request.META.get("HTTP_STRIPE_SIGNATURE", "")
            )
        except (ValueError, stripe.SignatureVerificationError):
            logger.warning("Refused a Stripe webhook with a bad signature or body")
            raise AppError.invalid_parameter(["Stripe-Signature"], source="headers") from None
        tasks.handle_stripe_event.delay(event)
        return self.answer({})


class ProfileSubscriptionsView(ProfileRoute):
    """GET /v1/subscriptions (profile server): the capabilities the token's client sees."""

    scopes = {"GET": "profile:subscriptions"}
    response_serializer = serializers.ProfileSubscriptionsResponseSerializer

    def get(self, request):
        return Response(render(self.response_serializer,
                               {"subscriptions": services.capabilities_for_token(request.auth)}))
