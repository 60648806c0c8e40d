"""The catalog of messages the auth server sends: subjects, links and headers per template.

Each entry is one of upstream's template names (auth-api-responses.md §15) with its
``X-Template-Version``, subject, primary link and code headers; ``render`` builds the message from
the protocol data (``context``) the account flows pass to ``send_email``
(``accounts.services.mail``). Links point at ``settings.PUBLIC_URL`` (this server serves the
pages) and carry upstream's ``utm_*`` parameters when the account has metrics enabled.

Context keys by template (``uid`` defaults to the account's when ``send_email`` gets one;
``service``, ``deviceId``, ``flowId`` and ``flowBeginTime`` are accepted everywhere and become the
``X-Service-Id``, ``X-Device-Id``, ``X-Flow-Id`` and ``X-Flow-Begin-Time`` headers):

=============================== ================================================ ==================================================== ========================================
Template                        Context (required; [optional])                   Primary link (``X-Link``)                            Code headers
=============================== ================================================ ==================================================== ========================================
verify                          uid, code (32 hex); [service, redirectTo,         /verify_email?uid=&code=[&service&redirectTo&         X-Verify-Code
                                resume, style]                                   resume&style]
verifyShortCode                 code (6 digits)                                  -                                                    X-Verify-Short-Code
verificationReminderFirst,      uid, code (32 hex)                               /verify_email?uid=&code=&reminder=first|second|final X-Verify-Code
…Second, …Final
verifyLogin                     uid, code (32 hex tokenVerificationId);          /complete_signin?uid=&code=[&service&redirectTo&     X-Signin-Verify-Code
                                [service, redirectTo, resume]                    resume]
verifyLoginCode                 code (6 digits)                                  -                                                    X-Signin-Verify-Code
verifyAccountChange             code (6 digits, MFA step-up)                     -                                                    X-Account-Change-Verify-Code
verifyPrimary                   uid, code (32 hex), email                        /verify_primary_email?uid=&code=&type=primary&       X-Verify-Code
                                                                                 primary_email_verified=
verifySecondaryCode             code (6 digits), email                           -                                                    X-Verify-Code
unblockCode                     uid, unblockCode (8 chars)                       - (report link /report_signin?uid=&unblockCode=)     X-Unblock-Code, X-Report-SignIn-Link
recovery                        uid, code (32 hex), email; [token,               /complete_reset_password?uid=&token=&code=&email=    X-Recovery-Code
                                emailToHashWith, service, redirectTo, resume]    [&service&redirectTo&resume&emailToHashWith]
passwordForgotOtp               code (8 digits)                                  -                                                    X-Password-Forgot-Otp
passwordReset                   [email, emailToHashWith]                         /reset_password?email=&reset_password_confirm=false
passwordResetAccountRecovery    -                                                /settings/account_recovery
passwordChanged                 [email, emailToHashWith]                         /reset_password?email=&reset_password_confirm=false
newDeviceLogin                  [userAgent, ipAddress, time (ms)]                /settings
postVerify                      -                                                /connect_another_device
postVerifySecondary             secondaryEmail                                   /settings
postRemoveSecondary             secondaryEmail                                   /settings
postChangePrimary               email (the new primary)                          /settings
postAddTwoStepAuthentication,   -                                                /settings
postRemoveTwoStepAuthentication,
postChangeTwoStepAuthentication
postConsumeRecoveryCode,        -                                                /settings
postSigninRecoveryCode,
postNewRecoveryCodes
lowRecoveryCodes                numberRemaining                                  /settings/two_step_authentication/replace_codes?
                                                                                 low_recovery_codes=true&email=&uid=
postAddAccountRecovery          -                                                /settings (revoke link /settings#recovery-key)
postChangeAccountRecovery,      -                                                /settings
postRemoveAccountRecovery
cadReminderFirst, …Second       -                                                /connect_another_device
=============================== ================================================ ==================================================== ========================================

The subscription mails (``subscription*``, ``downloadSubscription``) take Stripe's values (amounts
in minor units, dates in seconds) and link to ``/settings#subscriptions``; their context keys are
in their entries below.

``email`` in a reset/password link defaults to the first recipient. Mails with a primary link also
carry a change-password link (``/settings/change_password``) where upstream's do.
"""
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone as dt_timezone
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _, ngettext
from django.utils.translation.trans_real import parse_accept_lang_header

UTM_PREFIX = "fx-"
DEFAULT_LANGUAGE = "en"

