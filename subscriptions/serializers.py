"""Request and response bodies of the subscription routes (wire names as upstream's,
reference §4)."""
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from accounts.serializers.responses import ResponseSerializer, optional

STRIPE_ID = r"^[A-Za-z0-9_]+$"


class StripeIdField(serializers.RegexField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 255)
        super().__init__(STRIPE_ID, **kwargs)


class ProductNameQuerySerializer(serializers.Serializer):
    productId = StripeIdField()


class CustomerSerializer(serializers.Serializer):
    displayName = serializers.CharField(required=False, allow_blank=True, max_length=255)


class NewSubscriptionSerializer(serializers.Serializer):
    priceId = StripeIdField()
    paymentMethodId = StripeIdField(required=False, max_length=30)
    promotionCode = serializers.CharField(required=False, allow_blank=True, max_length=255)
    metricsContext = serializers.DictField(required=False)


class PlanChangeSerializer(serializers.Serializer):
    planId = StripeIdField()


class SubscriptionIdSerializer(serializers.Serializer):
    subscriptionId = StripeIdField()


class InvoiceRetrySerializer(serializers.Serializer):
    invoiceId = StripeIdField()
    paymentMethodId = StripeIdField()
    idempotencyKey = serializers.CharField(max_length=255)


class InvoicePreviewSerializer(serializers.Serializer):
    priceId = StripeIdField()
    promotionCode = serializers.CharField(required=False, allow_blank=True, max_length=255)


class PaymentMethodSerializer(serializers.Serializer):
    paymentMethodId = StripeIdField()


class CouponSerializer(serializers.Serializer):
    priceId = StripeIdField()
    promotionCode = serializers.CharField(max_length=255)


class ApplyCouponSerializer(serializers.Serializer):
    promotionId = StripeIdField(help_text="The Stripe id of the promotion code (promo_...).")
    subscriptionId = StripeIdField()


# Response bodies (reference §4): Stripe's objects keep Stripe's snake_case names on the wire,
# so most members map identical names; the routes FxA itself shaped answer in camelCase.


class StripeExpandable(serializers.Field):
    """A Stripe id, or the object it names where Stripe expanded it (rendered by ``child``)."""

    def __init__(self, child, **kwargs):
        self.child = child
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value if isinstance(value, str) else self.child(value).data


class StripeExpandableScheme(OpenApiSerializerFieldExtension):
    target_class = StripeExpandable

    def map_serializer_field(self, auto_schema, direction):
        child = auto_schema.resolve_serializer(self.target.child, direction)
        return {"oneOf": [{"type": "string"}, child.ref]}


def metadata(**kwargs):
    return serializers.DictField(child=serializers.CharField(), **kwargs)


def nullable(field_class, **kwargs):
    return field_class(allow_null=True, **kwargs)


class AbbreviatedPlanSerializer(ResponseSerializer):
    """An offered plan (§2), its metadata without the ``capabilities*`` keys."""

    plan_id = serializers.CharField()
    plan_name = serializers.CharField()
    plan_metadata = metadata()
    product_id = serializers.CharField()
    product_name = serializers.CharField()
    product_metadata = metadata()
    interval = serializers.CharField()
    interval_count = serializers.IntegerField()
    amount = serializers.IntegerField(help_text="Minor units.")
    currency = serializers.CharField()
    active = serializers.BooleanField()
    configuration = nullable(serializers.DictField,
                             help_text="The config-document mode is not built: always null.")


class ProductNameResponseSerializer(ResponseSerializer):
    product_name = serializers.CharField()


class ClientCapabilitiesSerializer(ResponseSerializer):
    clientId = serializers.CharField(source="client_id")
    capabilities = serializers.ListField(child=serializers.CharField())


class ActiveSubscriptionSerializer(ResponseSerializer):
    uid = serializers.CharField()
    subscriptionId = serializers.CharField(source="subscription_id")
    productId = serializers.CharField(source="product_id")
    createdAt = serializers.IntegerField(source="created_at", help_text="Milliseconds.")
    cancelledAt = nullable(serializers.IntegerField, source="cancelled_at", help_text="Milliseconds.")


class FilteredProductSerializer(ResponseSerializer):
    id = serializers.CharField()
    active = nullable(serializers.BooleanField)
    description = nullable(serializers.CharField)
    name = nullable(serializers.CharField)
    metadata = metadata()


class RecurringSerializer(ResponseSerializer):
    interval = nullable(serializers.CharField)
    interval_count = nullable(serializers.IntegerField)


