"""A real Firefox (Debian's firefox-esr, headless) signs in to this server through Marionette.

Only the prefs a self-hoster sets are changed (``identity.fxaccounts.autoconfig.uri`` and
``identity.fxaccounts.allowHttp``, for the plain-http test server), plus what makes a test
profile quiet. Firefox builds its own sign-in URL (``promiseConnectAccountURI``, what the
"Sign in" button of about:preferences#sync opens), the test types into our pages like a user,
with the code from the SMTP sink, and then reads Firefox's own state in chrome context: the
signed-in user, verified; its stored oldsync key, equal to the one derived from the account's
kB; and its device registered on the server under Firefox's name. A first profile signs up, a
second one signs in to the same account.

Firefox is started by the test itself (so it ends only that process) with
``--remote-allow-system-access``, which chrome-context scripts need on current releases. Its
FxA log (``identity.fxaccounts.log.appender.dump``) and the pages' console are printed after
the test. What that log shows from Firefox 153 ESR and is expected: "Unrecognized
FxAccountsWebChannel command: fxaccounts:loaded" (the browser no longer handles that message,
which upstream's pages still send, and fails to answer it: "target is undefined"), and Sync's
own login failing on a malformed tokenserver URI, since no tokenserver is configured here.
"""
import shutil
import socket
import time
import uuid

import pytest
from marionette_driver.by import By
from marionette_driver.marionette import Marionette

from accounts.devices.models import Device
from tests.e2e import test_pages_firefox_webchannel
from tests.e2e.browser import SCREENSHOTS
from tests.live import ManagedProcess

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FIREFOX_BINARY = shutil.which("firefox-esr")
OLDSYNC = "https://identity.mozilla.com/apps/oldsync"
PASSWORD = "Firefox synchronisiert 42"
WAIT = 60  # seconds: a cold headless Firefox on a busy 2-core machine is slow

# The FxA prefs under test, and a quiet test profile (no updates, telemetry or first-run pages).
QUIET_PREFS = {
    "app.update.disabledForTesting": True,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.startup.page": 0,
    "browser.aboutwelcome.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "browser.dom.window.dump.enabled": True,
    "devtools.console.stdout.content": True,
    "identity.fxaccounts.log.appender.dump": "Debug",
    "identity.fxaccounts.loglevel": "Debug",
    "services.sync.log.appender.dump": "Debug",
}

CONNECT_URL = """
const resolve = arguments[arguments.length - 1];
const scope = arguments[0];
const { FxAccountsConfig } = ChromeUtils.importESModule("resource://gre/modules/FxAccountsConfig.sys.mjs");
FxAccountsConfig.promiseConnectAccountURI("preferences")
  .then(resolve, (error) => resolve({ error: String(error) }));
"""

SIGNED_IN_STATE = """
const resolve = arguments[arguments.length - 1];
const scope = arguments[0];
const { getFxAccountsSingleton } = ChromeUtils.importESModule("resource://gre/modules/FxAccounts.sys.mjs");
const fxa = getFxAccountsSingleton();
(async () => {
  const user = await fxa.getSignedInUser();
  let key = null;
  if (user && user.verified && await fxa.keys.hasKeysForScope(scope)) {
    key = await fxa.keys.getKeyForScope(scope);
  }
  const device = user ? await fxa.device.getLocalId().catch(() => null) : null;
  return { user, key, deviceId: device, deviceName: fxa.device.getLocalName() };
})().then(resolve, (error) => resolve({ error: String(error) }));
"""


first_party_clients = test_pages_firefox_webchannel.first_party_clients


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pref_line(name, value):
    text = "true" if value is True else "false" if value is False else \
        str(value) if isinstance(value, int) else '"' + value.replace('"', '\\"') + '"'
    return f'user_pref("{name}", {text});\n'


