"""Background jobs of the subscriptions app."""
from celery import shared_task

from . import mails, webhooks


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def handle_stripe_event(event):
    """A verified Stripe event (the webhook answers at once; Stripe's objects are re-read here).
    Retried with backoff: a failure rolled the event back, so a retry handles it afresh."""
    return webhooks.handle_event(event)


@shared_task
def send_renewal_reminders():
    """The beat job of the renewal reminders (``mails.send_renewal_reminders``)."""
    return mails.send_renewal_reminders()
