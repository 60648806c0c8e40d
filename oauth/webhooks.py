"""Delivering relying-party events: the Security Event Token and its POST (events.md §2-§3).

A ``WebhookDelivery`` row is delivered by a Celery task queued when the change commits
(``queue_deliveries``); the beat sweep (``requeue_stale``) queues again what a killed worker or a
lost task left pending. Delivery is at least once: the RP de-duplicates on ``changeTime`` and
``jti``.

* The row is locked while it is sent (``skip_locked``), so two tasks for one row never send it
  at once; a worker killed mid-request rolls its transaction back and the row stays pending.
* Any 2xx acknowledges; 410 Gone drops the row; anything else (other statuses, time-outs,
  refused connections) is retried with a doubling delay, capped, until the row expires
  (WEBHOOK_RETENTION). The attempt's number and status are recorded.
* At most WEBHOOK_CONCURRENCY_PER_CLIENT deliveries to one client are in flight: each holds one of
  that many PostgreSQL advisory locks of its client for its transaction (released even when the
  worker dies); a task that finds none free waits a moment and tries again, without an attempt.
* Server-side request forgery: only https (http on loopback host names), the host resolved once
  and every address checked (no private, loopback or link-local one unless
  WEBHOOK_ALLOW_PRIVATE_ADDRESSES), the connection made to the checked address (no second lookup
  to rebind), connect and read time-outs, no redirect followed.
"""
import ipaddress
import logging
import random
import socket
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import certifi
import urllib3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import KombuError
from prometheus_client import Counter

from . import keys
from .events import SCHEMA
from .models import WebhookDelivery, validate_webhook_url

logger = logging.getLogger(__name__)

DELIVERIES = Counter("fxa_webhook_deliveries", "Webhook delivery attempts, by event and outcome.",
                     ["event", "outcome"])
BROKER_ERRORS = (KombuError, OSError)
QUEUE_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2,
                      "interval_max": 0.5}
SWEEP_BATCH = 500
LOCK_NAMESPACE = 0x5748_0000  # "WH": the advisory locks' first key, plus the slot number
BUSY_WAIT = (0.5, 2.0)  # seconds a task waits for a free slot of its client


def security_event_token(delivery, now=None):
    """The SET of one attempt: signed with the OpenID key (its ``kid``), a new ``jti`` each time."""
    claims = {
        "iss": settings.WEBHOOK_ISSUER,
        "aud": delivery.client.client_id,
        "sub": delivery.uid,
        "iat": int(now if now is not None else time.time()),
        "jti": str(uuid.uuid4()),
        "events": {SCHEMA + delivery.event: delivery.payload},
    }
    return keys.sign(claims, typ=None)


class Refused(Exception):
    """The URL may not be requested (scheme, host or address)."""


def _checked_address(host, port):
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise Refused(f"cannot resolve {host}: {error}") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    for address in addresses:
        plain = getattr(address, "ipv4_mapped", None) or address
        if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES and (not plain.is_global or plain.is_multicast):
            raise Refused(f"{host} resolves to {address}, not a public address")
    return str(addresses[0])


def post(url, token):
    """POST with ``Authorization: Bearer <token>`` and no body: the status, or raises ``Refused``
    or ``urllib3``'s errors (connection, time-out)."""
    try:
        validate_webhook_url(url)
    except ValidationError as error:
        raise Refused("; ".join(error.messages)) from None
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    address = _checked_address(parts.hostname, port)
    timeout = urllib3.Timeout(connect=settings.WEBHOOK_CONNECT_TIMEOUT,
                              read=settings.WEBHOOK_READ_TIMEOUT)
    if secure:
        pool = urllib3.HTTPSConnectionPool(
            address, port, timeout=timeout, retries=False, server_hostname=parts.hostname,
            assert_hostname=parts.hostname, cert_reqs="CERT_REQUIRED", ca_certs=certifi.where())
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {"Host": parts.netloc.rpartition("@")[2], "Authorization": f"Bearer {token}",
               "Content-Length": "0", "User-Agent": "fxa-django-webhooks"}
    try:
        response = pool.urlopen("POST", target, headers=headers, body=b"", redirect=False,
                                retries=False, preload_content=False)
        response.drain_conn()
        return response.status
    finally:
        pool.close()


def retry_delay(attempts):
    """Seconds before the next attempt after ``attempts`` failed ones: doubling, capped."""
    return min(settings.WEBHOOK_RETRY_BACKOFF_MAX,
               settings.WEBHOOK_RETRY_BACKOFF * 2 ** max(attempts - 1, 0))


class DeliveryDeferred(Exception):
    """Not delivered yet: the task tries again after ``countdown`` seconds."""

    def __init__(self, reason, countdown):
        super().__init__(reason, countdown)  # picklable: the arguments are the state
        self.countdown = countdown


def _take_slot(client_pk):
    """One of the client's concurrency slots for this transaction, or False when all are taken."""
    if connection.vendor != "postgresql":
        return True  # SQLite (development) has one writer anyway
    with connection.cursor() as cursor:
        for slot in range(settings.WEBHOOK_CONCURRENCY_PER_CLIENT):
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)",
                           [LOCK_NAMESPACE + slot, client_pk])
            if cursor.fetchone()[0]:
                return True
    return False