# Formats of the codes the flows generate (content-server.md §3, auth-api-responses.md §17).
HEX32 = re.compile(r"^[0-9a-f]{32}$")
SIX_DIGITS = re.compile(r"^[0-9]{6}$")
EIGHT_DIGITS = re.compile(r"^[0-9]{8}$")
UNBLOCK_CODE = re.compile(r"^[0-9A-Za-z]{8}$")
UID = HEX32

# Credentials in a context: sealed in the stored row (``emails.sealing``), never shown in the
# admin, wiped once the row is sent, failed or expired. Every other key of the table above is
# a non-secret (addresses, the uid, link options such as ``resume``, device and flow data).
SECRET_CONTEXT_KEYS = frozenset({"code", "token", "unblockCode"})

# Context keys every template accepts, and the headers they become (§15).
COMMON_OPTIONAL = ("service", "deviceId", "flowId", "flowBeginTime")
COMMON_HEADERS = {
    "X-Device-Id": "deviceId",
    "X-Flow-Id": "flowId",
    "X-Flow-Begin-Time": "flowBeginTime",
    "X-Service-Id": "service",
}


@dataclass(frozen=True)
class Link:
    """A page of ours: path, query parameters (name -> context key) and utm_content."""

    path: str
    query: tuple = ()  # ((param, context key or callable(ctx)), ...), in order
    optional: tuple = ()  # context keys appended when present, under their own name
    content: str = ""


@dataclass(frozen=True)
class EmailTemplate:
    name: str
    version: int
    subject: object  # a lazy string, or callable(context) -> str
    campaign: str
    required: tuple = ()
    optional: tuple = ()
    formats: dict = field(default_factory=dict)  # context key -> regex it must match
    link: Link | None = None
    code_headers: dict = field(default_factory=dict)  # header -> context key
    code_key: str = ""  # the context key shown as "the code" in the body
    password_change_link: bool = True
    extra_links: dict = field(default_factory=dict)  # name -> Link

    def check_context(self, context):
        """ValueError when a required key is missing or a code has the wrong format."""
        missing = [key for key in self.required if context.get(key) in (None, "")]
        if missing:
            raise ValueError(f"email {self.name!r} needs context {', '.join(missing)}")
        for key, pattern in self.formats.items():
            value = context.get(key)
            if value not in (None, "") and not pattern.match(str(value)):
                raise ValueError(f"email {self.name!r}: {key}={value!r} has the wrong format")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    headers: dict
    language: str
    to: list
    cc: list


def _settings_link(content="manage-account"):
    return Link("/settings", content=content)


SETTINGS = _settings_link()
CONNECT_ANOTHER_DEVICE = Link("/connect_another_device", content="connect-device")
PASSWORD_CHANGE = Link("/settings/change_password", query=(("email", "email"),), content="change-password")
PASSWORD_RESET = Link(
    "/reset_password",
    query=(
        ("email", "email"),
        ("reset_password_confirm", lambda ctx: "false"),
        ("email_to_hash_with", "emailToHashWith"),
    ),
    content="reset-password",
)
VERIFY_EMAIL_OPTIONAL = ("service", "redirectTo", "resume", "style")
SIGNIN_OPTIONAL = ("service", "redirectTo", "resume")


def _reminder_link(which):
    return Link(
        "/verify_email",
        query=(("uid", "uid"), ("code", "code"), ("reminder", lambda ctx: which)),
        content="confirm-email",
    )


def _low_recovery_codes_subject(context):
    count = int(context["numberRemaining"])
    return ngettext(
        "%(count)s backup authentication code left",
        "%(count)s backup authentication codes left",
        count,
    ) % {"count": count}


