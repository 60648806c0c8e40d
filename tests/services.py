"""pytest plugin (loaded with ``-p tests.services`` before Django starts): the real backing services.

Points the settings at the local PostgreSQL and Redis on their default ports, starting either one
if it is stopped, and stops the run with a clear message if one cannot be reached. Environment
variables already set (DATABASE_URL, REDIS_URL, ...) win over these defaults.
"""
import os
import shlex
import socket
import subprocess
import time
from pathlib import Path

import pytest

POSTGRES = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)


def _postgres_start_command():
    versions = sorted(p.name for p in Path("/etc/postgresql").glob("*")) if Path("/etc/postgresql").is_dir() else []
    if not versions:
        return None
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"]


REDIS_START = shlex.split(
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no '
    "--dir /var/lib/redis --logfile /var/log/redis/ci.log"
)

TEST_ENVIRONMENT = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/fxa",
    "REDIS_URL": "redis://127.0.0.1:6379/1",
    "DEBUG": "false",
    "SECRET_KEY": "test-secret-key-not-for-production",
    "PUBLIC_URL": "http://127.0.0.1:8000",
    "LOG_FORMAT": "text",
    "LOG_LEVEL": "WARNING",
    # Static files from static/ through the finders: no collectstatic before a run (the manifest
    # is tests/e2e/test_static_files.py's own).
    "STATIC_MANIFEST": "false",
}


def _reachable(address, timeout=1.0):
    try:
        with socket.create_connection(address, timeout=timeout):
            return True
    except OSError:
        return False


def _ensure_running(name, address, start_command):
    if _reachable(address):
        return
    if start_command:
        try:
            subprocess.run(start_command, check=False, capture_output=True, timeout=60)
        except (OSError, subprocess.SubprocessError):
            pass
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if _reachable(address):
                return
            time.sleep(0.5)
    tried = f"; tried: {shlex.join(start_command)}" if start_command else ""
    pytest.exit(
        f"{name} is not reachable at {address[0]}:{address[1]} and could not be started{tried}. "
        f"Start it (see README, 'Running the tests') and run the tests again.",
        returncode=3,
    )


# Set before pytest-django reads the settings: this module is imported while pytest parses -p.
for _name, _value in TEST_ENVIRONMENT.items():
    os.environ.setdefault(_name, _value)
# Customs counters of this test process (and the live servers it starts, which inherit it), so
# that tests/conftest.py can start each test with none, whatever the other xdist workers do.
# Always set: xdist workers inherit the controller's environment, and each needs its own.
os.environ["CUSTOMS_KEY_PREFIX"] = f"customs-test-{os.getpid()}"


def pytest_sessionstart(session):
    if os.environ["DATABASE_URL"].startswith("postgres"):
        _ensure_running("PostgreSQL", POSTGRES, _postgres_start_command())
    if os.environ["REDIS_URL"].startswith("redis"):
        _ensure_running("Redis", REDIS, REDIS_START)
