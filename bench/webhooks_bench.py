"""Benchmark: relying-party events. The fan-out of one delete-user to N clients (the outbox rows
written and their tasks queued), and the deliveries per second of one Celery worker process to a
loopback receiver that answers 200."""
import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auth_bench import prepare_database  # noqa: E402  (same folder)
from oauth import crypto  # noqa: E402  (pure module, no Django needed)

QUEUE = "fxa-bench-webhooks"
DATABASE = "fxa_bench_webhooks"  # its own: the other benchmarks share fxa_bench


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=1000, help="RPs the account used.")
    args = parser.parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/2"),
        "DEBUG": "false",
        "SECRET_KEY": "benchmark",
        "LOG_LEVEL": "WARNING",
        "CELERY_QUEUE": QUEUE,
        "DJANGO_SETTINGS_MODULE": "fxa_project.settings",
        "OAUTH_SIGNING_KEY": crypto.generate_signing_key_pem(),
        "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",
        "EMAIL_DEV_MAILBOX": "true",
    }
    prepare_database(env, DATABASE)
    os.environ.update(env)
    import django
    django.setup()
    import redis
    from django.conf import settings
    from django.db import transaction

    from accounts.services.accounts import create_account
    from accounts.services.context import RequestContext
    from oauth import events
    from oauth.models import Client, ClientUser, WebhookDelivery
    from tests.webhook_receiver import WebhookReceiver

    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(QUEUE)
    with WebhookReceiver() as receiver:
        account = create_account("webhooks.bench@example.com", bytes(32),
                                 RequestContext(ip_address="127.0.0.1"), pre_verified=True).account
        clients = Client.objects.bulk_create([
            Client(name=f"RP {index}", redirect_uris="https://rp.example/cb",
                   client_type=Client.CLIENT_CONFIDENTIAL, webhook_url=receiver.url(f"/rp/{index}"),
                   authorization_grant_type=Client.GRANT_AUTHORIZATION_CODE,
                   client_id=crypto.random_hex(8))
            for index in range(args.clients)])
        ClientUser.objects.bulk_create([ClientUser(account=account, client=client)
                                        for client in clients])

        start = time.perf_counter()
        with transaction.atomic():  # the deletion's transaction: rows written, tasks on commit
            events.delete_user(account.uid)
        fan_out = time.perf_counter() - start

        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "fxa_project", "worker", "-Q", QUEUE, "--pool",
             "solo", "--loglevel", "WARNING", "--without-gossip", "--without-mingle",
             "--without-heartbeat"], cwd=ROOT, env=env)
        try:
            receiver.wait_for("/rp/0", timeout=120)  # the worker is up
            first = time.perf_counter()
            already = len(receiver.received)
            while WebhookDelivery.objects.filter(status=WebhookDelivery.PENDING).exists():
                time.sleep(0.05)
            elapsed = time.perf_counter() - first
            delivered = WebhookDelivery.objects.filter(status=WebhookDelivery.DELIVERED).count()
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    print(f"fan-out of one delete-user to {args.clients} clients (rows + tasks queued): "
          f"{fan_out * 1000:.0f} ms")
    print(f"one worker process (solo pool): {delivered} delivered, "
          f"{(delivered - already) / elapsed:.0f} deliveries/s")


if __name__ == "__main__":
    main()
