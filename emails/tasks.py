"""Background jobs of the emails app: deliver one queued message; re-queue lost ones."""
from celery import shared_task

from . import services


@shared_task(bind=True, max_retries=None)
def deliver(self, email_id):
    """Send one OutboundEmail row; retried with exponential backoff on transient SMTP failures.

    The row counts the attempts and decides when to give up (EMAIL_MAX_ATTEMPTS), so a message
    re-queued after a broker outage does not start a fresh series of retries.
    """
    try:
        return services.deliver(email_id)
    except services.DeliveryDeferred as deferred:
        raise self.retry(exc=deferred, countdown=deferred.countdown)


@shared_task
def requeue_stale_emails():
    """Re-queue messages still queued long after they were due (run by Celery beat)."""
    return services.requeue_stale()
