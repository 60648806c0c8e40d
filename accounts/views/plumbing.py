"""Answers for requests that reach no API view: unknown routes, crashes outside DRF, and the
icon browsers ask for on their own."""
import logging

from django.http import HttpResponsePermanentRedirect, HttpResponseServerError
from django.templatetags.static import static
from django.views.defaults import bad_request as page_bad_request
from django.views.decorators.csrf import csrf_exempt

from ..errors import AppError, Errno, render_error
from ..middleware import API_PREFIX

logger = logging.getLogger("fxa.errors")


@csrf_exempt
def unknown_route(request):
    return render_error(AppError.not_found())


def bad_request(request, exception):
    """Django's own 400s (a Host header not in ALLOWED_HOSTS, other suspicious requests): JSON
    for /v1 clients, as upstream's hapi answers a bad request (errno 999, status 400)."""
    if request.path_info.startswith(API_PREFIX):
        return render_error(AppError(Errno.UNEXPECTED_ERROR, code=400, message="Bad Request"))
    return page_bad_request(request, exception)


def server_error(request):
    if request.path_info.startswith(API_PREFIX):
        return render_error(AppError(Errno.UNEXPECTED_ERROR))
    return HttpResponseServerError("<h1>Server Error (500)</h1>")


def favicon(request):
    """/favicon.ico, which browsers fetch on pages that name no icon (the admin's): the logo."""
    return HttpResponsePermanentRedirect(static("img/logo.svg"))
