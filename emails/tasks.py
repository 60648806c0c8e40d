"""Background jobs of the emails app: deliver one queued message; the sweep of overdue ones."""
from celery import shared_task

from . import services


@shared_task(bind=True, max_retries=None)
def deliver(self, email_id):
    """Send one OutboundEmail row; retried with exponential backoff on transient SMTP failures.

    The row decides when to stop (its ``expires_at``), so a message re-queued after a broker
    outage does not start a fresh series of retries. Run in-process (no broker: eager), a
    deferred row is not retried on the spot, which would be a burst of attempts with no delay:
    it stays queued with its next attempt recorded, for the sweep.
    """
    try:
        return services.deliver(email_id)
    except services.DeliveryDeferred as deferred:
        if self.request.is_eager:
            return "queued"
        # If this retry is lost (broker down, worker killed), the sweep sends the row anyway.
        raise self.retry(exc=deferred, countdown=deferred.countdown)


@shared_task
def requeue_stale_emails():
    """The beat sweep (every minute): expire what is past its expiry, re-queue what is overdue."""
    return services.requeue_stale()
