"""The strict Content-Security-Policy holds on every page: the header is on every page route, and
no page (rendered, or any template file) carries inline script, event-handler attributes or inline
styles, which that policy would block (issue 11, "no inline scripts or styles")."""
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.test import Client

from accounts.pages.flows import ACCOUNT_PAGES, FLOW_PAGES

pytestmark = pytest.mark.django_db

BASE_DIR = Path(settings.BASE_DIR)
HEX32 = "ab" * 16


def _page_routes():
    for page, paths in FLOW_PAGES.items():
        for route in paths:
            yield page, f"/{route}"
            yield page, f"/oauth/{route}" if route else "/oauth/"
    for page, paths in ACCOUNT_PAGES.items():
        for route in paths:
            yield page, f"/{route}"


PAGE_ROUTES = sorted(set(_page_routes()), key=lambda item: item[1])
# Other HTML answers: the /authorization error page and the mail-link pages in their GET states.
OTHER_HTML = [
    "/authorization",
    "/authorization?client_id=0123456789abcdef&redirect_uri=https://rp.example/",
    f"/verify_email?uid={HEX32}&code={HEX32}&service=sync",
    "/verify_email",
    f"/complete_signin?uid={HEX32}&code={HEX32}",
    f"/verify_primary_email?uid={HEX32}&code={HEX32}&type=primary",
    f"/report_signin?uid={HEX32}&unblockCode=ABCD1234",
    "/report_signin?uid=short",
]
NOT_HTML = ["/metrics-flow", "/metrics-flow?form_type=bad", "/.well-known/change-password"]

# Mail HTML needs inline styles (mail clients ignore stylesheets): those templates are exempt.
EXEMPT_TEMPLATES = ("emails/templates/emails/messages/", "emails/templates/emails/includes/",
                    "emails/templates/emails/layout.html")


def parse_csp(header):
    policy = {}
    for directive in header.split(";"):
        parts = directive.split()
        if parts:
            policy.setdefault(parts[0].lower(), parts[1:])
    return policy


def assert_strict_csp(response):
    header = response.get("Content-Security-Policy")
    assert header, "no Content-Security-Policy header"
    policy = parse_csp(header)
    assert policy.get("default-src") == ["'self'"], header
    for name in ("script-src", "script-src-elem", "script-src-attr",
                 "style-src", "style-src-elem", "style-src-attr"):
        sources = policy.get(name, policy["default-src"])
        assert "'unsafe-inline'" not in sources, f"{name} allows inline code: {header}"
        assert "'unsafe-eval'" not in sources, f"{name} allows eval: {header}"
        assert "*" not in sources and "data:" not in sources, f"{name} is too wide: {header}"
    framing_denied = policy.get("frame-ancestors") == ["'none'"] or \
        response.get("X-Frame-Options", "").upper() == "DENY"
    assert framing_denied, "the page can be framed (no frame-ancestors 'none' nor X-Frame-Options DENY)"


