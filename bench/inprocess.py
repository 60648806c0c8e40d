"""Profiling aid for hot_path.py's cases: each request is run in this process through the WSGI
application (every middleware, DRF, PostgreSQL and Redis as under gunicorn, without the HTTP
server), and the CPU time per request is printed; ``--profile CASE`` prints its cProfile instead.

It makes its own database (``fxa_bench_inprocess``) unless ``--reuse`` is given. A login is
shown next to one scrypt, so what is left is the rest of the login.
"""
import argparse
import cProfile
import hashlib
import io
import json
import logging
import os
import pstats
import re
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from auth_bench import prepare_database  # noqa: E402
from oauth_bench import EMAIL, PASSWORD, SCOPE, create_client  # noqa: E402

from accounts import hawk, onepw  # noqa: E402
from oauth import crypto  # noqa: E402

DATABASE = os.environ.get("INPROCESS_DATABASE", "fxa_bench_inprocess")
HOST, PORT = "127.0.0.1", 8768
DEVICES = 10
LOGIN_EMAIL = "bench-login@example.com"
QUEUE = "fxa-bench-inprocess"  # the sign-in notices' tasks: no worker reads it, emptied at the end


def arguments():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000, help="requests per case (login: 1/50th)")
    parser.add_argument("--chunks", type=int, default=5, help="the least of this many runs is shown")
    parser.add_argument("--only", help="the cases whose name matches this regular expression")
    parser.add_argument("--profile", help="cProfile the first case matching this regular expression")
    parser.add_argument("--sort", default="tottime", help="cProfile sort key (tottime, cumulative)")
    parser.add_argument("--lines", type=int, default=45, help="cProfile lines printed")
    parser.add_argument("--reuse", action="store_true", help="keep the database of an earlier run")
    return parser.parse_args()


class App:
    """Calls the WSGI application as gunicorn's worker would, and keeps the status line."""

    def __init__(self):
        from django.core.wsgi import get_wsgi_application
        self.application = get_wsgi_application()

    def __call__(self, method, path, authorization=None, body=None):
        payload = body.encode() if body is not None else b""
        path_only, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path_only, "QUERY_STRING": query, "RAW_URI": path,
            "SERVER_NAME": HOST, "SERVER_PORT": str(PORT), "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": f"{HOST}:{PORT}", "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(payload), "wsgi.errors": sys.stderr, "wsgi.multithread": True,
            "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0),
            "CONTENT_TYPE": "application/json", "HTTP_USER_AGENT": "inprocess-bench",
        }
        if body is not None:
            environ["CONTENT_LENGTH"] = str(len(payload))
        if authorization:
            environ["HTTP_AUTHORIZATION"] = authorization
        status = []
        chunks = self.application(environ, lambda line, headers, exc_info=None: status.append(line))
        data = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        return int(status[0].split()[0]), data


class Fixtures:
    def __init__(self, app, reuse):
        self.app = app
        self.auth_pw = onepw.auth_pw(onepw.quick_stretch_v1(EMAIL, PASSWORD)).hex()
        self.login_auth_pw = onepw.auth_pw(onepw.quick_stretch_v1(LOGIN_EMAIL, PASSWORD)).hex()
        path = Path(os.environ.get("TMPDIR", "/tmp")) / f"{DATABASE}.json"
        if reuse and path.exists():
            self.__dict__.update(json.loads(path.read_text()))
        else:
            self.make()
            kept = {k: v for k, v in self.__dict__.items() if k != "app" and "auth_pw" not in k}
            path.write_text(json.dumps(kept))
        keys = onepw.derive_token(bytes.fromhex(self.session_token), "sessionToken")
        self.token_id, self.auth_key = keys.token_id.hex(), keys.auth_key.hex()
        self.nonces = 0

    def make(self):
        from accounts.services.accounts import create_account
        from accounts.services.context import RequestContext
        issued = create_account(EMAIL, bytes.fromhex(self.auth_pw), RequestContext(ip_address="127.0.0.1"),
                                pre_verified=True)
        self.session_token = issued.session_token
        # Logins sign in to an account of their own: each leaves a session, which the first
        # account's attached clients would list.
        create_account(LOGIN_EMAIL, bytes.fromhex(self.login_auth_pw), RequestContext(ip_address="127.0.0.1"),
                       pre_verified=True)
        self.client_id, self.client_secret = create_client(dict(os.environ))
        sessions = [self.session_token]
        for _ in range(DEVICES - 1):
            status, data = self.app("POST", "/v1/account/login",
                                    body=json.dumps({"email": EMAIL, "authPW": self.auth_pw}))
            assert status == 200, data
            sessions.append(json.loads(data)["sessionToken"])
        for number, session in enumerate(sessions):
            token_id = onepw.derive_token(bytes.fromhex(session), "sessionToken").token_id.hex()
            status, data = self.app("POST", "/v1/account/device", f"Bearer fxs_{token_id}",
                                    json.dumps({"name": f"Bench device {number}", "type": "desktop"}))
            assert status == 200, data
            if number == 0:
                self.device_id = json.loads(data)["id"]
        token_id = onepw.derive_token(bytes.fromhex(self.session_token), "sessionToken").token_id.hex()
        status, data = self.app("POST", "/v1/oauth/authorization", f"Bearer fxs_{token_id}", json.dumps(
            {"client_id": self.client_id, "scope": SCOPE, "state": "bench", "access_type": "offline"}))
        assert status == 200, data
        status, data = self.app("POST", "/v1/token", body=json.dumps(
            {"client_id": self.client_id, "client_secret": self.client_secret,
             "code": json.loads(data)["code"]}))
        assert status == 200, data
        self.grant = json.loads(data)

    def hawk(self, method, path, body=None):
        self.nonces += 1
        return hawk.sign_request(self.token_id, bytes.fromhex(self.auth_key), method,
                                 f"http://{HOST}:{PORT}{path}",
                                 body=body.encode() if body is not None else None,
                                 nonce=f"{secrets.token_hex(4)}{self.nonces}")


