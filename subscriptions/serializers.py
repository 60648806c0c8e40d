"""Request bodies of the subscription routes (wire names as upstream's, reference §4)."""
from rest_framework import serializers

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
