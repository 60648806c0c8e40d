"""Request checks and headers that upstream's HTTP layer applies to every /v1 request.

Back-off, missing Content-Length, oversized bodies and input the database cannot hold are
answered before any view runs, and every answer gets the ``Timestamp`` header (and CORS headers,
and ``Cache-Control: no-store`` unless the view set its own). A view that takes larger bodies
(the avatar upload) says so with a ``max_body_bytes`` attribute (None: it checks the size itself).
"""
import time

from django.conf import settings
from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.http import HttpResponse, HttpResponseBadRequest
from django.utils.translation import get_supported_language_variant
from rest_framework.renderers import JSONRenderer

from .errors import AppError, Errno, render_error
from .parsers import UnstorableInput, storable

API_PREFIX = "/v1/"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
CORS_EXPOSED_HEADERS = "Timestamp, Accept-Language, Retry-After"


def _unstorable_input(request, view_kwargs):
    """``UnstorableInput`` naming the path segments or query parameters the database could not
    hold (NUL bytes, lone surrogates), or None. Bodies are checked by the JSON parser."""
    keys = [name for name, value in view_kwargs.items() if isinstance(value, str) and not storable(value)]
    if keys or not storable(request.path_info):
        return UnstorableInput(keys, source="params")
    keys = [name for name, values in request.GET.lists()
            if not storable(name) or not all(storable(value) for value in values)]
    return UnstorableInput(keys, source="query") if keys else None


def _answer_as_view(view_func, request, exc):
    """The answer the view's own error family gives ``exc`` (auth, OAuth or profile errnos)."""
    view_class = getattr(view_func, "cls", None)
    if view_class is None:
        return render_error(AppError.from_exception(exc))
    response = view_class().get_exception_handler()(exc, {"request": request, "view": None})
    response.accepted_renderer = JSONRenderer()
    response.accepted_media_type = JSONRenderer.media_type
    response.renderer_context = {}
    return response.render()


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
            # Answers carry tokens, keys and codes; the few public ones set their own caching.
            response.headers.setdefault("Cache-Control", "no-store")
        response["Timestamp"] = str(int(time.time()))
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Every /v1 path routes to a view (unknown ones to the 404 view), so each is checked.
        is_api = request.path_info.startswith(API_PREFIX)
        if is_api:
            error = _precheck(request, view_func)
            if error is not None:
                return render_error(error)
        unstorable = _unstorable_input(request, view_kwargs)
        if unstorable is not None:
            return _answer_as_view(view_func, request, unstorable) if is_api else HttpResponseBadRequest()
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


class PagesOnly:
    """For a middleware that only pages and the admin use (sessions, messages, the Django user):
    a /v1 request passes it by, since every /v1 view authenticates by token. (CSRF stays as it
    is: its checks cost little, and every /v1 view is exempt.)"""

    def __call__(self, request):
        if request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        return super().__call__(request)


class SessionMiddleware(PagesOnly, sessions.SessionMiddleware):
    pass


class AuthenticationMiddleware(PagesOnly, auth.AuthenticationMiddleware):
    pass


class MessageMiddleware(PagesOnly, messages.MessageMiddleware):
    pass
