"""The Celery application; tasks are discovered in each app's ``tasks`` module."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fxa_project.settings")

app = Celery("fxa_project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
