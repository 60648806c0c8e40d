"""Dockerflow endpoints. /__lbheartbeat__ and /__version__ are the ``dockerflow`` package's Django
views (fxa_project/urls.py), the latter with ``get_version`` below as its
DOCKERFLOW_VERSION_CALLBACK; /__heartbeat__ is ``heartbeat`` below, on dockerflow's checks.

Why not dockerflow's ``heartbeat`` view as well: it runs every registered Django system check
(our push and OAuth configuration checks, the model checks) on each probe instead of asking the
backing services; it answers the ``checks``/``details`` members only when DEBUG is on; its Redis
check needs django-redis, where this server uses Django's own RedisCache; and it cannot drop the
database connection only when the database check failed.

Each check answers ok, error (dockerflow's word for failed) or ``skipped``: a backing service
this configuration does not use (no REDIS_URL, tasks run in-process) is named as such, never
reported ok.
"""
import json
import subprocess
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from dockerflow import checks as dockerflow_checks
from dockerflow.django.checks import check_database_connected, check_migrations_applied


class Skipped(Exception):
    """Raised by a check that does not apply to this configuration; the message says why."""


# Seconds each probe may wait on a backing service: a load balancer's health-check budget.
PROBE_TIMEOUT = 2


def check_redis_connected(app_configs=None, **kwargs):
    """Round-trip a key through the Redis cache."""
    if not settings.REDIS_URL:
        raise Skipped("REDIS_URL is unset: a local-memory cache, rate limits per process")
    try:
        cache.set("__heartbeat__", "ok", 10)
        if cache.get("__heartbeat__") != "ok":
            raise ConnectionError("value written was not read back")
    except Exception as exc:
        return [dockerflow_checks.Error(f"Could not reach Redis: {exc}", id="health.E002")]
    return []


def check_celery_broker(app_configs=None, **kwargs):
    """Connect to the Celery broker that mail, pushes and webhooks are queued on."""
    from fxa_project.celery import app

    if app.conf.task_always_eager:
        raise Skipped("no CELERY_BROKER_URL: tasks run in the web process")
    try:
        with app.connection_for_write(
            connect_timeout=PROBE_TIMEOUT,
            transport_options={"socket_connect_timeout": PROBE_TIMEOUT,
                               "socket_timeout": PROBE_TIMEOUT},
        ) as broker:
            broker.ensure_connection(max_retries=0)
    except Exception as exc:
        return [dockerflow_checks.Error(f"Could not reach the Celery broker: {exc}",
                                        id="health.E003")]
    return []


def check_signing_key(app_configs=None, **kwargs):
    """The OpenID signing keys parse (the same keys sign RP webhook events)."""
    from oauth.keys import current_key, next_key

    try:
        loaded = current_key()
        next_key()
    except Exception as exc:
        return [dockerflow_checks.Error(f"OAUTH_SIGNING_KEY(_NEXT) is not a usable RSA key: {exc}",
                                        id="health.E004")]
    if loaded is None:
        # As the oauth.W001 system check: the server runs, but cannot sign id_tokens.
        return [dockerflow_checks.Warning("OAUTH_SIGNING_KEY is not set: id_tokens cannot be "
                                          "signed and /v1/jwks is empty", id="health.W004")]
    return []


HEARTBEAT_CHECKS = (
    ("check_database_connected", check_database_connected),
    ("check_migrations_applied", check_migrations_applied),
    ("check_redis_connected", check_redis_connected),
    ("check_celery_broker", check_celery_broker),
    ("check_signing_key", check_signing_key),
)


def _run(check, skipped, name):
    try:
        return check(app_configs=None)
    except Skipped as reason:
        skipped[name] = str(reason)
        return []


def heartbeat(request):
    """200 when every backing service in use answers; 500 with the failing checks' details
    otherwise. A skipped check is ``"skipped"`` in ``checks`` and says why in ``details``."""
    skipped = {}
    results = dockerflow_checks.run_checks(
        (name, partial(_run, check, skipped, name)) for name, check in HEARTBEAT_CHECKS
    )
    # A failed database check leaves the connection unusable for the next request; a failure of
    # Redis alone is no reason to drop a healthy database connection.
    if "check_database_connected" in results.details:
        connection.close()
    status = 200 if results.level < dockerflow_checks.ERROR else 500
    return JsonResponse(
        {
            "status": dockerflow_checks.level_to_text(results.level),
            "checks": {**results.statuses, **{name: "skipped" for name in skipped}},
            "details": {
                **results.details,
                **{name: {"status": "skipped", "level": 0, "messages": {"health.S001": reason}}
                   for name, reason in skipped.items()},
            },
        },
        status=status,
    )


def get_version(root):
    """version.json if the build wrote one, else what git knows about this checkout."""
    path = root / "version.json"
    if path.exists():
        return json.loads(path.read_text())
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {
        "source": "fxa-django",
        "version": "dev",
        "commit": commit,
        "build": "",
    }
