"""Reusable pytest fixtures for tests that run code in a real browser (Chromium via Playwright).

* ``chromium``: one headless Chromium for the whole session (``/usr/bin/chromium``; Playwright's
  bundled browsers are never installed). Open pages with ``chromium.new_context().new_page()``.
* The live server the pages come from is the ``live_stack`` fixture (tests/conftest.py), with
  its SMTP sink ``live_stack.smtp``; ``tests.live.start_live_stack(extra_env)`` makes another.
* ``browser_page``: a fresh context and page on ``chromium`` for one test; every request it makes
  is recorded in ``browser_page.requests`` (url, method, headers, body).
* ``screenshot(page, name)``: full-page PNGs at 1280 and 375 px under ``artifacts/screenshots/``.
* ``static_server``: the base URL (``http://127.0.0.1:<port>``) of a loopback server that serves
  the repository's ``static/`` directory under ``/static/`` and a blank page at ``/``. Loopback
  http is a secure context, so WebCrypto (``crypto.subtle``) works on pages from it.

Registered for ``tests/e2e`` by its ``conftest.py``.
"""
import threading
from functools import partial
from pathlib import Path
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
WIDTHS = {"desktop": (1280, 800), "mobile": (375, 740)}
BLANK_PAGE = b"<!doctype html><meta charset=utf-8><title>blank</title>"


def launch_chromium(playwright):
    """Headless Chromium from the system package. Playwright already passes --no-sandbox
    (its ``chromium_sandbox`` defaults to off), so this also works as root."""
    return playwright.chromium.launch(executable_path=CHROMIUM)


class StaticHandler(SimpleHTTPRequestHandler):
    """``/`` → a blank page; ``/static/<path>`` → ``<directory>/<path>``; anything else → 404."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript"}

    def do_GET(self):
        if self.path == "/":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(BLANK_PAGE)))
            self.end_headers()
            self.wfile.write(BLANK_PAGE)
        elif self.path.startswith("/static/"):
            self.path = self.path[len("/static"):]
            super().do_GET()
        else:
            self.send_error(404)

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium ``Browser`` shared by the session.

    Playwright's sync API leaves an asyncio loop marked running in this thread for as long as it
    is open, and Django then refuses every ORM call of the tests that follow (transactional
    flushes included) as "async unsafe". Those calls are synchronous and in this one thread, so
    the session says so while the browser is open."""
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def static_server():
    """Base URL of a loopback HTTP server for ``static/`` (see the module docstring)."""
    handler = partial(StaticHandler, directory=str(settings.BASE_DIR / "static"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()


class RecordedPage:
    """A Playwright page that records every request it sends (for the password-leak checks)."""

    def __init__(self, context):
        self.context = context
        self.page = context.new_page()
        self.requests = []
        self.console_errors = []
        self.page.on("request", self._record)
        self.page.on("console", lambda message: message.type == "error" and self.console_errors.append(message.text))
        self.page.on("pageerror", lambda error: self.console_errors.append(str(error)))

    def _record(self, request):
        self.requests.append({
            "url": request.url, "method": request.method,
            "headers": request.headers, "body": request.post_data or "",
        })

    def __getattr__(self, name):
        return getattr(self.page, name)


@pytest.fixture
def browser_page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    context.set_default_timeout(20000)
    page = RecordedPage(context)
    yield page
    context.close()


def screenshot(page, name):
    """Full-page screenshots of what the page shows now, at desktop and phone width."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(original)


def password_encodings(password):
    """The forms a leaked password could take in a request: raw, URL-, JSON-, base64-, hex-encoded."""
    import base64
    import json
    from urllib.parse import quote, quote_plus

    raw = password.encode()
    forms = {
        password, quote(password), quote_plus(password), json.dumps(password)[1:-1],
        base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode().rstrip("="),
        raw.hex(), raw.hex().upper(),
    }
    return {form for form in forms if form}


def assert_password_not_sent(requests, password):
    """No recorded request carries the password in any encoding (URL, headers or body)."""
    assert requests, "no requests were recorded"
    forms = password_encodings(password)
    for request in requests:
        haystack = " ".join([request["url"], request["body"], *map(str, request["headers"].values())])
        for form in forms:
            assert form not in haystack, f"the password ({form!r}) was sent to {request['url']}"
