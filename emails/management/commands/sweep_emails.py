"""``manage.py sweep_emails``: the outbox sweep of Celery beat, run once (expire, re-queue)."""
from django.core.management.base import BaseCommand

from emails import services


class Command(BaseCommand):
    help = (
        "Mark expired the queued mail past its expiry and queue again the mail whose attempt is "
        "overdue: what Celery beat runs every minute. Without a broker (tasks in-process) it "
        "sends them itself, so run it from cron there."
    )

    def handle(self, *args, **options):
        expired = services.expire_due()
        queued = services.requeue_stale()
        self.stdout.write(f"{expired} message(s) expired, {queued} queued again.")
