"""Background jobs of the oauth app: OAuth housekeeping and relying-party webhook deliveries."""
from celery import shared_task

from . import tokens, webhooks


@shared_task
def prune_expired_tokens():
    """Delete expired access tokens and authorization codes (run hourly by Celery beat)."""
    return tokens.prune_expired()


@shared_task(bind=True, max_retries=None)
def deliver_webhook(self, delivery_id):
    """One attempt at one WebhookDelivery row; retried after its back-off while the row is pending.

    Run in-process (no broker: eager), a failed attempt is not retried on the spot (a burst of
    attempts with no delay): the row stays pending with its next attempt recorded, for the sweep.
    """
    try:
        return webhooks.deliver(delivery_id)
    except webhooks.DeliveryDeferred as deferred:
        if self.request.is_eager:
            return "pending"
        # If this retry is lost (broker down, worker killed), the sweep queues the row again.
        raise self.retry(exc=deferred, countdown=deferred.countdown)


@shared_task
def requeue_stale_webhooks():
    """The beat sweep (every minute): expire what is past retention, re-queue what is overdue."""
    return webhooks.requeue_stale()
