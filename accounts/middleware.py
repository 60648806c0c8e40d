"""Request checks and headers that upstream's HTTP layer applies to every /v1 request.

Runs before routing so that back-off, missing Content-Length and oversized bodies are answered
without touching a view, and adds the ``Timestamp`` header (and CORS headers) to every answer.
"""
import time

from django.conf import settings
from django.http import HttpResponse

from .errors import AppError, render_error

API_PREFIX = "/v1/"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
CORS_EXPOSED_HEADERS = "Timestamp, Accept-Language, Retry-After"


def _precheck(request):
    """An AppError to answer instead of routing the request, or None."""
    if settings.BACKOFF_RETRY_AFTER:
        return AppError.server_busy(settings.BACKOFF_RETRY_AFTER)
    if request.method not in BODY_METHODS:
        return None
    length = request.META.get("CONTENT_LENGTH", "")
    if not length.isdigit():
        return AppError.missing_content_length()
    if int(length) > settings.MAX_REQUEST_BODY_BYTES:
        return AppError.request_too_large()
    return None


class ApiEdgeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # path_info, not path: routing ignores the prefix a server mounted under a sub-path adds.
        is_api = request.path_info.startswith(API_PREFIX)
        response = None
        if is_api:
            if request.method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in request.META:
                response = self._preflight(request)
            else:
                error = _precheck(request)
                if error is not None:
                    response = render_error(error)
        if response is None:
            response = self.get_response(request)
        if is_api:
            response["Access-Control-Allow-Origin"] = "*"
            response["Access-Control-Expose-Headers"] = CORS_EXPOSED_HEADERS
        response["Timestamp"] = str(int(time.time()))
        return response

    @staticmethod
    def _preflight(request):
        response = HttpResponse(status=200)
        response["Access-Control-Allow-Methods"] = "GET, POST, PUT, DELETE, OPTIONS"
        response["Access-Control-Allow-Headers"] = request.META.get(
            "HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "Authorization, Content-Type"
        )
        response["Access-Control-Max-Age"] = "86400"
        return response
