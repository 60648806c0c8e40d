"""The form semantics browsers, password managers and assistive tools rely on (issue 11), on every
front-door page as rendered: typed and autocompleted fields, codes as one-time codes, labels tied
to inputs, one submit button per form, errors in live regions."""
from html.parser import HTMLParser

import pytest
from django.test import Client

from accounts.pages.flows import ACCOUNT_PAGES, FLOW_PAGES

pytestmark = pytest.mark.django_db

ROUTES = sorted({f"/{paths[0]}" for paths in {**FLOW_PAGES, **ACCOUNT_PAGES}.values()})
PASSWORD_AUTOCOMPLETE = {"current-password", "new-password"}


class Forms(HTMLParser):
    """The forms of a page with their inputs and buttons, and every label's target."""

    def __init__(self):
        super().__init__()
        self.forms, self.labels, self.live_regions = [], set(), 0
        self.outside = {"inputs": [], "submits": 0}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        current = self.forms[-1] if self.forms and self.forms[-1].get("open") else self.outside
        if tag == "form":
            self.forms.append({"open": True, "inputs": [], "submits": 0, "id": attrs.get("id")})
        elif tag == "input" and attrs.get("type") not in ("hidden",) and "hidden" not in attrs:
            current["inputs"].append(attrs)
        elif tag == "button" and attrs.get("type") == "submit":
            current["submits"] += 1
        elif tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])
        if attrs.get("role") == "alert" or attrs.get("aria-live"):
            self.live_regions += 1

    def handle_endtag(self, tag):
        if tag == "form" and self.forms:
            self.forms[-1]["open"] = False


def forms_of(path):
    response = Client().get(path)
    # The consent page without an OAuth request is the error page of a bad request.
    assert response.status_code == (400 if path.endswith("_permissions") else 200), path
    parser = Forms()
    parser.feed(response.content.decode())
    return parser


@pytest.mark.parametrize("path", ROUTES)
def test_every_form_has_one_submit_button_and_labelled_typed_fields(path):
    page = forms_of(path)
    for form in page.forms:
        assert form["submits"] == 1, f"{path} form {form['id']}: {form['submits']} submit buttons"
        for field in form["inputs"]:
            if field.get("type") == "checkbox" and field.get("id") in page.labels:
                continue
            assert field.get("id") in page.labels or field.get("aria-label"), f"{path}: {field} has no label"
            kind = field.get("type")
            if kind == "password":
                assert field.get("autocomplete") in PASSWORD_AUTOCOMPLETE, f"{path}: {field}"
            if kind == "email":
                # A sign-in name, except the address being added to the account on /settings/emails.
                expected = "email" if path == "/settings/emails" else "username"
                assert field.get("autocomplete") == expected, f"{path}: {field}"
            if field.get("name") == "code":
                assert field.get("autocomplete") == "one-time-code", f"{path}: {field}"
                assert field.get("inputmode") in ("numeric", "text"), f"{path}: {field}"
    if page.forms:
        assert page.live_regions, f"{path}: no aria-live region for its errors"
    assert not page.outside["submits"], f"{path}: a submit button outside any form"


def test_the_sign_up_page_asks_for_a_new_password_twice_and_the_age():
    page = forms_of("/signup")
    fields = [field for form in page.forms for field in form["inputs"]]
    assert [f["autocomplete"] for f in fields if f.get("type") == "password"] == ["new-password"] * 2
    [age] = [f for f in fields if f.get("type") == "number"]
    assert age["id"] in page.labels


def test_code_steps_use_numeric_one_time_code_inputs():
    for path in ("/confirm_signup_code", "/signin_token_code", "/signin_totp_code", "/confirm_reset_password"):
        [code] = [f for form in forms_of(path).forms for f in form["inputs"] if f.get("name") == "code"]
        assert code["inputmode"] == "numeric" and code["autocomplete"] == "one-time-code"
