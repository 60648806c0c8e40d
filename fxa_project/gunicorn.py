"""gunicorn's configuration for production (``gunicorn -c python:fxa_project.gunicorn``), from the
environment like every other setting.

Threaded workers (``gthread``), so that a slow client (a body trickling in, a slow reader) holds
one thread instead of a whole process: with sync workers, as many slow connections as workers
stall the server, health checks included. Behind a buffering reverse proxy (README) slow clients
never reach gunicorn at all; the threads and time-outs are the defence without one.

Measured on 2 cores with bench/hot_path.py (CPU per request of the server): 2 workers x 8 threads
is the default. Sync workers close every connection (no keep-alive), and the new connection per
request cost 20-50 % more CPU than the threaded worker's keep-alive; 4 workers doubled the memory
and cost more per request; 2 x 2 threads cost the same as 2 x 8.
"""
import os
import shutil
import tempfile
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# A request that takes longer than this (a client sending its body that slowly included) ends
# its worker; keep-alive connections idle longer than keepalive are closed.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Upstream's request-size limits; gunicorn itself answers beyond them (with HTML: see README).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# One control socket per user by default; several servers on one machine would share it.
control_socket_disable = True
# No access log: the application logs one JSON request.summary line per request instead
# (accounts/monitoring.py), with the errno and uid gunicorn cannot know.
accesslog = None

# The metrics of every worker in each scrape: prometheus_client's multiprocess mode, where each
# worker writes its samples to files in PROMETHEUS_MULTIPROC_DIR and /__metrics__ adds them up.
# Unset: a temporary directory of this server's own, removed when it stops.
_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="fxa-metrics-")


def on_starting(server):
    """Start from no samples: the files of an earlier run's workers would be added in."""
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    # Imported here: prometheus_client picks its storage on first import, and workers inherit it.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
