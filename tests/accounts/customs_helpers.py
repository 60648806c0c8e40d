"""Helpers of the customs operator tests: the 400 errno 125 answer."""
from tests.helpers import assert_error

# One sign-in per address and IP in 15 minutes: the second opens a block.
TIGHT = "accountLogin : ip_email : 1 : 15 minutes : 15 minutes"


def assert_request_blocked(response):
    """400 errno 125 in upstream's format (its ``error`` is "Request blocked", customs.md §1)."""
    body = assert_error(response, 400, 125)
    assert body["error"] == "Request blocked", body
    assert body["message"] == "The request was blocked for security reasons", body
    return body
