"""An unexpected exception answers 500 errno 999 without internals, and is logged."""
import logging

import pytest
from django.test import Client

import accounts.health
from accounts.errors import AppError
from accounts.services import accounts as account_services
from tests.helpers import ApiClient, assert_error, stretch

pytestmark = pytest.mark.django_db

SECRET = "secret detail 7f3a"


def _explode(*args, **kwargs):
    raise RuntimeError(SECRET)


def test_exception_in_a_view_is_500_unspecified_error_without_internals(monkeypatch, caplog):
    monkeypatch.setattr(account_services, "create_account", _explode)
    auth_pw, _ = stretch("crash@example.com")
    with caplog.at_level(logging.ERROR):
        response = ApiClient().post("/account/create", {"email": "crash@example.com", "authPW": auth_pw})
    body = assert_error(response, 500, 999)
    assert body["message"] == "Unspecified error"
    content = response.content.decode()
    for internal in (SECRET, "RuntimeError", "Traceback", "_explode"):
        assert internal not in content
    logged = [record for record in caplog.records if record.exc_info]
    assert logged and logged[0].levelno == logging.ERROR
    assert logged[0].exc_info[0] is RuntimeError
    assert SECRET in caplog.text


def test_exception_outside_drf_on_a_v1_path_is_500_json(monkeypatch, caplog):
    # The unknown-route view is plain Django: its crash goes through handler500.
    monkeypatch.setattr(AppError, "not_found", classmethod(_explode))
    with caplog.at_level(logging.ERROR):
        response = Client(raise_request_exception=False).get("/v1/no/such/route")
    body = assert_error(response, 500, 999)
    assert body["message"] == "Unspecified error"
    assert SECRET not in response.content.decode()
    assert SECRET in caplog.text


def test_exception_outside_v1_is_a_plain_500_page(monkeypatch):
    monkeypatch.setattr(accounts.health, "get_version", _explode)
    response = Client(raise_request_exception=False).get("/__version__")
    assert response.status_code == 500
    assert SECRET not in response.content.decode()
    assert "errno" not in response.content.decode()
