"""Request checks and headers that upstream's HTTP layer applies to every /v1 request.

Back-off, missing Content-Length and oversized bodies are answered before any view runs, and
every answer gets the ``Timestamp`` header (and CORS headers). A view that takes larger bodies
(the avatar upload) says so with a ``max_body_bytes`` attribute (None: it checks the size itself).
"""
import time

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import get_supported_language_variant

from .errors import AppError, Errno, render_error

API_PREFIX = "/v1/"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
CORS_EXPOSED_HEADERS = "Timestamp, Accept-Language, Retry-After"


def _precheck(request, view_func):
    """An AppError to answer instead of running the view, or None."""
    if settings.BACKOFF_RETRY_AFTER:
        return AppError.server_busy(settings.BACKOFF_RETRY_AFTER)
    if request.method not in BODY_METHODS:
        return None
    length = request.META.get("CONTENT_LENGTH", "")
    if not length.isdigit():
        return AppError(Errno.MISSING_CONTENT_LENGTH_HEADER)
    view_class = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
    limit = getattr(view_class, "max_body_bytes", settings.MAX_REQUEST_BODY_BYTES)
    if limit is not None and int(length) > limit:
        return AppError(Errno.REQUEST_TOO_LARGE)
    return None


class ApiEdgeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # path_info, not path: routing ignores the prefix a server mounted under a sub-path adds.
        is_api = request.path_info.startswith(API_PREFIX)
        response = None
        if is_api and request.method == "OPTIONS" and \
                "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in request.META:
            response = self._preflight(request)
        if response is None:
            response = self.get_response(request)
        if is_api:
            response["Access-Control-Allow-Origin"] = "*"
            response["Access-Control-Expose-Headers"] = CORS_EXPOSED_HEADERS
        response["Timestamp"] = str(int(time.time()))
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Every /v1 path routes to a view (unknown ones to the 404 view), so each is checked.
        if request.path_info.startswith(API_PREFIX):
            error = _precheck(request, view_func)
            if error is not None:
                return render_error(error)
        return None

    @staticmethod
    def _preflight(request):
        response = HttpResponse(status=200)
        response["Access-Control-Allow-Methods"] = "GET, POST, PUT, DELETE, OPTIONS"
        response["Access-Control-Allow-Headers"] = request.META.get(
            "HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "Authorization, Content-Type"
        )
        response["Access-Control-Max-Age"] = "86400"
        return response


# Every script and style comes from our own origin; nothing inline (conventions.md, "Pages").
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
])


class PageSecurityMiddleware:
    """The strict Content-Security-Policy on every answer (a view may set its own, e.g. to post a
    form to a relying party), and no MIME sniffing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response


class LanguageOverrideMiddleware:
    """``?lang=de`` picks the page's language ahead of Accept-Language (content-server links carry
    it), for that request only."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        lang = request.GET.get("lang")
        if lang and not request.path_info.startswith(API_PREFIX):
            try:
                request.META["HTTP_ACCEPT_LANGUAGE"] = get_supported_language_variant(lang)
            except LookupError:
                pass
        return self.get_response(request)