class FilteredPriceSerializer(ResponseSerializer):
    id = nullable(serializers.CharField)
    active = nullable(serializers.BooleanField)
    currency = nullable(serializers.CharField)
    metadata = metadata()
    nickname = nullable(serializers.CharField)
    product = nullable(StripeExpandable, child=FilteredProductSerializer)
    recurring = nullable(RecurringSerializer)
    type = serializers.CharField()
    unit_amount = nullable(serializers.IntegerField)


class FilteredItemSerializer(ResponseSerializer):
    id = serializers.CharField()
    created = nullable(serializers.IntegerField)
    price = FilteredPriceSerializer()


class FilteredItemsSerializer(ResponseSerializer):
    data = FilteredItemSerializer(many=True)


class FilteredSubscriptionSerializer(ResponseSerializer):
    id = serializers.CharField()
    status = serializers.CharField()
    created = serializers.IntegerField()
    current_period_start = nullable(serializers.IntegerField)
    current_period_end = nullable(serializers.IntegerField)
    cancel_at_period_end = serializers.BooleanField()
    cancel_at = nullable(serializers.IntegerField)
    canceled_at = nullable(serializers.IntegerField)
    ended_at = nullable(serializers.IntegerField)
    latest_invoice = nullable(serializers.CharField, help_text="The invoice's id.")
    items = FilteredItemsSerializer()


class FilteredIntentSerializer(ResponseSerializer):
    """A payment or setup intent: what the browser needs to confirm it."""

    client_secret = nullable(serializers.CharField)
    created = nullable(serializers.IntegerField)
    next_action = nullable(serializers.DictField, help_text="Stripe's next_action object, as Stripe gives it.")
    payment_method = nullable(serializers.CharField)
    status = nullable(serializers.CharField)


class FilteredInvoiceSerializer(ResponseSerializer):
    id = serializers.CharField()
    object = serializers.CharField()
    status = nullable(serializers.CharField)
    payment_intent = nullable(FilteredIntentSerializer)


class CreatedSubscriptionSerializer(FilteredSubscriptionSerializer):
    """A new subscription, its latest invoice expanded with the payment intent to confirm."""

    latest_invoice = FilteredInvoiceSerializer()


class NewSubscriptionResponseSerializer(ResponseSerializer):
    subscription = CreatedSubscriptionSerializer()
    sourceCountry = nullable(serializers.CharField, source="source_country")


class InvoiceSettingsSerializer(ResponseSerializer):
    default_payment_method = nullable(serializers.CharField)


class FilteredSourceSerializer(ResponseSerializer):
    id = serializers.CharField()
    object = serializers.CharField()
    brand = serializers.CharField()
    exp_month = serializers.IntegerField()
    exp_year = serializers.IntegerField()
    last4 = serializers.CharField()


class FilteredSourcesSerializer(ResponseSerializer):
    data = FilteredSourceSerializer(many=True, help_text="Legacy sources: none are kept.")


class FilteredSubscriptionsSerializer(ResponseSerializer):
    data = FilteredSubscriptionSerializer(many=True, help_text="Incomplete ones left out.")


class FilteredCustomerSerializer(ResponseSerializer):
    invoice_settings = InvoiceSettingsSerializer()
    sources = FilteredSourcesSerializer()
    subscriptions = FilteredSubscriptionsSerializer()


class SubscriptionIdResponseSerializer(ResponseSerializer):
    subscriptionId = serializers.CharField(source="subscription_id")


class PeriodSerializer(ResponseSerializer):
    end = serializers.IntegerField()  # Stripe's order
    start = serializers.IntegerField()


class InvoiceLineSerializer(ResponseSerializer):
    amount = nullable(serializers.IntegerField)
    currency = nullable(serializers.CharField)
    id = nullable(serializers.CharField, help_text="The price's id.")
    name = serializers.CharField()
    period = nullable(PeriodSerializer)


class InvoiceTotalsSerializer(ResponseSerializer):
    subtotal = serializers.IntegerField()
    subtotal_excluding_tax = serializers.IntegerField()
    total = serializers.IntegerField()
    total_excluding_tax = serializers.IntegerField()


class InvoiceTaxSerializer(ResponseSerializer):
    amount = serializers.IntegerField()
    inclusive = serializers.BooleanField(
        help_text="True: the amount is inside the price (VAT-style); false: added to it.")
    display_name = nullable(serializers.CharField, help_text="The tax's name, e.g. Sales Tax.")


class InvoiceDiscountSerializer(ResponseSerializer):
    amount = serializers.IntegerField(help_text="Minor units taken off this invoice.")
    amount_off = nullable(serializers.IntegerField)
    percent_off = nullable(serializers.FloatField)


