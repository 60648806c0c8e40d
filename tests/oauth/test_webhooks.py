"""Delivering relying-party events (events.md §2-§3): the SET an RP verifies, retries with
back-off, 410, retention, the server-side request forgery guard, the per-client bound, the sweep,
and the operators' tools. Deliveries go to a real HTTP receiver on loopback."""
import base64
import json
import uuid
from datetime import timedelta
from io import StringIO

import certifi
import psycopg
import pytest
from cryptography import x509
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from oauth import events, webhooks
from oauth.models import Client, WebhookDelivery
from tests import factories
from tests.tls import issue_certificate
from tests.webhook_receiver import WebhookReceiver, single_event, verify_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # the receiver is on loopback
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def rp(receiver):
    return factories.oauth_client("RP", webhook_url=receiver.url("/hook"))[0]


def queue(uid, client, event="delete-user", payload=None):
    """One pending row, as the events module writes it (not delivered yet)."""
    return WebhookDelivery.objects.create(client=client, uid=uid, event=event, payload=payload or {})


def attempt(delivery):
    """One delivery attempt; the row afterwards."""
    try:
        webhooks.deliver(delivery.pk)
    except webhooks.DeliveryDeferred:
        pass
    delivery.refresh_from_db()
    return delivery


def test_the_committed_event_arrives_as_a_set_that_verifies_against_jwks(
        api, user, rp, receiver, settings, django_capture_on_commit_callbacks):
    events.record_use(user.uid, rp)
    with django_capture_on_commit_callbacks(execute=True):
        events.password_change(user.uid, 1565721242227)
    (request,) = receiver.wait_for("/hook")
    assert request.body == b"" and request.headers["content-length"] == "0"
    jwks = api.get("/jwks").json()
    header, claims = verify_set(request.token, jwks, audience=rp.client_id,
                                issuer=settings.OAUTH_ISSUER)
    assert header == {"alg": "RS256", "kid": jwks["keys"][0]["kid"]}
    assert set(claims) == {"iss", "aud", "sub", "iat", "jti", "events"}
    assert claims["sub"] == user.uid and uuid.UUID(claims["jti"]).version == 4
    assert single_event(claims) == ("password-change", {"changeTime": 1565721242227})
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("delivered", 1, 200)
    assert delivery.delivered_at is not None


def test_the_issuer_is_a_setting(user, rp, receiver, settings):
    settings.WEBHOOK_ISSUER = "https://accounts.example/"
    attempt(queue(user.uid, rp))
    claims = json.loads(base64.urlsafe_b64decode(receiver.received[0].token.split(".")[1] + "=="))
    assert claims["iss"] == "https://accounts.example/"


def test_failures_are_retried_with_doubling_delays_until_accepted(user, rp, receiver, settings):
    receiver.answers["/hook"] = [500, 503, 500]
    delivery = queue(user.uid, rp)
    delays = []
    for _ in range(3):
        before = timezone.now()
        delivery = attempt(delivery)
        assert delivery.status == "pending" and delivery.last_status in (500, 503)
        delays.append(round((delivery.next_attempt_at - before).total_seconds()))
    assert delays == [settings.WEBHOOK_RETRY_BACKOFF * factor for factor in (1, 2, 4)]
    delivery = attempt(delivery)
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("delivered", 4, 200)
    tokens = [request.token for request in receiver.at("/hook")]
    assert len(set(tokens)) == 4  # signed afresh at each attempt (a new jti)


def test_the_delay_is_capped_and_never_past_the_retention(user, rp, receiver, settings):
    assert webhooks.retry_delay(30) == settings.WEBHOOK_RETRY_BACKOFF_MAX
    receiver.answers["/hook"] = [500]
    delivery = queue(user.uid, rp)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=20, expires_at=timezone.now() + timedelta(seconds=3))
    delivery = attempt(delivery)
    assert delivery.next_attempt_at <= delivery.expires_at


def test_410_gone_drops_the_delivery(user, rp, receiver):
    receiver.answers["/hook"] = [410]
    assert attempt(queue(user.uid, rp)).status == "dropped"


def test_a_redirect_is_not_followed(user, rp, receiver):
    receiver.answers["/hook"] = [302]
    delivery = attempt(queue(user.uid, rp))
    assert (delivery.status, delivery.last_status) == ("pending", 302)
    assert receiver.at("/redirected") == []


