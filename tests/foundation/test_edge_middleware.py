"""The /v1 request edge in-process: which paths it covers, and its headers outside /v1."""
import pytest
from django.test import Client

from accounts.errors import AppError
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

# A server mounted under a sub-path (e.g. behind a proxy at /accounts) sees this SCRIPT_NAME.
MOUNTED = {"SCRIPT_NAME": "/accounts"}


def test_backoff_applies_to_v1_under_a_sub_path(settings):
    settings.BACKOFF_RETRY_AFTER = 30
    response = Client().post("/v1/get_random_bytes", content_type="application/json", **MOUNTED)
    assert_error(response, 503, 201)


def test_body_limit_applies_to_v1_under_a_sub_path():
    response = Client().post(
        "/v1/account/create", data=b"{" + b" " * 16384 + b"}", content_type="application/json", **MOUNTED
    )
    assert_error(response, 413, 113)


def test_cors_headers_apply_to_v1_under_a_sub_path():
    response = Client().post("/v1/get_random_bytes", content_type="application/json", **MOUNTED)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"


def test_crash_on_v1_under_a_sub_path_is_500_json(monkeypatch):
    def explode(cls):
        raise RuntimeError("boom")

    monkeypatch.setattr(AppError, "not_found", classmethod(explode))
    response = Client(raise_request_exception=False).get("/v1/no/such/route", **MOUNTED)
    assert_error(response, 500, 999)


def test_non_v1_answers_carry_timestamp_but_no_cors(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert response["Timestamp"].isdigit()
    assert "Access-Control-Allow-Origin" not in response


def test_non_v1_post_needs_no_content_length(client):
    # The admin login form is not an API request: the 411/413 rules are upstream's /v1 rules only.
    response = client.generic("POST", "/admin/login/", data=b"", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200


def test_v1_requests_pass_the_page_only_middleware_by(rf):
    from django.http import HttpResponse

    from accounts.middleware import AuthenticationMiddleware, MessageMiddleware, SessionMiddleware

    seen = []

    def view(request):
        seen.append({name for name in ("session", "user", "_messages") if name in request.__dict__})
        return HttpResponse()

    chain = SessionMiddleware(AuthenticationMiddleware(MessageMiddleware(view)))
    chain(rf.get("/v1/session/status"))
    chain(rf.get("/settings"))
    assert seen == [set(), {"session", "user", "_messages"}]


def test_the_admin_still_has_sessions_and_messages(admin_client):
    response = admin_client.get("/admin/")
    assert response.status_code == 200 and response.wsgi_request.user.is_superuser
