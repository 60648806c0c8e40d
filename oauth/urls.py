"""OAuth routes under /v1/ (both families); the discovery documents and the authorization pages
at the root."""
from django.urls import path

from accounts.pages.flows import FLOW_PAGES

from . import views

urlpatterns = [
    # Session-token routes (auth-server errnos).
    path("oauth/authorization", views.OAuthAuthorizationView.as_view()),
    path("oauth/token", views.OAuthTokenView.as_view()),
    path("oauth/destroy", views.OAuthDestroyView.as_view()),
    path("oauth/client/<str:client_id>", views.OAuthClientInfoView.as_view()),
    path("oauth/id-token-verify", views.IdTokenVerifyView.as_view()),
    path("account/scoped-key-data", views.ScopedKeyDataView.as_view()),
    # RP-facing routes (OAuth errnos).
    path("authorization", views.AuthorizationView.as_view()),
    path("token", views.TokenView.as_view()),
    path("verify", views.VerifyView.as_view()),
    path("introspect", views.IntrospectView.as_view()),
    path("destroy", views.DestroyView.as_view()),
    path("client/<str:client_id>", views.ClientInfoView.as_view()),
    path("jwks", views.JwksView.as_view()),
    path("key-data", views.KeyDataView.as_view()),
    path("authorized-clients", views.AuthorizedClientsView.as_view()),
    path("authorized-clients/destroy", views.AuthorizedClientsDestroyView.as_view()),
]

page_urlpatterns = [
    path(".well-known/openid-configuration", views.openid_configuration),
    path(".well-known/fxa-client-configuration", views.fxa_client_configuration),
    path("authorization", views.authorization_page),
    path("authorization/error", views.authorization_error_page),
    path("authorization/response", views.authorization_response),
    # Ahead of accounts.page_urls, which lists the consent page in FLOW_PAGES too: this view also
    # renders the client and the permissions, and lets the page load the client's image.
    *[path(f"{prefix}{route}", views.PermissionsPage.as_view())
      for prefix in ("", "oauth/") for route in FLOW_PAGES["oauth_permissions"]],
]
