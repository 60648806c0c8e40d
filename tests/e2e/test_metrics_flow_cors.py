"""In real Chromium against the live server: the CORS allow-list of /metrics-flow (events.md §4)
as a relying party's page meets it, and the pages load and run without one CSP violation."""
import threading
import uuid
from functools import partial
from http.server import ThreadingHTTPServer

import pytest
from django.conf import settings

from accounts.pages import metrics
from tests.e2e.browser import StaticHandler
from tests.live import start_live_stack

# django_db: pytest-django creates the test database (that the live stack uses) only for a run
# with database tests.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FLOW_ID_KEY = "e2e metrics flow key"
HEX32 = "ab" * 16


class Site:
    """A loopback site whose ``/`` is a blank page: an RP's page, on an origin of its own."""

    def __init__(self):
        handler = partial(StaticHandler, directory=str(settings.BASE_DIR / "static"))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture(scope="module")
def sites():
    allowed, foreign = Site(), Site()
    yield allowed, foreign
    allowed.stop()
    foreign.stop()


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker, sites):
    allowed, _ = sites
    stack = start_live_stack({
        "ALLOWED_METRICS_FLOW_ORIGINS": allowed.origin,
        "FLOW_ID_KEY": FLOW_ID_KEY,
    })
    yield stack
    stack.stop()


@pytest.fixture
def context(chromium):
    context = chromium.new_context(locale="en-US")
    context.set_default_timeout(20000)
    yield context
    context.close()


FETCH = """async (url) => {
  try {
    const response = await fetch(url);
    return { status: response.status, body: await response.json() };
  } catch (error) {
    return { error: String(error) };
  }
}"""


def test_a_page_of_an_allowed_origin_reads_the_flow(stack, sites, context):
    allowed, _ = sites
    page = context.new_page()
    page.goto(allowed.origin + "/")
    result = page.evaluate(FETCH, stack.url + "/metrics-flow?entrypoint=e2e&form_type=email")
    assert result.get("status") == 200, result
    body = result["body"]
    assert set(body) == {"deviceId", "flowBeginTime", "flowId"}
    flow_id = body["flowId"]
    assert flow_id[32:] == metrics.flow_signature(
        FLOW_ID_KEY.encode(), flow_id[:32], body["flowBeginTime"]
    )
    # The RP's page can read a validation error too.
    bad = page.evaluate(FETCH, stack.url + "/metrics-flow?form_type=nope")
    assert bad.get("status") == 400, bad


def test_a_page_of_another_origin_is_blocked_by_cors(stack, sites, context):
    _, foreign = sites
    page = context.new_page()
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(foreign.origin + "/")
    result = page.evaluate(FETCH, stack.url + "/metrics-flow")
    assert "status" not in result, result
    assert "Failed to fetch" in result["error"]
    page.wait_for_timeout(200)
    assert any("CORS policy" in text and "/metrics-flow" in text for text in console), console


# Pages that load and run their modules (and the no-JavaScript mail-link page).
PAGES = [
    "/",
    "/?email=someone%40example.com&service=sync",
    "/signup?email=new%40example.com",
    "/signin?email=someone%40example.com",
    "/reset_password",
    f"/verify_email?uid={HEX32}&code={HEX32}",
    "/settings",
]
WATCH_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation({
    page: location.href, directive: event.violatedDirective, blocked: event.blockedURI,
    sample: event.sample, source: event.sourceFile, line: event.lineNumber,
  });
});
"""


def test_the_pages_cause_no_csp_violation(stack, context):
    violations = []
    context.expose_binding("reportViolation", lambda source, violation: violations.append(violation))
    context.add_init_script(WATCH_VIOLATIONS)
    page = context.new_page()
    console = []
    page.on("console", lambda message: console.append(f"{page.url}: {message.text}"))
    for path in PAGES:
        page.goto(stack.url + path, wait_until="networkidle")
    # Run a page's script: the email-first step asks the server and moves on to sign-up.
    page.goto(stack.url + "/", wait_until="networkidle")
    page.fill("#email", f"e2e.csp-{uuid.uuid4().hex}@example.com")
    page.click("button[type=submit]")
    page.wait_for_url("**/signup*")
    page.wait_for_load_state("networkidle")
    assert violations == []
    assert not [text for text in console if "Content Security Policy" in text], console
    # The watch works: an inline style the policy refuses is reported.
    page.evaluate("() => document.body.append(Object.assign(document.createElement('style'), "
                  "{textContent: 'p { color: red }'}))")
    page.wait_for_timeout(300)
    assert [violation["directive"] for violation in violations] == ["style-src-elem"]
