"""Background jobs of the accounts app."""
from celery import shared_task

from .services import sessions


@shared_task
def prune_expired_tokens():
    """Delete sessionTokens past their lifetime (run hourly by Celery beat)."""
    return sessions.prune_expired_sessions()
