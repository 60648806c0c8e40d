"""Operations: the Prometheus metrics at /__metrics__ and the request.summary log line.

Each module counts what it does next to its code (customs decisions in ``customs.service``,
scrypt time and refusals in ``services.passwords`` and ``services.scrypt_gate``, mail outcomes in
``emails.services``, account events in ``services.security_events``, verifications in
``services.verification``); this module counts requests, errnos and Celery task outcomes, reads
the mail queue's depth when scraped, and serves them all. Under gunicorn, prometheus_client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, set
up by fxa_project/gunicorn.py) adds up the samples of every worker, so whichever worker answers a
scrape reports the whole server.

Every request also leaves one mozlog ``request.summary`` line, in the fields of upstream's auth
server and Dockerflow: never a body, a query string (codes and tokens ride in links' queries) or
a header other than the user agent and languages.
"""
import hmac
import logging
import os
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from celery import signals
from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET
from dockerflow.logging import request_id_context
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from emails.models import OutboundEmail

from .models import Account

summary_logger = logging.getLogger("request.summary")
logger = logging.getLogger("fxa.monitoring")

REQUESTS = Counter(
    "fxa_requests", "Requests answered, by route, method and status.", ["route", "method", "status"]
)
REQUEST_SECONDS = Histogram(
    "fxa_request_duration_seconds", "Time to answer a request, by route and status.",
    ["route", "status"],
)
ERRORS = Counter("fxa_errors", "Error answers by route and errno.", ["route", "errno"])
TASKS = Counter("fxa_celery_tasks", "Celery task outcomes by task.", ["task", "outcome"])

# Any other method a client sends is counted as "other": labels must stay a bounded set.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"
REQUEST_ID_MAX_LENGTH = 128


def route_of(request):
    """The URL pattern that answered (``v1/account/login``), never the path itself, which carries
    ids and could be anything a client sends."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.route
    if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return "static"  # answered by whitenoise, before URL resolution
    return UNMATCHED


def uid_of(request, response):
    """The account's uid when the request authenticated with one of its tokens, or when the
    answer names it (sign-up, sign-in); else ""."""
    # The account DRF authenticated; Django's own lazy admin user is left unevaluated.
    user = request.__dict__.get("user")
    if type(user) is Account:
        return user.uid
    data = getattr(response, "data", None)
    uid = data.get("uid") if isinstance(data, dict) else None
    return uid if isinstance(uid, str) else ""


def remote_address_chain(meta):
    """Upstream's remoteAddressChain: the X-Forwarded-For hops, then the connection's peer."""
    hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    return hops + [meta.get("REMOTE_ADDR", "")]


class RequestMonitoringMiddleware:
    """Counts, times and logs every request (first in MIDDLEWARE: it sees every answer)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        # A proxy's X-Request-Id ties this line to its own; other log lines of the request get it
        # too (dockerflow's RequestIdLogFilter, settings.LOGGING).
        # From META: request.headers would copy every header into a dict of its own.
        request_id = (
            request.META.get("HTTP_X_REQUEST_ID", "")[:REQUEST_ID_MAX_LENGTH] or uuid.uuid4().hex
        )
        context = request_id_context.set(request_id)
        try:
            response = self.get_response(request)
            elapsed = time.monotonic() - started
            route, status = route_of(request), str(response.status_code)
            errno = getattr(response, "errno", 0)
            method = request.method if request.method in METHODS else "other"
            REQUESTS.labels(route, method, status).inc()
            REQUEST_SECONDS.labels(route, status).observe(elapsed)
            if errno:
                ERRORS.labels(route, str(errno)).inc()
            summary_logger.log(
                logging.ERROR if response.status_code >= 500 else logging.INFO, "", extra={
                    "agent": request.META.get("HTTP_USER_AGENT", ""),
                    "code": response.status_code,
                    "errno": errno,
                    "lang": request.META.get("HTTP_ACCEPT_LANGUAGE", ""),
                    "method": request.method,
                    "path": request.path,  # without the query string
                    "remoteAddressChain": remote_address_chain(request.META),
                    "rid": request_id,
                    "t": int(elapsed * 1000),
                    "uid": uid_of(request, response),
                },
            )
            return response
        finally:
            request_id_context.reset(context)


class QueueDepthCollector:
    """An outbox's waiting rows, counted when scraped: one query, the same whichever process
    answers, and true after any restart."""

    def __init__(self, name, documentation, queryset):
        self.name, self.documentation, self.queryset = name, documentation, queryset

    def collect(self):
        try:
            waiting = self.queryset().count()
        except DatabaseError:
            logger.warning("%s unknown: the database did not answer", self.name, exc_info=True)
            return
        gauge = GaugeMetricFamily(self.name, self.documentation)
        gauge.add_metric([], waiting)
        yield gauge


# Outboxes of the other apps (the RP webhooks) add theirs from their AppConfig.ready.
QUEUES = [QueueDepthCollector(
    "fxa_mail_queued", "Messages in the outbox awaiting delivery.",
    lambda: OutboundEmail.objects.filter(status=OutboundEmail.QUEUED),
)]


class ProcessMetrics:
    """This process's own registry, when no multiprocess directory is configured (runserver,
    tests, a single process)."""

    def collect(self):
        yield from REGISTRY.collect()


def _registry():
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(ProcessMetrics())
    for queue in QUEUES:
        registry.register(queue)
    return registry


def scrape(authorization):
    """(status, headers, body) of a scrape presenting the ``Authorization`` header value
    ``authorization``: 404 while METRICS_TOKEN is unset, 401 unless it is ``Bearer <token>``."""
    token = settings.METRICS_TOKEN
    if not token:
        return 404, {"Content-Type": "text/plain"}, b"Not Found\n"
    if not hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
        return 401, {"Content-Type": "text/plain", "WWW-Authenticate": 'Bearer realm="metrics"'}, (
            b"Unauthorized\n")
    return 200, {"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"}, (
        generate_latest(_registry()))


@require_GET
def metrics(request):
    """GET /__metrics__ with ``Authorization: Bearer <METRICS_TOKEN>``; 404 while it is unset."""
    status, headers, body = scrape(request.headers.get("Authorization", ""))
    if status == 404:
        raise Http404
    response = HttpResponse(body, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


class _WorkerScrapeHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.split("?")[0] != "/__metrics__":
            status, headers, body = 404, {"Content-Type": "text/plain"}, b"Not Found\n"
        else:
            status, headers, body = scrape(self.headers.get("Authorization", ""))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        """Scrapes every few seconds would drown the worker's log."""


def serve_worker_metrics(port, host="0.0.0.0"):
    """Serve this Celery worker's metrics (every pool process's, in multiprocess mode) at
    ``http://host:port/__metrics__`` from a daemon thread, behind the same token as the web's."""
    server = ThreadingHTTPServer((host, port), _WorkerScrapeHandler)
    threading.Thread(target=server.serve_forever, name="worker-metrics", daemon=True).start()
    return server


def count_celery_tasks():
    """Count task outcomes in whichever process runs them (AccountsConfig.ready)."""
    for signal, outcome in ((signals.task_success, "success"), (signals.task_failure, "failure"),
                            (signals.task_retry, "retry")):
        signal.connect(_task_counter(outcome), weak=False, dispatch_uid=f"fxa-task-{outcome}")


def _task_counter(outcome):
    def count(sender=None, **kwargs):
        TASKS.labels(sender.name, outcome).inc()
    return count
