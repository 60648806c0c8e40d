"""Fixtures for the end-to-end tests: the browser ones (see tests/e2e/browser.py)."""
from tests.e2e.browser import browser_page, chromium, static_server, web_stack

__all__ = ["browser_page", "chromium", "static_server", "web_stack"]