class InlineCodeFinder(HTMLParser):
    """Collects what a strict CSP would block: inline <script>, <style>, on*= and style=."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        names = {name.lower(): value for name, value in attrs}
        if tag == "script" and "src" not in names and \
                (names.get("type") or "").lower() != "application/json":
            self.problems.append(f"inline <script> at line {self.getpos()[0]}")
        if tag == "style":
            self.problems.append(f"<style> element at line {self.getpos()[0]}")
        for name, value in names.items():
            if name.startswith("on"):
                self.problems.append(f"event handler {name}= on <{tag}> at line {self.getpos()[0]}")
            if name == "style":
                self.problems.append(f"style= on <{tag}> at line {self.getpos()[0]}")
            if name in ("href", "src", "action", "formaction") and \
                    (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL on <{tag}> at line {self.getpos()[0]}")

    handle_startendtag = handle_starttag


def inline_code(html):
    finder = InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


def test_the_finder_finds_what_it_looks_for():
    html = ('<script>alert(1)</script><script src="/a.js"></script>'
            '<script type="application/json">{}</script><style>p{}</style>'
            '<p style="color:red" onclick="x()">a</p><a href="javascript:x()">b</a><img onerror=x>')
    assert len(inline_code(html)) == 6


@pytest.mark.parametrize("page,path", PAGE_ROUTES, ids=[path for _, path in PAGE_ROUTES])
def test_page_routes(page, path):
    try:
        get_template(f"pages/{page}.html")
    except TemplateDoesNotExist:
        pytest.skip(f"pages/{page}.html is not built yet")
    response = Client().get(path)
    # Some pages answer 400 with their error state when the query lacks what they need.
    assert response.status_code in (200, 400)
    assert_strict_csp(response)
    assert inline_code(response.content.decode()) == []


@pytest.mark.parametrize("path", OTHER_HTML)
def test_other_pages(path):
    response = Client().get(path)
    assert response.status_code in (200, 400)
    assert response["Content-Type"].startswith("text/html")
    assert_strict_csp(response)
    assert inline_code(response.content.decode()) == []


@pytest.mark.parametrize("path", NOT_HTML)
def test_non_html_answers_carry_the_policy_too(path):
    assert_strict_csp(Client().get(path))


@pytest.mark.parametrize("kind,url_name", [
    ("signup", "verify-email"), ("signin", "complete-signin"),
    ("primary", "verify-primary-email"), ("report", "report-signin"),
])
@pytest.mark.parametrize("state", ["confirm", "success", "error"])
def test_every_state_of_the_mail_link_pages(kind, url_name, state):
    html = render_to_string("accounts/link_confirmation.html", {
        "state": state, "kind": kind, "url_name": url_name, "message": "Broken.",
        "hidden": {"uid": HEX32, "code": HEX32},
    })
    assert inline_code(html) == []
    assert "<h1>" in html
    if state == "confirm":
        assert html.count('type="submit"') == 1


def _template_files():
    roots = [BASE_DIR / "templates", *BASE_DIR.glob("*/templates"), *BASE_DIR.glob("*/*/templates")]
    for root in roots:
        for path in sorted(root.rglob("*.html")):
            relative = path.relative_to(BASE_DIR).as_posix()
            if not relative.startswith(EXEMPT_TEMPLATES):
                yield relative


TEMPLATE_FILES = sorted(set(_template_files()))
# Template syntax is not HTML: blank it out (keeping line numbers) before parsing.
_TEMPLATE_COMMENT = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}", re.DOTALL)
_TEMPLATE_TAG = re.compile(r"{%.*?%}", re.DOTALL)
_TEMPLATE_VARIABLE = re.compile(r"{{.*?}}", re.DOTALL)


def _blank(match):
    return re.sub(r"[^\n]", " ", match.group(0))


def test_the_template_scan_sees_the_templates():
    assert "templates/base.html" in TEMPLATE_FILES
    assert "accounts/templates/accounts/link_confirmation.html" in TEMPLATE_FILES
    assert "emails/templates/emails/mailbox_message.html" in TEMPLATE_FILES
    assert not any(name.startswith(EXEMPT_TEMPLATES) for name in TEMPLATE_FILES)


@pytest.mark.parametrize("name", TEMPLATE_FILES)
def test_template_files_have_no_inline_code(name):
    source = (BASE_DIR / name).read_text()
    source = _TEMPLATE_COMMENT.sub(_blank, source)
    source = _TEMPLATE_TAG.sub(_blank, source)
    source = _TEMPLATE_VARIABLE.sub(lambda match: "x" + _blank(match)[1:], source)
    assert inline_code(source) == []


def test_only_the_mail_preview_allows_inline_styles(settings):
    """The development mailbox shows mail HTML (inline styles) in a srcdoc iframe, which inherits
    the page's policy: that page alone allows inline styles, and still no script."""
    from django.core.mail import EmailMultiAlternatives

    from emails.models import MailboxMessage

    settings.EMAIL_BACKEND = "emails.backends.DevMailboxBackend"
    settings.DEV_MAILBOX_ENABLED = True
    message = EmailMultiAlternatives("Hi", "text", "a@example.com", ["b@example.com"])
    message.attach_alternative('<p style="color: #0060df">Hi</p>', "text/html")
    message.send()
    stored = MailboxMessage.objects.get()
    response = Client().get(f"/__mail__/{stored.pk}/")
    assert response.status_code == 200
    policy = parse_csp(response["Content-Security-Policy"])
    assert "'unsafe-inline'" in policy["style-src"]
    assert policy["script-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "sandbox" in response.content.decode()
    # The mailbox list keeps the strict policy.
    assert_strict_csp(Client().get("/__mail__/"))
