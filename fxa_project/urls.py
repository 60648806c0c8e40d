"""The URL map: the /v1 API, operations endpoints, admin and pages."""
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from dockerflow.django import views as dockerflow_views
from drf_spectacular.views import SpectacularJSONAPIView

from accounts import health, monitoring
from accounts.views import plumbing
from oauth import urls as oauth_urls
from oauth.profile import urls as profile_urls

urlpatterns = [
    path("__heartbeat__", health.heartbeat),
    path("__lbheartbeat__", dockerflow_views.lbheartbeat),
    path("__version__", dockerflow_views.version),  # DOCKERFLOW_VERSION_CALLBACK: health.get_version
    path("__metrics__", monitoring.metrics),  # Prometheus, with METRICS_TOKEN
    # The JSON view: the generic one answers YAML to clients that send no Accept header.
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    path("admin/", admin.site.urls),
    path("favicon.ico", plumbing.favicon),
    path("__mail__/", include("emails.urls")),
    path("v1/", include("accounts.urls")),
    path("v1/", include("oauth.profile.urls")),
    path("v1/", include("oauth.urls")),
    path("v1/", include("subscriptions.urls")),
    path("", include(oauth_urls.page_urlpatterns)),
    path("", include(profile_urls.page_urlpatterns)),
    path("", include("accounts.page_urls")),
    path("", include("subscriptions.page_urls")),
    # Anything else under /v1 is an unknown route, answered in the errno format.
    re_path(r"^v1/", plumbing.unknown_route),
]

handler400 = plumbing.bad_request
handler500 = plumbing.server_error

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
