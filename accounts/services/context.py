"""What services need to know about the request that asked for them."""
from dataclasses import dataclass

from django.conf import settings


def client_ip(meta):
    """The caller's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the address the
    outermost trusted proxy saw (that many entries from the right of X-Forwarded-For). Entries
    further left are the client's own claims, so they are never used."""
    trusted = settings.TRUSTED_PROXY_COUNT
    remote = meta.get("REMOTE_ADDR") or None
    if trusted <= 0:
        return remote
    hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if not hops:
        return remote
    return hops[-min(trusted, len(hops))]


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None = None
    user_agent: str = ""
    locale: str = ""

    @classmethod
    def from_request(cls, request):
        meta = request.META
        return cls(
            ip_address=client_ip(meta),
            user_agent=meta.get("HTTP_USER_AGENT", "")[:255],
            locale=meta.get("HTTP_ACCEPT_LANGUAGE", "")[:255],
        )
