"""Benchmark: what customs costs a request, in-process (local memory and Redis) and as login
throughput through gunicorn with customs on and off."""
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from accounts import onepw  # noqa: E402  (pure modules, no Django needed)
from auth_bench import (  # noqa: E402  (same folder)
    DATABASE, arguments, percentile, prepare_database, run_clients, start_server,
)

BENCH_REDIS = "redis://127.0.0.1:6379/5"  # the in-process checks' cache (flushed)
SERVER_REDIS = "redis://127.0.0.1:6379/6"  # the servers' cache and broker (flushed)
PASSWORD = "benchmark password"
ACCOUNTS = 16  # logins spread over them stay far below accountLogin's 50 per email a day
HUGE = 10000  # the grammar's largest maxAttempts, more than a case makes

ONE_RULE = "accountLogin : ip_email : {max} : 15 minutes : 15 minutes : block"
# The shape of the default accountLogin rules (ip_email, ip, email).
THREE_RULES = ";".join([
    "accountLogin : ip_email : {max} : 15 minutes : 15 minutes : block",
    "accountLogin : ip : {max} : 24 hours : 15 minutes : ban",
    "accountLogin : email : {max} : 24 hours : 24 hours : block",
])


def ip_of(n):
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


# In-process: one customs.check as /account/login makes it.

class Counts:
    """Cache operations (Django's API) and Redis commands (round trips) made meanwhile."""

    def __init__(self):
        self.cache_ops = 0
        self.redis_commands = 0


@contextmanager
def counting(cache, counts):
    """Count ``cache``'s top-level calls (not the ones it makes of itself: locmem's get_many
    calls get) and every command redis-py sends."""
    import redis

    depth = [0]
    originals = {}

    def wrap(name):
        method = getattr(cache, name)

        def counted(*args, **kwargs):
            if not depth[0]:
                counts.cache_ops += 1
            depth[0] += 1
            try:
                return method(*args, **kwargs)
            finally:
                depth[0] -= 1
        return counted

    for name in ("get", "get_many", "add", "incr", "set", "set_many", "delete", "delete_many"):
        originals[name] = cache.__dict__.get(name)
        setattr(cache, name, wrap(name))
    send = redis.Redis.execute_command

    def execute_command(self, *args, **options):
        counts.redis_commands += 1
        return send(self, *args, **options)

    redis.Redis.execute_command = execute_command
    try:
        yield
    finally:
        redis.Redis.execute_command = send
        for name in originals:
            del cache.__dict__[name]


def check_cost(alias, rules, values, count, *, block_first=False):
    """(µs per check, cache ops per check, Redis commands per check, share refused) of ``count``
    checks of accountLogin under ``rules``; ``values(n)`` is the (ip, email) of the n-th check.
    ``block_first``: sign in until the rules refuse, so that every timed check meets the block."""
    from django.core.cache import caches
    from django.test import override_settings

    from accounts import customs
    from accounts.services.context import RequestContext

    def one(n):
        ip, email = values(n)
        try:
            customs.check("accountLogin", RequestContext(ip_address=ip), email=email, unblockable=True)
        except customs.Blocked:
            return 1
        return 0

    sample = 200
    with override_settings(CUSTOMS_RULES=rules, RATELIMIT_USE_CACHE=alias):
        cache = caches[alias]
        cache.clear()
        # The first check of the value (the counters of a repeat case exist from here on).
        for attempt in range(100 if block_first else 1):
            if one(-1 - attempt):
                break
        else:
            assert not block_first, "the rules never refused: update the bench"
        start = time.perf_counter()
        refused = sum(one(n) for n in range(count))
        per_check = (time.perf_counter() - start) / count * 1e6
        counts = Counts()
        with counting(cache, counts):
            refused += sum(one(n) for n in range(count, count + sample))
        cache.clear()
    return (per_check, counts.cache_ops / sample, counts.redis_commands / sample,
            refused / (count + sample))


def in_process(count):
    """Print and return {(case, cache): cost} of one check, under local memory and Redis."""
    from django.conf import settings
    from django.test import override_settings

    backends = {
        "locmem": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "redis": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": BENCH_REDIS,
            "KEY_PREFIX": "fxa", "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        },
    }

    def fresh(n):  # a new (ip, email) each check: every counter starts
        return ip_of(n + 1000), f"user{n + 1000}@example.com"

    def same(n):  # one caller again and again: every counter exists
        return "10.1.1.1", "same@example.com"

    import redis

    client = redis.Redis.from_url(BENCH_REDIS)
    start = time.perf_counter()
    for _ in range(1000):
        client.ping()
    ping = (time.perf_counter() - start) * 1000
    with override_settings(CACHES={"default": settings.CACHES["default"], **backends}):
        from django.core.cache import caches

        cache = caches["redis"]
        start = time.perf_counter()
        for _ in range(1000):
            cache.get("customs-bench-absent")
        cache_get = (time.perf_counter() - start) * 1000
    # Django's Redis cache builds a redis.Redis client per call: most of a call's cost here.
    print(f"one Redis round trip: {ping:.0f} us with redis-py (PING), {cache_get:.0f} us as a "
          f"Django cache.get")
    default_rules = settings.CUSTOMS_RULES
    cases = [
        ("customs off (CUSTOMS_RULES=)", "", fresh, False),
        ("1 rule, a new value each check", ONE_RULE.format(max=HUGE), fresh, False),
        ("1 rule, the same value again", ONE_RULE.format(max=HUGE), same, False),
        ("3 rules (default accountLogin), new values", default_rules, fresh, False),
        ("3 rules, the same values again", THREE_RULES.format(max=HUGE), same, False),
        ("blocked (default rules, open ip_email block)", default_rules, same, True),
    ]
    print(f"\nOne customs.check('accountLogin', ..., unblockable=True) as /account/login makes it, "
          f"{count} per case (round trips counted over 200 more):")
    print(f"{'case':<46} {'cache':<7} {'us/check':>9} {'cache ops':>10} {'Redis cmds':>11} {'refused':>8}")
    results = {}
    with override_settings(CACHES={"default": settings.CACHES["default"], **backends}):
        for alias in backends:
            for name, rules, values, block_first in cases:
                cost = check_cost(alias, rules, values, count, block_first=block_first)
                results[(name, alias)] = cost
                print(f"{name:<46} {alias:<7} {cost[0]:9.1f} {cost[1]:10.1f} {cost[2]:11.1f} "
                      f"{cost[3]:8.0%}")
    return results


