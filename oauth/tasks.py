"""Periodic OAuth housekeeping (Celery beat)."""
from celery import shared_task

from . import tokens


@shared_task
def prune_expired_tokens():
    """Delete expired access tokens and authorization codes (run hourly by Celery beat)."""
    return tokens.prune_expired()
