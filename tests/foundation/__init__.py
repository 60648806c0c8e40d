"""Foundation tests: error format, request edge, health, worker, settings, admin and dev tools."""
import time

# The "error" strings upstream's error bodies carry.
REASON = {
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
INFO_URL = "https://mozilla.github.io/ecosystem-platform/api#section/Response-format"


def assert_api_headers(response):
    """Every /v1 answer is JSON and carries the server time in seconds."""
    assert response.headers["Content-Type"].split(";")[0] == "application/json"
    assert abs(int(response.headers["Timestamp"]) - time.time()) <= 5


def assert_error(response, status, errno):
    """An answer in upstream's error format; returns the body for further checks."""
    assert response.status_code == status, response.content
    assert_api_headers(response)
    body = response.json()
    assert body["code"] == status
    assert body["errno"] == errno
    assert body["error"] == REASON[status]
    assert isinstance(body["message"], str) and body["message"]
    assert body["info"] == INFO_URL
    return body
