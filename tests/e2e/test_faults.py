"""Fault tests: live stacks whose Redis, PostgreSQL or SMTP link goes through a loopback proxy
(tests/faultproxy.py) that the test cuts, slows or resets; the machine's services keep running.

* Redis cut: sign-up, login, a Hawk-signed request and a TOTP verify answer as designed (no
  5xx), what the client was told succeeded is committed, and the mail queued meanwhile is sent
  by the sweep once Redis is back.
* SMTP cut for longer than a few retries: every message arrives, once, when it is back.
* PostgreSQL cut in the middle of a sign-up transaction: a clean JSON 500/503 errno 999, nothing
  half-written, and the server serves again once the link is back.
* A worker killed (SIGKILL) in the middle of deliveries: nothing lost, at most one duplicate.
"""
import re
import subprocess
import sys
import threading
from collections import Counter
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from django.conf import settings
from django.db import connection, transaction

from accounts.models import Account, Email, SessionToken
from accounts.twofactor import otp
from emails.models import OutboundEmail
from emails.services import requeue_stale, send_email
from tests import factories
from tests.faultproxy import FaultProxy, wait_until
from tests.helpers import assert_error, authorization, stretch, token_key
from tests.live import BASE_DIR, LiveStack, database_url

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TIMEOUT = 30
# The Message-ID of an outbox row (emails.models.OutboundEmail.message_id).
MESSAGE_ID = re.compile(r"<\d+\.(\d+)\.outbox@[^>]+>")


def _through(url, proxy):
    """``url`` (redis://…) with its host and port replaced by the proxy's."""
    parts = urlsplit(url)
    netloc = f"{parts.username}@{proxy.address}" if parts.username else proxy.address
    return urlunsplit(parts._replace(netloc=netloc))


def _target(url):
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 6379


def _make_stack(link, worker=True):
    """A started LiveStack whose ``link`` ("redis", "database" or "smtp") goes through a
    FaultProxy; returns (stack, proxy). The Celery worker reaches Redis directly (``worker_env``):
    a broker outage seen by the worker is not what these tests are about."""
    stack = LiveStack(connection.settings_dict, extra_env={"EMAIL_REQUEUE_AFTER": "0"})
    stack.worker_env = {}
    if link == "redis":
        proxy = FaultProxy(*_target(settings.REDIS_URL)).start()
        stack.env["REDIS_URL"] = _through(settings.REDIS_URL, proxy)
        stack.env["CELERY_BROKER_URL"] = _through(settings.CELERY_BROKER_URL, proxy)
        stack.worker_env = {"REDIS_URL": settings.REDIS_URL,
                            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL}
    elif link == "database":
        db = connection.settings_dict
        proxy = FaultProxy(db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432).start()
        stack.env["DATABASE_URL"] = database_url({**db, "HOST": "127.0.0.1", "PORT": proxy.port})
    elif link == "smtp":
        proxy = FaultProxy("127.0.0.1", stack.smtp.port).start()
        stack.env["EMAIL_PORT"] = str(proxy.port)
    else:
        raise ValueError(link)
    try:
        stack.start(with_worker=False)
        if worker:
            stack.start_worker(env=stack.worker_env)
    except BaseException:
        proxy.stop()
        raise
    return stack, proxy


def _finish(stack, proxy):
    """After a test: the link back, the worker done with the queued mail (the tables are
    flushed next), the logs printed (pytest shows them when the test failed)."""
    proxy.restore()
    try:
        with stack.receiving_tasks():
            stack.wait_for_mail_delivered()
    finally:
        print(stack.logs())


@pytest.fixture
def faulty_stack(transactional_db):
    """``faulty_stack(link, worker=True)``: see ``_make_stack``; stopped after the test."""
    made = []

    def make(link, worker=True):
        made.append(_make_stack(link, worker))
        return made[-1]

    yield make
    for stack, proxy in made:
        try:
            _finish(stack, proxy)
        finally:
            proxy.stop()
            stack.stop()


