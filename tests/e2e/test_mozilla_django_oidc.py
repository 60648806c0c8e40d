"""mozilla-django-oidc, a standard Django OIDC relying party, against the live server over real HTTP.

The RP (``tests/e2e/oidc_rp``) runs as its own gunicorn process configured from our discovery
document; a ``requests.Session`` plays the browser. The RP exchanges the code at /v1/token with
client_secret_post, checks the RS256 id_token against /v1/jwks (with its nonce) and reads
/v1/profile as userinfo. ``sign_in`` does what our pages do once the user has signed in
(tests/e2e/test_pages_oauth.py drives those pages in a browser).
"""
import secrets
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from tests import factories
from tests.live import ManagedProcess, free_port

from .test_oauth_rp_libraries import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def oidc_rp(live_stack, tmp_path):
    """The RP serving on a free loopback port, registered with us as a confidential client."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    client, secret = factories.oauth_client("mozilla-django-oidc RP", redirect_uris=(f"{url}/oidc/callback/",),
                                 scope="openid email")
    metadata = requests.get(live_stack.url + "/.well-known/openid-configuration", timeout=10).json()
    env = {
        **live_stack.env,
        "DJANGO_SETTINGS_MODULE": "tests.e2e.oidc_rp.settings",
        "RP_SECRET_KEY": secrets.token_hex(32),
        "RP_DATABASE": str(tmp_path / "rp.sqlite3"),
        "OIDC_RP_CLIENT_ID": client.client_id,
        "OIDC_RP_CLIENT_SECRET": secret,
        "OIDC_OP_AUTHORIZATION_ENDPOINT": metadata["authorization_endpoint"],
        "OIDC_OP_TOKEN_ENDPOINT": metadata["token_endpoint"],
        "OIDC_OP_USER_ENDPOINT": metadata["userinfo_endpoint"],
        "OIDC_OP_JWKS_ENDPOINT": metadata["jwks_uri"],
    }
    subprocess.run([sys.executable, "-m", "django", "migrate", "--verbosity", "0"],
                   env=env, check=True, timeout=60)
    # No control socket: gunicorn's default path is per user, shared with the live server's.
    server = ManagedProcess("oidc-rp", [
        sys.executable, "-m", "gunicorn", "tests.e2e.oidc_rp.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", "1", "--no-control-socket"], env)
    try:
        _wait_until_serving(server, url)
        yield SimpleNamespace(url=url, metadata=metadata, server=server)
    finally:
        server.stop()


def _wait_until_serving(server, url, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.process.poll() is None:
        try:
            requests.get(url + "/", allow_redirects=False, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"the relying party did not start:\n{server.output()}")


def start_login(rp, browser):
    """The RP's login page sends the browser to our authorization endpoint; returns that URL."""
    landing = browser.get(rp.url + "/", timeout=10)
    hops = [response.headers["Location"] for response in landing.history]
    assert hops[0] == "/oidc/authenticate/?next=/"
    authorize_url = hops[1]
    assert authorize_url.startswith(rp.metadata["authorization_endpoint"] + "?")
    # Lands on our email-first page with the RP's request intact.
    assert landing.url == authorize_url.replace("/authorization?", "/oauth/?", 1)
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["scope"] == ["openid email"] and query["response_type"] == ["code"]
    assert query["nonce"] and query["state"]
    return authorize_url


def code_of(callback_url):
    return parse_qs(urlsplit(callback_url).query)["code"][0]


def forge(code):
    return code[:-1] + ("1" if code.endswith("0") else "0")


def with_code(callback_url, code):
    parts = urlsplit(callback_url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return parts._replace(query=urlencode({**query, "code": code})).geturl()


def test_mozilla_django_oidc_login(live_stack, oidc_rp):
    user = factories.account("mdo.rp@example.com")

    browser = requests.Session()
    callback = sign_in(live_stack, user, start_login(oidc_rp, browser))
    assert callback.startswith(oidc_rp.url + "/oidc/callback/?")
    page = browser.get(callback, timeout=10)
    assert page.status_code == 200, oidc_rp.server.output()
    assert page.text == f"Signed in as {user.email}"

    # A forged code, then the code already redeemed above, each with a state the RP did issue:
    # our /v1/token refuses both (the RP's token request fails), and nobody is signed in.
    intruder = requests.Session()
    redeemed = code_of(callback)
    for attempt, tamper in enumerate((forge, lambda code: redeemed), start=1):
        issued = sign_in(live_stack, user, start_login(oidc_rp, intruder))
        failed = intruder.get(with_code(issued, tamper(code_of(issued))), allow_redirects=False,
                              timeout=10)
        assert failed.status_code == 500
        token_error = f"Get Token Error (url: {oidc_rp.metadata['token_endpoint']}, status: 400"
        assert Path(oidc_rp.server.log.name).read_text().count(token_error) == attempt
        still_out = intruder.get(oidc_rp.url + "/", allow_redirects=False, timeout=10)
        assert still_out.status_code == 302 and still_out.headers["Location"].startswith("/oidc/")
