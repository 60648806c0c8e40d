"""Pages of the accounts app outside /v1 (the targets of the confirmation mails' links).

Mounted at the root: ``path("", include("accounts.page_urls"))`` in fxa_project/urls.py.
"""
from django.urls import path

from . import pages

urlpatterns = [
    path("verify_email", pages.VerifyEmailPage.as_view(), name="verify-email"),
    path("complete_signin", pages.CompleteSigninPage.as_view(), name="complete-signin"),
    path("verify_primary_email", pages.VerifyPrimaryEmailPage.as_view(), name="verify-primary-email"),
    path("report_signin", pages.ReportSigninPage.as_view(), name="report-signin"),
    path(
        "complete_reset_password", pages.CompleteResetPasswordPage.as_view(),
        name="complete-reset-password",
    ),
]
