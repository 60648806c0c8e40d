"""Subscription routes under /v1/."""
from django.urls import path

from . import views

urlpatterns = [
    path("oauth/subscriptions/plans", views.PlansView.as_view()),
    path("oauth/subscriptions/productname", views.ProductNameView.as_view()),
    path("oauth/subscriptions/clients", views.ClientsView.as_view()),
    path("oauth/subscriptions/active", views.ActiveView.as_view()),
    path("oauth/subscriptions/active/new", views.NewSubscriptionView.as_view()),
    path("oauth/subscriptions/active/<str:subscriptionId>", views.SubscriptionItemView.as_view()),
    path("oauth/subscriptions/customer", views.CustomerView.as_view()),
    path("oauth/subscriptions/reactivate", views.ReactivateView.as_view()),
    path("oauth/subscriptions/invoice/retry", views.InvoiceRetryView.as_view()),
    path("oauth/subscriptions/invoice/preview", views.InvoicePreviewView.as_view()),
    path("oauth/subscriptions/invoice/preview-subsequent", views.PreviewSubsequentView.as_view()),
    path("oauth/subscriptions/coupon", views.CouponView.as_view()),
    path("oauth/subscriptions/coupon/apply", views.ApplyCouponView.as_view()),
    path("oauth/subscriptions/setupintent/create", views.SetupIntentView.as_view()),
    path("oauth/subscriptions/paymentmethod/default", views.DefaultPaymentMethodView.as_view()),
    path("oauth/subscriptions/paymentmethod/failed/detach",
         views.DetachFailedPaymentMethodView.as_view()),
    path("oauth/subscriptions/stripe/event", views.StripeEventView.as_view()),
    path("oauth/mozilla-subscriptions/customer/billing-and-subscriptions",
         views.BillingAndSubscriptionsView.as_view()),
    path("oauth/mozilla-subscriptions/customer/plan-eligibility/<str:planid>",
         views.PlanEligibilityView.as_view()),
    path("subscriptions", views.ProfileSubscriptionsView.as_view()),
]
