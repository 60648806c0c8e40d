"""The three errno families: each table renders upstream's body, and its PENDING marks are true."""
import re
from pathlib import Path

import pytest
from django.conf import settings

from accounts.errors import Errno, ErrnoTable
from oauth.errors import OAuthErrno, OAuthError
from oauth.profile.errors import ProfileErrno, ProfileError

SOURCE_PACKAGES = ("accounts", "emails", "oauth", "subscriptions", "fxa_project")
FAMILIES = [Errno, OAuthErrno, ProfileErrno]


def _source_text():
    base = Path(settings.BASE_DIR)
    return "\n".join(
        path.read_text() for package in SOURCE_PACKAGES for path in (base / package).rglob("*.py")
    )


def _raised_somewhere(table, source):
    """The table's errnos that some code names (``Errno.X``, under any alias of the errno)."""
    named = set(re.findall(rf"\b{table.__name__}\.([A-Z][A-Z0-9_]*)\b", source))
    return {table[name] for name in named if name in table.__members__}


@pytest.mark.parametrize("table", FAMILIES, ids=lambda table: table.__name__)
def test_pending_marks_exactly_the_errnos_no_code_raises(table):
    raised = _raised_somewhere(table, _source_text())
    unmarked = sorted(errno.name for errno in table if not errno.pending and errno not in raised)
    marked = sorted(errno.name for errno in table if errno.pending and errno in raised)
    assert unmarked == [], "raised nowhere: mark these PENDING"
    assert marked == [], "raised now: drop their PENDING mark"


@pytest.mark.parametrize("table, error_class",
                         [(OAuthErrno, OAuthError), (ProfileErrno, ProfileError)])
def test_every_errno_of_the_other_families_renders_the_full_body(table, error_class):
    for errno in table:
        body = error_class(errno).to_dict()
        assert set(body) == {"code", "errno", "error", "message", "info"}
        assert (body["code"], body["errno"]) == (errno.status, errno)
        assert body["message"] == errno.message
        assert body["error"] and body["error"] != "Error" and body["info"] == error_class.info_url


def test_an_oauth_errno_is_answered_on_auth_server_routes_as_its_row_says():
    for errno in OAuthErrno:
        answered = OAuthError(errno).to_app_error()
        if errno.answered_as is None:
            assert (answered.errno, answered.code) == (Errno.UNEXPECTED_ERROR, errno.status)
        else:
            assert isinstance(errno.answered_as, Errno)
            assert (answered.errno, answered.code) == (errno.answered_as, errno.answered_as.status)


def test_the_disabled_client_retry_after_survives_the_mapping():
    error = OAuthError.disabled_client("abc")
    answered = error.to_app_error()
    assert error.headers == answered.headers == {"Retry-After": "30"}
    assert answered.to_dict()["retryAfter"] == 30 and "clientId" in answered.to_dict()


def test_a_table_row_needs_a_status_and_a_message():
    with pytest.raises(TypeError):
        class Broken(ErrnoTable):  # noqa: F841 (declaring it is the test)
            NO_MESSAGE = 1, 400