class InvoiceItemsSerializer(InvoiceTotalsSerializer):
    """§4.2's preview."""

    line_items = InvoiceLineSerializer(many=True)
    tax = optional(InvoiceTaxSerializer, many=True, help_text="Only when Stripe Tax computed some.")
    discount = optional(InvoiceDiscountSerializer, help_text="Only when a promotion code applied.")
    order = ("line_items", "subtotal", "subtotal_excluding_tax", "total", "total_excluding_tax",
             "tax", "discount")


class InvoicePreviewResponseSerializer(InvoiceItemsSerializer):
    prorated_amount = optional(serializers.IntegerField, help_text="For an upgrade.")
    one_time_charge = optional(serializers.IntegerField, help_text="For an upgrade.")
    order = (*InvoiceItemsSerializer.order, "prorated_amount", "one_time_charge")


class SubsequentInvoiceSerializer(InvoiceTotalsSerializer):
    currency = serializers.CharField()
    subscriptionId = serializers.CharField(source="subscription_id")
    period_start = serializers.IntegerField(help_text="The next period's start.")
    tax = optional(InvoiceTaxSerializer, many=True, help_text="Only when Stripe Tax computed some.")
    order = ("currency", "subscriptionId", "period_start", "subtotal", "subtotal_excluding_tax",
             "total", "total_excluding_tax", "tax")


class CouponDetailsSerializer(ResponseSerializer):
    """What a promotion code does for a price, whether or not it can be used now."""

    promotionCode = serializers.CharField(source="promotion_code")
    type = serializers.ChoiceField(choices=("once", "repeating", "forever"))
    durationInMonths = nullable(serializers.IntegerField, source="duration_in_months")
    valid = serializers.BooleanField()
    discountAmount = optional(serializers.IntegerField, source="discount_amount",
                              help_text="Off the first invoice, when valid.")
    expired = serializers.BooleanField()
    maximallyRedeemed = serializers.BooleanField(source="maximally_redeemed")


class DetachedPaymentMethodSerializer(ResponseSerializer):
    """The detached payment method, or only its id when nothing was done."""

    id = serializers.CharField()
    object = optional(serializers.CharField)
    type = optional(serializers.CharField)
    customer = optional(serializers.CharField, allow_null=True)


class WebSubscriptionSerializer(ResponseSerializer):
    """§4.3's WebSubscription (the promotion members are null without a discount)."""

    _subscription_type = serializers.ChoiceField(choices=("web",))
    created = serializers.IntegerField()
    current_period_start = nullable(serializers.IntegerField)
    current_period_end = nullable(serializers.IntegerField)
    cancel_at_period_end = serializers.BooleanField()
    end_at = nullable(serializers.IntegerField)
    latest_invoice = nullable(serializers.CharField, help_text="The invoice's number.")
    latest_invoice_items = nullable(InvoiceItemsSerializer)
    latest_invoice_url = nullable(serializers.CharField, help_text=(
        "Stripe's hosted page of the invoice (its hosted_invoice_url), where it can be viewed and "
        "downloaded; beyond upstream, for the /subscriptions page's invoice link."))
    plan_id = serializers.CharField()
    product_id = serializers.CharField()
    product_name = serializers.CharField()
    status = serializers.CharField()
    subscription_id = serializers.CharField()
    promotion_amount_off = nullable(serializers.IntegerField)
    promotion_code = nullable(serializers.CharField)
    promotion_duration = nullable(serializers.CharField)
    promotion_end = nullable(serializers.IntegerField)
    promotion_name = nullable(serializers.CharField)
    promotion_percent_off = nullable(serializers.FloatField)


class BillingAndSubscriptionsResponseSerializer(ResponseSerializer):
    customerId = serializers.CharField(source="customer_id")
    billing_name = nullable(serializers.CharField)
    payment_provider = serializers.ChoiceField(choices=("stripe", "paypal", "not_chosen"))
    subscriptions = WebSubscriptionSerializer(many=True)
    payment_type = optional(serializers.CharField, help_text="The default card's funding.")
    brand = optional(serializers.CharField)
    last4 = optional(serializers.CharField)
    exp_month = optional(serializers.IntegerField, allow_null=True)
    exp_year = optional(serializers.IntegerField, allow_null=True)


class PlanEligibilityResponseSerializer(ResponseSerializer):
    eligibility = serializers.ChoiceField(choices=("create", "upgrade", "downgrade", "blocked_iap", "invalid"))
    currentPlan = optional(AbbreviatedPlanSerializer, source="current_plan")


class ProfileSubscriptionsResponseSerializer(ResponseSerializer):
    subscriptions = serializers.ListField(child=serializers.CharField())
