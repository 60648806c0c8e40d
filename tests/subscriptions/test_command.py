"""``manage.py subscriptions sync|check`` against localstripe."""
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from subscriptions.models import Plan, Subscription
from tests.helpers import ApiClient, ok

from .test_routes import subscribe

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("subscriptions", *args, stdout=out)
    return out.getvalue()


def test_sync_brings_the_catalogue_and_the_customers(catalogue, token, stripe_api):
    ok(subscribe(ApiClient(), token, catalogue["basic"]))
    sub_id = Subscription.objects.get().pk
    stripe_api.subscriptions.cancel(sub_id)  # a webhook that never arrived
    bare = stripe_api.products.create({"name": "Bare", "metadata": {"capabilities": "x"}})
    stripe_api.plans.create({"product": bare.id, "currency": "usd", "amount": 1,
                             "interval": "month"})
    output = run("sync")
    assert "4 plans, 1 customers synced" in output
    assert "missing: productSet, webIconURL" in output
    assert Plan.objects.count() == 4
    assert Subscription.objects.get().status == "canceled"


def test_check(settings, catalogue):
    assert "3 plans" in run("check") and run("check").endswith("ok\n")
    settings.STRIPE_WEBHOOK_SECRET = ""
    with pytest.raises(CommandError, match="STRIPE_WEBHOOK_SECRET"):
        run("check")
    settings.STRIPE_API_KEY = ""
    with pytest.raises(CommandError, match="STRIPE_API_KEY is not set"):
        run("check")
    settings.STRIPE_API_KEY = "sk_test_x"
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens: Stripe unreachable
    with pytest.raises(CommandError, match="Stripe: "):
        run("check")
