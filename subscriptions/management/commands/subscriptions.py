"""Operators' Stripe commands: ``sync`` (the catalogue and every customer, from Stripe) and
``check`` (the configuration, and that Stripe answers the key)."""
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.errors import AppError
from subscriptions import services, stripe_gateway
from subscriptions.models import Plan, StripeCustomer


class Command(BaseCommand):
    help = "sync: refresh products, plans and customers from Stripe; check: the Stripe settings."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=("sync", "check"))

    def handle(self, *args, action, **options):
        if not settings.STRIPE_API_KEY:
            raise CommandError("STRIPE_API_KEY is not set.")
        try:
            getattr(self, action)()
        except AppError as error:
            raise CommandError(f"Stripe: {error.message}") from error

    def sync(self):
        services.refresh_catalogue()
        for plan in Plan.objects.select_related("product").order_by("plan_id"):
            problems = services.metadata_problems(plan.merged_metadata())
            if problems:
                self.stdout.write(f"plan {plan.plan_id} not offered, missing: {', '.join(problems)}")
        customers = list(StripeCustomer.objects.all())
        for row in customers:
            services.refresh_customer(row)
        self.stdout.write(f"{Plan.objects.count()} plans, {len(customers)} customers synced")

    def check(self):
        problems = []
        if not settings.STRIPE_API_KEY.startswith(("sk_", "rk_")):
            problems.append("STRIPE_API_KEY is not a secret or restricted key (sk_/rk_).")
        if not settings.STRIPE_WEBHOOK_SECRET.startswith("whsec_"):
            problems.append("STRIPE_WEBHOOK_SECRET is not a webhook signing secret (whsec_); "
                            "every webhook delivery will be refused.")
        if not settings.SUBSCRIPTIONS_SHARED_SECRET:
            problems.append("SUBSCRIPTIONS_SHARED_SECRET is unset: "
                            "GET /v1/oauth/subscriptions/clients refuses every caller.")
        plans = stripe_gateway.list_plans()
        self.stdout.write(f"Stripe answers ({settings.STRIPE_API_BASE}, API version "
                          f"{stripe_gateway.API_VERSION}): {len(plans)} plans")
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write("ok")
