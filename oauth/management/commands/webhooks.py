"""``manage.py webhooks status``: the relying-party events backlog, per client."""
from django.core.management.base import BaseCommand
from django.db.models import Count, Min, Q

from oauth.models import WebhookDelivery


class Command(BaseCommand):
    help = "Show the webhook deliveries' backlog per client."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="Pending, failing, delivered, dropped and expired per client.")

    def handle(self, *args, action, **options):
        pending = Q(status=WebhookDelivery.PENDING)
        rows = (WebhookDelivery.objects.values("client__client_id", "client__name")
                .annotate(
                    pending=Count("pk", filter=pending),
                    failing=Count("pk", filter=pending & Q(attempts__gt=0)),
                    delivered=Count("pk", filter=Q(status=WebhookDelivery.DELIVERED)),
                    dropped=Count("pk", filter=Q(status=WebhookDelivery.DROPPED)),
                    expired=Count("pk", filter=Q(status=WebhookDelivery.EXPIRED)),
                    oldest=Min("created_at", filter=pending),
                    next_try=Min("next_attempt_at", filter=pending),
                ).order_by("client__name"))
        self.stdout.write(f"{'client':<18}{'name':<24}{'pending':>8}{'failing':>8}{'delivered':>10}"
                          f"{'dropped':>8}{'expired':>8}  oldest pending / next try")
        for row in rows:
            since = (f"{row['oldest']:%Y-%m-%d %H:%M:%S} / {row['next_try']:%H:%M:%S}"
                     if row["oldest"] else "-")
            self.stdout.write(
                f"{row['client__client_id']:<18}{row['client__name'][:23]:<24}{row['pending']:>8}"
                f"{row['failing']:>8}{row['delivered']:>10}{row['dropped']:>8}{row['expired']:>8}"
                f"  {since}")
