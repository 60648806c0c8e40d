"""Fixtures for the end-to-end tests: the browser ones (see tests/e2e/browser.py), the OAuth
signing key in-process; the live stack itself is tests/conftest.py's ``live_stack``."""
import pytest

from tests.e2e.browser import browser_page, chromium, static_server
from tests.live import OAUTH_SIGNING_KEY

__all__ = ["browser_page", "chromium", "static_server"]


@pytest.fixture(autouse=True)
def _signing_key(settings):
    """What this process signs (an id_token made in-process) verifies with the live server's key."""
    settings.OAUTH_SIGNING_KEY = OAUTH_SIGNING_KEY