@pytest.fixture(scope="module")
def _smtp_stack(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        stack, proxy = _make_stack("smtp")
    yield stack, proxy
    proxy.stop()
    stack.stop()


@pytest.fixture
def smtp_stack(_smtp_stack, transactional_db):
    """A stack whose SMTP link goes through a proxy, shared by this module's mail tests."""
    stack, proxy = _smtp_stack
    proxy.restore()
    with stack.receiving_tasks():
        yield stack, proxy
    _finish(stack, proxy)


def _sweep(stack):
    """``manage.py sweep_emails`` with the stack's environment (what beat runs every minute)."""
    result = subprocess.run([sys.executable, "manage.py", "sweep_emails"], cwd=BASE_DIR,
                            env=stack.env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _queued_for(addresses):
    return [row for row in OutboundEmail.objects.all() if set(row.to) & set(addresses)]


def _assert_all_sent_once(stack, rows, timeout=TIMEOUT):
    """Every row ends ``sent`` and the sink has its Message-ID exactly once."""
    ids = {row.pk for row in rows}
    wait_until(
        lambda: not OutboundEmail.objects.filter(pk__in=ids).exclude(status="sent").exists(),
        timeout=timeout, message=f"every one of {sorted(ids)} sent:\n{stack.logs()}",
    )
    wait_until(lambda: ids <= set(_sink_rows(stack)), timeout=timeout,
               message="every message in the sink")
    counts = Counter(_sink_rows(stack))
    assert {pk: counts[pk] for pk in ids} == {pk: 1 for pk in ids}


def _sink_rows(stack):
    """The outbox row of each message in the sink, from its Message-ID (one entry a copy)."""
    with stack.smtp.handler.lock:
        message_ids = [message["Message-ID"] for message in stack.smtp.handler.messages]
    return [int(match[1]) for match in map(MESSAGE_ID.fullmatch, message_ids) if match]


# --- Redis ---------------------------------------------------------------------------------

def test_redis_cut_sign_up_login_hawk_and_totp_answer_as_designed(faulty_stack):
    stack, proxy = faulty_stack("redis")
    api = stack.api_url
    existing = factories.account("fault-login@example.com")
    two_step = factories.account("fault-totp@example.com", totp=True)
    new_email = "fault-signup@example.com"

    proxy.cut()

    # The heartbeat tells the operator; the load balancer's keeps the server in.
    heartbeat = requests.get(stack.url + "/__heartbeat__", timeout=TIMEOUT)
    assert heartbeat.status_code == 500, heartbeat.text
    assert heartbeat.json()["checks"]["check_redis_connected"] == "error"
    assert requests.get(stack.url + "/__lbheartbeat__", timeout=TIMEOUT).status_code == 200

    # Sign-up: 200, and the account the client was told about is committed with its address.
    auth_pw, _ = stretch(new_email)
    response = requests.post(api + "/account/create", json={"email": new_email, "authPW": auth_pw},
                             timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    created = response.json()
    account = Account.objects.get(uid=created["uid"])
    assert Email.objects.filter(account=account, normalized_email=new_email).exists()
    signup_session = token_key(created["sessionToken"])
    assert SessionToken.objects.filter(pk=signup_session).exists()

    # Login: 200 with a session token that exists.
    auth_pw, _ = stretch(existing.email)
    response = requests.post(api + "/account/login",
                             json={"email": existing.email, "authPW": auth_pw}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    login = response.json()
    assert SessionToken.objects.filter(pk=token_key(login["sessionToken"])).exists()

    # A Hawk-signed request: the nonce cache is down, the request is served (fail open).
    url = api + "/session/status"
    response = requests.get(url, timeout=TIMEOUT, headers={
        "Authorization": authorization(login["sessionToken"], "sessionToken", "GET", url,
                                       scheme="hawk"),
    })
    assert response.status_code == 200, response.text
    assert response.json()["uid"] == existing.uid

    # A TOTP sign-in: login asks for the code, verify accepts it and the session is verified.
    auth_pw, _ = stretch(two_step.email)
    response = requests.post(api + "/account/login",
                             json={"email": two_step.email, "authPW": auth_pw}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    totp_login = response.json()
    assert totp_login["verificationMethod"] == "totp-2fa", totp_login
    url = api + "/session/verify/totp"
    body = b'{"code": "%s"}' % otp.code_at(two_step.totp_secret).encode()
    response = requests.post(url, data=body, timeout=TIMEOUT, headers={
        "Content-Type": "application/json",
        "Authorization": authorization(totp_login["sessionToken"], "sessionToken", "POST", url,
                                       body=body, scheme="hawk"),
    })
    assert response.status_code == 200, response.text
    assert response.json()["success"] is True
    session = SessionToken.objects.get(pk=token_key(totp_login["sessionToken"]))
    assert session.token_verified and session.verification_method is not None

    # The mail of these flows could not be handed to the broker: it waits in the outbox.
    rows = _queued_for([new_email, existing.email, two_step.email])
    assert any(new_email in row.to for row in rows), [row.template for row in rows]
    assert all(row.status == "queued" for row in rows), [(r.template, r.status) for r in rows]

    print("queued while Redis was cut:", sorted(row.template for row in rows))

    proxy.restore()
    _sweep(stack)
    _assert_all_sent_once(stack, rows)


# --- SMTP ----------------------------------------------------------------------------------

def test_smtp_cut_longer_than_a_few_retries_every_mail_arrives_once_back(smtp_stack):
    stack, proxy = smtp_stack
    account = factories.account("fault-smtp@example.com").account
    proxy.cut()
    with stack.receiving_tasks():
        with transaction.atomic():
            rows = [
                send_email("unblockCode", f"fault-smtp-{index}@example.com", account=account,
                           context={"unblockCode": f"SMTPCUT{index}"})
                for index in range(5)
            ]
    ids = [row.pk for row in rows]
    # More than a few attempts each (the back-off is 1 s, then 2 s), all still queued.
    wait_until(lambda: all(row.attempts >= 3 for row in OutboundEmail.objects.filter(pk__in=ids)),
               timeout=TIMEOUT, message=f"three attempts at each message:\n{stack.logs()}")
    assert set(OutboundEmail.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"queued"}
    assert not set(ids) & set(_sink_rows(stack))

    proxy.restore()
    _assert_all_sent_once(stack, rows)
    for index in range(5):
        (message,) = stack.smtp.messages_to(f"fault-smtp-{index}@example.com")
        assert message["X-Unblock-Code"] == f"SMTPCUT{index}"


# --- PostgreSQL ----------------------------------------------------------------------------

def _app_backends_in_transaction(proxy):
    """pg_stat_activity rows of the stack's connections (through the proxy) inside a write."""
    ports = proxy.upstream_ports()
    if not ports:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, query FROM pg_stat_activity WHERE client_port = ANY(%s) "
            "AND xact_start IS NOT NULL AND query ILIKE 'INSERT INTO \"accounts_account\"%%'", [list(ports)]
        )
        return cursor.fetchall()


def test_database_link_lost_mid_sign_up_answers_json_and_writes_nothing_half(faulty_stack):
    stack, proxy = faulty_stack("database", worker=False)
    # Warm the workers' connections (through the proxy).
    for _ in range(4):
        assert requests.post(stack.api_url + "/account/status", json={"email": "warm@example.com"},
                             timeout=TIMEOUT).status_code == 200
    for fault in ("cut", "reset"):
        _lose_the_database_mid_sign_up(stack, proxy, fault)


def _lose_the_database_mid_sign_up(stack, proxy, fault):
    email = f"fault-db-{fault}@example.com"
    auth_pw, _ = stretch(email)
    # Each round trip slow: the sign-up transaction is caught between its first write (the
    # account row) and its COMMIT, with several statements still to go.
    proxy.slow(0.15)
    answer = {}

    def sign_up():
        answer["response"] = requests.post(stack.api_url + "/account/create",
                                           json={"email": email, "authPW": auth_pw},
                                           timeout=TIMEOUT)

    thread = threading.Thread(target=sign_up)
    thread.start()
    in_write = wait_until(lambda: _app_backends_in_transaction(proxy), timeout=TIMEOUT,
                          interval=0.02, message="the sign-up inside its transaction")
    getattr(proxy, fault)()
    thread.join(timeout=TIMEOUT)
    assert not thread.is_alive()
    response = answer["response"]
    print(f"{fault}: answer while the database link was lost:", response.status_code, response.text)
    assert response.status_code in (500, 503), response.text
    body = assert_error(response, response.status_code, 999)
    assert "onnection" not in response.text and "psycopg" not in response.text, body

    # The server rolled the transaction back: no account, and no half of one.
    wait_until(lambda: in_write[0][0] not in _pids(), timeout=TIMEOUT,
               message="the cut backend gone")
    assert not Account.objects.filter(normalized_email=email).exists()
    assert not Email.objects.filter(normalized_email=email).exists()
    assert not Account.objects.filter(emails__isnull=True).exists()
    assert not OutboundEmail.objects.filter(to__contains=[email]).exists()

    # Back: the workers drop their dead connections and sign the client up.
    proxy.restore()

    def retried():
        response = requests.post(stack.api_url + "/account/create",
                                 json={"email": email, "authPW": auth_pw}, timeout=TIMEOUT)
        assert response.status_code in (200, 500, 503), response.text
        if response.status_code != 200:
            assert_error(response, response.status_code, 999)  # a worker's stale connection
        return response.status_code == 200

    wait_until(retried, timeout=TIMEOUT, interval=0.2, message="a sign-up once the link is back")
    account = Account.objects.get(normalized_email=email)
    assert Email.objects.filter(account=account).count() == 1


def _pids():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity")
        return {pid for (pid,) in cursor.fetchall()}


# --- a worker killed mid-delivery ----------------------------------------------------------

def test_worker_killed_mid_delivery_loses_nothing_and_doubles_at_most_one(smtp_stack, settings):
    stack, proxy = smtp_stack
    account = factories.account("fault-kill@example.com").account
    proxy.slow(0.1)  # an SMTP exchange takes about a second: the kill finds one in progress
    count = 12
    with stack.receiving_tasks():
        with transaction.atomic():
            rows = [send_email("unblockCode", f"fault-kill-{index}@example.com", account=account,
                               context={"unblockCode": f"KILL{index:04d}"})
                    for index in range(count)]
    ids = [row.pk for row in rows]
    # Some delivered, and one in progress (an SMTP connection open through the proxy).
    def delivered():
        return set(ids) & set(_sink_rows(stack))

    wait_until(lambda: len(delivered()) >= 2 and proxy.active >= 1,
               timeout=TIMEOUT, interval=0.02, message="deliveries under way")
    stack.worker.process.kill()
    stack.worker.process.wait(timeout=10)
    delivered_before = len(delivered())
    assert delivered_before < count

    proxy.restore()
    stack.start_worker(env=stack.worker_env)
    # The killed worker's unacknowledged tasks come back only after the broker's visibility
    # timeout: the sweep (beat's job, run here in-process) queues the rows again.
    settings.EMAIL_REQUEUE_AFTER = 0
    with stack.receiving_tasks():
        requeue_stale()
    wait_until(lambda: not OutboundEmail.objects.filter(pk__in=ids).exclude(status="sent").exists(),
               timeout=TIMEOUT, message=f"every message sent:\n{stack.logs()}")
    wait_until(lambda: set(ids) <= set(_sink_rows(stack)), timeout=TIMEOUT,
               message="all in the sink")
    counts = Counter(pk for pk in _sink_rows(stack) if pk in set(ids))
    assert set(counts) == set(ids)
    duplicates = sum(n - 1 for n in counts.values())
    print(f"killed after {delivered_before} of {count} delivered; {duplicates} duplicate(s)")
    assert duplicates <= 1, counts
