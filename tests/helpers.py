"""Test helpers: upstream's error format, and a /v1 client that authenticates like real FxA clients
(accounts, sessions and OAuth clients are made by ``tests/factories.py``)."""
import json
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client, TestCase

from accounts import hawk, onepw
from accounts.errors import Errno
from accounts.tokens import stored_id

DEFAULT_PASSWORD = "pässwörd"
# The ``info`` of upstream's error bodies: the auth server's, the OAuth server's, the profile server's.
INFO_URLS = (
    "https://mozilla.github.io/ecosystem-platform/api#section/Response-format",
    "https://github.com/mozilla/fxa-oauth-server/blob/master/docs/api.md#errors",
    "https://github.com/mozilla/fxa/blob/main/packages/fxa-profile-server/docs/API.md",
)


def reason(status):
    """The ``error`` string of upstream's error bodies: the HTTP reason phrase (as Boom's)."""
    return "Request Entity Too Large" if status == 413 else HTTPStatus(status).phrase


def assert_api_headers(response):
    """Every /v1 answer is JSON and carries the server time in seconds."""
    assert response.headers["Content-Type"].split(";")[0] == "application/json"
    assert abs(int(response.headers["Timestamp"]) - time.time()) <= 5


def assert_error(response, status, errno):
    """An answer in upstream's error format with this status and errno (or one of these errnos);
    returns the body.

    ``response``: Django's test client's, requests', or anything with ``status_code``,
    ``headers``, ``content`` and ``json()``.
    """
    assert response.status_code == status, response.content
    assert_api_headers(response)
    body = response.json()
    assert body["code"] == status, body
    assert body["errno"] == errno if isinstance(errno, int) else body["errno"] in errno, body
    assert body["info"] in INFO_URLS, body
    if body["info"] == INFO_URLS[0]:
        # The auth server's reason phrase, or the table's own ("Request blocked" for 125).
        assert body["error"] == (Errno(body["errno"]).phrase or reason(status)), body
    else:  # the OAuth server names some errors ("Invalid scopes", "Client Disabled")
        assert isinstance(body["error"], str) and body["error"], body
    assert isinstance(body["message"], str) and body["message"], body
    return body


def ok(response):
    """The JSON body of a 200 answer."""
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def stretch(email, password=DEFAULT_PASSWORD):
    """(authPW hex, unwrapBKey) as a v1 client computes them."""
    stretched = onepw.quick_stretch_v1(email, password)
    return onepw.auth_pw(stretched).hex(), onepw.unwrap_bkey(stretched)


def token_credentials(token_hex, token_type):
    keys = onepw.derive_token(bytes.fromhex(token_hex), token_type)
    return keys.token_id.hex(), keys.auth_key


def token_key(token_hex, token_type="sessionToken"):
    """The primary key of the row of a token that a client holds: its id's SHA-256."""
    return stored_id(token_credentials(token_hex, token_type)[0])


BEARER_PREFIXES = {
    "sessionToken": "fxs",
    "keyFetchToken": "fxk",
    "accountResetToken": "fxar",
    "passwordForgotToken": "fxpf",
    "passwordChangeToken": "fxpc",
}


def authorization(token_hex, token_type, method, url, body=None, scheme="bearer", **hawk_options):
    """The Authorization header a client sends for a token: Bearer (new) or Hawk (old)."""
    token_id, auth_key = token_credentials(token_hex, token_type)
    if scheme == "bearer":
        return f"Bearer {BEARER_PREFIXES[token_type]}_{token_id}"
    return hawk.sign_request(token_id, auth_key, method, url, body=body, **hawk_options)


class ApiClient:
    """Django's test client speaking JSON to /v1, signing with a token when given one."""

    def __init__(self, base_url=None):
        self.client = Client()
        self.base_url = base_url or settings.PUBLIC_URL

    def request(self, method, path, data=None, *, token=None, token_type="sessionToken",
                scheme="bearer", raw_body=None, headers=None, **hawk_options):
        url = self.base_url + "/v1" + path
        body = raw_body if raw_body is not None else (
            json.dumps(data).encode() if data is not None else None
        )
        extra = dict(headers or {})
        if token is not None:
            extra["Authorization"] = authorization(
                token, token_type, method, url, body=body, scheme=scheme, **hawk_options
            )
        parts = urlsplit(url)
        return self.client.generic(
            method,
            parts.path + (f"?{parts.query}" if parts.query else ""),
            data=body or b"",
            content_type="application/json",
            headers=extra,
            SERVER_NAME=parts.hostname,
            SERVER_PORT=str(parts.port or 80),
        )

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, data=None, **kwargs):
        return self.request("POST", path, data if data is not None else {}, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)


class MailingApiClient(ApiClient):
    """An ApiClient whose requests run their on-commit hooks, so the mail they queue is delivered
    (Celery runs eagerly in-process) to ``django.core.mail.outbox``."""

    def __init__(self, ip=None, **kwargs):
        super().__init__(**kwargs)
        if ip:
            self.client.defaults["REMOTE_ADDR"] = ip

    def request(self, *args, **kwargs):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(*args, **kwargs)


def sent(template=None, to=None):
    """Messages delivered so far, optionally of one template and/or to one address."""
    return [
        message for message in mail.outbox
        if (template is None or message.extra_headers.get("X-Template-Name") == template)
        and (to is None or to in message.to)
    ]


def templates():
    """The template names of the messages delivered so far, in order."""
    return [message.extra_headers.get("X-Template-Name") for message in mail.outbox]


def race(count, attempt):
    """Run ``attempt(index)`` in ``count`` threads released at the same moment; returns the
    results in index order (an exception is returned as the result). Each thread closes its own
    database connection. For tests of things that must happen exactly once."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        try:
            barrier.wait(timeout=30)
            results[index] = attempt(index)
        except Exception as error:  # noqa: BLE001 - reported to the caller as the result
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def clear_customs():
    """Forget this test process's customs counters, blocks and bans (its CUSTOMS_KEY_PREFIX, which
    its live servers share), in Redis or the local cache."""
    from django.core.cache import cache

    client = getattr(cache, "_cache", None)
    if not hasattr(client, "get_client"):
        cache.clear()
        return
    redis = client.get_client(write=True)
    keys = list(redis.scan_iter(match=cache.make_key(f"{settings.CUSTOMS_KEY_PREFIX}:*"), count=1000))
    if keys:
        redis.delete(*keys)


def free_port():
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_localstripe(port):
    """localstripe (``tests/localstripe_server.py``) on 127.0.0.1:``port``, for as long as the
    block runs: the Stripe API of the subscription tests."""
    process = subprocess.Popen([sys.executable, "-m", "tests.localstripe_server", str(port)],
                               cwd=Path(__file__).resolve().parents[1],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise RuntimeError("localstripe exited at start")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("localstripe did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)