_TEMPLATES = [
    EmailTemplate(
        "verify", 7, _("Confirm your email address"), "welcome",
        required=("uid", "code"), optional=VERIFY_EMAIL_OPTIONAL,
        formats={"uid": UID, "code": HEX32},
        link=Link("/verify_email", query=(("uid", "uid"), ("code", "code")),
                  optional=VERIFY_EMAIL_OPTIONAL, content="activate"),
        code_headers={"X-Verify-Code": "code"}, password_change_link=False,
    ),
    EmailTemplate(
        "verifyShortCode", 5, _("Your account confirmation code"), "welcome",
        required=("code",), formats={"code": SIX_DIGITS},
        code_headers={"X-Verify-Short-Code": "code"}, code_key="code", password_change_link=False,
    ),
    EmailTemplate(
        "verificationReminderFirst", 10, _("Reminder: finish creating your account"),
        "first-verification-reminder", required=("uid", "code"),
        formats={"uid": UID, "code": HEX32}, link=_reminder_link("first"),
        code_headers={"X-Verify-Code": "code"}, password_change_link=False,
    ),
    EmailTemplate(
        "verificationReminderSecond", 11, _("Your account is still waiting for you"),
        "second-verification-reminder", required=("uid", "code"),
        formats={"uid": UID, "code": HEX32}, link=_reminder_link("second"),
        code_headers={"X-Verify-Code": "code"}, password_change_link=False,
    ),
    EmailTemplate(
        "verificationReminderFinal", 1, _("Last reminder: confirm your email address"),
        "final-verification-reminder", required=("uid", "code"),
        formats={"uid": UID, "code": HEX32}, link=_reminder_link("final"),
        code_headers={"X-Verify-Code": "code"}, password_change_link=False,
    ),
    EmailTemplate(
        "verifyLogin", 6, _("Confirm your sign-in"), "new-signin",
        required=("uid", "code"), optional=SIGNIN_OPTIONAL,
        formats={"uid": UID, "code": HEX32},
        link=Link("/complete_signin", query=(("uid", "uid"), ("code", "code")),
                  optional=SIGNIN_OPTIONAL, content="confirm-signin"),
        code_headers={"X-Signin-Verify-Code": "code"},
    ),
    EmailTemplate(
        "verifyLoginCode", 8, _("Your sign-in confirmation code"), "new-signin-verify-code",
        required=("code",), formats={"code": SIX_DIGITS},
        code_headers={"X-Signin-Verify-Code": "code"}, code_key="code",
    ),
    EmailTemplate(
        # The MFA step-up code of /mfa/otp/request (content-server.md §3, "Settings").
        "verifyAccountChange", 1, _("Confirm the change to your account"), "account-change-verify",
        required=("code",), formats={"code": SIX_DIGITS},
        code_headers={"X-Account-Change-Verify-Code": "code"}, code_key="code",
    ),
    EmailTemplate(
        "verifyPrimary", 8, _("Confirm your primary email address"), "welcome-primary",
        required=("uid", "code", "email"), formats={"uid": UID, "code": HEX32},
        link=Link(
            "/verify_primary_email",
            query=(("uid", "uid"), ("code", "code"), ("type", lambda ctx: "primary"),
                   ("primary_email_verified", "email")),
            content="activate",
        ),
        code_headers={"X-Verify-Code": "code"},
    ),
    EmailTemplate(
        "verifySecondaryCode", 3, _("Confirm your secondary email address"), "welcome-secondary",
        required=("code", "email"), formats={"code": SIX_DIGITS},
        code_headers={"X-Verify-Code": "code"}, code_key="code",
    ),
    EmailTemplate(
        "unblockCode", 6, _("Your sign-in authorization code"), "new-unblock",
        required=("uid", "unblockCode"), formats={"uid": UID, "unblockCode": UNBLOCK_CODE},
        code_headers={"X-Unblock-Code": "unblockCode"}, code_key="unblockCode",
        password_change_link=False,
        extra_links={"report": Link(
            "/report_signin", query=(("uid", "uid"), ("unblockCode", "unblockCode")),
            content="report",
        )},
    ),
    EmailTemplate(
        "recovery", 6, _("Reset your password"), "forgot-password",
        # ``token`` is left out (an empty parameter) when the code is re-sent: only a hash of the
        # passwordForgotToken is kept, and the client that asked already holds it.
        required=("uid", "code", "email"),
        optional=("token", "emailToHashWith") + SIGNIN_OPTIONAL,
        formats={"uid": UID, "code": HEX32},
        link=Link(
            "/complete_reset_password",
            query=(("uid", "uid"), ("token", "token"), ("code", "code"), ("email", "email")),
            optional=SIGNIN_OPTIONAL + ("emailToHashWith",),
            content="reset-password",
        ),
        code_headers={"X-Recovery-Code": "code"}, password_change_link=False,
    ),
    EmailTemplate(
        "passwordForgotOtp", 1, _("Your password reset code"), "password-forgot-otp",
        required=("code",), formats={"code": EIGHT_DIGITS},
        code_headers={"X-Password-Forgot-Otp": "code"}, code_key="code",
        password_change_link=False,
    ),
    EmailTemplate(
        "passwordReset", 6, _("Your password was reset"), "password-reset-success",
        optional=("email", "emailToHashWith"), link=PASSWORD_RESET, password_change_link=False,
    ),
    EmailTemplate(
        "passwordResetAccountRecovery", 9, _("Your password was reset with your account recovery key"),
        "password-reset-account-recovery-success",
        link=Link("/settings/account_recovery", content="create-recovery-key"),
    ),
    EmailTemplate(
        "passwordChanged", 5, _("Your password was changed"), "password-changed-success",
        optional=("email", "emailToHashWith"), link=PASSWORD_RESET, password_change_link=False,
    ),
    EmailTemplate(
        "newDeviceLogin", 7, _("New sign-in to your account"), "new-device-signin",
        optional=("userAgent", "ipAddress", "time"), link=SETTINGS,
    ),
    EmailTemplate(
        "postVerify", 8, _("Your account is confirmed"), "account-verified",
        link=CONNECT_ANOTHER_DEVICE, password_change_link=False,
    ),
    EmailTemplate(
        "postVerifySecondary", 6, _("Secondary email address added"), "account-email-verified",
        required=("secondaryEmail",), link=SETTINGS,
    ),
    EmailTemplate(
        "postRemoveSecondary", 5, _("Secondary email address removed"), "account-email-removed",
        required=("secondaryEmail",), link=_settings_link("account-email-removed"),
    ),
    EmailTemplate(
        "postChangePrimary", 5, _("Your primary email address changed"), "account-email-changed",
        required=("email",), link=_settings_link("account-email-changed"),
    ),
    EmailTemplate(
        "postAddTwoStepAuthentication", 10, _("Two-step authentication is on"),
        "account-two-step-enabled", link=SETTINGS,
    ),
    EmailTemplate(
        "postRemoveTwoStepAuthentication", 9, _("Two-step authentication is off"),
        "account-two-step-disabled", link=SETTINGS,
    ),
    EmailTemplate(
        "postChangeTwoStepAuthentication", 1, _("Your authentication app changed"),
        "account-two-step-changed", link=SETTINGS,
    ),
    EmailTemplate(
        "postConsumeRecoveryCode", 8, _("A backup authentication code was used"),
        "account-consume-recovery-code", link=SETTINGS,
    ),
    EmailTemplate(
        "postSigninRecoveryCode", 1, _("You signed in with a backup authentication code"),
        "account-signin-recovery-code", link=SETTINGS,
    ),
    EmailTemplate(
        "postNewRecoveryCodes", 7, _("New backup authentication codes created"),
        "account-replace-recovery-codes", link=SETTINGS,
    ),
    EmailTemplate(
        "lowRecoveryCodes", 7, _low_recovery_codes_subject, "low-recovery-codes",
        required=("numberRemaining",), formats={"numberRemaining": re.compile(r"^[0-9]+$")},
        link=Link(
            "/settings/two_step_authentication/replace_codes",
            query=(("low_recovery_codes", lambda ctx: "true"), ("email", "email"), ("uid", "uid")),
            content="recovery-codes",
        ),
    ),
    EmailTemplate(
        "postAddAccountRecovery", 9, _("Account recovery key created"), "account-recovery-generated",
        link=SETTINGS,
        extra_links={"revoke": Link("/settings#recovery-key", content="revoke-recovery-key")},
    ),
    EmailTemplate(
        "postChangeAccountRecovery", 1, _("Account recovery key changed"), "account-recovery-changed",
        link=SETTINGS,
    ),
    EmailTemplate(
        "postRemoveAccountRecovery", 8, _("Account recovery key removed"), "account-recovery-removed",
        link=SETTINGS,
    ),
    EmailTemplate(
        "cadReminderFirst", 3, _("Your devices are waiting for each other"), "cad-reminder-first",
        link=CONNECT_ANOTHER_DEVICE, password_change_link=False,
    ),
    EmailTemplate(
        "cadReminderSecond", 3, _("Last reminder: sync your devices"), "cad-reminder-second",
        link=CONNECT_ANOTHER_DEVICE, password_change_link=False,
    ),
]


