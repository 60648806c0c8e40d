"""Every template renders (HTML and text) with a subject, links to PUBLIC_URL and its §15 headers."""
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.conf import settings

from emails import catalog
from emails.services import render_email

UID = "0123456789abcdef0123456789abcdef"
HEX_CODE = "fedcba9876543210fedcba9876543210"
TOKEN = "ab" * 32

# A context for each template in the catalog, as the account flows pass it.
CONTEXTS = {
    "verify": {"uid": UID, "code": HEX_CODE, "service": "sync", "redirectTo": "https://rp.example/x"},
    "verifyShortCode": {"code": "123456"},
    "verificationReminderFirst": {"uid": UID, "code": HEX_CODE},
    "verificationReminderSecond": {"uid": UID, "code": HEX_CODE},
    "verificationReminderFinal": {"uid": UID, "code": HEX_CODE},
    "verifyLogin": {"uid": UID, "code": HEX_CODE, "service": "sync"},
    "verifyLoginCode": {"code": "654321"},
    "verifyAccountChange": {"code": "918398"},
    "verifyPrimary": {"uid": UID, "code": HEX_CODE, "email": "reader@example.com"},
    "verifySecondaryCode": {"code": "246810", "email": "second@example.com"},
    "unblockCode": {"uid": UID, "unblockCode": "A1B2C3D4"},
    "recovery": {"uid": UID, "token": TOKEN, "code": HEX_CODE, "email": "reader@example.com"},
    "passwordForgotOtp": {"code": "12345678"},
    "passwordReset": {},
    "passwordResetAccountRecovery": {},
    "passwordChanged": {},
    "newDeviceLogin": {"userAgent": "Firefox 140 on Linux", "ipAddress": "203.0.113.9",
                       "time": 1_767_225_600_000},
    "postVerify": {},
    "postVerifySecondary": {"secondaryEmail": "second@example.com"},
    "postRemoveSecondary": {"secondaryEmail": "second@example.com"},
    "postChangePrimary": {"email": "new-primary@example.com"},
    "postAddTwoStepAuthentication": {},
    "postRemoveTwoStepAuthentication": {},
    "postChangeTwoStepAuthentication": {},
    "postConsumeRecoveryCode": {},
    "postSigninRecoveryCode": {},
    "postNewRecoveryCodes": {},
    "lowRecoveryCodes": {"numberRemaining": 2},
    "postAddAccountRecovery": {},
    "postChangeAccountRecovery": {},
    "postRemoveAccountRecovery": {},
    "cadReminderFirst": {},
    "cadReminderSecond": {},
    # The subscription mails, with the values ``subscriptions.mails`` takes from Stripe objects.
    "subscriptionFirstInvoice": {"productName": "123Done Pro", "invoiceTotal": 1000,
                                 "currency": "usd", "invoiceDate": 1_767_225_600,
                                 "invoiceNumber": "AB12-0001", "nextInvoiceDate": 1_769_904_000,
                                 "cardBrand": "visa", "lastFour": "4242"},
    "subscriptionSubsequentInvoice": {"productName": "123Done Pro", "invoiceTotal": 1190,
                                      "currency": "eur", "invoiceDate": 1_769_904_000,
                                      "invoiceSubtotal": 1250, "invoiceDiscountAmount": 250,
                                      "invoiceTaxAmount": 190},
    "downloadSubscription": {"productName": "123Done Pro"},
    "subscriptionPaymentFailed": {"productName": "123Done Pro", "invoiceTotal": 1000,
                                  "currency": "usd"},
    "subscriptionPaymentExpired": {"productName": "123Done Pro", "lastFour": "4242",
                                   "cardBrand": "visa", "expMonth": 1, "expYear": 2027},
    "subscriptionCancellation": {"productName": "123Done Pro",
                                 "serviceLastActiveDate": 1_769_904_000},
    "subscriptionReactivation": {"productName": "123Done Pro", "nextInvoiceDate": 1_769_904_000,
                                 "nextInvoiceTotal": 1000, "currency": "usd",
                                 "cardBrand": "visa", "lastFour": "4242"},
    "subscriptionUpgrade": {"productName": "123Done Pro", "productNameOld": "123Done Basic",
                            "paymentAmountNew": 1000, "paymentAmountOld": 500, "currency": "usd",
                            "productPaymentCycle": "month", "paymentProrated": 250},
    "subscriptionDowngrade": {"productName": "123Done Basic", "productNameOld": "123Done Pro",
                              "paymentAmountNew": 500, "paymentAmountOld": 1000,
                              "currency": "usd", "productPaymentCycle": "month"},
    "subscriptionRenewalReminder": {"productName": "123Done Pro", "renewalDate": 1_769_904_000,
                                    "invoiceTotal": 9900, "currency": "eur", "reminderDays": 14},
    "subscriptionFailedPaymentsCancellation": {"productName": "123Done Pro"},
    "subscriptionAccountDeletion": {"productName": "123Done Pro"},
}

