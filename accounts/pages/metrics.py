"""GET /metrics-flow (events.md §4): a relying party's "enter your email" form starts a metrics
flow here before sending the user to us with ``flow_id`` and ``flow_begin_time`` in the query.

The answer is harmless (random ids), but only pages of the allowed origins may read it (CORS),
as upstream's content server does: server/lib/routes/get-metrics-flow.js with its error handler
in bin/fxa-content-server.js (a bad origin gets 401 ``CORS Error``, before the query is checked).
"""
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
import uuid

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from .. import hashing

logger = logging.getLogger("fxa.metrics")

# Mozilla's RP documentation promises these work against its servers ("To test without CORS
# errors…"); ALLOWED_METRICS_FLOW_ORIGINS adds the production ones.
DEVELOPMENT_ORIGINS = ("http://127.0.0.1:8001", "http://localhost:8000", "http://127.0.0.1:8000")

FLOW_ID_LENGTH = 64  # hex: 32 of random salt, 32 of HMAC

# Upstream's server/lib/validation.js: JavaScript's \w is ASCII, and Joi's regex must match the
# whole string. STRING is at most 1024 characters, UTM at most 128.
_ENTRYPOINT = (re.compile(r"[\w.:-]+", re.ASCII), 1024)
_UTM = (re.compile(r"[\w/.%-]+", re.ASCII), 128)
QUERY_RULES = {
    "context": (re.compile(r"[0-9a-z_-]+"), 1024),
    "entrypoint": _ENTRYPOINT,
    "entrypoint_experiment": _ENTRYPOINT,
    "entrypoint_variation": _ENTRYPOINT,
    "form_type": (re.compile(r"email|other|button|subscribe"), 1024),
    "product_id": (re.compile(r"prod_[0-9A-Za-z]+"), 1024),
    "service": (re.compile(r"sync|content-server|none|[0-9a-f]{16}"), 1024),
    "utm_campaign": _UTM,
    "utm_content": _UTM,
    "utm_medium": _UTM,
    "utm_source": _UTM,
    "utm_term": _UTM,
}
# The firstrun page's campaign, allowed as is (validation.js TYPES.UTM_CAMPAIGN).
FIRSTRUN_CAMPAIGN = "page+referral+-+not+part+of+a+campaign"

# The events the form type adds to flow.begin (get-metrics-flow.js FORM_TYPES).
FORM_TYPE_EVENTS = {
    "email": "flow.enter-email.view",
    "button": "flow.rp-button.view",
    "subscribe": "flow.subscribe.view",
}


def flow_id_key():
    """FLOW_ID_KEY, or a key derived from SECRET_KEY (then only this server can check flows)."""
    if settings.FLOW_ID_KEY:
        return settings.FLOW_ID_KEY.encode()
    return hashing.derive_key(hashing.FLOW_ID_KEY, "flow-id-key")


def flow_signature(key, salt, flow_begin_time):
    """The second half of a flowId: HMAC-SHA256(key, salt + "\\n" + hex(flowBeginTime)), 32 hex."""
    message = f"{salt}\n{flow_begin_time:x}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[: FLOW_ID_LENGTH // 2]


def new_flow_id(key, flow_begin_time):
    salt = secrets.token_hex(FLOW_ID_LENGTH // 4)
    return salt + flow_signature(key, salt, flow_begin_time)


def flow_id_is_valid(key, flow_id, flow_begin_time):
    """Whether ``flow_id`` was made with ``key`` for ``flow_begin_time`` (no age check)."""
    if not isinstance(flow_id, str) or not re.fullmatch(r"[0-9a-f]{64}", flow_id):
        return False
    salt, signature = flow_id[: FLOW_ID_LENGTH // 2], flow_id[FLOW_ID_LENGTH // 2:]
    return hmac.compare_digest(signature, flow_signature(key, salt, flow_begin_time))


def allowed_origin(origin):
    """Whether a page of ``origin`` may read the answer. No Origin (a same-origin GET, curl) and
    ``null`` (about:welcome, sandboxed frames) are allowed, as upstream's default ``[null]`` means."""
    if origin is None or origin == "null":
        return True
    origin = origin.rstrip("/").lower()
    return origin in DEVELOPMENT_ORIGINS or origin in settings.ALLOWED_METRICS_FLOW_ORIGINS


def invalid_parameters(query):
    """Names of the query parameters that fail upstream's Joi schema (unknown ones are ignored,
    as celebrate's stripUnknown drops them)."""
    invalid = []
    for name, (pattern, max_length) in QUERY_RULES.items():
        if name not in query:
            continue
        values = query.getlist(name)
        value = values[0]
        # Joi: a repeated parameter is an array, not a string; an empty string is not allowed.
        if name == "utm_campaign" and len(values) == 1 and value == FIRSTRUN_CAMPAIGN:
            continue
        if len(values) != 1 or not value or len(value) > max_length or not pattern.fullmatch(value):
            invalid.append(name)
    return invalid


def json_response(body, status=200):
    return HttpResponse(
        json.dumps(body), status=status, content_type="application/json; charset=utf-8"
    )


@method_decorator([csrf_exempt, never_cache], name="dispatch")
class MetricsFlowView(View):
    """GET (and its CORS preflight) only; any other method answers 405."""

    http_method_names = ["get", "head", "options"]

    def dispatch(self, request, *args, **kwargs):
        if request.method.lower() not in self.http_method_names:
            return self.http_method_not_allowed(request)
        origin = request.headers.get("Origin")
        if not allowed_origin(origin):
            logger.info("request.metrics-flow.bad-origin", extra={"origin": origin})
            # No Access-Control-Allow-Origin: the browser keeps the answer from the page.
            response = json_response(
                {"error": "Unauthorized", "message": "CORS Error", "statusCode": 401}, status=401
            )
        else:
            response = super().dispatch(request, *args, **kwargs)
            if origin is not None:
                response["Access-Control-Allow-Origin"] = origin
        patch_vary_headers(response, ["Origin"])
        return response

    def options(self, request, *args, **kwargs):
        response = HttpResponse(status=204)
        response["Access-Control-Allow-Methods"] = "GET"
        requested = request.headers.get("Access-Control-Request-Headers")
        if requested:
            response["Access-Control-Allow-Headers"] = requested
        return response

    def get(self, request, *args, **kwargs):
        invalid = invalid_parameters(request.GET)
        if invalid:
            return json_response({
                "statusCode": 400,
                "error": "Bad Request",
                "message": f"invalid query parameter: {', '.join(invalid)}",
                "validation": {"source": "query", "keys": invalid},
            }, status=400)
        flow_begin_time = int(time.time() * 1000)
        flow_id = new_flow_id(flow_id_key(), flow_begin_time)
        device_id = uuid.uuid4().hex
        form_type = request.GET.get("form_type")
        events = ["flow.begin"] + ([FORM_TYPE_EVENTS[form_type]] if form_type in FORM_TYPE_EVENTS else [])
        for event in events:
            logger.info(event, extra={
                "flow_id": flow_id, "flow_time": 0, "time": flow_begin_time,
                **{name: request.GET[name] for name in QUERY_RULES if name in request.GET},
            })
        return json_response({
            "deviceId": device_id, "flowBeginTime": flow_begin_time, "flowId": flow_id,
        })