# The subscription mails (reference subscriptions.md §7), queued by ``subscriptions.mails`` from
# the Stripe webhook, the renewal-reminder job and account deletion. Amounts are Stripe's minor
# units, dates Stripe's seconds; both are formatted in the message's language when it renders.
MANAGE_SUBSCRIPTIONS = Link("/settings#subscriptions", content="manage-subscriptions")
INVOICE_OPTIONAL = ("invoiceNumber", "nextInvoiceDate", "cardBrand", "lastFour", "invoiceLink",
                    "invoiceSubtotal", "invoiceDiscountAmount", "invoiceTaxAmount", "invoiceId",
                    "subscriptionId")
PLAN_CHANGE_REQUIRED = ("productName", "productNameOld", "paymentAmountNew", "paymentAmountOld",
                        "currency", "productPaymentCycle")
PLAN_CHANGE_OPTIONAL = ("paymentProrated", "nextInvoiceDate", "subscriptionId")


def _about_product(message):
    """A subject naming the product: ``message`` has a ``%(product)s`` placeholder."""
    return lambda context: str(message) % {"product": context["productName"]}


def _subscription_mail(name, version, subject, required, optional=(), link=MANAGE_SUBSCRIPTIONS):
    return EmailTemplate(
        name, version, _about_product(subject), name_to_campaign(name), required=required,
        optional=optional, link=link, password_change_link=False,
    )