def cases(f):
    """(name, a function making (method, path, authorization, body) per call)."""
    def hawk_signed(method, path, body=None):
        return lambda: (method, path, f.hawk(method, path, body), body)

    device_update = json.dumps({"id": f.device_id, "name": "Bench device 0"})
    return [
        ("baseline", lambda: ("GET", "/v1/bench/baseline", None, None)),
        ("status hawk", hawk_signed("GET", "/v1/session/status")),
        ("status bearer", lambda: ("GET", "/v1/session/status", f"Bearer fxs_{f.token_id}", None)),
        ("devices", hawk_signed("GET", "/v1/account/devices")),
        ("attached_clients", hawk_signed("GET", "/v1/account/attached_clients")),
        ("device update", hawk_signed("POST", "/v1/account/device", device_update)),
        ("profile", lambda: ("GET", "/v1/profile", f"Bearer {f.grant['access_token']}", None)),
        ("refresh", lambda: ("POST", "/v1/oauth/token", None, json.dumps({
            "grant_type": "refresh_token", "client_id": f.client_id, "client_secret": f.client_secret,
            "refresh_token": f.grant["refresh_token"]}))),
        ("verify", lambda: ("POST", "/v1/verify", None, json.dumps({"token": f.grant["access_token"]}))),
        ("login", lambda: ("POST", "/v1/account/login", None,
                           json.dumps({"email": LOGIN_EMAIL, "authPW": f.login_auth_pw}))),
    ]


def scrypt_cpu_ms():
    salt, password = secrets.token_bytes(32), secrets.token_bytes(32)
    cpu = time.process_time()
    for _ in range(5):
        hashlib.scrypt(password, salt=salt, n=65536, r=8, p=1, maxmem=2**28, dklen=32)
    return (time.process_time() - cpu) / 5 * 1000


def run(app, make, count, chunks=1):
    """CPU and wall ms per request: of the least disturbed of ``chunks`` equal runs (other work
    on the machine only ever adds to a run's time)."""
    size = max(1, count // chunks)
    best = None
    for _ in range(chunks):
        requests = [make() for _ in range(size)]
        cpu, wall = time.process_time(), time.perf_counter()
        for method, path, authorization, body in requests:
            status, data = app(method, path, authorization, body)
            assert status == 200, (path, status, data)
        result = ((time.process_time() - cpu) / size * 1000, (time.perf_counter() - wall) / size * 1000)
        best = result if best is None or result < best else best
    return best


def main():
    args = arguments()
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3"),
        "DEBUG": "false",
        "SECRET_KEY": "benchmark",
        "PUBLIC_URL": f"http://{HOST}:{PORT}",
        "LOG_LEVEL": "WARNING",
        "OAUTH_SIGNING_KEY": os.environ.get("OAUTH_SIGNING_KEY") or crypto.generate_signing_key_pem(),
        "SIGNIN_CONFIRMATION_SKIP_NEW_ACCOUNTS": str(10 * 365 * 24 * 3600),
        "CUSTOMS_IGNORE_IPS": "127.0.0.1",
        "EMAIL_DEV_MAILBOX": "true",
        "CELERY_QUEUE": QUEUE,
    })
    key_file = Path(os.environ.get("TMPDIR", "/tmp")) / f"{DATABASE}.pem"
    if args.reuse and key_file.exists():
        os.environ["OAUTH_SIGNING_KEY"] = key_file.read_text()
    else:
        key_file.write_text(os.environ["OAUTH_SIGNING_KEY"])
        prepare_database(dict(os.environ), DATABASE)
    app = App()
    # The request.summary lines are part of production's cost: formatted and written (to nowhere).
    handler = logging.FileHandler(os.devnull)
    handler.setFormatter(logging.getLogger().handlers[0].formatter)
    handler.addFilter(logging.getLogger().handlers[0].filters[0])
    logging.getLogger().handlers[:] = [handler]
    try:
        measure(args, app, Fixtures(app, args.reuse))
    finally:
        import redis
        redis.Redis.from_url(os.environ["REDIS_URL"]).delete(QUEUE)


def measure(args, app, fixtures):
    selected = [(name, make) for name, make in cases(fixtures)
                if not args.only or re.search(args.only, name)]
    if args.profile:
        name, make = next((n, m) for n, m in selected if re.search(args.profile, n))
        count = max(1, args.count // 50) if name == "login" else args.count
        run(app, make, min(count, 200))  # warm
        profiler = cProfile.Profile(time.process_time)  # CPU, not waits on PostgreSQL or Redis
        profiler.enable()
        # In runs of 50: Hawk requests are signed ahead, and must be sent within the skew.
        run(app, make, count, max(1, count // 50))
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats(args.sort).print_stats(args.lines)
        return
    print(f"{'case':<20} {'CPU ms/req':>10} {'wall ms/req':>11}   (the least of {args.chunks} runs)")
    for name, make in selected:
        count = max(1, args.count // 50) if name == "login" else args.count
        run(app, make, min(count, 100))  # warm: imports, connections, compiled lookups
        cpu, wall = run(app, make, count, args.chunks)
        print(f"{name:<20} {cpu:10.3f} {wall:11.3f}")
    if any(name == "login" for name, _ in selected):
        print(f"{'one scrypt':<20} {scrypt_cpu_ms():10.3f}")


if __name__ == "__main__":
    main()
