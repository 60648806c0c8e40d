"""The Django project: settings, URL map, Celery app and server entry points."""
from .celery import app as celery_app

__all__ = ("celery_app",)
