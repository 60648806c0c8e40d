"""The Celery application; tasks are discovered in each app's ``tasks`` module."""
import os
import shutil
import tempfile
from pathlib import Path

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fxa_project.settings")

# A worker serving metrics (WORKER_METRICS_PORT) adds up the samples of its pool processes with
# prometheus_client's multiprocess mode, which must be chosen before anything imports
# prometheus_client (Django's set-up does, before the worker's first signal): so here, as
# fxa_project/gunicorn.py does for the web.
_own_metrics_dir = bool(os.environ.get("WORKER_METRICS_PORT")) and not os.environ.get(
    "PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="fxa-worker-metrics-")

app = Celery("fxa_project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def serve_worker_metrics(**kwargs):
    from django.conf import settings

    if settings.WORKER_METRICS_PORT is None:
        return
    for stale in Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        stale.unlink()
    from accounts.monitoring import serve_worker_metrics

    serve_worker_metrics(settings.WORKER_METRICS_PORT)


@signals.worker_process_shutdown.connect
def forget_pool_process(pid=None, **kwargs):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())


@signals.worker_shutdown.connect
def remove_own_metrics_dir(**kwargs):
    if _own_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
