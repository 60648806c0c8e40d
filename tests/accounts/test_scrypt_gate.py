"""Overload protection of scrypt: a bounded number at once per process, a short bounded queue,
then 503 errno 201 with Retry-After (upstream's scrypt.maxPending)."""
import os
import secrets
import threading
import time

import pytest

from accounts import onepw
from accounts.errors import AppError, Errno
from accounts.models import SecurityEvent
from accounts.services import passwords, scrypt_gate
from accounts.validators import KeyStretchV2
from tests import factories
from tests.helpers import assert_error, ok, stretch

pytestmark = pytest.mark.django_db

WAIT = 10  # seconds any step of these tests may take before it counts as hung


class Holder:
    """A thread that holds a place of the gate until told to let go: the gate is full for as
    long as the test wants, whatever the timing."""

    def __init__(self):
        self.entered = threading.Event()
        self.release = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            with scrypt_gate.slot():
                self.entered.set()
                self.release.wait(WAIT)
        except Exception as error:  # noqa: BLE001 - reported by the test
            self.error = error
            self.entered.set()

    def __enter__(self):
        self.thread.start()
        assert self.entered.wait(WAIT) and self.error is None, self.error
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(WAIT)
        assert not self.thread.is_alive()


def wait_until(condition):
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


@pytest.fixture
def one_at_a_time(settings):
    """One scrypt per process at once, and no queue."""
    settings.SCRYPT_MAX_CONCURRENT = 1
    settings.SCRYPT_MAX_PENDING = 0
    settings.SCRYPT_MAX_WAIT = 3
    yield settings
    gate = scrypt_gate.gate()
    assert (gate.running, gate.waiting) == (0, 0)


def login(api, user):
    auth_pw, _ = stretch(user.email, user.password)
    return api.post("/account/login", {"email": user.email, "authPW": auth_pw})


def assert_busy(response, retry_after):
    body = assert_error(response, 503, 201)
    assert body["retryAfter"] == retry_after
    assert response.headers["Retry-After"] == str(retry_after)
    return body


def test_login_answers_503_201_while_scrypt_is_saturated(api, one_at_a_time):
    user = factories.account("busy@example.com")
    with Holder():
        assert_busy(login(api, user), 3)
    # Once the place is free again the same sign-in goes through.
    ok(login(api, user))


def test_sign_up_answers_503_201_while_scrypt_is_saturated(api, one_at_a_time):
    auth_pw, _ = stretch("new@example.com", "password")
    with Holder():
        response = api.post("/account/create", {"email": "new@example.com", "authPW": auth_pw})
        assert_busy(response, 3)
    ok(api.post("/account/create", {"email": "new@example.com", "authPW": auth_pw}))


def test_a_refused_sign_in_is_not_a_wrong_password(api, one_at_a_time):
    user = factories.account("busy@example.com")
    with Holder():
        assert_busy(login(api, user), 3)
    assert not SecurityEvent.objects.filter(account_id=user.uid, name="account.login.failure").exists()


def test_a_queued_login_completes_once_the_holder_lets_go(api, one_at_a_time):
    one_at_a_time.SCRYPT_MAX_PENDING = 1
    user = factories.account("queued@example.com")
    gate = scrypt_gate.gate()
    holder = Holder()

    def let_go_once_queued():
        wait_until(lambda: gate.waiting == 1)
        holder.release.set()

    with holder:
        releaser = threading.Thread(target=let_go_once_queued, daemon=True)
        releaser.start()
        ok(login(api, user))  # waits in the queue, then runs
        releaser.join(WAIT)
    assert (gate.running, gate.waiting) == (0, 0)


def test_past_the_queue_a_request_is_refused_at_once(one_at_a_time):
    """One holder, one waiter (the whole queue): a third is refused without waiting."""
    one_at_a_time.SCRYPT_MAX_PENDING = 1
    gate = scrypt_gate.gate()
    waiter_done = threading.Event()

    def waiter():
        with scrypt_gate.slot():
            pass
        waiter_done.set()

    with Holder():
        thread = threading.Thread(target=waiter, daemon=True)
        thread.start()
        wait_until(lambda: gate.waiting == 1)
        started = time.monotonic()
        with pytest.raises(AppError) as refused:
            with scrypt_gate.slot():
                pass
        assert time.monotonic() - started < 1
        assert refused.value.errno == Errno.SERVER_BUSY
        assert not waiter_done.is_set()
    thread.join(WAIT)
    assert waiter_done.is_set()


def test_a_wait_is_bounded(api, one_at_a_time):
    one_at_a_time.SCRYPT_MAX_PENDING = 1
    one_at_a_time.SCRYPT_MAX_WAIT = 0.2
    user = factories.account("slow@example.com")
    with Holder():
        started = time.monotonic()
        assert_busy(login(api, user), 1)  # Retry-After is whole seconds
        assert time.monotonic() - started >= 0.2
        assert scrypt_gate.gate().waiting == 0


def test_an_error_inside_the_gate_frees_its_place(api, one_at_a_time, monkeypatch):
    user = factories.account("broken@example.com")

    def failing(*args, **kwargs):
        raise RuntimeError("scrypt failed")

    monkeypatch.setattr(onepw, "big_stretch", failing)
    with pytest.raises(RuntimeError):
        with scrypt_gate.slot():
            onepw.derive_verifier(b"x" * 32, b"y" * 32)
    gate = scrypt_gate.gate()
    assert (gate.running, gate.waiting) == (0, 0)
    api.client.raise_request_exception = False
    assert_error(login(api, user), 500, 999)
    assert (gate.running, gate.waiting) == (0, 0)
    monkeypatch.undo()
    ok(login(api, user))


def test_one_place_covers_both_verifiers_of_a_v2_password(one_at_a_time):
    """Key stretching v2 derives two verifiers; the request is never refused between them."""
    v2 = KeyStretchV2(
        secrets.token_bytes(32), secrets.token_bytes(32), onepw.CLIENT_SALT_V2_PREFIX + secrets.token_hex(16)
    )
    gate = scrypt_gate.gate()
    seen = []
    real = onepw.big_stretch

    def counting(*args):
        seen.append(gate.running)
        return real(*args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(onepw, "big_stretch", counting)
        stored = passwords.new_password(secrets.token_bytes(32), v2=v2)
    assert seen == [1, 1] and stored.verify_hash_version2


def test_the_default_concurrency_is_the_core_count(settings):
    settings.SCRYPT_MAX_CONCURRENT = 0
    assert scrypt_gate.max_concurrent() == (os.cpu_count() or 1)