def name_to_campaign(name):
    """upstream's utm campaign of a template: its name in kebab case (subscriptionFirstInvoice
    -> subscription-first-invoice)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


_TEMPLATES += [
    _subscription_mail(
        "subscriptionFirstInvoice", 3, _("Thank you for subscribing to %(product)s"),
        ("productName", "invoiceTotal", "currency", "invoiceDate"), INVOICE_OPTIONAL,
    ),
    _subscription_mail(
        "subscriptionSubsequentInvoice", 4, _("Your %(product)s payment was received"),
        ("productName", "invoiceTotal", "currency", "invoiceDate"), INVOICE_OPTIONAL,
    ),
    EmailTemplate(
        "downloadSubscription", 2, _about_product(_("%(product)s is ready for you")),
        "new-subscription", required=("productName",), optional=("downloadURL", "subscriptionId"),
        link=MANAGE_SUBSCRIPTIONS, password_change_link=False,
    ),
    _subscription_mail(
        "subscriptionPaymentFailed", 2, _("We could not take the payment for %(product)s"),
        ("productName", "invoiceTotal", "currency"), ("invoiceId", "subscriptionId"),
    ),
    _subscription_mail(
        "subscriptionPaymentExpired", 3, _("The card that pays for %(product)s is expiring"),
        ("productName", "lastFour"), ("cardBrand", "expMonth", "expYear", "paymentMethodId"),
    ),
    _subscription_mail(
        "subscriptionCancellation", 3, _("Your %(product)s subscription is cancelled"),
        ("productName", "serviceLastActiveDate"), ("subscriptionId",),
    ),
    _subscription_mail(
        "subscriptionReactivation", 2, _("Your %(product)s subscription continues"),
        ("productName", "nextInvoiceDate"),
        ("nextInvoiceTotal", "currency", "cardBrand", "lastFour", "subscriptionId"),
    ),
    _subscription_mail(
        "subscriptionUpgrade", 5, _("You have upgraded to %(product)s"),
        PLAN_CHANGE_REQUIRED, PLAN_CHANGE_OPTIONAL,
    ),
    _subscription_mail(
        "subscriptionDowngrade", 2, _("You have switched to %(product)s"),
        PLAN_CHANGE_REQUIRED, PLAN_CHANGE_OPTIONAL,
    ),
    _subscription_mail(
        "subscriptionRenewalReminder", 2, _("%(product)s renews soon"),
        ("productName", "renewalDate", "invoiceTotal", "currency", "reminderDays"),
        ("productPaymentCycle", "subscriptionId", "periodEnd"),
    ),
    _subscription_mail(
        "subscriptionFailedPaymentsCancellation", 2, _("Your %(product)s subscription has ended"),
        ("productName",), ("subscriptionId",),
    ),
    # The account is gone: no page of ours to link to.
    _subscription_mail(
        "subscriptionAccountDeletion", 2, _("Your %(product)s subscription ended with your account"),
        ("productName",), ("subscriptionId",), link=None,
    ),
]

TEMPLATES = {template.name: template for template in _TEMPLATES}


def get(name):
    """The catalog entry for an upstream template name; ValueError for any other."""
    try:
        return TEMPLATES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown email template {name!r}") from None


def supported_languages():
    """English plus every language of ``settings.LANGUAGES`` with a compiled catalog for the mails:
    a ``django.mo`` in the project's ``LOCALE_PATHS`` (locale/, where makemessages puts the mails'
    strings) or in the emails app's own locale/."""
    locale_dirs = [Path(path) for path in settings.LOCALE_PATHS]
    locale_dirs.append(Path(__file__).resolve().parent / "locale")
    found = {path.parent.parent.name.replace("_", "-").lower()
             for locale_dir in locale_dirs for path in locale_dir.glob("*/LC_MESSAGES/django.mo")}
    declared = {code.lower() for code, _name in settings.LANGUAGES}
    return [DEFAULT_LANGUAGE] + sorted((found & declared) - {DEFAULT_LANGUAGE})


