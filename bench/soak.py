"""Soak test (not in CI): upstream's load mix for minutes against gunicorn (the production
configuration) and a Celery worker, reporting errors, latency and memory over time.

The mix, per flow a client starts: 95 % sign-in (``/account/login``, 10-100 ``/session/status``
polls signed with Hawk or Bearer, ``/session/destroy``), 3 % password reset through the mailed
OTP (``/password/forgot/send_otp`` → the code from the SMTP sink → ``verify_otp`` →
``verify_code`` → ``/account/reset``), 1 % password change (``/password/change/start``,
``/account/keys``, ``/password/change/finish``, kB kept), 1 % a lone status poll then 1 s idle.

Every 10 s a line: elapsed, requests, errors, p50/p99 of the interval, RSS of gunicorn (master +
workers) and of the worker. At the end: totals, per-route figures, the mail states and a verdict
(no error, and the RSS floor of the last minute at most --max-growth above that of the minute
from the 1-minute mark).
"""
import argparse
import email
import http.client
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from email import policy
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from accounts import hawk, onepw  # noqa: E402  (pure modules, no Django needed)
from auth_bench import percentile, prepare_database  # noqa: E402  (same folder)

DATABASE = "fxa_soak"  # its own database: the other benches use fxa_bench
REDIS_URL = "redis://127.0.0.1:6379/7"  # cache, customs counters, nonces and broker (flushed)
QUEUE = "fxa-soak"
MAIL_DOMAIN = "soak.example"
INTERVAL = 10  # seconds between report lines (RSS is sampled every second)
STATUS = "GET /v1/session/status"
BEARER_PREFIXES = {"sessionToken": "fxs", "keyFetchToken": "fxk", "accountResetToken": "fxar",
                   "passwordForgotToken": "fxpf", "passwordChangeToken": "fxpc"}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Mail: an SMTP sink on loopback (tests/smtp.py needs Django's test settings to import).

class Sink:
    """Keeps the code headers of every message received, by recipient."""

    def __init__(self):
        self.port = free_port()
        self.lock = threading.Lock()
        self.codes = defaultdict(list)  # (address, header) -> [value, ...]
        self.received = 0
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=policy.default)
        with self.lock:
            self.received += 1
            for header in ("X-Verify-Code", "X-Password-Forgot-Otp"):
                if message[header]:
                    for address in envelope.rcpt_tos:
                        self.codes[(address.lower(), header)].append(message[header])
        return "250 Message accepted for delivery"

    def count(self, address, header):
        with self.lock:
            return len(self.codes[(address.lower(), header)])

    def wait(self, address, header, after, timeout=60):
        """The value of ``header`` in the (after+1)-th such message to ``address``."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                values = self.codes[(address.lower(), header)]
                if len(values) > after:
                    return values[after]
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {header} mail to {address} within {timeout} s")
            time.sleep(0.05)


# Processes and their memory.

def rss_kib(pid):
    """VmRSS of ``pid`` plus that of its children (gunicorn's workers), in KiB."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += rss_kib(int(child))
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total


class Process:
    def __init__(self, name, command, env):
        self.name = name
        self.log = tempfile.NamedTemporaryFile(prefix=f"fxa-soak-{name}-", suffix=".log", delete=False)
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT)

    def output(self):
        return Path(self.log.name).read_text(errors="replace")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# The client side.

class Stats:
    """Latencies of the 2xx answers, by interval and by route; errors with their details."""

    def __init__(self):
        self.lock = threading.Lock()
        self.interval = []
        self.all = []
        self.by_route = defaultdict(list)
        self.requests = 0
        self.errors = []
        self.flows = defaultdict(int)
        self.mail_waits = []

    def ok(self, route, latency):
        with self.lock:
            self.requests += 1
            self.interval.append((latency, route))
            self.all.append(latency)
            self.by_route[route].append(latency)

    def error(self, what):
        with self.lock:
            self.requests += 1
            self.errors.append(what)

    def take_interval(self):
        """(sorted latencies of the interval, those of its status polls)."""
        with self.lock:
            batch, self.interval = self.interval, []
        return (sorted(latency for latency, _ in batch),
                sorted(latency for latency, route in batch if route == STATUS))


class Failed(Exception):
    """A flow cannot go on (the error is counted where it happened)."""


