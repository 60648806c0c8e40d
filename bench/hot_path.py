"""Benchmark: the token-authenticated hot path through gunicorn (production configuration) on
PostgreSQL and Redis, driven by wrk replaying pre-signed requests (bench/replay.lua), so that the
load generator costs little of the CPU it measures. Every case is read against a bare DRF view."""
import argparse
import contextlib
import hashlib
import http.client
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from auth_bench import DATABASE, prepare_database, request, start_server  # noqa: E402
from oauth_bench import EMAIL, PASSWORD, create_client, create_verified_account, grant  # noqa: E402

from accounts import hawk, onepw  # noqa: E402  (pure modules, no Django needed)
from oauth import crypto  # noqa: E402

PORT = 8767
DEVICES = 10
QUEUE = "fxa-bench-hot-path"
LUA = Path(__file__).resolve().parent / "replay.lua"


def arguments():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (WEB_CONCURRENCY)")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker (GUNICORN_THREADS)")
    parser.add_argument("--worker-class", help="gunicorn's worker class instead of the configuration's "
                        "(gthread), e.g. sync (no keep-alive: a connection per request)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10, help="per case")
    parser.add_argument("--max-rate", type=int, default=5000,
                        help="req/s the pre-signed Hawk requests must last for")
    parser.add_argument("--server-cpus", help="taskset CPU list for gunicorn (default: see --wrk-cpus)")
    parser.add_argument("--wrk-cpus", help="taskset CPU list for wrk (default: the last core, the "
                        "server on the others, with 4 cores or more; unpinned below)")
    parser.add_argument("--only", help="run only the cases whose name matches this regular expression")
    return parser.parse_args()


def cpu_split(args):
    cores = os.cpu_count()
    if args.server_cpus or args.wrk_cpus or cores < 4:
        return args.server_cpus, args.wrk_cpus
    return f"0-{cores - 2}", str(cores - 1)


def server_processes(pid):
    """The gunicorn master and its workers."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
        found.append(current)
    return found


def server_rss_mib(pid):
    """VmRSS of the gunicorn master and its workers, MiB."""
    total = 0
    for process in server_processes(pid):
        with contextlib.suppress(FileNotFoundError):
            total += int(re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{process}/status").read_text()).group(1))
    return total / 1024


def server_cpu_seconds(pid):
    """User + system CPU time of the gunicorn master and its workers: per request, the figure
    that other work on the machine disturbs least (it slows the server, not its instructions)."""
    total = 0
    for process in server_processes(pid):
        with contextlib.suppress(FileNotFoundError):
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


class Fixtures:
    """An account with DEVICES devices (one per session), the Hawk credentials of its first
    session, and OAuth grants (an access and a refresh token each) of a confidential client."""

    def __init__(self, env, connections):
        self.session_token = create_verified_account()
        self.client_id, self.client_secret = create_client(env)
        self.connections = connections
        self.auth_pw = onepw.auth_pw(onepw.quick_stretch_v1(EMAIL, PASSWORD)).hex()
        self.grants = None

    def make_devices(self):
        connection = http.client.HTTPConnection("127.0.0.1", PORT)
        sessions = [self.session_token]
        for _ in range(DEVICES - 1):
            _, status, data = request(connection, "POST", "/v1/account/login",
                                      {"email": EMAIL, "authPW": self.auth_pw})
            assert status == 200, data
            sessions.append(json.loads(data)["sessionToken"])
        for number, session in enumerate(sessions):
            token_id = onepw.derive_token(bytes.fromhex(session), "sessionToken").token_id.hex()
            _, status, data = request(connection, "POST", "/v1/account/device",
                                      {"name": f"Bench device {number}", "type": "desktop"},
                                      {"Authorization": f"Bearer fxs_{token_id}"})
            assert status == 200, data
            if number == 0:
                self.device_id = json.loads(data)["id"]
        keys = onepw.derive_token(bytes.fromhex(self.session_token), "sessionToken")
        self.token_id, self.auth_key = keys.token_id.hex(), keys.auth_key

    def oauth_grants(self):
        """One grant per wrk connection: concurrent refreshes of one token would all update its row."""
        if self.grants is None:
            self.grants = [grant(PORT, self.session_token, self.client_id, self.client_secret)
                           for _ in range(self.connections)]
        return self.grants

    def hawk_lines(self, method, path, body, count, thread):
        url = f"http://127.0.0.1:{PORT}{path}"
        payload = json.dumps(body, separators=(",", ":")) if body is not None else ""
        now, run = int(time.time()), secrets.token_hex(3)
        return [(method, path,
                 hawk.sign_request(self.token_id, self.auth_key, method, url,
                                   body=payload.encode() if body is not None else None,
                                   ts=now, nonce=f"{run}{thread}x{n}"),
                 payload)
                for n in range(count)]


def cases(fixtures):
    """(name, lines(count, thread), one connection only): what each wrk thread replays."""
    def bearer(method, path, body=None):
        return lambda count, thread: [(method, path, f"Bearer fxs_{fixtures.token_id}", body or "")]

    def hawk_signed(method, path, body=None):
        return lambda count, thread: fixtures.hawk_lines(method, path, body, count, thread)

    def oauth(method, path, make):
        def lines(count, thread):
            return [(method, path, *make(one)) for one in fixtures.oauth_grants()]
        return lines

    refresh = oauth("POST", "/v1/oauth/token", lambda one: ("", json.dumps({
        "grant_type": "refresh_token", "client_id": fixtures.client_id,
        "client_secret": fixtures.client_secret, "refresh_token": one["refresh_token"]})))
    login_body = json.dumps({"email": EMAIL, "authPW": fixtures.auth_pw})
    return [
        ("baseline: bare DRF view", lambda count, thread: [("GET", "/v1/bench/baseline", "", "")], False),
        ("GET /v1/session/status, Hawk", hawk_signed("GET", "/v1/session/status"), False),
        ("GET /v1/session/status, Bearer", bearer("GET", "/v1/session/status"), False),
        ("GET /v1/account/devices, Hawk", hawk_signed("GET", "/v1/account/devices"), False),
        ("GET /v1/account/attached_clients, Hawk", hawk_signed("GET", "/v1/account/attached_clients"), False),
        ("POST /v1/account/device (update), Hawk",
         hawk_signed("POST", "/v1/account/device", {"id": fixtures.device_id, "name": "Bench device 0"}), False),
        ("GET /v1/profile, OAuth access token",
         oauth("GET", "/v1/profile", lambda one: (f"Bearer {one['access_token']}", "")), False),
        ("POST /v1/oauth/token, refresh grant", refresh, False),
        ("POST /v1/verify", oauth("POST", "/v1/verify",
                                  lambda one: ("", json.dumps({"token": one["access_token"]}))), False),
        ("POST /v1/account/login, 1 connection",
         lambda count, thread: [("POST", "/v1/account/login", "", login_body)], True),
    ]


def run_wrk(args, wrk_cpus, lines, single, directory):
    threads = 1 if single else args.wrk_threads
    connections = 1 if single else args.connections
    count = int(args.max_rate * args.seconds / threads) + 100
    prefix = Path(directory) / "requests"
    for thread in range(threads):
        with open(f"{prefix}.{thread}", "w") as out:
            out.writelines("\t".join(line) + "\n" for line in lines(count, thread))
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{args.seconds:g}s",
               "-s", str(LUA), f"http://127.0.0.1:{PORT}", "--", str(prefix)]
    if wrk_cpus:
        command = ["taskset", "-c", wrk_cpus, *command]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.split("RESULT ", 1)[1])


def scrypt_ms(cpus):
    """One scrypt of the login's parameters, in this process (on the server's cores): wall and
    CPU milliseconds."""
    if cpus:
        os.sched_setaffinity(0, {int(c) for part in cpus.split(",")
                                 for c in (range(int(part.split("-")[0]), int(part.split("-")[-1]) + 1))})
    salt, password = secrets.token_bytes(32), secrets.token_bytes(32)
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(5):
        hashlib.scrypt(password, salt=salt, n=65536, r=8, p=1, maxmem=2**28, dklen=32)
    return (time.perf_counter() - start) / 5 * 1000, (time.process_time() - cpu) / 5 * 1000


def main():
    args = arguments()
    server_cpus, wrk_cpus = cpu_split(args)
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/2"),
        "DEBUG": "false",
        "SECRET_KEY": "benchmark",
        "PUBLIC_URL": f"http://127.0.0.1:{PORT}",
        "LOG_LEVEL": "WARNING",
        "OAUTH_SIGNING_KEY": crypto.generate_signing_key_pem(),
        "SIGNIN_CONFIRMATION_SKIP_NEW_ACCOUNTS": str(10 * 365 * 24 * 3600),
        # One client signing in thousands of times is what customs stops (customs_bench.py).
        "CUSTOMS_IGNORE_IPS": "127.0.0.1",
        # Mail is queued (sign-in notices) to a queue of the bench's own, which no worker reads.
        "EMAIL_DEV_MAILBOX": "true",
        "CELERY_QUEUE": QUEUE,
        "WEB_CONCURRENCY": str(args.workers),
        "GUNICORN_THREADS": str(args.threads),
    })
    env = dict(os.environ)
    prepare_database(env)
    fixtures = Fixtures(env, args.connections)
    from django.db import connections
    connections.close_all()

    # The request.summary lines are part of production's cost: written, to a file.
    log = tempfile.NamedTemporaryFile(prefix="fxa-hot-path-gunicorn-", suffix=".log", delete=False)
    server = start_server(PORT, args.workers, env, production=True, cpus=server_cpus, log=log,
                          worker_class=args.worker_class)
    try:
        fixtures.make_devices()
        print(f"{os.cpu_count()} cores; gunicorn -c python:fxa_project.gunicorn ({args.worker_class or 'gthread'}), "
              f"{args.workers} workers x {args.threads} threads, CPUs {server_cpus or 'all'}; "
              f"wrk {args.wrk_threads} threads, {args.connections} connections, CPUs {wrk_cpus or 'all'}; "
              f"{args.seconds:g} s per case; PostgreSQL + Redis on the same machine")
        print(f"{'case':<42} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'cost':>6} "
              f"{'CPU ms':>7} {'cost':>6} {'RSS MiB':>7}  non-2xx")
        baseline = baseline_cpu = None
        with tempfile.TemporaryDirectory(prefix="fxa-hot-path-") as directory:
            # Warm-up: every worker imports, connects and compiles once before anything is timed.
            run_wrk(argparse.Namespace(**{**vars(args), "seconds": 2}), wrk_cpus,
                    cases(fixtures)[2][1], False, directory)
            for name, lines, single in cases(fixtures):
                if args.only and not re.search(args.only, name) and not name.startswith("baseline"):
                    continue
                cpu_before = server_cpu_seconds(server.pid)
                result = run_wrk(args, wrk_cpus, lines, single, directory)
                cpu = (server_cpu_seconds(server.pid) - cpu_before) / result["requests"] * 1000
                rps = result["requests"] / (result["duration_us"] / 1e6)
                baseline, baseline_cpu = baseline or rps, baseline_cpu or cpu
                print(f"{name:<42} {rps:7.0f} {result['p50_us'] / 1000:7.2f} {result['p99_us'] / 1000:7.2f} "
                      f"{baseline / rps:5.2f}x {cpu:7.2f} {cpu / baseline_cpu:5.2f}x "
                      f"{server_rss_mib(server.pid):7.1f}  {result['non2xx'] + result['socket_errors']}")
        wall, cpu = scrypt_ms(server_cpus)
        print(f"{'one scrypt (N=65536, r=8, p=1), in-process':<42} {'':7} {wall:7.2f} {'':7} {'':6} {cpu:7.2f}")
        print("cost: the baseline's req/s over the case's, then the case's server CPU per request "
              "over the baseline's")
    finally:
        server.terminate()
        server.wait()
        import redis
        redis.Redis.from_url(os.environ["REDIS_URL"]).delete(QUEUE)
        log.close()
        os.unlink(log.name)


if __name__ == "__main__":
    main()