def best_language(accept_language):
    """The supported language the client prefers most, from a raw Accept-Language header."""
    supported = supported_languages()
    try:
        preferences = parse_accept_lang_header(accept_language or "")
    except ValueError:
        preferences = ()
    for tag, _quality in preferences:
        tag = tag.lower()
        if tag in supported:
            return tag
        base = tag.split("-")[0]
        if base in supported:
            return base
    return DEFAULT_LANGUAGE


def build_url(link, context, metrics_enabled, campaign):
    """PUBLIC_URL + path + query (+ utm parameters when the account allows metrics)."""
    params = []
    for name, source in link.query:
        value = source(context) if callable(source) else context.get(source)
        params.append((name, "" if value is None else str(value)))
    for key in link.optional:
        if context.get(key) not in (None, ""):
            params.append((key, str(context[key])))
    if metrics_enabled:
        params.append(("utm_medium", "email"))
        params.append(("utm_campaign", UTM_PREFIX + campaign))
        if link.content:
            params.append(("utm_content", UTM_PREFIX + link.content))
    path, _hash, fragment = link.path.partition("#")
    url = settings.PUBLIC_URL + path
    if params:
        url += "?" + urlencode(params)
    if fragment:
        url += "#" + fragment
    return url


def _format_time(value):
    if value in (None, ""):
        return ""
    try:
        moment = datetime.fromtimestamp(int(value) / 1000, tz=dt_timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return str(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _tidy_text(text):
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def render(name, *, uid="", metrics_enabled=False, locale="", context=None, to=None):
    """Subject, text, HTML and headers of one message (a ``RenderedEmail``)."""
    spec = get(name)
    context = dict(context or {})
    if uid:
        context.setdefault("uid", uid)
    spec.check_context(context)
    recipients = [to] if isinstance(to, str) else list(to or [])
    if recipients:
        # Links that name the account's address (reset, change password) default to the recipient.
        context.setdefault("email", recipients[0])

    links = {}
    if spec.link is not None:
        links["primary"] = build_url(spec.link, context, metrics_enabled, spec.campaign)
    if spec.password_change_link:
        links["password_change"] = build_url(PASSWORD_CHANGE, context, metrics_enabled, spec.campaign)
    for link_name, link in spec.extra_links.items():
        links[link_name] = build_url(link, context, metrics_enabled, spec.campaign)
    links["settings"] = build_url(SETTINGS, {}, metrics_enabled, spec.campaign)

    language = best_language(locale)
    with translation.override(language):
        subject = str(spec.subject(context) if callable(spec.subject) else spec.subject)
        template_context = {
            **context,
            "ctx": context,
            "links": links,
            "subject": subject,
            "language": language,
            "recipient": recipients[0] if recipients else "",
            "code": context.get(spec.code_key, "") if spec.code_key else "",
            "time_display": _format_time(context.get("time")),
            "public_url": settings.PUBLIC_URL,
        }
        html = render_to_string(f"emails/messages/{name}.html", template_context)
        text = _tidy_text(render_to_string(f"emails/messages/{name}.txt", template_context))

    headers = {
        "X-Template-Name": name,
        "X-Template-Version": str(spec.version),
        "Content-Language": language,
    }
    if uid:
        headers["X-Uid"] = uid
    if "primary" in links:
        headers["X-Link"] = links["primary"]
    for header, key in spec.code_headers.items():
        headers[header] = str(context[key])
    if "report" in links:
        headers["X-Report-SignIn-Link"] = links["report"]
    for header, key in COMMON_HEADERS.items():
        if context.get(key) not in (None, ""):
            headers[header] = str(context[key])
    return RenderedEmail(
        subject=subject, text=text, html=html, headers=headers, language=language,
        to=recipients[:1], cc=recipients[1:],
    )
