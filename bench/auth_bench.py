"""Benchmark: session-status reads (Hawk and Bearer) and logins through gunicorn on PostgreSQL."""
import argparse
import hashlib
import http.client
import json
import multiprocessing
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from accounts import hawk, onepw  # noqa: E402  (pure modules, no Django needed)

DATABASE = "fxa_bench"
EMAIL = "bench@example.com"
PASSWORD = "benchmark password"


def run(command, env):
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def prepare_database(env, database=DATABASE):
    """A new, migrated ``database`` (``env``'s DATABASE_URL must name it)."""
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", f"DROP DATABASE IF EXISTS {database}"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", f"CREATE DATABASE {database}"],
                   check=True, stdout=subprocess.DEVNULL)
    run([sys.executable, "manage.py", "migrate", "-v", "0"], env)


def start_server(port, workers, env, *, production=False, cpus=None, log=None, worker_class=None):
    """gunicorn serving the project, once it answers: ``workers`` sync workers, or with
    ``production`` the production configuration (fxa_project/gunicorn.py, threaded workers);
    pinned to ``cpus`` (a taskset CPU list) and its output to the file ``log`` when given."""
    command = [sys.executable, "-m", "gunicorn"]
    if production:
        command += ["-c", "python:fxa_project.gunicorn"]
    command += ["fxa_project.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                "--log-level", "warning", "--no-control-socket"]
    if worker_class:
        command += ["--worker-class", worker_class]
    if cpus:
        command = ["taskset", "-c", cpus, *command]
    output = {"stdout": log, "stderr": subprocess.STDOUT} if log else {}
    server = subprocess.Popen(command, cwd=ROOT, env=env, **output)
    for _ in range(100):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            if request(connection, "GET", "/__lbheartbeat__")[1] == 200:
                break
        except OSError:
            time.sleep(0.2)
    return server


def request(connection, method, path, body=None, headers=None):
    payload = json.dumps(body).encode() if body is not None else None
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    start = time.perf_counter()
    connection.request(method, path, body=payload, headers=all_headers)
    response = connection.getresponse()
    data = response.read()
    return time.perf_counter() - start, response.status, data


def worker(port, cases, deadline, results):
    """Send pre-built requests until the deadline; report latencies and the other statuses."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    latencies, errors = [], {}
    for method, path, body, headers in cases:
        if time.time() >= deadline:
            break
        elapsed, status, _ = request(connection, method, path, body, headers)
        if status == 200:
            latencies.append(elapsed)
        else:
            errors[status] = errors.get(status, 0) + 1
    results.put((latencies, errors))


def run_clients(port, make_cases, clients, seconds):
    """``clients`` processes sending their cases for ``seconds``: (sorted latencies of the 200
    answers, {status: count} of the others, elapsed seconds)."""
    results = multiprocessing.Queue()
    cases = [make_cases(i) for i in range(clients)]
    deadline = time.time() + seconds
    processes = [
        multiprocessing.Process(target=worker, args=(port, cases[i], deadline, results))
        for i in range(clients)
    ]
    start = time.perf_counter()
    for process in processes:
        process.start()
    collected = [results.get() for _ in processes]
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - start
    latencies = sorted(l for batch, _ in collected for l in batch)
    errors = {}
    for _, batch in collected:
        for status, count in batch.items():
            errors[status] = errors.get(status, 0) + count
    return latencies, errors, elapsed


def percentile(latencies, fraction):
    """The ``fraction`` quantile of sorted latencies, in ms (p50: the median)."""
    if fraction == 0.5:
        return statistics.median(latencies) * 1000
    return latencies[min(len(latencies) - 1, int(len(latencies) * fraction))] * 1000


def measure(name, port, make_cases, clients, seconds):
    latencies, by_status, elapsed = run_clients(port, make_cases, clients, seconds)
    errors = sum(by_status.values())
    if not latencies:
        print(f"{name}: no successful request ({errors} errors)")
        return None
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    rps = len(latencies) / elapsed
    print(f"{name:<48} {rps:9.1f} req/s   p50 {p50:8.2f} ms   p99 {p99:8.2f} ms   "
          f"({len(latencies)} ok, {errors} errors)")
    return p50


def arguments(description):
    """The options every benchmark takes: gunicorn workers, client processes, seconds per case."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    return parser.parse_args()


def main():
    args = arguments(__doc__)

    port = 8765
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/2"),
        "DEBUG": "false",
        "SECRET_KEY": "benchmark",
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
        "EMAIL_DEV_MAILBOX": "true",  # benchmarks send no mail worth reading
        "SIGNIN_CONFIRMATION_SKIP_NEW_ACCOUNTS": str(10 * 365 * 24 * 3600),
        # One client signing in thousands of times is what customs stops; its cost is measured
        # by customs_bench.py, with spread addresses.
        "CUSTOMS_IGNORE_IPS": "127.0.0.1",
    }
    prepare_database(env)
    server = start_server(port, args.workers, env)
    try:
        auth_pw = onepw.auth_pw(onepw.quick_stretch_v1(EMAIL, PASSWORD)).hex()
        connection = http.client.HTTPConnection("127.0.0.1", port)
        _, status, data = request(connection, "POST", "/v1/account/create",
                                  {"email": EMAIL, "authPW": auth_pw})
        assert status == 200, data
        session_token = json.loads(data)["sessionToken"]
        keys = onepw.derive_token(bytes.fromhex(session_token), "sessionToken")
        token_id = keys.token_id.hex()
        url = f"http://127.0.0.1:{port}/v1/session/status"
        per_client = int(args.seconds * 1500)

        def hawk_cases(i):
            now = int(time.time())
            return [("GET", "/v1/session/status", None,
                     {"Authorization": hawk.sign_request(token_id, keys.auth_key, "GET", url, ts=now,
                                                         nonce=f"{i}-{n}-{secrets.token_hex(4)}")})
                    for n in range(per_client)]

        def bearer_cases(i):
            header = {"Authorization": f"Bearer fxs_{token_id}"}
            return [("GET", "/v1/session/status", None, header)] * per_client

        def signup_cases(v2):
            def cases(i):
                bodies = []
                for n in range(500):
                    body = {"email": f"signup-{i}-{n}-{secrets.token_hex(4)}@example.com",
                            "authPW": secrets.token_hex(32)}
                    if v2:
                        body.update(authPWVersion2=secrets.token_hex(32), wrapKb=secrets.token_hex(32),
                                    wrapKbVersion2=secrets.token_hex(32),
                                    clientSalt="identity.mozilla.com/picl/v1/quickStretchV2:" + secrets.token_hex(16))
                    bodies.append(("POST", "/v1/account/create?keys=true", body, None))
                return bodies
            return cases

        def login_cases(i):
            return [("POST", "/v1/account/login", {"email": EMAIL, "authPW": auth_pw}, None)] * 1000

        # Warm up every worker (imports, database and Redis connections) before measuring.
        measure("warm-up (not a result)", port, bearer_cases, args.clients, 2)
        print(f"gunicorn {args.workers} sync workers, {args.clients} client processes, "
              f"{args.seconds:g} s per case, {os.cpu_count()} cores, PostgreSQL + Redis")
        measure("GET /v1/session/status (Hawk, verified)", port, hawk_cases, args.clients, args.seconds)
        measure("GET /v1/session/status (Bearer fxs_)", port, bearer_cases, args.clients, args.seconds)
        login_p50 = measure("POST /v1/account/login", port, login_cases, args.clients, args.seconds)
        login_serial = measure("POST /v1/account/login (1 client)", port, login_cases, 1, args.seconds)
        measure("POST /v1/account/create?keys=true v1 (1 client)", port, signup_cases(False), 1, args.seconds)
        measure("POST /v1/account/create?keys=true v2 (1 client)", port, signup_cases(True), 1, args.seconds)

        salt = secrets.token_bytes(32)
        start = time.perf_counter()
        for _ in range(5):
            hashlib.scrypt(bytes.fromhex(auth_pw), salt=salt, n=65536, r=8, p=1, maxmem=2**28, dklen=32)
        scrypt_ms = (time.perf_counter() - start) / 5 * 1000
        print(f"{'one scrypt (N=65536, r=8, p=1) in-process':<48} {scrypt_ms:8.2f} ms")
        if login_serial:
            print(f"login p50 with 1 client / one scrypt = {login_serial / scrypt_ms:.2f}")
        if login_p50:
            print(f"login p50 with {args.clients} clients / one scrypt = {login_p50 / scrypt_ms:.2f}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