# Upstream's code headers (§15): header -> context key.
CODE_HEADERS = {
    "verify": {"X-Verify-Code": "code"},
    "verificationReminderFirst": {"X-Verify-Code": "code"},
    "verificationReminderSecond": {"X-Verify-Code": "code"},
    "verificationReminderFinal": {"X-Verify-Code": "code"},
    "verifyShortCode": {"X-Verify-Short-Code": "code"},
    "verifyLogin": {"X-Signin-Verify-Code": "code"},
    "verifyLoginCode": {"X-Signin-Verify-Code": "code"},
    "verifyAccountChange": {"X-Account-Change-Verify-Code": "code"},
    "verifyPrimary": {"X-Verify-Code": "code"},
    "verifySecondaryCode": {"X-Verify-Code": "code"},
    "unblockCode": {"X-Unblock-Code": "unblockCode"},
    "recovery": {"X-Recovery-Code": "code"},
    "passwordForgotOtp": {"X-Password-Forgot-Otp": "code"},
}
CODE_IN_BODY = {"verifyShortCode", "verifyLoginCode", "verifyAccountChange", "verifySecondaryCode", "unblockCode",
                "passwordForgotOtp"}
WITHOUT_PRIMARY_LINK = CODE_IN_BODY | {"subscriptionAccountDeletion"}
ALL_CODE_HEADERS = {header for headers in CODE_HEADERS.values() for header in headers}

URL = re.compile(r"https?://[^\s\"'<>]+")


class FakeAccount:
    uid = UID

    def __init__(self, metrics_enabled=True):
        self.metrics_enabled = metrics_enabled


def render(name, metrics=True, locale="en-US,en;q=0.5", **overrides):
    return render_email(name, account=FakeAccount(metrics), locale=locale,
                        context={**CONTEXTS[name], **overrides}, to=["reader@example.com"])


def test_the_catalog_is_the_brief_s_list_of_templates():
    assert set(catalog.TEMPLATES) == set(CONTEXTS)


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_template_renders_html_and_text_with_a_subject(name):
    message = render(name)
    assert message.subject.strip() and "\n" not in message.subject
    assert message.html.lstrip().startswith("<!DOCTYPE html>")
    assert "{%" not in message.html and "{{" not in message.html
    assert "{%" not in message.text and "{{" not in message.text
    assert message.subject in message.html and message.subject in message.text
    assert "<" not in message.text.replace("<b>", "")  # plain text, not HTML
    assert "reader@example.com" in message.text  # the footer names the recipient


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_every_link_points_at_public_url(name):
    message = render(name)
    urls = URL.findall(message.html) + URL.findall(message.text)
    urls += [value for key, value in message.headers.items() if key in ("X-Link", "X-Report-SignIn-Link")]
    assert urls
    for url in urls:
        assert url.startswith(settings.PUBLIC_URL + "/"), url


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_headers_are_those_of_upstream(name):
    message = render(name)
    headers = message.headers
    assert headers["X-Template-Name"] == name
    assert headers["X-Template-Version"] == str(catalog.TEMPLATES[name].version)
    assert headers["Content-Language"] == "en"
    assert headers["X-Uid"] == UID
    for header, key in CODE_HEADERS.get(name, {}).items():
        assert headers[header] == str(CONTEXTS[name][key])
    assert not (ALL_CODE_HEADERS - set(CODE_HEADERS.get(name, {}))) & set(headers)
    if name in WITHOUT_PRIMARY_LINK:
        assert "X-Link" not in headers
    else:
        assert headers["X-Link"].startswith(settings.PUBLIC_URL + "/")
        assert headers["X-Link"] in message.text
        assert headers["X-Link"].replace("&", "&amp;") in message.html


@pytest.mark.parametrize("name", sorted(CODE_IN_BODY))
def test_code_mails_show_the_code_in_both_bodies(name):
    message = render(name)
    code = str(CONTEXTS[name]["unblockCode" if name == "unblockCode" else "code"])
    assert code in message.text
    assert code in message.html


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_utm_parameters_only_when_the_account_allows_metrics(name):
    with_metrics, without = render(name, metrics=True), render(name, metrics=False)
    assert "utm_" not in without.html + without.text + "".join(without.headers.values())
    assert "utm_medium=email" in with_metrics.text
    assert f"utm_campaign=fx-{catalog.TEMPLATES[name].campaign}" in with_metrics.text


