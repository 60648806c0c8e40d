"""Relying-party events end to end: account changes made over HTTP against gunicorn, delivered
by a real Celery worker (through Redis) to webhook receivers on loopback, each SET checked the
way an RP checks it (jwcrypto against the live /v1/jwks); a failing RP, and a worker killed with
SIGKILL in the middle of a fan-out, the beat sweep, and an RP written from the integration
requirements."""
import json
import time
import uuid
from datetime import timedelta

import pytest
import requests
from django.conf import settings
from django.utils import timezone
from fxa.core import Client as FxaClient
from jwcrypto import jwk, jwt

from accounts.models import Account, Email
from fxa_project.celery import app as celery_app
from oauth import events, webhooks
from oauth.models import WebhookDelivery
from tests import factories
from tests.helpers import authorization
from tests.twofactor.conftest import code, mid_step
from tests.webhook_receiver import WebhookReceiver, single_event, verify_set

WEBHOOK_ENV = {"WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true", "WEBHOOK_RETRY_BACKOFF": "1",
               "WEBHOOK_RETRY_BACKOFF_MAX": "2"}
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True),
              pytest.mark.live_stack(extra_env=WEBHOOK_ENV)]

PASSWORD = "webhooks e2e password"


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # for the sweep run in this process
    with WebhookReceiver() as receiver:
        yield receiver


def session_bearer(token_hex):
    return {"Authorization": authorization(token_hex, "sessionToken", "POST", "")}


def sign_in_to(stack, user, client):
    """The user authorizes ``client`` over HTTP (a code issued): it is one of the account's RPs."""
    response = requests.post(f"{stack.api_url}/oauth/authorization", headers=session_bearer(
        user.session_token), json={"client_id": client.client_id, "scope": "profile",
                                   "state": "s"}, timeout=10)
    assert response.status_code == 200, response.text


def claims_of(stack, request, client):
    jwks = requests.get(f"{stack.api_url}/jwks", timeout=10).json()
    _, claims = verify_set(request.token, jwks, audience=client.client_id, issuer=stack.url)
    return claims


def test_deleting_an_account_tells_its_rps_and_the_resource_server_and_no_one_else(
        live_stack, receiver):
    user = factories.account(f"delete-{uuid.uuid4().hex[:8]}@example.com", PASSWORD)
    used = factories.oauth_client("Used RP", webhook_url=receiver.url("/used"))[0]
    other = factories.oauth_client("Other RP", webhook_url=receiver.url("/other"))[0]
    sync = factories.oauth_client("Sync", webhook_url=receiver.url("/sync"), resource_server=True)[0]
    sign_in_to(live_stack, user, used)
    stranger = factories.account(f"stranger-{uuid.uuid4().hex[:8]}@example.com")
    sign_in_to(live_stack, stranger, other)
    receiver.answers["/sync"] = [500, 500, 500]  # the resource server fails three times first

    FxaClient(server_url=live_stack.api_url).destroy_account(user.email, PASSWORD)

    (request,) = receiver.wait_for("/used")
    claims = claims_of(live_stack, request, used)
    assert claims["sub"] == user.uid and single_event(claims) == ("delete-user", {})
    sync_requests = receiver.wait_for("/sync", timeout=60)
    assert [r.status for r in receiver.at("/sync")] == [500, 500, 500, 200]
    assert single_event(claims_of(live_stack, sync_requests[0], sync)) == ("delete-user", {})
    assert receiver.at("/other") == []
    delivery = WebhookDelivery.objects.get(client=sync)
    assert (delivery.status, delivery.attempts) == ("delivered", 4)


def test_password_email_two_step_and_metrics_changes_reach_the_rp(live_stack, receiver):
    email = f"changes-{uuid.uuid4().hex[:8]}@example.com"
    user = factories.account(email, PASSWORD)
    rp = factories.oauth_client("RP", webhook_url=receiver.url("/rp"))[0]
    sign_in_to(live_stack, user, rp)

    session = {"token": user.session_token}

    def post(path, body):
        response = requests.post(live_stack.api_url + path, json=body, timeout=10,
                                 headers=session_bearer(session["token"]))
        assert response.status_code == 200, response.text
        return response.json()

    post("/account/metrics_opt", {"state": "out"})
    session["token"] = FxaClient(server_url=live_stack.api_url).change_password(
        email, PASSWORD, "a new password", session_token=session["token"])["sessionToken"]
    change_time = Account.objects.get(pk=user.uid).verifier_set_at
    Email.objects.create(account=user.account, email=f"new-{email}", normalized_email=f"new-{email}",
                         is_verified=True)
    post("/recovery_email/set_primary", {"email": f"new-{email}"})
    mid_step()
    secret = post("/totp/create", {})["secret"]
    post("/totp/setup/verify", {"code": code(secret, -1)})
    post("/totp/setup/complete", {})

    expected = sorted([
        ("metrics-opt-out", {}),
        ("profile-change", {"uid": user.uid, "metricsEnabled": False}),
        ("profile-change", {"uid": user.uid, "email": f"new-{email}"}),
        ("password-change", {"changeTime": change_time}),
        ("profile-change", {"uid": user.uid, "totpEnabled": True}),
    ], key=repr)
    arrived = receiver.wait_for("/rp", count=len(expected))
    assert sorted((single_event(claims_of(live_stack, r, rp)) for r in arrived), key=repr) == expected


