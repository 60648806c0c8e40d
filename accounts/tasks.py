"""Background jobs of the accounts app."""
from celery import shared_task
from django.core.management import call_command

from .services import sessions


@shared_task
def prune_expired_tokens():
    """Delete sessionTokens past their lifetime (run hourly by Celery beat)."""
    return sessions.prune_expired_sessions()


@shared_task
def purge_expired():
    """``manage.py purge_expired``: every expired token and code, old security events (daily)."""
    call_command("purge_expired", verbosity=0)