class Client:
    """One keep-alive connection, signing requests with a token as FxA clients do."""

    def __init__(self, port, stats, started):
        self.port = port
        self.stats = stats
        self.started = started
        self.connection = None
        self.last_used = 0.0
        self.flow = None

    def call(self, method, path, body=None, token=None, token_type="sessionToken", scheme="bearer"):
        # gunicorn closes keep-alive connections idle for 5 s: a client that waited (for a
        # mail) opens a new one rather than meet a closed socket.
        if self.connection is None or time.monotonic() - self.last_used > 3:
            if self.connection is not None:
                self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"}
        if token is not None:
            keys = onepw.derive_token(bytes.fromhex(token), token_type)
            if scheme == "hawk":
                headers["Authorization"] = hawk.sign_request(
                    keys.token_id.hex(), keys.auth_key, method, f"http://127.0.0.1:{self.port}{path}",
                    body=payload)
            else:
                headers["Authorization"] = f"Bearer {BEARER_PREFIXES[token_type]}_{keys.token_id.hex()}"
        route = f"{method} {path.split('?')[0]}"
        start = time.perf_counter()
        try:
            self.connection.request(method, path, body=payload, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            self.connection = None
            self._error(route, f"{type(error).__name__}: {error}")
            raise Failed from error
        latency = time.perf_counter() - start
        self.last_used = time.monotonic()
        if not 200 <= response.status < 300:
            self._error(route, f"{response.status} {data[:300]!r}")
            raise Failed
        self.stats.ok(route, latency)
        return json.loads(data) if data else None

    def _error(self, route, detail):
        self.stats.error(f"t={time.monotonic() - self.started:6.1f}s {self.flow}: {route} -> {detail}")


class Account:
    def __init__(self, address, password):
        self.email = address
        self.set_password(password)
        self.kb = None  # known once a password change has fetched it

    def set_password(self, password):
        self.password = password
        stretched = onepw.quick_stretch_v1(self.email, password)
        self.auth_pw = onepw.auth_pw(stretched).hex()
        self.unwrap_bkey = onepw.unwrap_bkey(stretched)


def create_account(client, sink, address):
    """Sign-up as a client makes it (v1 credentials), then the mailed verification code."""
    account = Account(address, secrets.token_hex(8))
    client.flow = "setup"
    body = client.call("POST", "/v1/account/create", {"email": address, "authPW": account.auth_pw})
    code = sink.wait(address, "X-Verify-Code", after=0)
    client.call("POST", "/v1/recovery_email/verify_code", {"uid": body["uid"], "code": code})
    account.session = body["sessionToken"]  # kept for the idle flow (never reset or changed)
    return account


def sign_in(client, account, rng):
    login = client.call("POST", "/v1/account/login", {"email": account.email, "authPW": account.auth_pw})
    token = login["sessionToken"]
    scheme = rng.choice(("hawk", "bearer"))
    for _ in range(rng.randint(10, 100)):
        client.call("GET", "/v1/session/status", token=token, scheme=scheme)
    client.call("POST", "/v1/session/destroy", {}, token=token, scheme=scheme)


def reset_password(client, account, sink, stats, rng):
    seen = sink.count(account.email, "X-Password-Forgot-Otp")
    client.call("POST", "/v1/password/forgot/send_otp", {"email": account.email})
    start = time.perf_counter()
    try:
        otp = sink.wait(account.email, "X-Password-Forgot-Otp", after=seen)
    except TimeoutError as error:
        client._error("mail", str(error))
        raise Failed from error
    stats.mail_waits.append(time.perf_counter() - start)
    verified = client.call("POST", "/v1/password/forgot/verify_otp", {"email": account.email, "code": otp})
    scheme = rng.choice(("hawk", "bearer"))
    reset = client.call("POST", "/v1/password/forgot/verify_code", {"code": verified["code"]},
                        token=verified["token"], token_type="passwordForgotToken", scheme=scheme)
    new = Account(account.email, secrets.token_hex(8))
    client.call("POST", "/v1/account/reset", {"authPW": new.auth_pw},
                token=reset["accountResetToken"], token_type="accountResetToken", scheme=scheme)
    account.set_password(new.password)
    account.kb = None  # a reset without a recovery key makes a new kB


def change_password(client, account, rng):
    scheme = rng.choice(("hawk", "bearer"))
    started = client.call("POST", "/v1/password/change/start",
                          {"email": account.email, "oldAuthPW": account.auth_pw})
    keys = client.call("GET", "/v1/account/keys", token=started["keyFetchToken"],
                       token_type="keyFetchToken", scheme=scheme)
    bundle_key = onepw.derive_token(bytes.fromhex(started["keyFetchToken"]), "keyFetchToken").bundle_key
    _, wrap_kb = onepw.unbundle_keys(bundle_key, bytes.fromhex(keys["bundle"]))
    kb = onepw.xor(wrap_kb, account.unwrap_bkey)
    if account.kb is not None and kb != account.kb:
        client._error("kB", "a password change did not keep kB")
        raise Failed
    new = Account(account.email, secrets.token_hex(8))
    client.call("POST", "/v1/password/change/finish",
                {"authPW": new.auth_pw, "wrapKb": onepw.xor(kb, new.unwrap_bkey).hex()},
                token=started["passwordChangeToken"], token_type="passwordChangeToken", scheme=scheme)
    account.set_password(new.password)
    account.kb = kb


FLOWS = (("sign-in", 95), ("reset", 3), ("change", 1), ("idle", 1))


def client_loop(index, port, sink, stats, accounts, idle_account, deadline, started):
    rng = random.Random(index)
    client = Client(port, stats, started)
    names, weights = zip(*FLOWS)
    while time.monotonic() < deadline:
        flow = rng.choices(names, weights)[0]
        account = rng.choice(accounts)
        client.flow = f"client {index} {flow} {account.email}"
        with stats.lock:
            stats.flows[flow] += 1
        try:
            if flow == "sign-in":
                sign_in(client, account, rng)
            elif flow == "reset":
                reset_password(client, account, sink, stats, rng)
            elif flow == "change":
                change_password(client, account, rng)
            else:
                client.call("GET", "/v1/session/status", token=idle_account.session,
                            scheme=rng.choice(("hawk", "bearer")))
                time.sleep(1)
        except Failed:
            time.sleep(0.5)  # the error is counted; the flow is abandoned
        except Exception as error:  # noqa: BLE001 - a client bug is an error of the run too
            stats.error(f"{client.flow}: {type(error).__name__}: {error}")
            time.sleep(0.5)


def mail_states(env):
    query = "SELECT status, count(*) FROM emails_outboundemail GROUP BY status ORDER BY status"
    result = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", DATABASE, "-At", "-F", " ",
                             "-c", query], capture_output=True, text=True, env=env)
    return ", ".join(line.replace(" ", ": ") for line in result.stdout.split("\n") if line) or result.stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--accounts-per-client", type=int, default=4)
    parser.add_argument("--max-growth", type=float, default=0.10,
                        help="largest growth of the RSS floor from the 1-minute mark to the end "
                             "(0.10: 10 %%)")
    args = parser.parse_args()

    import redis

    sink = Sink()
    sink.controller.start()
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CUSTOMS_")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "fxa_project.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "REDIS_URL": REDIS_URL,
        "CELERY_QUEUE": QUEUE,
        "DEBUG": "false",
        "SECRET_KEY": "soak",
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "text",  # for the log scan at the end: "<time> ERROR <logger> ..."
        "PYTHONUNBUFFERED": "1",
        "WEB_CONCURRENCY": "2",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink.port),
        "DEFAULT_FROM_EMAIL": "Accounts <accounts@sink.example>",
        # New sign-ins need no confirmation mail (the bench's accounts are all "new").
        "SIGNIN_CONFIRMATION_SKIP_NEW_ACCOUNTS": str(10 * 365 * 24 * 3600),
        # One client machine signing in thousands of times is exactly what customs blocks (the
        # accountLogin and passwordForgot rules); its cost is measured by customs_bench.py.
        "CUSTOMS_IGNORE_IPS": "127.0.0.1",
    })
    prepare_database(env, DATABASE)
    redis.Redis.from_url(REDIS_URL).flushdb()
    server = Process("gunicorn", [sys.executable, "-m", "gunicorn", "-c", "python:fxa_project.gunicorn",
                                  "fxa_project.wsgi", "--bind", f"127.0.0.1:{port}"], env)
    worker = Process("celery", [sys.executable, "-m", "celery", "-A", "fxa_project", "worker", "-Q", QUEUE,
                                "--pool", "solo", "--loglevel", "WARNING", "--without-gossip",
                                "--without-mingle", "--without-heartbeat"], env)
    try:
        for _ in range(300):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/__lbheartbeat__")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"gunicorn did not start:\n{server.output()[-3000:]}")
        passed = run(args, port, sink, server, worker, env)
    finally:
        server.stop()
        worker.stop()
        sink.controller.stop()
        redis.Redis.from_url(REDIS_URL).flushdb()
    for process in (server, worker):
        if passed:
            os.unlink(process.log.name)
        else:
            print(f"{process.name} log kept: {process.log.name}")
    sys.exit(0 if passed else 1)