def test_a_worker_killed_mid_fan_out_still_delivers_every_event(live_stack, receiver, settings):
    """SIGKILL while deliveries are in flight (the receiver answers slowly), then a new worker
    and the beat sweep: every RP gets its delete-user (a redelivery of the one in flight is
    allowed)."""
    user = factories.account(f"kill-{uuid.uuid4().hex[:8]}@example.com", PASSWORD)
    clients = [factories.oauth_client(f"RP {index}", webhook_url=receiver.url(f"/rp-{index}"))[0]
               for index in range(12)]
    for index, client in enumerate(clients):
        events.record_use(user.uid, client)
        receiver.delay[f"/rp-{index}"] = 0.4

    FxaClient(server_url=live_stack.api_url).destroy_account(user.email, PASSWORD)
    deadline = time.monotonic() + 30
    while len([r for r in receiver.received if r.status == 200]) < 3:
        assert time.monotonic() < deadline, live_stack.worker.output()
        time.sleep(0.05)
    live_stack.worker.process.kill()
    live_stack.worker.process.wait(timeout=10)
    arrived_before = {r.path for r in receiver.received}
    assert len(arrived_before) < len(clients)

    live_stack.start_worker()
    # The killed worker's unacknowledged task returns only after the broker's visibility
    # timeout: the sweep (beat's job, run here) queues its row again.
    settings.WEBHOOK_REQUEUE_AFTER = 0
    with live_stack.receiving_tasks():
        webhooks.requeue_stale()
    for index in range(len(clients)):
        receiver.wait_for(f"/rp-{index}", timeout=60)
    deadline = time.monotonic() + 30
    while WebhookDelivery.objects.filter(status="pending").exists():
        assert time.monotonic() < deadline, live_stack.worker.output()
        time.sleep(0.2)
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}
    print(f"killed after {len(arrived_before)} of {len(clients)} requests arrived")


class IntegrationGuideRP:
    """An RP's webhook as the integration requirements describe it, with jwcrypto only: discovery
    -> jwks_uri -> the key by kid, RS256, iss and aud checked, then one action per event."""

    def __init__(self, fxa_url, client_id):
        discovery = requests.get(f"{fxa_url}/.well-known/openid-configuration", timeout=10).json()
        self.issuer = discovery["issuer"]
        self.keys = jwk.JWKSet.from_json(requests.get(discovery["jwks_uri"], timeout=10).text)
        self.client_id = client_id
        self.users = {}  # uid -> what the RP keeps about the user
        self.no_metrics = set()

    def __call__(self, headers):
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme != "Bearer":
            return 401
        try:
            verified = jwt.JWT(jwt=token, key=self.keys, algs=["RS256"],
                               check_claims={"iss": self.issuer, "aud": self.client_id})
        except Exception:  # any invalid token: refused, whatever the reason
            return 401
        claims = json.loads(verified.claims)
        (event, _payload), = claims["events"].items()
        uid = claims["sub"]
        if event.endswith("/delete-user"):
            self.users.pop(uid, None)
        elif event.endswith("/metrics-opt-out"):
            self.no_metrics.add(uid)
        elif event.endswith("/metrics-opt-in"):
            self.no_metrics.discard(uid)
        return 200


def test_an_rp_built_from_the_integration_requirements_works_against_us(live_stack, receiver):
    user = factories.account(f"guide-{uuid.uuid4().hex[:8]}@example.com", PASSWORD)
    client = factories.oauth_client("Guide RP", webhook_url=receiver.url("/guide"))[0]
    rp = IntegrationGuideRP(live_stack.url, client.client_id)
    rp.users[user.uid] = {"email": user.email}
    receiver.handlers["/guide"] = rp
    sign_in_to(live_stack, user, client)

    response = requests.post(f"{live_stack.api_url}/account/metrics_opt", json={"state": "out"},
                             headers=session_bearer(user.session_token), timeout=10)
    assert response.status_code == 200
    receiver.wait_for("/guide", count=2)  # metrics-opt-out and profile-change
    assert rp.no_metrics == {user.uid}
    FxaClient(server_url=live_stack.api_url).destroy_account(user.email, PASSWORD)
    receiver.wait_for("/guide", count=3)
    assert rp.users == {}
    assert [r.status for r in receiver.received] == [200, 200, 200]


def test_the_beat_entry_sweeps_a_row_whose_task_was_lost(live_stack, receiver):
    """A pending row with no task (the broker was down at commit): the task beat sends by name
    queues it again, and the worker delivers it."""
    client = factories.oauth_client("Lost task RP", webhook_url=receiver.url("/lost"))[0]
    overdue = timezone.now() - timedelta(seconds=settings.WEBHOOK_REQUEUE_AFTER + 60)
    row = WebhookDelivery.objects.create(client=client, uid="0" * 32, event="delete-user",
                                         next_attempt_at=overdue)
    celery_app.send_task(settings.CELERY_BEAT_SCHEDULE["requeue-stale-webhooks"]["task"],
                         queue=live_stack.queue)
    (request,) = receiver.wait_for("/lost")
    assert single_event(claims_of(live_stack, request, client)) == ("delete-user", {})
    deadline = time.monotonic() + 30
    while WebhookDelivery.objects.get(pk=row.pk).status != "delivered":
        assert time.monotonic() < deadline, live_stack.worker.output()
        time.sleep(0.2)
