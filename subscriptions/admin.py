"""Support views of what this server keeps of Stripe (read-only: Stripe is the system of record;
change things there and let the webhooks bring them here), and a subscriptions panel on the
account's page (added to ``accounts``' AccountAdmin from here, so accounts does not import us)."""
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from accounts.admin import AccountAdmin

from .models import Invoice, PaymentMethod, Plan, Product, StripeCustomer, Subscription, WebhookEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(StripeCustomer)
class StripeCustomerAdmin(ReadOnlyAdmin):
    list_display = ("customer_id", "account", "currency")
    search_fields = ("customer_id", "account__uid")


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = ("product_id", "name", "active")
    search_fields = ("product_id", "name")


@admin.register(Plan)
class PlanAdmin(ReadOnlyAdmin):
    list_display = ("plan_id", "product", "nickname", "amount", "currency", "interval", "active")
    list_filter = ("active", "currency", "interval")
    search_fields = ("plan_id", "product__name")


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ("subscription_id", "customer", "plan_id", "status", "cancel_at_period_end")
    list_filter = ("status", "cancel_at_period_end")
    search_fields = ("subscription_id", "customer__customer_id", "customer__account__uid")


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ("invoice_id", "customer", "subscription_id", "status", "total", "currency")
    list_filter = ("status",)
    search_fields = ("invoice_id", "customer__customer_id", "subscription_id")


@admin.register(PaymentMethod)
class PaymentMethodAdmin(ReadOnlyAdmin):
    list_display = ("payment_method_id", "customer", "brand", "last4", "exp_month", "exp_year")
    search_fields = ("payment_method_id", "customer__customer_id")


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "type", "received_at")
    list_filter = ("type",)
    search_fields = ("event_id",)


@admin.display(description="Stripe subscriptions")
def stripe_subscriptions(model_admin, account):
    """The account page's panel: its Stripe customer and subscriptions, linked to their pages."""
    row = StripeCustomer.objects.filter(account=account).first()
    if row is None:
        return "no Stripe customer"
    customer = format_html('<a href="{}">{}</a>', reverse(
        "admin:subscriptions_stripecustomer_change", args=[row.pk]), row.customer_id)
    subs = row.subscriptions.order_by("-created")
    lines = format_html_join(
        "", '<br><a href="{}">{}</a> {} — {}{}',
        ((reverse("admin:subscriptions_subscription_change", args=[sub.pk]),
          sub.subscription_id, sub.plan_id, sub.status,
          " (cancels at period end)" if sub.cancel_at_period_end else "")
         for sub in subs),
    )
    return format_html("{}{}", customer, lines)


# A read-only field rather than an inline: the account form keeps its fields, and no formset.
AccountAdmin.stripe_subscriptions = stripe_subscriptions
AccountAdmin.readonly_fields = (*AccountAdmin.readonly_fields, "stripe_subscriptions")
AccountAdmin.fieldsets = (*AccountAdmin.fieldsets,
                          ("Subscriptions", {"fields": ("stripe_subscriptions",)}))
