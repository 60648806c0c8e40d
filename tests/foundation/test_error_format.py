"""The errno table renders as upstream's error bodies, independently of the Python version."""
import pytest

from accounts.errors import INFO_URL, AppError, Errno


@pytest.mark.parametrize("errno", list(Errno))
def test_every_errno_renders_the_full_error_body(errno):
    body = AppError(errno).to_dict()
    assert body == {
        "code": errno.status,
        "errno": int(errno),
        "error": body["error"],
        "message": errno.message,
        "info": INFO_URL,
    }
    assert body["error"] and body["error"] != "Error"


@pytest.mark.parametrize(
    "errno, status, phrase",
    # Upstream's strings; Python 3.13 renamed 413 "Content Too Large" and 422 "Unprocessable Content".
    [
        (Errno.REQUEST_TOO_LARGE, 413, "Request Entity Too Large"),
        (Errno.FAILED_TO_SEND_EMAIL, 422, "Unprocessable Entity"),
        (Errno.MISSING_CONTENT_LENGTH_HEADER, 411, "Length Required"),
        (Errno.INVALID_JSON, 400, "Bad Request"),
        (Errno.SERVER_BUSY, 503, "Service Unavailable"),
    ],
)
def test_error_string_is_upstreams(errno, status, phrase):
    body = AppError(errno, code=status).to_dict()
    assert (body["code"], body["error"]) == (status, phrase)


def test_missing_parameter_names_it_in_message_and_param():
    body = AppError.missing_parameter("authPW").to_dict()
    assert body["message"] == "Missing parameter in request body: authPW"
    assert body["param"] == "authPW"