def test_a_row_past_its_retention_expires_unsent(user, rp, receiver):
    delivery = queue(user.uid, rp)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(expires_at=timezone.now())
    assert attempt(delivery).status == "expired" and receiver.received == []


def test_a_client_without_a_webhook_any_more_drops_it(user, rp, receiver):
    delivery = queue(user.uid, rp)
    Client.objects.filter(pk=rp.pk).update(webhook_url="")
    assert attempt(delivery).status == "dropped" and receiver.received == []


def test_a_deleted_client_takes_its_deliveries(user, rp):
    queue(user.uid, rp)
    rp.delete()
    assert WebhookDelivery.objects.count() == 0


def test_an_unanswering_rp_times_out(user, rp, receiver, settings):
    settings.WEBHOOK_READ_TIMEOUT = 0.3
    receiver.delay["/hook"] = 1
    delivery = attempt(queue(user.uid, rp))
    assert delivery.status == "pending" and "ReadTimeoutError" in delivery.last_error


# https: the certificate is checked for the URL's host name, on the address checked first.


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    """A CA file and a server context with a certificate that CA issued for the name localhost
    only (not for 127.0.0.1, the address connected to)."""
    ca_file, context = issue_certificate(tmp_path_factory.mktemp("webhook-tls"), "localhost",
                                         [x509.DNSName("localhost")])
    return str(ca_file), context


def test_https_is_verified_for_the_host_name(user, settings, tls, monkeypatch):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    ca_file, context = tls
    with WebhookReceiver(ssl_context=context) as receiver:
        client = factories.oauth_client("TLS RP", webhook_url=receiver.url("/hook"))[0]
        untrusted = attempt(queue(user.uid, client))  # our CA is not in certifi's bundle
        assert untrusted.status == "pending" and "CERTIFICATE_VERIFY_FAILED" in untrusted.last_error
        monkeypatch.setattr(certifi, "where", lambda: ca_file)
        assert attempt(untrusted).status == "delivered"
        assert len(receiver.accepted("/hook")) == 1


# Server-side request forgery.


def test_loopback_is_refused_unless_the_setting_allows_it(user, rp, receiver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    delivery = attempt(queue(user.uid, rp))
    assert delivery.status == "pending" and delivery.last_error.startswith("refused: ")
    assert receiver.received == []


@pytest.mark.parametrize("address", ["10.1.2.3", "192.168.0.1", "169.254.169.254", "127.0.0.1",
                                     "::1", "fe80::1", "fd00::1", "::ffff:10.0.0.1", "100.64.0.1",
                                     "0.0.0.0", "224.0.0.1"])
def test_private_and_link_local_addresses_are_refused(settings, address):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(webhooks.Refused):
        webhooks._checked_address(address, 443)


def test_a_public_address_is_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    assert webhooks._checked_address("93.184.215.14", 443) == "93.184.215.14"


@pytest.mark.parametrize("url", ["http://rp.example/hook", "ftp://rp.example/", "urn:x:y",
                                 "https:///nohost"])
def test_only_https_or_loopback_http_urls_are_requested(url):
    with pytest.raises(webhooks.Refused):
        webhooks.post(url, "token")


# The per-client bound.


def test_a_client_with_every_slot_in_flight_waits_without_an_attempt(user, rp, receiver, settings):
    settings.WEBHOOK_CONCURRENCY_PER_CLIENT = 2
    db = connection.settings_dict
    other = psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432,
                            user=db["USER"] or "postgres", password=db["PASSWORD"] or None,
                            dbname=db["NAME"], autocommit=True)
    try:
        for slot in range(2):  # two deliveries to this client in flight elsewhere
            other.execute("SELECT pg_advisory_lock(%s, %s)", [webhooks.LOCK_NAMESPACE + slot, rp.pk])
        delivery = queue(user.uid, rp)
        with pytest.raises(webhooks.DeliveryDeferred) as deferred:
            webhooks.deliver(delivery.pk)
        assert 0 < deferred.value.countdown <= webhooks.BUSY_WAIT[1]
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("pending", 0) and receiver.received == []
        other_rp = factories.oauth_client("Other RP", webhook_url=receiver.url("/other"))[0]
        assert attempt(queue(user.uid, other_rp)).status == "delivered"  # others are not held up
        other.execute("SELECT pg_advisory_unlock(%s, %s)", [webhooks.LOCK_NAMESPACE, rp.pk])
        assert attempt(delivery).status == "delivered"
    finally:
        other.close()