def deliver(delivery_id):
    """One attempt at one pending row; its new status, None when there is nothing to do, or
    raises ``DeliveryDeferred`` (a failure to retry, or the client's slots all taken)."""
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("client")
                    .filter(pk=delivery_id, status=WebhookDelivery.PENDING).first())
        if delivery is None:
            return None
        now = timezone.now()
        if now >= delivery.expires_at:
            return _finish(delivery, WebhookDelivery.EXPIRED)
        if not delivery.client.wants_event(delivery.event):
            return _finish(delivery, WebhookDelivery.DROPPED, "the client no longer wants it")
        if not _take_slot(delivery.client.pk):
            raise DeliveryDeferred("the client's deliveries are all in flight",
                                   random.uniform(*BUSY_WAIT))
        delivery.attempts += 1
        status, error = None, ""
        try:
            status = post(delivery.client.webhook_url, security_event_token(delivery))
        except Refused as refused:
            error = f"refused: {refused}"
        except urllib3.exceptions.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"[:2000]
        delivery.last_status = status
        if status is not None and 200 <= status < 300:
            delivery.delivered_at = timezone.now()
            return _finish(delivery, WebhookDelivery.DELIVERED, "")
        if status == 410:
            return _finish(delivery, WebhookDelivery.DROPPED, "410 Gone")
        deferred = _defer(delivery, error or f"HTTP {status}", now)
    raise deferred  # once the attempt is committed


def _finish(delivery, status, error=None):
    delivery.status = status
    if error is not None:
        delivery.last_error = error
    delivery.save()
    DELIVERIES.labels(delivery.event, status).inc()
    if status != WebhookDelivery.DELIVERED:
        logger.warning("Webhook %s (%s to %s) %s after %s attempt(s): %s", delivery.pk,
                       delivery.event, delivery.client.client_id, status, delivery.attempts,
                       delivery.last_error or "-")
    return status


def _defer(delivery, error, now):
    """Record the failure and schedule the next attempt, at the latest when the row expires."""
    left = (delivery.expires_at - now).total_seconds()
    countdown = max(min(retry_delay(delivery.attempts), left), 0)
    delivery.last_error = error
    delivery.next_attempt_at = now + timedelta(seconds=countdown)
    delivery.save()
    DELIVERIES.labels(delivery.event, "deferred").inc()
    logger.warning("Webhook %s (%s to %s) deferred %ss: %s", delivery.pk, delivery.event,
                   delivery.client.client_id, round(countdown, 1), error)
    return DeliveryDeferred(error, countdown)


def queue_deliveries(delivery_ids):
    """Hand rows to the delivery task; stops at the broker's first refusal (logged): the rest
    stay pending for the sweep. Returns how many were queued."""
    from .tasks import deliver_webhook

    for queued, delivery_id in enumerate(delivery_ids):
        try:
            deliver_webhook.apply_async(args=[delivery_id], retry_policy=QUEUE_RETRY_POLICY)
        except BROKER_ERRORS:
            logger.exception("Could not queue webhook %s; the sweep will", delivery_id)
            return queued
    return len(delivery_ids)


def requeue_stale(now=None):
    """The beat sweep: expire the pending rows past their retention, then queue again those whose
    attempt is overdue by WEBHOOK_REQUEUE_AFTER (a killed worker, a lost task or retry).

    Rows being delivered right now are locked and skipped. Returns how many were queued.
    """
    now = now or timezone.now()
    with transaction.atomic():
        expired = (WebhookDelivery.objects.select_for_update(skip_locked=True)
                   .filter(status=WebhookDelivery.PENDING, expires_at__lte=now)
                   .values_list("pk", flat=True))
        WebhookDelivery.objects.filter(pk__in=list(expired)).update(status=WebhookDelivery.EXPIRED)
    cutoff = now - timedelta(seconds=settings.WEBHOOK_REQUEUE_AFTER)
    queued = 0
    while True:
        with transaction.atomic():
            batch = list(WebhookDelivery.objects.select_for_update(skip_locked=True)
                         .filter(status=WebhookDelivery.PENDING, next_attempt_at__lt=cutoff)
                         .order_by("next_attempt_at").values_list("pk", flat=True)[:SWEEP_BATCH])
            # Due again only after another REQUEUE_AFTER: the next sweep leaves them to the task.
            WebhookDelivery.objects.filter(pk__in=batch).update(next_attempt_at=now)
        sent = queue_deliveries(batch)
        queued += sent
        if sent < len(batch) or len(batch) < SWEEP_BATCH:
            return queued


def retry_now(deliveries):
    """Admin: pending, dropped or expired rows are pending again, due now, with a fresh retention."""
    ids = [delivery.pk for delivery in deliveries if delivery.status != WebhookDelivery.DELIVERED]
    with transaction.atomic():
        now = timezone.now()
        WebhookDelivery.objects.filter(pk__in=ids).update(
            status=WebhookDelivery.PENDING, next_attempt_at=now,
            expires_at=now + timedelta(seconds=settings.WEBHOOK_RETENTION))
        transaction.on_commit(lambda: queue_deliveries(ids))
    return len(ids)


def drop(deliveries):
    """Admin: pending rows are dropped, never sent."""
    return WebhookDelivery.objects.filter(
        pk__in=[delivery.pk for delivery in deliveries], status=WebhookDelivery.PENDING
    ).update(status=WebhookDelivery.DROPPED, last_error="dropped by an operator")
