"""What this server keeps of Stripe (reference subscriptions.md §1): the uid ↔ customer link,
and caches of the catalogue and of each customer's objects, refreshed from webhooks and read on
the hot paths (capabilities, the profile, GET /account) instead of calling Stripe.

Stripe stays the system of record. Each cached row keeps the object's normalised JSON in
``data`` (``stripe_gateway.normalise_*``) next to the few columns queries need.
"""
from django.db import models

from accounts.models import Account, now_ms

# The statuses counted as subscribed everywhere (§1); ``incomplete*`` ones are hidden from users.
ACTIVE_STATUSES = ("active", "past_due", "trialing")


class StripeCustomer(models.Model):
    """upstream's accountCustomers row: the account's one Stripe customer."""

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, primary_key=True, related_name="stripe_customer"
    )
    customer_id = models.CharField(max_length=255, unique=True)
    currency = models.CharField(max_length=3, blank=True, default="")
    data = models.JSONField(default=dict)
    created_at = models.BigIntegerField(default=now_ms)
    updated_at = models.BigIntegerField(default=now_ms)

    def __str__(self):
        return self.customer_id


class Product(models.Model):
    product_id = models.CharField(max_length=255, primary_key=True)
    name = models.CharField(max_length=255, blank=True, default="")
    active = models.BooleanField(default=True)
    metadata = models.JSONField(default=dict)
    data = models.JSONField(default=dict)

    def __str__(self):
        return self.name or self.product_id


class Plan(models.Model):
    """A Stripe plan (= price: one id for both, §2), with its product's metadata under its own."""

    plan_id = models.CharField(max_length=255, primary_key=True)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="plans")
    nickname = models.CharField(max_length=255, blank=True, default="")
    amount = models.BigIntegerField(default=0)  # minor units
    currency = models.CharField(max_length=3)
    interval = models.CharField(max_length=16)
    interval_count = models.PositiveIntegerField(default=1)
    active = models.BooleanField(default=True)
    metadata = models.JSONField(default=dict)

    def __str__(self):
        return self.plan_id

    def merged_metadata(self):
        """Product metadata overridden by the plan's (§2: plan keys win when reading)."""
        return {**self.product.metadata, **self.metadata}


class Subscription(models.Model):
    subscription_id = models.CharField(max_length=255, primary_key=True)
    customer = models.ForeignKey(
        StripeCustomer, on_delete=models.CASCADE, related_name="subscriptions"
    )
    plan_id = models.CharField(max_length=255)
    product_id = models.CharField(max_length=255)
    status = models.CharField(max_length=32)
    cancel_at_period_end = models.BooleanField(default=False)
    created = models.BigIntegerField()  # Stripe seconds
    current_period_end = models.BigIntegerField(null=True)
    canceled_at = models.BigIntegerField(null=True)
    data = models.JSONField(default=dict)

    def __str__(self):
        return self.subscription_id

    @property
    def is_active(self):
        return self.status in ACTIVE_STATUSES


class Invoice(models.Model):
    invoice_id = models.CharField(max_length=255, primary_key=True)
    customer = models.ForeignKey(StripeCustomer, on_delete=models.CASCADE, related_name="invoices")
    subscription_id = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(max_length=32, blank=True, default="")
    total = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, blank=True, default="")
    created = models.BigIntegerField()
    data = models.JSONField(default=dict)

    def __str__(self):
        return self.invoice_id


class PaymentMethod(models.Model):
    payment_method_id = models.CharField(max_length=255, primary_key=True)
    customer = models.ForeignKey(
        StripeCustomer, on_delete=models.CASCADE, related_name="payment_methods"
    )
    brand = models.CharField(max_length=32, blank=True, default="")
    last4 = models.CharField(max_length=4, blank=True, default="")
    exp_month = models.PositiveSmallIntegerField(null=True)
    exp_year = models.PositiveSmallIntegerField(null=True)
    funding = models.CharField(max_length=16, blank=True, default="")
    country = models.CharField(max_length=2, blank=True, default="")

    def __str__(self):
        return f"{self.brand} …{self.last4}"


class WebhookEvent(models.Model):
    """A Stripe event already handled: Stripe delivers at least once, so the id makes it once."""

    event_id = models.CharField(max_length=255, primary_key=True)
    type = models.CharField(max_length=128)
    received_at = models.BigIntegerField(default=now_ms)

    def __str__(self):
        return f"{self.type} {self.event_id}"