# The sweep.


def test_the_sweep_requeues_overdue_rows_and_expires_old_ones(user, rp, receiver, settings,
                                                              django_capture_on_commit_callbacks):
    now = timezone.now()
    overdue = queue(user.uid, rp)
    recent = queue(user.uid, rp, "password-change", {"changeTime": 1})
    old = queue(user.uid, rp, "profile-change", {"uid": user.uid})
    WebhookDelivery.objects.filter(pk=overdue.pk).update(
        next_attempt_at=now - timedelta(seconds=settings.WEBHOOK_REQUEUE_AFTER + 1))
    WebhookDelivery.objects.filter(pk=old.pk).update(
        next_attempt_at=now - timedelta(days=8), expires_at=now - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.requeue_stale() == 1
    statuses = dict(WebhookDelivery.objects.values_list("pk", "status"))
    assert statuses == {overdue.pk: "delivered", recent.pk: "pending", old.pk: "expired"}
    assert len(receiver.received) == 1


# Operators.


def test_admin_lists_deliveries_and_retries_or_drops_them(admin_client, user, rp, receiver,
                                                          django_capture_on_commit_callbacks):
    failed = queue(user.uid, rp)
    WebhookDelivery.objects.filter(pk=failed.pk).update(status="expired", attempts=9, last_status=500)
    pending = queue(user.uid, rp, "password-change", {"changeTime": 1})
    url = "/admin/oauth/webhookdelivery/"
    page = admin_client.get(url + "?failing=yes")
    assert page.status_code == 200
    assert admin_client.get(f"/admin/oauth/client/{rp.pk}/change/").status_code == 200
    admin_client.post(url, {"action": "drop", "_selected_action": [pending.pk]})
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"action": "retry_now", "_selected_action": [failed.pk]})
    statuses = dict(WebhookDelivery.objects.values_list("pk", "status"))
    assert statuses == {failed.pk: "delivered", pending.pk: "dropped"}


def test_oauth_client_registers_a_webhook(receiver):
    out = StringIO()
    call_command("oauth_client", "create", "--name", "Hooked", "--redirect-uri",
                 "https://rp.example/cb", "--webhook-url", "https://rp.example/events", "--json",
                 stdout=out)
    created = json.loads(out.getvalue())
    assert created["webhook_url"] == "https://rp.example/events"
    out = StringIO()
    call_command("oauth_client", "update", created["client_id"], "--resource-server",
                 "--webhook-events", "delete-user", "password-change", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {
        "client_id": created["client_id"], "webhook_url": "https://rp.example/events",
        "resource_server": True, "webhook_events": ["delete-user", "password-change"]}
    client = Client.objects.get(client_id=created["client_id"])
    assert client.is_resource_server and not client.wants_event("profile-change")


@pytest.mark.parametrize("url", ["http://rp.example/events", "urn:ietf:wg:oauth:2.0:oob"])
def test_oauth_client_refuses_a_webhook_url_that_is_not_https(url):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("oauth_client", "create", "--name", "Bad", "--redirect-uri",
                     "https://rp.example/cb", "--webhook-url", url, stdout=StringIO())


def test_webhooks_status_prints_the_backlog_per_client(user, rp):
    queue(user.uid, rp)
    failing = queue(user.uid, rp)
    WebhookDelivery.objects.filter(pk=failing.pk).update(attempts=2)
    out = StringIO()
    call_command("webhooks", "status", stdout=out)
    header, row = out.getvalue().splitlines()
    assert header.split()[:7] == ["client", "name", "pending", "failing", "delivered", "dropped",
                                  "expired"]
    assert row.split()[:7] == [rp.client_id, "RP", "2", "1", "0", "0", "0"]


def test_the_admin_form_refuses_a_bad_webhook_registration():
    from django.core.exceptions import ValidationError

    client = Client(name="Bad", redirect_uris="https://rp.example/cb",
                    webhook_url="http://rp.example/events", webhook_events="delete-user nope")
    with pytest.raises(ValidationError) as refused:
        client.clean()
    assert set(refused.value.message_dict) == {"webhook_url", "webhook_events"}
    client.webhook_url, client.webhook_events = "http://127.0.0.1:9/events", "delete-user"
    client.clean()
