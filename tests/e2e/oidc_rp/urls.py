"""Routes of the test relying party: mozilla-django-oidc's views and one page behind login."""
from django.urls import include, path

from . import views

urlpatterns = [
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("", views.whoami),
]