def run(args, port, sink, server, worker, env):
    stats = Stats()
    started = time.monotonic()
    setup = Client(port, stats, started)
    run_id = secrets.token_hex(3)
    accounts = [[create_account(setup, sink, f"soak-{run_id}-{i}-{k}@{MAIL_DOMAIN}")
                 for k in range(args.accounts_per_client)] for i in range(args.clients)]
    idle = create_account(setup, sink, f"soak-{run_id}-idle@{MAIL_DOMAIN}")
    setup_errors = len(stats.errors)
    print(f"{os.cpu_count()} cores; gunicorn -c python:fxa_project.gunicorn (WEB_CONCURRENCY=2), "
          f"celery worker --pool solo, PostgreSQL {DATABASE}, Redis {REDIS_URL}; {args.clients} clients, "
          f"{args.clients * args.accounts_per_client + 1} accounts made through /account/create "
          f"(+ the mailed code), {args.seconds:g} s", flush=True)
    stats.take_interval()
    started = time.monotonic()
    deadline = started + args.seconds
    threads = [threading.Thread(target=client_loop, daemon=True,
                                args=(i, port, sink, stats, accounts[i], idle, deadline, started))
               for i in range(args.clients)]
    for thread in threads:
        thread.start()
    samples = []  # every second: (elapsed, gunicorn KiB, worker KiB)
    print(f"{'elapsed':>7} {'requests':>9} {'req/s':>6} {'errors':>6} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'status p99':>10} {'gunicorn MiB':>12} {'worker MiB':>10} {'total MiB min-max':>17}", flush=True)
    last_requests, interval_start = 0, 0
    next_tick = started + INTERVAL
    while any(thread.is_alive() for thread in threads):
        time.sleep(1)
        now = time.monotonic()
        if now > deadline + 1:
            continue  # the clients finish their last flow; no sample of the drain
        web, celery = rss_kib(server.process.pid), rss_kib(worker.process.pid)
        samples.append((now - started, web, celery))
        if server.process.poll() is not None or worker.process.poll() is not None:
            stats.error("a server process exited during the run")
            break
        if now < next_tick:
            continue
        next_tick += INTERVAL
        batch, polls = stats.take_interval()
        window = [w + c for _, w, c in samples[interval_start:]]
        interval_start = len(samples)
        p50 = percentile(batch, 0.5) if batch else float("nan")
        p99 = percentile(batch, 0.99) if batch else float("nan")
        poll_p99 = percentile(polls, 0.99) if polls else float("nan")
        requests = stats.requests
        rate = (requests - last_requests) / INTERVAL
        last_requests = requests
        print(f"{now - started:6.0f}s {requests:9d} {rate:6.0f} {len(stats.errors):6d} {p50:7.1f} {p99:7.1f} "
              f"{poll_p99:10.1f} {web / 1024:12.1f} {celery / 1024:10.1f} "
              f"{min(window) / 1024:8.1f}-{max(window) / 1024:.1f}", flush=True)
    for thread in threads:
        thread.join(timeout=120)
    elapsed = time.monotonic() - started
    return report(args, stats, samples, elapsed, setup_errors, server, worker, env)


