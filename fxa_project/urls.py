"""The URL map: the /v1 API, operations endpoints, admin and pages."""
from django.conf import settings
from django.contrib import admin
from django.urls import URLResolver, include, path, re_path
from django.urls.resolvers import ResolverMatch, RoutePattern
from dockerflow.django import views as dockerflow_views
from drf_spectacular.views import SpectacularJSONAPIView

from accounts import health, monitoring
from accounts.views import plumbing
from oauth import urls as oauth_urls
from oauth.profile import urls as profile_urls


class LiteralRoutesKept(URLResolver):
    """Routes tried in order, as Django's, with the match of each literal path kept once found.

    Django tries every pattern in turn: a hundred of them before the OAuth routes, on every
    request. A path that matched a route with no parameters (the route is the path itself)
    always resolves the same way, so its match is kept; there are as many as such routes.
    Anything else (parameters, the catch-all, unknown paths) is resolved each time.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._kept = {}

    def resolve(self, path):
        match = self._kept.get(path)
        if match is None:
            match = super().resolve(path)
            # The match's route is the rest of the path after this resolver's own prefix.
            if str(self.pattern) + match.route == path and not match.args and not match.kwargs:
                # Kept with only the route that matched as ``tried``: every enclosing resolver
                # copies that list, and only the 404 page (of a path that did not match) reads it.
                match = ResolverMatch(
                    match.func, match.args, match.kwargs, match.url_name, match.app_names,
                    match.namespaces, match.route, match.tried[-1:],
                    captured_kwargs=match.captured_kwargs, extra_kwargs=match.extra_kwargs,
                )
                self._kept[path] = match
        return match


def v1_routes(*modules):
    return LiteralRoutesKept(RoutePattern("v1/"), [path("", include(module)) for module in modules])

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
    v1_routes("accounts.urls", "oauth.profile.urls", "oauth.urls", "subscriptions.urls"),
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
