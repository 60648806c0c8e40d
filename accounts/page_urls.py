"""Pages of the accounts app outside /v1: the front door and the targets of the mails' links.

Mounted at the root: ``path("", include("accounts.page_urls"))`` in fxa_project/urls.py.
"""
from django.urls import path
from django.views.i18n import JavaScriptCatalog

from .pages import flows, links, metrics


def _flow_paths():
    for page, paths in flows.FLOW_PAGES.items():
        for route in paths:
            view = flows.FlowPage.as_view(page=page)
            yield path(route, view, name=page if route == paths[0] else None)
            yield path(f"oauth/{route}" if route else "oauth/", view)
    for page, paths in flows.ACCOUNT_PAGES.items():
        for route in paths:
            yield path(route, flows.FlowPage.as_view(page=page), name=page if route == paths[0] else None)
    for route, target in flows.SETTINGS_REDIRECTS.items():
        yield path(route, flows.settings_redirect, {"target": target})


urlpatterns = [
    *_flow_paths(),
    path(".well-known/change-password", flows.change_password),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("verify_email", links.VerifyEmailPage.as_view(), name="verify-email"),
    path("complete_signin", links.CompleteSigninPage.as_view(), name="complete-signin"),
    path("verify_primary_email", links.VerifyPrimaryEmailPage.as_view(), name="verify-primary-email"),
    path("report_signin", links.ReportSigninPage.as_view(), name="report-signin"),
    path("metrics-flow", metrics.MetricsFlowView.as_view(), name="metrics-flow"),
]