# Through gunicorn: /account/login with customs on and off.

def create_accounts():
    """ACCOUNTS verified accounts, made in-process as sign-up would; their (email, authPW hex)."""
    from accounts.services.accounts import create_account
    from accounts.services.context import RequestContext

    made = []
    for k in range(ACCOUNTS):
        email = f"customs.bench.{k}@example.com"
        auth_pw = onepw.auth_pw(onepw.quick_stretch_v1(email, PASSWORD))
        create_account(email, auth_pw, RequestContext(ip_address=ip_of(k)), pre_verified=True)
        made.append((email, auth_pw.hex()))
    return made


def login_cases(accounts, clients, batch):
    """Cases for client i of a run: every login from its own X-Forwarded-For address, the
    accounts taken in turn, so that no rule ever refuses one (``batch`` numbers the run)."""
    def cases(i):
        network = (batch * clients + i) % 250 + 1
        result = []
        for n in range(4000):
            email, auth_pw = accounts[(n * clients + i) % len(accounts)]
            headers = {"X-Forwarded-For": f"10.{network}.{n >> 8 & 255}.{n & 255}"}
            result.append(("POST", "/v1/account/login", {"email": email, "authPW": auth_pw}, headers))
        return result
    return cases


def throughput(accounts, env, args, rounds=2):
    """Both servers up at once over the same database; runs alternate between them."""
    servers = {"customs on (default rules)": (8767, {}), "customs off (CUSTOMS_RULES=)": (8768, {"CUSTOMS_RULES": ""})}
    processes = [start_server(port, args.workers, {**env, **extra}) for port, extra in servers.values()]
    batch = 0
    collected = {name: ([], {}, 0.0, []) for name in servers}
    try:
        for port, _ in servers.values():  # warm up every worker: imports, connections
            run_clients(port, login_cases(accounts, args.clients, batch), args.clients, 2)
            batch += 1
        for _ in range(rounds):
            for name, (port, _) in servers.items():
                latencies, errors, elapsed = run_clients(
                    port, login_cases(accounts, args.clients, batch), args.clients, args.seconds
                )
                batch += 1
                total, all_errors, total_elapsed, per_round = collected[name]
                total.extend(latencies)
                for status, count in errors.items():
                    all_errors[status] = all_errors.get(status, 0) + count
                per_round.append(len(latencies) / elapsed)
                collected[name] = (total, all_errors, total_elapsed + elapsed, per_round)
    finally:
        for process in processes:
            process.terminate()
            process.wait()
    print(f"\nPOST /v1/account/login, gunicorn {args.workers} sync workers per server, {args.clients} "
          f"client processes, {rounds} alternating runs of {args.seconds:g} s per server:")
    for name, (latencies, errors, elapsed, per_round) in collected.items():
        latencies.sort()
        if not latencies:
            print(f"{name:<30} no successful login (errors {errors})")
            continue
        rounds_text = ", ".join(f"{rps:.1f}" for rps in per_round)
        print(f"{name:<30} {len(latencies) / elapsed:7.1f} req/s (runs: {rounds_text})   "
              f"p50 {percentile(latencies, 0.5):7.1f} ms   p99 {percentile(latencies, 0.99):7.1f} ms   "
              f"({len(latencies)} ok, errors {errors or 'none'})")


def main():
    args = arguments(__doc__)
    env = {
        key: value for key, value in os.environ.items() if not key.startswith("CUSTOMS_")
    }
    env.update({
        "DJANGO_SETTINGS_MODULE": "fxa_project.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "REDIS_URL": SERVER_REDIS,
        "DEBUG": "false",
        "SECRET_KEY": "benchmark",
        "PUBLIC_URL": "http://127.0.0.1:8767",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "TRUSTED_PROXY_COUNT": "1",
        "SIGNIN_CONFIRMATION_SKIP_NEW_ACCOUNTS": str(10 * 365 * 24 * 3600),
    })
    for key in [key for key in os.environ if key.startswith("CUSTOMS_")]:
        del os.environ[key]
    os.environ.update(env)  # this process runs Django too (the in-process checks, the accounts)
    import django
    import redis

    prepare_database(env)
    django.setup()
    print(f"{os.cpu_count()} cores, PostgreSQL + Redis on loopback")
    redis.Redis.from_url(BENCH_REDIS).flushdb()
    in_process(count=2000)
    accounts = create_accounts()
    server_redis = redis.Redis.from_url(SERVER_REDIS)
    server_redis.flushdb()  # no counters from the sign-ups
    try:
        throughput(accounts, env, args)
    finally:
        server_redis.flushdb()


if __name__ == "__main__":
    main()
