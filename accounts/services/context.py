"""What services need to know about the request that asked for them."""
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None = None
    user_agent: str = ""
    locale: str = ""

    @classmethod
    def from_request(cls, request):
        meta = request.META
        return cls(
            ip_address=meta.get("REMOTE_ADDR") or None,
            user_agent=meta.get("HTTP_USER_AGENT", "")[:255],
            locale=meta.get("HTTP_ACCEPT_LANGUAGE", "")[:255],
        )
