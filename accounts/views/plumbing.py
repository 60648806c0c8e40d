"""Answers for requests that reach no API view: unknown routes and crashes outside DRF."""
import logging

from django.http import HttpResponseServerError
from django.views.decorators.csrf import csrf_exempt

from ..errors import AppError, Errno, render_error
from ..middleware import API_PREFIX

logger = logging.getLogger("fxa.errors")


@csrf_exempt
def unknown_route(request):
    return render_error(AppError.not_found())


def server_error(request):
    if request.path_info.startswith(API_PREFIX):
        return render_error(AppError(Errno.UNEXPECTED_ERROR))
    return HttpResponseServerError("<h1>Server Error (500)</h1>")
