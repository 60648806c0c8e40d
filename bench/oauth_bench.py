"""Benchmark: OAuth refresh-token grants and access-token verification through gunicorn on PostgreSQL."""
import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from accounts import onepw  # noqa: E402  (pure modules, no Django needed)
from auth_bench import (  # noqa: E402  (same folder)
    DATABASE, arguments, measure, prepare_database, request, start_server,
)
from oauth import crypto  # noqa: E402

EMAIL = "oauth.bench@example.com"
PASSWORD = "benchmark password"
SCOPE = "profile"
REDIRECT_URI = "https://bench.example/cb"


def create_verified_account():
    """The account and its verified session, made in-process as the sign-up and its confirmation
    would (the server is not running yet); returns the session token (hex)."""
    import django
    django.setup()
    from accounts.services.accounts import create_account
    from accounts.services.context import RequestContext

    auth_pw = onepw.auth_pw(onepw.quick_stretch_v1(EMAIL, PASSWORD))
    issued = create_account(EMAIL, auth_pw, RequestContext(ip_address="127.0.0.1"), pre_verified=True)
    return issued.session_token


def create_client(env):
    """A confidential client, registered the way operators register one."""
    output = subprocess.run(
        [sys.executable, "manage.py", "oauth_client", "create", "--name", "Bench",
         "--redirect-uri", REDIRECT_URI, "--scope", SCOPE, "--json"],
        cwd=ROOT, env=env, check=True, stdout=subprocess.PIPE, text=True,
    ).stdout
    created = json.loads(output)
    return created["client_id"], created["client_secret"]


def grant(port, session_token, client_id, client_secret):
    """The real flow: authorize with the session (offline), then redeem the code.
    Returns the token response (access_token and refresh_token)."""
    session_id = onepw.derive_token(bytes.fromhex(session_token), "sessionToken").token_id.hex()
    connection = http.client.HTTPConnection("127.0.0.1", port)
    _, status, data = request(
        connection, "POST", "/v1/oauth/authorization",
        {"client_id": client_id, "scope": SCOPE, "state": "bench", "access_type": "offline"},
        {"Authorization": f"Bearer fxs_{session_id}"},
    )
    assert status == 200, data
    _, status, data = request(connection, "POST", "/v1/token",
                              {"client_id": client_id, "client_secret": client_secret,
                               "code": json.loads(data)["code"]})
    assert status == 200, data
    return json.loads(data)


def time_per_call(function, count):
    start = time.perf_counter()
    for _ in range(count):
        function()
    return (time.perf_counter() - start) / count


def main():
    args = arguments(__doc__)

    port = 8766
    # In this process's environment too: the account is created here, through Django.
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "fxa_project.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/2"),
        "DEBUG": "false",
        "SECRET_KEY": "benchmark",
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
        "EMAIL_DEV_MAILBOX": "true",  # benchmarks send no mail worth reading
        "OAUTH_SIGNING_KEY": crypto.generate_signing_key_pem(),
    })
    env = dict(os.environ)
    prepare_database(env)
    session_token = create_verified_account()
    client_id, client_secret = create_client(env)

    from django.contrib.auth.hashers import check_password, make_password
    from django.db import connections
    from oauth.models import Client

    client = Client.objects.get(client_id=client_id)
    # The client processes are forked from this one: they must not share its connection.
    connections.close_all()

    server = start_server(port, args.workers, env)
    try:
        # One grant per client process, as many users of one RP: concurrent refreshes would
        # otherwise all update the same refresh-token row (its last_used_at).
        grants = [grant(port, session_token, client_id, client_secret) for _ in range(args.clients)]
        per_client = int(args.seconds * 1500)

        def refresh_cases(i):
            body = {"grant_type": "refresh_token", "client_id": client_id,
                    "client_secret": client_secret, "refresh_token": grants[i]["refresh_token"]}
            return [("POST", "/v1/token", body, None)] * per_client

        def verify_cases(i):
            return [("POST", "/v1/verify", {"token": grants[i]["access_token"]}, None)] * per_client

        # Warm up every worker (imports, database and Redis connections) before measuring.
        measure("warm-up (not a result)", port, verify_cases, args.clients, 2)
        print(f"gunicorn {args.workers} sync workers, {args.clients} client processes, "
              f"{args.seconds:g} s per case, {os.cpu_count()} cores, PostgreSQL + Redis")
        measure("POST /v1/token (refresh_token, secret)", port, refresh_cases, args.clients, args.seconds)
        measure("POST /v1/verify", port, verify_cases, args.clients, args.seconds)

        check_s = time_per_call(lambda: client.check_secret(client_secret), 100_000)
        print(f"{'client-secret check in-process':<42} {check_s * 1e6:8.2f} µs   "
              "(SHA-256 + constant-time compare, current and previous secret)")
        # DOT would store the secret with Django's default password hasher and check it so.
        encoded = make_password(client_secret)
        pbkdf2_s = time_per_call(lambda: check_password(client_secret, encoded), 3)
        print(f"{'not used: DOT default hasher (' + encoded.split('$')[0] + ')':<42} "
              f"{pbkdf2_s * 1000:8.2f} ms   per check ({encoded.split('$')[1]} iterations)")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
