"""The subscription pages, mounted at the root (fxa_project/urls.py)."""
from django.urls import path

from . import pages

urlpatterns = [
    path("subscriptions", pages.ManagePage.as_view(), name="subscriptions"),
    path("subscriptions/products/<str:product_id>", pages.ProductPage.as_view(),
         name="subscriptions-product"),
    path("subscriptions/products/<str:product_id>/success", pages.SuccessPage.as_view(),
         name="subscriptions-success"),
    path("subscriptions/products/<str:product_id>/failed", pages.FailurePage.as_view(),
         name="subscriptions-failed"),
]
