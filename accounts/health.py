"""Dockerflow endpoints. /__lbheartbeat__ and /__version__ are the ``dockerflow`` package's Django
views (fxa_project/urls.py), the latter with ``get_version`` below as its
DOCKERFLOW_VERSION_CALLBACK; /__heartbeat__ is ``heartbeat`` below, on dockerflow's checks.

Why not dockerflow's ``heartbeat`` view as well: it runs every registered Django system check
(our push and OAuth configuration checks, the model checks) on each probe instead of asking the
backing services; it answers the ``checks``/``details`` members only when DEBUG is on; its Redis
check needs django-redis, where this server uses Django's own RedisCache; and it cannot drop the
database connection only when the database check failed.
"""
import json
import subprocess

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from dockerflow import checks as dockerflow_checks
from dockerflow.django.checks import check_database_connected, check_migrations_applied


def check_redis_connected(app_configs=None, **kwargs):
    """Round-trip a key through the Redis cache (skipped when no Redis is configured)."""
    if not settings.REDIS_URL:
        return []
    try:
        cache.set("__heartbeat__", "ok", 10)
        if cache.get("__heartbeat__") != "ok":
            raise ConnectionError("value written was not read back")
    except Exception as exc:
        return [dockerflow_checks.Error(f"Could not reach Redis: {exc}", id="health.E002")]
    return []


HEARTBEAT_CHECKS = (
    ("check_database_connected", check_database_connected),
    ("check_migrations_applied", check_migrations_applied),
    ("check_redis_connected", check_redis_connected),
)


def heartbeat(request):
    """200 when every backing service answers; 500 with the failing checks' details otherwise."""
    results = dockerflow_checks.run_checks(
        (name, (lambda check=check: check(app_configs=None))) for name, check in HEARTBEAT_CHECKS
    )
    # A failed database check leaves the connection unusable for the next request; a failure of
    # Redis alone is no reason to drop a healthy database connection.
    if "check_database_connected" in results.details:
        connection.close()
    status = 200 if results.level < dockerflow_checks.ERROR else 500
    return JsonResponse(
        {
            "status": dockerflow_checks.level_to_text(results.level),
            "checks": results.statuses,
            "details": results.details,
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
