"""GET /metrics-flow (events.md §4): its query validation, the flowId HMAC and the CORS allow-list."""
import hashlib
import hmac
import re
import time

import pytest
from django.test import Client

from accounts.pages import metrics

ALLOWED = "http://127.0.0.1:8001"
FOREIGN = "https://evil.example"
VALID_QUERY = {
    "context": "fx_desktop_v3",
    "entrypoint": "fxa:enter_email",
    "entrypoint_experiment": "exp.1",
    "entrypoint_variation": "var-2",
    "form_type": "email",
    "product_id": "prod_123abcXYZ",
    "service": "sync",
    "utm_campaign": "page+referral+-+not+part+of+a+campaign",
    "utm_content": "firefox/sync",
    "utm_medium": "referral",
    "utm_source": "mozilla.org-firefox-accounts",
    "utm_term": "a%20b",
}


@pytest.fixture
def browser():
    return Client()


def get(browser, query=None, origin=None):
    headers = {"Origin": origin} if origin is not None else {}
    return browser.get("/metrics-flow", query or {}, headers=headers)


def test_answer_shape_and_flow_id_hmac(browser):
    before = int(time.time() * 1000)
    response = get(browser)
    after = int(time.time() * 1000)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert set(body) == {"deviceId", "flowBeginTime", "flowId"}
    assert re.fullmatch(r"[0-9a-f]{32}", body["deviceId"])
    assert isinstance(body["flowBeginTime"], int) and before <= body["flowBeginTime"] <= after
    flow_id = body["flowId"]
    assert re.fullmatch(r"[0-9a-f]{64}", flow_id)
    # flowId = salt + first 32 hex of HMAC-SHA256(key, salt + "\n" + hex(flowBeginTime)).
    salt = flow_id[:32]
    expected = hmac.new(
        metrics.flow_id_key(), f"{salt}\n{body['flowBeginTime']:x}".encode(), hashlib.sha256
    ).hexdigest()[:32]
    assert flow_id[32:] == expected
    assert metrics.flow_id_is_valid(metrics.flow_id_key(), flow_id, body["flowBeginTime"])
    assert not metrics.flow_id_is_valid(metrics.flow_id_key(), flow_id, body["flowBeginTime"] + 1)


def test_every_answer_is_a_new_flow(browser):
    first, second = get(browser).json(), get(browser).json()
    assert first["flowId"] != second["flowId"]
    assert first["deviceId"] != second["deviceId"]


def test_flow_id_key_setting_is_the_hmac_key(browser, settings):
    settings.FLOW_ID_KEY = "a shared flow key"
    body = get(browser).json()
    salt = body["flowId"][:32]
    expected = hmac.new(
        b"a shared flow key", f"{salt}\n{body['flowBeginTime']:x}".encode(), hashlib.sha256
    ).hexdigest()[:32]
    assert body["flowId"][32:] == expected


def test_every_known_parameter_when_valid(browser):
    response = get(browser, VALID_QUERY)
    assert response.status_code == 200, response.content
    # Unknown parameters are dropped, as upstream's stripUnknown does.
    assert get(browser, {"something_else": "any thing!"}).status_code == 200


@pytest.mark.parametrize("service", ["sync", "content-server", "none", "0123456789abcdef"])
def test_valid_services(browser, service):
    assert get(browser, {"service": service}).status_code == 200


INVALID = [
    ("context", "con text"),
    ("context", "UPPER"),
    ("context", "a" * 1025),
    ("entrypoint", "foo bar"),
    ("entrypoint", "é"),
    ("entrypoint", "a" * 1025),
    ("entrypoint", ""),
    ("entrypoint_experiment", "x/y"),
    ("entrypoint_variation", "x y"),
    ("form_type", "biz"),
    ("form_type", "emails"),
    ("product_id", "plan_123"),
    ("product_id", "prod_"),
    ("service", "zzzz"),
    ("service", "0123456789ABCDEF"),
    ("service", "0123456789abcdef0"),
    ("utm_campaign", "foo bar"),
    ("utm_campaign", "a" * 129),
    ("utm_content", "qux qux"),
    ("utm_medium", "wimble!@$"),
    ("utm_source", "%!@%womble"),
    ("utm_term", "jum!%^gle"),
    ("utm_term", "line\n"),
]