def report(args, stats, samples, elapsed, setup_errors, server, worker, env):
    everything = sorted(stats.all)
    print(f"\n{stats.requests} requests in {elapsed:.0f} s ({stats.requests / elapsed:.0f} req/s), "
          f"flows: " + ", ".join(f"{name} {stats.flows[name]}" for name, _ in FLOWS))
    if everything:
        print(f"all 2xx answers: p50 {percentile(everything, 0.5):.1f} ms, p99 {percentile(everything, 0.99):.1f} ms, "
              f"max {everything[-1] * 1000:.0f} ms")
    print(f"{'route':<36} {'count':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for route, latencies in sorted(stats.by_route.items(), key=lambda item: -len(item[1])):
        latencies.sort()
        print(f"{route:<36} {len(latencies):7d} {percentile(latencies, 0.5):8.1f} "
              f"{percentile(latencies, 0.99):8.1f} {latencies[-1] * 1000:8.0f}")
    if stats.mail_waits:
        waits = sorted(stats.mail_waits)
        print(f"reset OTP mail, send_otp answered → in the sink: p50 {percentile(waits, 0.5):.0f} ms, "
              f"max {waits[-1] * 1000:.0f} ms ({len(waits)} mails)")
    for _ in range(60):  # the mail of the last flows: delivered within seconds
        states = mail_states(env)
        if "queued" not in states:
            break
        time.sleep(0.5)
    mail_ok = set(dict(part.split(": ") for part in states.split(", "))) == {"sent"}
    print(f"outbound mail rows: {states}")
    logged = [line for process in (server, worker) for line in process.output().splitlines()
              if re.search(r"\bERROR\b|\bCRITICAL\b|Traceback", line)]
    print(f"errors: {len(stats.errors)} (setup {setup_errors}); tracebacks/ERROR lines in the "
          f"server and worker logs: {len(logged)}")
    for line in stats.errors[:20]:
        print("  " + line)
    for line in logged[:10]:
        print("  log: " + line)
    if len(samples) < 20:
        print("VERDICT: FAIL (too few RSS samples)")
        return False
    # RSS swings by up to 64 MiB per scrypt in flight (its buffer is allocated and freed per
    # login), so windows are compared by their floor (min), the memory that stays, and by their
    # median. The baseline window: the minute from the 1-minute mark (imports, caches and
    # connection pools warm); in a run shorter than 3 minutes, its second sixth.
    length = samples[-1][0]
    if length >= 180:
        base = [s for s in samples if 60 <= s[0] < 120]
        end = [s for s in samples if s[0] >= length - 60]
    else:
        base = [s for s in samples if length / 6 <= s[0] < length / 3]
        end = [s for s in samples if s[0] >= length * 5 / 6]

    def floor(window, pick=lambda s: s[1] + s[2]):
        return min(pick(s) for s in window)

    def median(window):
        return sorted(s[1] + s[2] for s in window)[len(window) // 2]

    growth = floor(end) / floor(base) - 1
    median_growth = median(end) / median(base) - 1
    totals = [s[1] + s[2] for s in samples]
    mib = 1024
    print(f"RSS, gunicorn (master + 2 workers) + worker, sampled every second: first {totals[0] / mib:.1f} MiB, "
          f"last {totals[-1] / mib:.1f}, max {max(totals) / mib:.1f}")
    print(f"  floor (min) at {base[0][0]:.0f}-{base[-1][0]:.0f} s {floor(base) / mib:.1f} MiB, "
          f"at {end[0][0]:.0f}-{end[-1][0]:.0f} s {floor(end) / mib:.1f} MiB: {growth:+.1%}; "
          f"median {median(base) / mib:.1f} → {median(end) / mib:.1f} MiB: {median_growth:+.1%}")
    print(f"  gunicorn floor {floor(base, lambda s: s[1]) / mib:.1f} → {floor(end, lambda s: s[1]) / mib:.1f} MiB, "
          f"worker floor {floor(base, lambda s: s[2]) / mib:.1f} → {floor(end, lambda s: s[2]) / mib:.1f} MiB")
    passed = not stats.errors and not logged and mail_ok and growth < args.max_growth
    print(f"VERDICT: {'PASS' if passed else 'FAIL'} (errors {len(stats.errors)}, log errors {len(logged)}, "
          f"mail {'all sent' if mail_ok else 'not all sent'}, RSS floor growth {growth:+.1%} "
          f"against < {args.max_growth:.0%})")
    return passed


if __name__ == "__main__":
    main()
