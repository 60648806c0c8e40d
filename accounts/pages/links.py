"""The pages the confirmation mails link to: /verify_email (sign-up), /complete_signin,
/verify_primary_email (session upgrade) and /report_signin (the unblock-code mail's "not me").

Opening a link never confirms anything: mail scanners and link previewers fetch (GET) every link
in a message, and some run its scripts, so a GET that confirmed would let a scanner approve a
stranger's sign-in. GET shows what the link will confirm and a "Confirm" button; its POST
(CSRF-protected) calls the same service as POST /v1/recovery_email/verify_code (or, for
/report_signin, /v1/account/login/reject_unblock_code).
"""
from django import forms
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache

from ..errors import AppError, Errno
from ..services import unblock, verification
from ..services.context import RequestContext

HEX32 = r"^[0-9a-fA-F]{32}$"


class LinkForm(forms.Form):
    """The query of a confirmation link (auth-server-api.txt /verify_email), wire names."""

    uid = forms.RegexField(HEX32)
    code = forms.RegexField(HEX32)
    service = forms.RegexField(r"^[a-zA-Z0-9\-]*$", max_length=16, required=False)
    redirectTo = forms.CharField(max_length=2048, required=False)
    resume = forms.CharField(max_length=2048, required=False)
    style = forms.ChoiceField(choices=[("", ""), ("trailhead", "trailhead")], required=False)
    reminder = forms.ChoiceField(
        choices=[("", ""), ("first", "first"), ("second", "second"), ("final", "final")],
        required=False,
    )

    def hidden_values(self):
        """The link's parameters, carried by the confirmation form."""
        return {name: value for name, value in self.cleaned_data.items() if value}


# errno of the verification service -> the page's explanation.
FAILURES = {
    Errno.INVALID_VERIFICATION_CODE: _(
        "This confirmation link is not valid: it has expired, it was already used, or it was "
        "replaced by a newer one. Request a new email and use the link in it."
    ),
    Errno.ACCOUNT_UNKNOWN: _("The account this link was sent for no longer exists."),
}
THROTTLED = _("Too many confirmation attempts for this account from here. Try again %(wait)s.")
SPENT_UNBLOCK_CODE = _(
    "This authorization code was already used, has expired, or was replaced by a newer one: it "
    "can no longer be used to sign in. If you did not try to sign in, change your password."
)
BROKEN_LINK = _(
    "This confirmation link is incomplete or damaged. Open it again from the email, or copy the "
    "whole link into the address bar."
)


@method_decorator(never_cache, name="dispatch")
class LinkConfirmationPage(View):
    """GET: the "Confirm" form; POST: confirm the code and show the outcome."""

    template_name = "accounts/link_confirmation.html"
    kind = None  # "signup" or "signin"
    url_name = None

    def get(self, request):
        form = LinkForm(request.GET)
        if not form.is_valid():
            return self.page(request, "error", message=BROKEN_LINK, status=400)
        return self.page(request, "confirm", hidden=form.hidden_values())

    def post(self, request):
        form = LinkForm(request.POST)
        if not form.is_valid():
            return self.page(request, "error", message=BROKEN_LINK, status=400)
        data = form.cleaned_data
        try:
            verification.verify_link_code(
                data["uid"].lower(),
                data["code"].lower(),
                RequestContext.from_request(request),
                service=data["service"] or None,
            )
        except AppError as error:
            if error.errno == Errno.THROTTLED:  # customs: recoveryEmailVerifyCode
                response = self.page(request, "error", status=429, message=THROTTLED % {
                    "wait": error.extra["retryAfterLocalized"]})
                response["Retry-After"] = error.headers["Retry-After"]
                return response
            if error.errno not in FAILURES:
                raise
            return self.page(request, "error", message=FAILURES[error.errno], status=400)
        return self.page(request, "success")

    def page(self, request, state, *, status=200, **extra):
        response = render(
            request,
            self.template_name,
            {"state": state, "kind": self.kind, "url_name": self.url_name, **extra},
            status=status,
        )
        # The URL carries a live code: never hand it to another site in a Referer.
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex"
        return response


class VerifyEmailPage(LinkConfirmationPage):
    """/verify_email?uid=&code=[&service&redirectTo&resume&style&reminder] (mail ``verify``)."""

    kind = "signup"
    url_name = "verify-email"


class CompleteSigninPage(LinkConfirmationPage):
    """/complete_signin?uid=&code=[&service&redirectTo&resume] (mail ``verifyLogin``)."""

    kind = "signin"
    url_name = "complete-signin"


class VerifyPrimaryEmailPage(LinkConfirmationPage):
    """/verify_primary_email?uid=&code=&type=primary&primary_email_verified= (``verifyPrimary``).

    The code is the session's tokenVerificationId (or the emailCode): confirming it confirms the
    session and the primary address, as the other links do.
    """

    kind = "primary"
    url_name = "verify-primary-email"


class ReportForm(forms.Form):
    uid = forms.RegexField(HEX32)
    unblockCode = forms.RegexField(r"^[a-zA-Z0-9]{8}$")


class ReportSigninPage(LinkConfirmationPage):
    """/report_signin?uid=&unblockCode= (mail ``unblockCode``): "this was not me".

    POST deletes the unblock code, so nobody can sign in with it.
    """

    kind = "report"
    url_name = "report-signin"

    def get(self, request):
        form = ReportForm(request.GET)
        if not form.is_valid():
            return self.page(request, "error", message=BROKEN_LINK, status=400)
        return self.page(request, "confirm", hidden=form.cleaned_data)

    def post(self, request):
        form = ReportForm(request.POST)
        if not form.is_valid():
            return self.page(request, "error", message=BROKEN_LINK, status=400)
        try:
            unblock.reject(form.cleaned_data["uid"].lower(), form.cleaned_data["unblockCode"],
                           RequestContext.from_request(request))
        except AppError as error:
            if error.errno != Errno.INVALID_UNBLOCK_CODE:
                raise
            return self.page(request, "error", message=SPENT_UNBLOCK_CODE, status=400)
        return self.page(request, "success")