@pytest.mark.parametrize("name,value", INVALID)
def test_an_invalid_parameter_is_400(browser, name, value):
    response = get(browser, {name: value})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert body["statusCode"] == 400
    assert body["validation"] == {"source": "query", "keys": [name]}


def test_a_repeated_parameter_is_400(browser):
    assert browser.get("/metrics-flow?entrypoint=a&entrypoint=b").status_code == 400


def test_utm_values_at_the_length_limit_pass(browser):
    assert get(browser, {"utm_source": "a" * 128, "entrypoint": "b" * 1024}).status_code == 200


@pytest.mark.parametrize("origin", [
    "http://127.0.0.1:8001", "http://localhost:8000", "http://127.0.0.1:8000",
])
def test_development_origins_are_echoed(browser, origin):
    response = get(browser, origin=origin)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == origin
    assert "Origin" in response["Vary"]


def test_no_origin_and_the_null_origin_are_allowed(browser):
    response = get(browser)
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response
    assert "Origin" in response["Vary"]
    null = get(browser, origin="null")
    assert null.status_code == 200
    assert null["Access-Control-Allow-Origin"] == "null"


def test_a_foreign_origin_gets_no_cors_header(browser):
    response = get(browser, origin=FOREIGN)
    # Upstream: the cors middleware's "CORS Error", answered 401 by the content server.
    assert response.status_code == 401
    assert response.json() == {"error": "Unauthorized", "message": "CORS Error", "statusCode": 401}
    assert "Access-Control-Allow-Origin" not in response
    assert "Origin" in response["Vary"]
    # The origin is checked before the query, as upstream's middleware order does.
    assert get(browser, {"form_type": "biz"}, origin=FOREIGN).status_code == 401


def test_the_setting_extends_the_list(browser, settings):
    assert get(browser, origin="https://rp.example").status_code == 401
    settings.ALLOWED_METRICS_FLOW_ORIGINS = ["https://rp.example"]
    response = get(browser, origin="https://rp.example")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://rp.example"
    # The built-in development origins stay allowed; others still are not.
    assert get(browser, origin=ALLOWED).status_code == 200
    assert get(browser, origin=FOREIGN).status_code == 401


def test_an_allowed_origin_can_read_a_validation_error(browser):
    response = get(browser, {"form_type": "biz"}, origin=ALLOWED)
    assert response.status_code == 400
    assert response["Access-Control-Allow-Origin"] == ALLOWED


def test_preflight(browser):
    response = browser.options(
        "/metrics-flow", headers={"Origin": ALLOWED, "Access-Control-Request-Method": "GET"}
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert response["Access-Control-Allow-Methods"] == "GET"
    foreign = browser.options(
        "/metrics-flow", headers={"Origin": FOREIGN, "Access-Control-Request-Method": "GET"}
    )
    assert foreign.status_code == 401
    assert "Access-Control-Allow-Origin" not in foreign


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_other_methods_are_405(method):
    # Even with CSRF checks on: the answer is 405, not a CSRF failure.
    response = getattr(Client(enforce_csrf_checks=True), method)("/metrics-flow")
    assert response.status_code == 405
    assert "GET" in response["Allow"]


def test_the_answer_has_the_page_security_headers(browser):
    response = get(browser)
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_form_type_events_are_logged(browser, caplog):
    caplog.set_level("INFO", logger="fxa.metrics")
    get(browser, {"form_type": "email", "entrypoint": "rp"})
    assert [record.getMessage() for record in caplog.records if record.name == "fxa.metrics"] == [
        "flow.begin", "flow.enter-email.view",
    ]
    caplog.clear()
    get(browser, origin=FOREIGN)
    assert "request.metrics-flow.bad-origin" in [record.getMessage() for record in caplog.records]
