"""accounts/monitoring.py in-process: the /__metrics__ guard, what is counted under which labels,
and the request.summary line (tests/e2e/test_metrics_and_logs.py runs them under gunicorn)."""
import json
import logging

import pytest
from django.core import mail
from django.test import Client
from dockerflow.logging import MozlogFormatter
from prometheus_client import REGISTRY

from oauth.models import WebhookDelivery
from tests import factories
from tests.helpers import MailingApiClient, stretch

pytestmark = pytest.mark.django_db

TOKEN = "a-metrics-token"
SECRET_CODE = "5ec7e7c0de" * 3 + "42"  # 32 hex: a well-formed link code


def value(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN


def test_metrics_answer_404_while_no_token_is_set(settings):
    settings.METRICS_TOKEN = ""
    assert Client().get("/__metrics__", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 404


@pytest.mark.parametrize("authorization", [None, "", TOKEN, f"Bearer {TOKEN}x", f"bearer {TOKEN}"])
def test_metrics_refuse_anything_but_the_token(metrics_token, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    response = Client().get("/__metrics__", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'


def test_metrics_with_the_token_include_the_mail_queue(metrics_token):
    factories.account("queued@example.com", verified=False)  # its confirmation mail is queued
    response = Client().get("/__metrics__", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    lines = response.content.decode().splitlines()
    assert "fxa_mail_queued 1.0" in lines
    assert any(line.startswith("fxa_customs_checks_total{") for line in lines)


def test_metrics_include_the_pending_webhook_deliveries(metrics_token):
    client, _ = factories.oauth_client(webhook_url="https://rp.example/events")
    for status in (WebhookDelivery.PENDING, WebhookDelivery.PENDING, WebhookDelivery.DELIVERED):
        WebhookDelivery.objects.create(client=client, uid="ab" * 16, event="delete-user",
                                       status=status)
    response = Client().get("/__metrics__", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert "fxa_webhooks_pending 2.0" in response.content.decode().splitlines()


def test_requests_and_errnos_are_counted_by_route_not_path():
    labels = {"route": "v1/account/login", "method": "POST", "status": "400"}
    before = value("fxa_requests_total", **labels), value(
        "fxa_errors_total", route="v1/account/login", errno="108"
    )
    MailingApiClient().post("/account/login", {"email": "x@example.com"})
    after = value("fxa_requests_total", **labels), value(
        "fxa_errors_total", route="v1/account/login", errno="108"
    )
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)
    unknown = {"route": "^v1/", "method": "GET", "status": "404"}
    before = value("fxa_requests_total", **unknown)
    MailingApiClient().get("/no/such/route/1234")
    assert value("fxa_requests_total", **unknown) - before == 1


def test_sign_up_sign_in_and_confirmation_are_counted():
    email = "counted@example.com"
    auth_pw = stretch(email)[0]
    names = [("fxa_account_events_total", {"event": "account.create"}),
             ("fxa_account_events_total", {"event": "account.login"}),
             ("fxa_verifications_total", {"kind": "account", "method": ""}),
             ("fxa_scrypt_seconds_count", {})]
    before = [value(name, **labels) for name, labels in names]
    api = MailingApiClient()
    created = api.post("/account/create", {"email": email, "authPW": auth_pw}).json()
    code = mail.outbox[-1].extra_headers["X-Verify-Code"]
    verified = api.post("/recovery_email/verify_code", {"uid": created["uid"], "code": code})
    assert verified.status_code == 200
    assert api.post("/account/login", {"email": email, "authPW": auth_pw}).status_code == 200
    assert [value(name, **labels) - then for (name, labels), then in zip(names, before)] == [1, 1, 1, 2]


def test_a_request_logs_one_summary_without_its_query_string(caplog):
    account = factories.account("summary@example.com")
    token = factories.session(account)
    with caplog.at_level(logging.INFO, logger="request.summary"):  # the suite logs in text: off
        Client().get(f"/verify_email?uid={account.uid}&code={SECRET_CODE}", HTTP_HOST="127.0.0.1",
                     HTTP_USER_AGENT="agent/1", HTTP_X_REQUEST_ID="rid-1")
        MailingApiClient().get("/recovery_email/status", token=token)
    page, status = [record for record in caplog.records if record.name == "request.summary"]
    assert (page.path, page.code, page.errno, page.agent, page.rid) == (
        "/verify_email", 200, 0, "agent/1", "rid-1"
    )
    assert (status.path, status.code, status.uid) == ("/v1/recovery_email/status", 200, account.uid)
    line = MozlogFormatter().format(page)
    assert json.loads(line)["Type"] == "request.summary"
    assert SECRET_CODE not in line and SECRET_CODE not in caplog.text


def test_celery_task_outcomes_are_counted():
    from accounts.tasks import prune_expired_tokens

    labels = {"task": "accounts.tasks.prune_expired_tokens", "outcome": "success"}
    before = value("fxa_celery_tasks_total", **labels)
    prune_expired_tokens.delay()  # run in-process (the suite's tasks are eager)
    assert value("fxa_celery_tasks_total", **labels) - before == 1
