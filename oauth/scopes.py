"""FxA scope strings (oauth.md §3): parsing and the "A implies B" relation."""
import re
from urllib.parse import urlsplit

SHORT_NAME = re.compile(r"^[A-Za-z0-9_]+(?::[A-Za-z0-9_]+)*$")
URL_FRAGMENT = re.compile(r"^[A-Za-z0-9_]+$")
MAX_LENGTH = 256  # upstream's validator

OLDSYNC = "https://identity.mozilla.com/apps/oldsync"
SESSION_SCOPE = "https://identity.mozilla.com/tokens/session"
# What an untrusted client may request without them being in its allowed scopes.
UNTRUSTED_ALLOWED = frozenset({"openid", "profile:uid", "profile:email", "profile:display_name"})
# Stripped from refreshed grants.
NOT_REFRESHABLE = frozenset({"openid", SESSION_SCOPE})


class InvalidScope(ValueError):
    pass


def is_valid(scope):
    if scope.startswith("https://"):
        parts = urlsplit(scope)
        return bool(parts.hostname) and not parts.username and not parts.password \
            and not parts.query and (not parts.fragment or URL_FRAGMENT.match(parts.fragment))
    return bool(SHORT_NAME.match(scope))


def parse(value):
    """A scope string -> a list of unique scopes, in order; InvalidScope on bad syntax."""
    if value is None:
        return []
    if not isinstance(value, str) or len(value) > MAX_LENGTH:
        raise InvalidScope(value)
    result = []
    for scope in value.split():
        if scope == "email":  # the OIDC name of profile:email
            scope = "profile:email"
        if not is_valid(scope):
            raise InvalidScope(scope)
        if scope not in result:
            result.append(scope)
    return result


def implies(a, b):
    """Whether holding scope ``a`` grants scope ``b``."""
    a_url, b_url = a.startswith("https://"), b.startswith("https://")
    if a_url != b_url:
        return False
    if a_url:
        pa, pb = urlsplit(a), urlsplit(b)
        if (pa.scheme, pa.netloc) != (pb.scheme, pb.netloc):
            return False
        if pa.fragment and pa.fragment != pb.fragment:
            return False
        ca = [c for c in pa.path.split("/") if c]
        cb = [c for c in pb.path.split("/") if c]
        return cb[: len(ca)] == ca
    ca, cb = a.split(":"), b.split(":")
    if cb[-1] == "write" and ca[-1] != "write":
        return False
    if ca[-1] == "write":
        ca = ca[:-1]
    return cb[: len(ca)] == ca


def set_implies(held, scope):
    return any(implies(h, scope) for h in held)


def to_string(scopes):
    return " ".join(scopes)
