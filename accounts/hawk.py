"""Hawk 1.x (sha256) request verifier and signer, wire-compatible with mohawk and FxA clients."""
import base64
import hashlib
import hmac
import re
import secrets
import time
from urllib.parse import urlsplit

MAX_HEADER_LENGTH = 4096
ATTRIBUTE_NAMES = frozenset(("id", "ts", "nonce", "hash", "ext", "mac", "app", "dlg"))
_REQUIRED = ("id", "ts", "nonce", "mac")
_DEFAULT_PORTS = {"http": 80, "https": 443}

# ASCII so that \w means [A-Za-z0-9_] as in the JavaScript reference implementation.
_SCHEME = re.compile(r"(\w+)(?:\s+(.*))?", re.ASCII | re.DOTALL)
_ATTRIBUTE = re.compile(
    r"""(\w+)="([ \w!#$%&'()*+,\-./:;<=>?@\[\]^`{|}~]*)"\s*(?:,\s*|\Z)""", re.ASCII
)
_DIGITS = re.compile(r"[0-9]+")


class HawkError(Exception):
    """A rejected Hawk request; ``kind`` is "bad_header", "bad_mac" or "bad_payload_hash"."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def parse_header(header: str) -> dict[str, str]:
    if len(header) > MAX_HEADER_LENGTH:
        raise HawkError("bad_header", "Header length too long")
    match = _SCHEME.fullmatch(header)
    if match is None or match.group(1).lower() != "hawk":
        raise HawkError("bad_header", "Not a Hawk header")
    rest = match.group(2)
    if not rest:
        raise HawkError("bad_header", "Invalid header syntax")
    attributes = {}
    pos, end = 0, len(rest)
    while pos < end:
        attribute = _ATTRIBUTE.match(rest, pos)
        if attribute is None:
            raise HawkError("bad_header", "Bad header format")
        name, value = attribute.groups()
        if name not in ATTRIBUTE_NAMES:
            raise HawkError("bad_header", f"Unknown attribute: {name}")
        if name in attributes:
            raise HawkError("bad_header", f"Duplicate attribute: {name}")
        attributes[name] = value
        pos = attribute.end()
    for name in _REQUIRED:
        if not attributes.get(name):
            raise HawkError("bad_header", f"Missing attribute: {name}")
    if _DIGITS.fullmatch(attributes["ts"]) is None:
        raise HawkError("bad_header", "Invalid timestamp")
    return attributes


def payload_hash(content_type: str, body: bytes) -> str:
    media_type = content_type.split(";", 1)[0].strip().lower()
    # Incremental updates avoid copying a large body just to frame it.
    digest = hashlib.sha256(b"hawk.1.payload\n")
    digest.update(media_type.encode("utf-8"))
    digest.update(b"\n")
    digest.update(body)
    digest.update(b"\n")
    return base64.b64encode(digest.digest()).decode("ascii")


def normalized_string(
    ts, nonce, method, resource, host, port, hash="", ext="", app=None, dlg=None
) -> bytes:
    ext = (ext or "").replace("\\", "\\\\").replace("\n", "\\n")
    normalized = (
        f"hawk.1.header\n{ts}\n{nonce}\n{method.upper()}\n{resource}\n"
        f"{host.lower()}\n{port}\n{hash or ''}\n{ext}\n"
    )
    if app:
        normalized += f"{app}\n{dlg or ''}\n"
    return normalized.encode("utf-8")


def request_mac(
    key: bytes, ts, nonce, method, resource, host, port, hash="", ext="", app=None, dlg=None
) -> str:
    normalized = normalized_string(ts, nonce, method, resource, host, port, hash, ext, app, dlg)
    return base64.b64encode(hmac.digest(key, normalized, "sha256")).decode("ascii")


def verify_request(
    key: bytes,
    attributes: dict,
    method: str,
    resource: str,
    hosts: list[tuple[str, int]],
    content_type: str | None,
    body: bytes | None,
) -> None:
    """Check the MAC against each acceptable (host, port), then the payload hash if one was sent.

    Several hosts let a server behind a proxy accept both its public and its internal address.
    """
    sent_mac = attributes["mac"].encode("utf-8")
    ts, nonce = attributes["ts"], attributes["nonce"]
    sent_hash = attributes.get("hash")
    ext, app, dlg = attributes.get("ext", ""), attributes.get("app"), attributes.get("dlg")
    for host, port in hosts:
        mac = request_mac(key, ts, nonce, method, resource, host, port, sent_hash, ext, app, dlg)
        if hmac.compare_digest(sent_mac, mac.encode("ascii")):
            break
    else:
        raise HawkError("bad_mac", "Bad mac")
    if sent_hash is not None:
        expected = payload_hash(content_type or "", body or b"")
        if not hmac.compare_digest(sent_hash.encode("utf-8"), expected.encode("ascii")):
            raise HawkError("bad_payload_hash", "Bad payload hash")


def sign_request(
    token_id_hex: str,
    key: bytes,
    method: str,
    url: str,
    body: bytes | None = None,
    content_type: str = "application/json",
    ts: int | None = None,
    nonce: str | None = None,
    include_hash: bool = True,
) -> str:
    """The ``Authorization`` header value for a request, as an FxA client would send it."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
    if not host or port is None:
        raise ValueError(f"cannot sign a request for {url!r}")
    # An empty path goes on the wire as "/", which is what the server will see.
    resource = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    ts = int(time.time()) if ts is None else ts
    nonce = secrets.token_urlsafe(6) if nonce is None else nonce
    hash_ = payload_hash(content_type, body) if include_hash and body is not None else None
    mac = request_mac(key, ts, nonce, method, resource, host, port, hash_)
    header = f'Hawk id="{token_id_hex}", ts="{ts}", nonce="{nonce}", '
    if hash_ is not None:
        header += f'hash="{hash_}", '
    return header + f'mac="{mac}"'
