"""Helpers of the customs operator tests: the 400 errno 125 answer."""
from tests.helpers import assert_error


def assert_request_blocked(response):
    """400 errno 125 in upstream's format (its ``error`` is "Request blocked", customs.md §1)."""
    body = assert_error(response, 400, 125)
    assert body["error"] == "Request blocked", body
    assert body["message"] == "The request was blocked for security reasons", body
    return body
