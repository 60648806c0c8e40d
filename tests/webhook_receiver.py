"""A relying party's webhook endpoint on loopback, for the RP events tests: a real HTTP server
that records every request and answers as scripted, and the SET check an RP makes (jwcrypto,
none of our code: events.md §3, "RP-side verification recipe")."""
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from jwcrypto import jwk, jwt

SCHEMA = "https://schemas.accounts.firefox.com/event/"


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    status: int  # what the receiver answered

    @property
    def token(self):
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        assert scheme == "Bearer", self.headers
        return token


class WebhookReceiver:
    """``url(path)`` is an endpoint; ``answers[path]`` the statuses of its next requests (then
    200), ``delay[path]`` seconds to wait before answering, ``handlers[path]`` a function of the
    request's headers that returns the status (an RP's own logic). ``received`` lists every
    request."""

    def __init__(self, ssl_context=None):
        self.received = []
        self.answers = {}
        self.delay = {}
        self.handlers = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if receiver.delay.get(self.path):
                    time.sleep(receiver.delay[self.path])
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.lock:
                    queued = receiver.answers.get(self.path) or []
                    if queued:
                        status = queued.pop(0)
                    elif self.path in receiver.handlers:
                        status = receiver.handlers[self.path](headers)
                    else:
                        status = 200
                    receiver.received.append(Received(self.path, headers, body, status))
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", receiver.url("/redirected"))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.scheme = "http"
        if ssl_context is not None:  # https://localhost:<port>/…
            self.server.socket = ssl_context.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path="/hook"):
        host = "localhost" if self.scheme == "https" else "127.0.0.1"
        return f"{self.scheme}://{host}:{self.server.server_address[1]}{path}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def at(self, path):
        with self.lock:
            return [request for request in self.received if request.path == path]

    def accepted(self, path):
        return [request for request in self.at(path) if 200 <= request.status < 300]

    def wait_for(self, path, count=1, timeout=30, accepted=True):
        """The first ``count`` (accepted) requests to ``path``, waiting for them to arrive."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.accepted(path) if accepted else self.at(path)
            if len(found) >= count:
                return found
            assert time.monotonic() < deadline, (
                f"{len(found)} of {count} webhook requests arrived at {path}: {self.received}")
            time.sleep(0.1)


def verify_set(token, jwks, *, audience, issuer):
    """What an RP does with the bearer token: pick the key by ``kid``, check RS256, ``iss`` and
    ``aud``; returns (header, claims)."""
    keys = jwk.JWKSet.from_json(json.dumps(jwks))
    verified = jwt.JWT(jwt=token, key=keys, algs=["RS256"], expected_type="JWS",
                       check_claims={"iss": issuer, "aud": audience})
    return json.loads(verified.header), json.loads(verified.claims)


def single_event(claims):
    """(event name, payload) of a SET that must carry exactly one event."""
    (uri, payload), = claims["events"].items()
    assert uri.startswith(SCHEMA), uri
    return uri[len(SCHEMA):], payload
