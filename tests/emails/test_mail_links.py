"""Every link of every mail leads to a page of ours (issue 15, "Email links"): each template of
``emails/templates/emails/messages/`` is rendered with a context made from its catalog entry, and
each of its links on PUBLIC_URL (HTML hrefs, URLs of the text part, the X-Link headers) is fetched,
redirects inside our site followed, with no 404 and no server error. The settings paths the mails
and Firefox link to are fetched too, whether or not a template uses them today.
"""
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

from emails import catalog
from emails.services import render_email

pytestmark = pytest.mark.django_db

MESSAGES = Path(catalog.__file__).resolve().parent / "templates" / "emails" / "messages"
TEXT_URL = re.compile(r"https?://[^\s\"'<>]+")
LINK_HEADERS = ("X-Link", "X-Report-SignIn-Link")
SETTINGS_PATHS = [
    "/settings", "/settings/change_password", "/settings/emails", "/settings/two_step_authentication",
    "/settings/account_recovery", "/settings/clients",
]

# Context values by key; a key with a format in the catalog gets the first sample it accepts.
SAMPLES = {
    "uid": ["0123456789abcdef0123456789abcdef"],
    "code": ["fedcba9876543210fedcba9876543210", "123456", "12345678"],
    "token": ["ab" * 32],
    "unblockCode": ["A1B2C3D4"],
    "email": ["reader@example.com"],
    "secondaryEmail": ["second@example.com"],
    "emailToHashWith": ["Reader@Example.com"],
    "numberRemaining": [2],
    "service": ["sync"],
    "redirectTo": ["https://rp.example/after"],
    "resume": ["e30"],
    "style": ["trailhead"],
    "userAgent": ["Firefox 140 on Linux"],
    "ipAddress": ["203.0.113.9"],
    "time": [1_767_225_600_000],
    "productName": ["123Done Pro"],
    "productNameOld": ["123Done Basic"],
    "invoiceTotal": [1000], "nextInvoiceTotal": [1000], "paymentAmountNew": [1000],
    "paymentAmountOld": [500], "paymentProrated": [250], "invoiceSubtotal": [1250],
    "invoiceDiscountAmount": [250], "invoiceTaxAmount": [190],
    "currency": ["usd"],
    "invoiceDate": [1_767_225_600], "nextInvoiceDate": [1_769_904_000],
    "serviceLastActiveDate": [1_769_904_000], "renewalDate": [1_769_904_000],
    "periodEnd": [1_769_904_000],
    "invoiceNumber": ["AB12-0001"], "invoiceId": ["in_1"], "subscriptionId": ["sub_1"],
    "paymentMethodId": ["pm_1"],
    "cardBrand": ["visa"], "lastFour": ["4242"], "expMonth": [1], "expYear": [2027],
    "productPaymentCycle": ["month"], "reminderDays": [14],
    # Stripe's own pages: not fetched (only links to PUBLIC_URL are).
    "invoiceLink": ["https://invoice.stripe.com/i/acct_1/test_1"],
    "downloadURL": ["https://rp.example/download"],
}


class Account:
    uid = SAMPLES["uid"][0]
    metrics_enabled = True  # links with their utm_* parameters, as most mails carry them


def template_names():
    return sorted({path.stem for path in MESSAGES.iterdir() if path.suffix in (".html", ".txt")})


def context_for(spec):
    """Every key the template takes (required and optional), each a value it accepts."""
    context = {}
    for key in (*spec.required, *spec.optional):
        assert key in SAMPLES, f"{spec.name}: add a sample value for {key!r} to SAMPLES"
        pattern = spec.formats.get(key)
        context[key] = next(value for value in SAMPLES[key] if pattern is None or pattern.match(str(value)))
    return context


class Hrefs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        self.hrefs += [value for name, value in attrs if name == "href" and value]


def links_of(name):
    message = render_email(name, account=Account(), locale="en", context=context_for(catalog.get(name)),
                           to=["reader@example.com"])
    parser = Hrefs()
    parser.feed(message.html)
    found = parser.hrefs + TEXT_URL.findall(message.text)
    found += [message.headers[header] for header in LINK_HEADERS if header in message.headers]
    return sorted(set(found))


def ours(url):
    return url.startswith(settings.PUBLIC_URL + "/")


def fetch(url):
    """GET ``url`` as a browser following the mail's link: (final response, the URLs it went by)."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    response = Client().get(path, follow=True)
    return response, [target for target, _ in response.redirect_chain]


def test_every_message_template_is_in_the_catalog():
    assert template_names() and set(template_names()) == set(catalog.TEMPLATES)


@pytest.mark.parametrize("name", template_names())
def test_every_link_of_the_mail_opens_a_page(name):
    links = links_of(name)
    assert any(ours(link) for link in links), f"{name}: no link to our site"
    for link in filter(ours, links):
        response, chain = fetch(link)
        assert all(ours(target) or target.startswith("/") for target in chain), (link, chain)
        assert response.status_code == 200, f"{name}: {link} answered {response.status_code} (via {chain})"


@pytest.mark.parametrize("path", SETTINGS_PATHS)
def test_the_linked_settings_paths_open_a_page(path):
    response, chain = fetch(settings.PUBLIC_URL + path)
    assert response.status_code == 200, f"{path} answered {response.status_code} (via {chain})"
