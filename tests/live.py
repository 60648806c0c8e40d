"""A live stack for end-to-end tests: gunicorn serving the project and a Celery worker.

Both are real processes over the test database (PostgreSQL) and Redis, configured only through
the environment, exactly as in production. Each test session uses its own Celery queue so that
concurrent runs on one Redis never take each other's tasks.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(settings_dict):
    user = settings_dict.get("USER") or "postgres"
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{settings_dict['NAME']}"


class ManagedProcess:
    """A child process whose output goes to a file that failures can show."""

    def __init__(self, name, command, env):
        self.name = name
        self.log = tempfile.NamedTemporaryFile(prefix=f"fxa-{name}-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def output(self):
        return Path(self.log.name).read_text(errors="replace")[-5000:]

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        os.unlink(self.log.name)


class LiveStack:
    def __init__(self, db_settings, extra_env=None, workers=2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.queue = f"fxa-test-{uuid.uuid4().hex[:12]}"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(db_settings),
            "PUBLIC_URL": self.url,
            "CELERY_QUEUE": self.queue,
            "DEBUG": "false",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self.workers = workers
        self.processes = []

    def start(self, with_worker=True):
        self.server = self._spawn(
            "gunicorn",
            [sys.executable, "-m", "gunicorn", "fxa_project.wsgi", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers), "--timeout", "60",
             # gunicorn's control socket has one default path per user: concurrent stacks
             # (parallel test runs) would fight over it.
             "--no-control-socket"],
        )
        if with_worker:
            self.worker = self._spawn(
                "celery",
                [sys.executable, "-m", "celery", "-A", "fxa_project", "worker", "-Q", self.queue,
                 "--pool", "solo", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
                 "--without-heartbeat"],
            )
        self._wait_until_serving()
        return self

    def _spawn(self, name, command):
        process = ManagedProcess(name, command, self.env)
        self.processes.append(process)
        return process

    def _wait_until_serving(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.process.poll() is not None:
                break
            try:
                if requests.get(self.url + "/__lbheartbeat__", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        output = self.server.output()
        self.stop()
        raise RuntimeError(f"the live server did not start:\n{output}")

    def stop(self):
        for process in self.processes:
            process.stop()
        self.processes = []
