"""A Web Push service on loopback for tests, and the push side of a browser that decrypts.

``FakePushService`` accepts POSTs on any path like autopush does (201), or answers the status set
for a path (404/410 for a gone subscription), and records each request. ``BrowserPush`` is what a
browser holds for one subscription: a P-256 key pair and a 16-byte auth secret; it decrypts the
aes128gcm bodies sent to its endpoint.
"""
import base64
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class PushRequest:
    path: str
    headers: dict
    body: bytes

    @property
    def ttl(self):
        return int(self.headers["ttl"])

    def vapid_claims(self, audience):
        """The verified claims of the VAPID (RFC 8292) Authorization header, and its key ``k``."""
        scheme, _, params = self.headers["authorization"].partition(" ")
        assert scheme == "vapid"
        values = dict(part.strip().split("=", 1) for part in params.split(","))
        public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(values["k"]))
        claims = jwt.decode(values["t"], key=public_key, algorithms=["ES256"], audience=audience)
        return claims, values["k"]


@dataclass
class FakePushService:
    server: ThreadingHTTPServer = None
    received: list = field(default_factory=list)
    statuses: dict = field(default_factory=dict)
    condition: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                status = service.statuses.get(self.path, 201)
                with service.condition:
                    service.received.append(PushRequest(self.path, headers, body))
                    service.condition.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def requests_to(self, path):
        with self.condition:
            return [request for request in self.received if request.path == path]

    def wait_for(self, path, count=1, timeout=30):
        """The first ``count`` requests to ``path``, waiting for them to arrive."""
        deadline = time.monotonic() + timeout
        with self.condition:
            while True:
                found = [request for request in self.received if request.path == path]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"{len(found)} of {count} pushes arrived at {path}"
                self.condition.wait(remaining)

    def subscribe(self):
        return BrowserPush(self, f"/wpush/v2/{uuid.uuid4().hex}")


class BrowserPush:
    """One push subscription as a browser holds it."""

    def __init__(self, service, path):
        self.service = service
        self.path = path
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth_secret = os.urandom(16)

    @property
    def endpoint(self):
        return self.service.url + self.path

    @property
    def public_key(self):
        return b64url(self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        ))

    def registration(self):
        """The push fields of POST /account/device."""
        return {
            "pushCallback": self.endpoint,
            "pushPublicKey": self.public_key,
            "pushAuthKey": b64url(self.auth_secret),
        }

    def expire(self, status=410):
        self.service.statuses[self.path] = status

    def received(self):
        return self.service.requests_to(self.path)

    def messages(self):
        return [self.decrypt(request) for request in self.received()]

    def wait_for_messages(self, count=1, timeout=30):
        return [self.decrypt(request) for request in self.service.wait_for(self.path, count, timeout)]

    def decrypt(self, request):
        """The message of one push (None for a push without payload)."""
        if not request.body:
            return None
        assert request.headers["content-encoding"] == "aes128gcm"
        plaintext = http_ece.decrypt(
            request.body, private_key=self.private_key, auth_secret=self.auth_secret,
            version="aes128gcm",
        )
        return json.loads(plaintext)