def _query(url):
    return urlsplit(url).path, parse_qsl(urlsplit(url).query, keep_blank_values=True)


def test_verify_link():
    path, query = _query(render("verify", metrics=False).headers["X-Link"])
    assert path == "/verify_email"
    assert query == [("uid", UID), ("code", HEX_CODE), ("service", "sync"),
                     ("redirectTo", "https://rp.example/x")]


def test_verify_link_with_metrics_carries_upstream_utm_names():
    _, query = _query(render("verify").headers["X-Link"])
    assert query[-3:] == [("utm_medium", "email"), ("utm_campaign", "fx-welcome"),
                          ("utm_content", "fx-activate")]


def test_verify_login_link():
    message = render("verifyLogin", metrics=False)
    assert _query(message.headers["X-Link"]) == (
        "/complete_signin", [("uid", UID), ("code", HEX_CODE), ("service", "sync")]
    )
    assert message.headers["X-Service-Id"] == "sync"


def test_verify_primary_link():
    assert _query(render("verifyPrimary", metrics=False).headers["X-Link"]) == (
        "/verify_primary_email",
        [("uid", UID), ("code", HEX_CODE), ("type", "primary"),
         ("primary_email_verified", "reader@example.com")],
    )


def test_recovery_link():
    message = render("recovery", metrics=False, emailToHashWith="Old@Example.com")
    assert _query(message.headers["X-Link"]) == (
        "/complete_reset_password",
        [("uid", UID), ("token", TOKEN), ("code", HEX_CODE), ("email", "reader@example.com"),
         ("emailToHashWith", "Old@Example.com")],
    )


def test_unblock_code_report_link():
    message = render("unblockCode", metrics=False)
    assert _query(message.headers["X-Report-SignIn-Link"]) == (
        "/report_signin", [("uid", UID), ("unblockCode", "A1B2C3D4")]
    )
    assert message.headers["X-Report-SignIn-Link"] in message.text


def test_reminder_links_name_the_reminder():
    for which in ("First", "Second", "Final"):
        _, query = _query(render(f"verificationReminder{which}", metrics=False).headers["X-Link"])
        assert ("reminder", which.lower()) in query


def test_password_reset_link_names_the_recipient():
    assert _query(render("passwordChanged", metrics=False).headers["X-Link"]) == (
        "/reset_password",
        [("email", "reader@example.com"), ("reset_password_confirm", "false"), ("email_to_hash_with", "")],
    )


def test_low_recovery_codes_subject_is_pluralized():
    assert "1 backup authentication code " in render("lowRecoveryCodes", numberRemaining=1).subject
    assert "2 backup authentication codes" in render("lowRecoveryCodes", numberRemaining=2).subject


def test_new_device_login_lists_what_is_known():
    message = render("newDeviceLogin")
    assert "Firefox 140 on Linux" in message.text and "203.0.113.9" in message.text
    assert "2026-01-01 00:00:00 UTC" in message.text
    assert "IP address" not in render("newDeviceLogin", ipAddress=None).text


def test_context_values_are_escaped_in_html():
    message = render("postVerifySecondary", secondaryEmail="<script>@example.com")
    assert "<script>" not in message.html and "&lt;script&gt;" in message.html


def test_unknown_template_is_a_value_error():
    with pytest.raises(ValueError):
        render_email("verifySync")


@pytest.mark.parametrize("name, context", [
    ("verifyShortCode", {}),
    ("verifyShortCode", {"code": "12345"}),
    ("verify", {"uid": UID, "code": "not-hex"}),
    ("unblockCode", {"uid": UID}),
    ("postVerifySecondary", {}),
])
def test_missing_or_malformed_context_is_a_value_error(name, context):
    with pytest.raises(ValueError):
        render_email(name, context=context)


@pytest.mark.parametrize("header, expected", [
    ("", "en"),
    ("en-GB,en;q=0.8", "en"),
    ("pt-BR,de;q=0.7", "en"),
    ("fr-CA,en;q=0.7", "fr"),
    ("de;q=0.2, fr-ca;q=0.9, *;q=0.1", "fr"),
    ("xx-invalid-;;", "en"),
])
def test_best_language_from_accept_language(monkeypatch, header, expected):
    monkeypatch.setattr(catalog, "supported_languages", lambda: ["en", "fr"])
    assert catalog.best_language(header) == expected


def test_content_language_is_the_supported_language_not_the_request_s():
    assert render("postVerify", locale="pt-BR,pt;q=0.9").headers["Content-Language"] == "en"
    assert render("postVerify", locale="de-DE,de;q=0.9").headers["Content-Language"] == "de"
