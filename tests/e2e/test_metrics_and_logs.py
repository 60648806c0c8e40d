"""Metrics and request logs of the documented server (accounts/monitoring.py, fxa_project/gunicorn.py):
/__metrics__ behind its bearer token, adding up both gunicorn workers, and one request.summary
JSON line per request with no secret in it; a Celery worker's own metrics port."""
import json
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from fxa_project.celery import app as celery_app
from tests.helpers import free_port, stretch, token_credentials

TOKEN = "metrics-" + uuid.uuid4().hex
# Logs as in production (the suite runs the others with LOG_FORMAT=text).
METRICS = {"extra_env": {"METRICS_TOKEN": TOKEN, "LOG_FORMAT": "json"}}

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def summaries(stack):
    """The request.summary lines gunicorn's workers have written so far, by request id."""
    lines = {}
    for line in Path(stack.server.log.name).read_text(errors="replace").splitlines():
        record = json.loads(line) if line.startswith("{") else {}
        if record.get("Type") == "request.summary":
            lines.setdefault(record["Fields"]["rid"], []).append(record)
    return lines


def scrape(stack, **headers):
    return requests.get(stack.url + "/__metrics__", headers=headers, timeout=10)


def sample(stack, name, **labels):
    """The value of one sample in a scrape (0 when it is not there yet)."""
    response = scrape(stack, Authorization=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.text
    for family in text_string_to_metric_families(response.text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return found.value
    return 0


def test_metrics_are_off_without_a_token(live_stack):
    assert scrape(live_stack).status_code == 404
    assert scrape(live_stack, Authorization="Bearer anything").status_code == 404


@pytest.mark.live_stack(**METRICS)
def test_metrics_need_the_token(live_stack):
    assert scrape(live_stack).status_code == 401
    assert scrape(live_stack, Authorization=f"Bearer {TOKEN[:-1]}").status_code == 401
    assert scrape(live_stack, Authorization=TOKEN).status_code == 401
    response = scrape(live_stack, Authorization=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    names = {family.name for family in text_string_to_metric_families(response.text)}
    assert {"fxa_requests", "fxa_request_duration_seconds", "fxa_scrypt_seconds",
            "fxa_mail_queued"} <= names


@pytest.mark.live_stack(**METRICS)
def test_counts_add_up_across_both_workers(live_stack):
    route = {"route": "__lbheartbeat__", "method": "GET", "status": "200"}
    before = sample(live_stack, "fxa_requests_total", **route)
    batch = f"hb-{uuid.uuid4().hex}"
    sent = 0

    def heartbeat(number):
        # A new connection each: gunicorn's workers take turns accepting them.
        response = requests.get(live_stack.url + "/__lbheartbeat__", timeout=10,
                                headers={"X-Request-Id": f"{batch}-{number}", "Connection": "close"})
        assert response.status_code == 200

    serving_pids = set()
    while len(serving_pids) < 2:
        assert sent < 200, "every request went to one worker"
        with ThreadPoolExecutor(max_workers=10) as pool:
            list(pool.map(heartbeat, range(sent, sent + 20)))
        sent += 20
        serving_pids = {record["Pid"] for rid, records in summaries(live_stack).items()
                        if rid.startswith(batch) for record in records}
    # Whichever worker answers the scrape, it reports both workers' requests.
    for _ in range(4):
        assert sample(live_stack, "fxa_requests_total", **route) - before == sent


@pytest.mark.live_stack(**METRICS)
def test_errnos_and_sign_ins_are_counted(live_stack):
    email = f"metrics-{uuid.uuid4().hex[:12]}@example.com"
    auth_pw = stretch(email)[0]
    errors = {"route": "v1/account/login", "errno": "102"}
    before = (sample(live_stack, "fxa_errors_total", **errors),
              sample(live_stack, "fxa_account_events_total", event="account.create"),
              sample(live_stack, "fxa_scrypt_seconds_count"))
    unknown = requests.post(live_stack.api_url + "/account/login",
                            json={"email": email, "authPW": auth_pw}, timeout=30)
    assert unknown.json()["errno"] == 102
    created = requests.post(live_stack.api_url + "/account/create",
                            json={"email": email, "authPW": auth_pw}, timeout=30)
    assert created.status_code == 200, created.text
    after = (sample(live_stack, "fxa_errors_total", **errors),
             sample(live_stack, "fxa_account_events_total", event="account.create"),
             sample(live_stack, "fxa_scrypt_seconds_count"))
    assert [now - then for now, then in zip(after, before)] == [1, 1, 1]


@pytest.mark.live_stack(**METRICS)
def test_one_summary_line_per_request_and_no_secret(live_stack):
    email = f"logs-{uuid.uuid4().hex[:12]}@example.com"
    auth_pw = stretch(email)[0]
    rids = iter(f"log-{uuid.uuid4().hex}-{n}" for n in range(100))
    made = []

    def call(method, path, *, expect=200, **kwargs):
        rid = next(rids)
        headers = {"X-Request-Id": rid, "User-Agent": "metrics-test/1.0", **kwargs.pop("headers", {})}
        response = requests.request(method, live_stack.url + path, headers=headers, timeout=30, **kwargs)
        assert response.status_code == expect, response.text
        made.append((rid, method, path.split("?")[0], expect))
        return response

    credentials = {"email": email, "authPW": auth_pw}
    created = call("POST", "/v1/account/create?keys=true", json=credentials).json()
    code = live_stack.smtp.latest_code(email, "X-Verify-Code", "verify")
    call("GET", f"/verify_email?uid={created['uid']}&code={code}")
    call("POST", "/v1/recovery_email/verify_code", json={"uid": created["uid"], "code": code})
    login = call("POST", "/v1/account/login?keys=true", json=credentials).json()
    token_id = token_credentials(login["sessionToken"], "sessionToken")[0]
    call("GET", "/v1/recovery_email/status", headers={"Authorization": f"Bearer fxs_{token_id}"})
    call("POST", "/v1/account/login", expect=400, json={"email": email, "authPW": "0" * 64})

    logged = summaries(live_stack)
    for rid, method, path, status in made:
        assert len(logged.get(rid, [])) == 1, (rid, path)
        fields = logged[rid][0]["Fields"]
        assert (fields["method"], fields["path"], fields["code"]) == (method, path, status)
        assert fields["agent"] == "metrics-test/1.0" and isinstance(fields["t"], int)
        assert fields["remoteAddressChain"] == ["127.0.0.1"]
    by_path = {path: logged[rid][0]["Fields"] for rid, _, path, _ in made}
    assert by_path["/v1/account/create"]["uid"] == created["uid"]
    assert by_path["/v1/recovery_email/status"]["uid"] == created["uid"]
    assert logged[made[-1][0]][0]["Fields"]["errno"] == 103
    assert by_path["/v1/recovery_email/status"]["errno"] == 0

    log = Path(live_stack.server.log.name).read_text(errors="replace")
    secrets = {"authPW": auth_pw, "code": code, "Bearer tokenId": token_id}
    for answer, body in (("create", created), ("login", login)):
        secrets.update({f"{answer} {name}": body[name] for name in ("sessionToken", "keyFetchToken")})
    leaked = [name for name, value in secrets.items() if value in log]
    assert leaked == [], log[-3000:]


@pytest.mark.live_stack(**METRICS)
def test_a_worker_serves_the_tasks_of_all_its_pool_processes(live_stack):
    port = free_port()
    queue = f"{live_stack.queue}-metrics"
    worker = live_stack._spawn("celery-metrics", [
        sys.executable, "-m", "celery", "-A", "fxa_project", "worker", "-Q", queue,
        "--pool", "prefork", "--concurrency", "2", "--without-gossip", "--without-mingle",
        "--without-heartbeat"], env={"WORKER_METRICS_PORT": str(port)})
    url = f"http://127.0.0.1:{port}/__metrics__"
    task = settings.CELERY_BEAT_SCHEDULE["prune-expired-tokens"]["task"]

    def tasks_done():
        response = requests.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        assert response.status_code == 200, response.text
        return sum(found.value for family in text_string_to_metric_families(response.text)
                   for found in family.samples if found.name == "fxa_celery_tasks_total"
                   and found.labels == {"task": task, "outcome": "success"})

    deadline = time.monotonic() + 60
    while True:
        try:
            assert requests.get(url, timeout=1).status_code == 401
            break
        except requests.ConnectionError:
            assert time.monotonic() < deadline, worker.output()
            time.sleep(0.2)
    assert requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=10).status_code == 401
    assert tasks_done() == 0
    for _ in range(8):
        celery_app.send_task(task, queue=queue)
    # The tasks run in the pool processes, never in the process that answers the scrape.
    while tasks_done() < 8:
        assert time.monotonic() < deadline + 60, worker.output()
        time.sleep(0.2)
    assert tasks_done() == 8