class Firefox:
    """One headless firefox-esr process on its own profile, and a Marionette session to it."""

    def __init__(self, server, profile):
        self.port = free_port()
        prefs = {**QUIET_PREFS, "marionette.port": self.port,
                 "identity.fxaccounts.autoconfig.uri": server,
                 "identity.fxaccounts.allowHttp": True}
        profile.mkdir()
        (profile / "user.js").write_text("".join(pref_line(k, v) for k, v in prefs.items()))
        self.process = ManagedProcess(
            f"firefox-{profile.name}",
            [FIREFOX_BINARY, "-headless", "-no-remote", "-profile", str(profile), "-marionette",
             "--remote-allow-system-access"],
            {"MOZ_HEADLESS": "1", "HOME": str(profile), "PATH": "/usr/bin:/bin"})
        self.client = Marionette(host="127.0.0.1", port=self.port, startup_timeout=WAIT)
        self.client.start_session()
        self.client.timeout.script = WAIT
        self.client.timeout.page_load = WAIT

    def chrome(self, script, args=()):
        with self.client.using_context("chrome"):
            return self.client.execute_async_script(script, script_args=list(args))

    def wait_for(self, css):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            found = self.client.find_elements(By.CSS_SELECTOR, css)
            if found and found[0].is_displayed():
                return found[0]
            time.sleep(0.2)
        raise AssertionError(f"{css} never appeared on {self.client.get_url()}")

    def wait_for_url(self, fragment):
        deadline = time.monotonic() + WAIT
        while fragment not in self.client.get_url():
            if time.monotonic() > deadline:
                raise AssertionError(f"never reached {fragment}: at {self.client.get_url()}")
            time.sleep(0.2)
        # The page's module has bound its forms (main.js marks the body).
        while not self.client.find_elements(By.CSS_SELECTOR, "body[data-ready]"):
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.client.get_url()} never got ready")
            time.sleep(0.2)

    def save_screenshot(self, name):
        """The page as this Firefox shows it, next to the Playwright screenshots."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"{name}.png").write_bytes(self.client.screenshot(format="binary"))

    def fill(self, css, text):
        element = self.wait_for(css)
        element.clear()
        element.send_keys(text)

    def click(self, css):
        self.wait_for(css).click()

    def stop(self):
        """Ends this Firefox; returns the tail of its output (its FxA log and the pages' console)."""
        try:
            self.client.delete_session()
        except Exception:  # noqa: BLE001 — a Firefox that died already: its output tells why
            pass
        output = self.process.output()
        self.process.stop()
        return output


@pytest.fixture
def firefoxes(tmp_path):
    started = []

    def start(server, name):
        browser = Firefox(server, tmp_path / name)
        started.append(browser)
        return browser

    yield start
    for browser in started:
        print(f"--- {browser.process.name} (tail) ---\n{browser.stop()}")


def open_sign_in(browser):
    """The URL Firefox opens for "Sign in" (autoconfig fetched first), opened in the tab."""
    url = browser.chrome(CONNECT_URL)
    assert isinstance(url, str), url
    assert "context=oauth_webchannel_v1" in url and "keys_jwk=" in url
    browser.client.navigate(url)
    browser.wait_for("#email-form")
    return url


def enter_email(browser, email, next_page):
    browser.fill("#email", email)
    browser.click("#email-form [type=submit]")
    browser.wait_for_url(next_page)


def wait_signed_in(browser):
    deadline = time.monotonic() + WAIT
    while True:
        state = browser.chrome(SIGNED_IN_STATE, [OLDSYNC])
        if state.get("key") and state.get("deviceId"):
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.5)


def assert_firefox_signed_in(browser, email):
    state = wait_signed_in(browser)
    assert state["user"]["email"] == email and state["user"]["verified"] is True
    account, kb = test_pages_firefox_webchannel.account_kb(email, PASSWORD)
    expected = test_pages_firefox_webchannel.oldsync_key(kb, account.verifier_set_at)
    assert {name: state["key"][name] for name in ("kty", "k", "kid")} == \
        {name: expected[name] for name in ("kty", "k", "kid")}
    device = Device.objects.get(account=account, id=state["deviceId"])
    assert device.name == state["deviceName"]
    return account


@pytest.mark.skipif(FIREFOX_BINARY is None, reason="firefox-esr is not installed (.ci/run installs it)")
def test_firefox_signs_up_then_a_second_profile_signs_in(live_stack, firefoxes):
    email = f"e2e.firefox-{uuid.uuid4().hex[:10]}@example.com"
    first = firefoxes(live_stack.url, "signup")
    open_sign_in(first)
    enter_email(first, email, "/signup?")
    first.fill("#new-password", PASSWORD)
    first.fill("#confirm-password", PASSWORD)
    first.fill("#age", "30")
    first.click("#signup-form [type=submit]")
    first.wait_for_url("/confirm_signup_code?")
    first.fill("#code", live_stack.smtp.latest_code(email, "X-Verify-Short-Code"))
    first.click("#code-form [type=submit]")
    first.wait_for_url("/signup_confirmed_sync?")
    account = assert_firefox_signed_in(first, email)
    # Firefox answered the landing page's fxa_status: its "Manage sync" is offered.
    first.wait_for("[data-manage-sync]")
    first.save_screenshot("firefox-signup-confirmed-sync")
    # fxaccounts:sync_preferences: Firefox opens its Sync preferences in this tab.
    first.click("[data-manage-sync]")
    deadline = time.monotonic() + WAIT
    while not first.client.get_url().startswith("about:preferences"):
        assert time.monotonic() < deadline, first.client.get_url()
        time.sleep(0.2)
    assert first.client.get_url().endswith("#sync")

    second = firefoxes(live_stack.url, "signin")
    open_sign_in(second)
    enter_email(second, email, "/signin?")
    second.fill("#password", PASSWORD)
    second.click("#signin-form [type=submit]")
    deadline = time.monotonic() + WAIT
    while not any(step in second.client.get_url()
                  for step in ("/signin_token_code?", "/connect_another_device?")):
        assert time.monotonic() < deadline, second.client.get_url()
        time.sleep(0.2)
    if "/signin_token_code?" in second.client.get_url():
        second.fill("#code", live_stack.smtp.latest_code(email, "X-Signin-Verify-Code"))
        second.click("#code-form [type=submit]")
    second.wait_for_url("/connect_another_device?")
    assert_firefox_signed_in(second, email)
    # The page asked Firefox who is signed in: this account, so on to another device.
    second.wait_for('[data-state="signed-in"]')
    second.save_screenshot("firefox-connect-another-device")
    assert Device.objects.filter(account=account).count() == 2
