"""All configuration, read from the environment.

Every knob is declared once with ``env()``: its variable name, its default and one line of
documentation (``CONFIGURATION`` collects them; the README's table and a test check it). A secret can
also come from a file: ``NAME_FILE=/path`` is read when ``NAME`` is unset.
"""
import json
import os
import secrets
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent

CONFIGURATION = {}


def env(name, default, doc, cast=str):
    """Read one setting from the environment, recording its documentation."""
    CONFIGURATION[name] = {"default": default, "doc": doc}
    value = os.environ.get(name)
    if value is None and os.environ.get(f"{name}_FILE"):
        value = Path(os.environ[f"{name}_FILE"]).read_text().strip()
    if value is None or value == "":
        return default
    if cast is bool:
        return value.strip().lower() in ("1", "true", "yes", "on")
    if cast is list:
        return [item.strip() for item in value.split(",") if item.strip()]
    return cast(value)


DEBUG = env("DEBUG", True, "Development mode. Set to false in production.", bool)

PUBLIC_URL = env(
    "PUBLIC_URL",
    "http://127.0.0.1:8000",
    "Base URL clients use to reach this server; links in emails, discovery documents and Hawk "
    "request signatures use it.",
).rstrip("/")
_public = urlsplit(PUBLIC_URL)
PUBLIC_HOST = (_public.hostname or "127.0.0.1").lower()
PUBLIC_PORT = _public.port or (443 if _public.scheme == "https" else 80)


DATA_DIR = Path(env(
    "DATA_DIR",
    str(BASE_DIR / "var"),
    "Directory for the files the server makes itself: the development keys (SECRET_KEY, "
    "VAPID_PRIVATE_KEY, OAUTH_SIGNING_KEY when unset and DEBUG is on). Git-ignored by default.",
))


def _development_key(name, generate):
    """The key in ``DATA_DIR/name``, made by ``generate()`` (text) the first time, so development
    sessions, push subscriptions and id_tokens survive restarts. Readable by its owner only;
    of processes starting together, the first to link its file wins and the others read it."""
    path = DATA_DIR / name
    if not path.exists():
        DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        draft = DATA_DIR / f".{name}.{os.getpid()}"
        draft.touch(mode=0o600)
        draft.write_text(generate())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


SECRET_KEY = env(
    "SECRET_KEY",
    None,
    "Django's signing key. Required when DEBUG is false; generated into DATA_DIR for development.",
)
if SECRET_KEY is None:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is false")
    SECRET_KEY = _development_key("secret_key", lambda: secrets.token_urlsafe(50))
FIELD_ENCRYPTION_KEYS = env(
    "FIELD_ENCRYPTION_KEYS",
    [],
    "Comma-separated keys, newest first, that encrypt the TOTP secrets and Hawk keys in the "
    "database (the first encrypts; any decrypts what it encrypted; `manage.py reencrypt_fields "
    "--new-key` makes one). Unset: derived from SECRET_KEY (a deploy check warns).",
    list,
)

ALLOWED_HOSTS = env(
    "ALLOWED_HOSTS",
    ["127.0.0.1", "localhost", "[::1]", PUBLIC_HOST],
    "Comma-separated host names this server answers to.",
    list,
)
CSRF_TRUSTED_ORIGINS = [f"{_public.scheme}://{_public.netloc}"]

DATABASES = {
    "default": dj_database_url.parse(
        env(
            "DATABASE_URL",
            f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
            "Database URL. PostgreSQL in production, e.g. postgres://fxa@db:5432/fxa.",
        ),
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The same backend, with the health check skipped on a connection used within the second.
    DATABASES["default"]["ENGINE"] = "accounts.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env(
    "REDIS_URL",
    None,
    "Redis URL for the cache, rate limits, Hawk nonces and (by default) the Celery broker. Unset: "
    "a local-memory cache and Celery tasks run in-process.",
)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "accounts.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "fxa",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env(
    "CELERY_BROKER_URL", REDIS_URL, "Celery broker URL; defaults to REDIS_URL."
)
# Without a broker, tasks run in the web process as soon as they are queued.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env(
    "CELERY_QUEUE", "fxa", "Name of the Celery queue the web processes send tasks to."
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "prune-expired-tokens": {"task": "accounts.tasks.prune_expired_tokens", "schedule": 3600.0},
    "prune-expired-device-commands": {
        "task": "accounts.devices.tasks.prune_expired_commands", "schedule": 3600.0
    },
    "requeue-stale-emails": {"task": "emails.tasks.requeue_stale_emails", "schedule": 60.0},
    "prune-expired-oauth-tokens": {"task": "oauth.tasks.prune_expired_tokens", "schedule": 3600.0},
    "purge-expired": {"task": "accounts.tasks.purge_expired", "schedule": 24 * 3600.0},
    "requeue-stale-webhooks": {"task": "oauth.tasks.requeue_stale_webhooks", "schedule": 60.0},
    "subscription-renewal-reminders": {
        "task": "subscriptions.tasks.send_renewal_reminders", "schedule": 3600.0
    },
}
# A dead broker must fail the request quickly (errno 151), not hang it.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 5}

EMAIL_HOST = env("EMAIL_HOST", None, "SMTP server. Unset: mail goes to the dev mailbox at /__mail__/.")
EMAIL_PORT = env("EMAIL_PORT", 25, "SMTP port.", int)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "", "SMTP user name.")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "", "SMTP password.")
EMAIL_USE_TLS = env("EMAIL_USE_TLS", False, "Use STARTTLS with the SMTP server (port 587).", bool)
EMAIL_USE_SSL = env(
    "EMAIL_USE_SSL", False, "Speak TLS from the first byte (implicit TLS, port 465).", bool
)
EMAIL_DEV_MAILBOX = env(
    "EMAIL_DEV_MAILBOX",
    False,
    "Keep mail in the development mailbox even with DEBUG false (readable in the admin only). "
    "With DEBUG false and no EMAIL_HOST, start-up checks fail unless this is true.",
    bool,
)
DEFAULT_FROM_EMAIL = env(
    "DEFAULT_FROM_EMAIL", "Mozilla accounts <accounts@localhost>", "Sender of every message."
)
EMAIL_TIMEOUT = env("EMAIL_TIMEOUT", 10, "Seconds an SMTP connection or command may take.", int)
EMAIL_MAX_AGE = env(
    "EMAIL_MAX_AGE",
    3 * 24 * 3600,
    "Seconds a message is retried before it is marked expired, unless what it carries (a code, "
    "a token) expires sooner.",
    int,
)
EMAIL_SEALING_KEY = env(
    "EMAIL_SEALING_KEY",
    [],
    "Comma-separated keys (newest first) that seal the codes and tokens of queued mail; older "
    "ones still open what they sealed. Unset: derived from SECRET_KEY.",
    list,
)
EMAIL_RETRY_BACKOFF = env(
    "EMAIL_RETRY_BACKOFF",
    10,
    "Seconds before the first retry of a failed delivery; doubled for each further retry.",
    float,
)
EMAIL_RETRY_BACKOFF_MAX = env(
    "EMAIL_RETRY_BACKOFF_MAX", 300, "Upper bound, in seconds, of the delay between retries.", float
)
EMAIL_REQUEUE_AFTER = env(
    "EMAIL_REQUEUE_AFTER",
    300,
    "Seconds a message may stay queued past its due time before Celery beat queues it again.",
    int,
)
# kombu's publish retries when the broker connection drops, before send_email gives up (151).
EMAIL_QUEUE_RETRY_POLICY = {
    "max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5
}
if EMAIL_HOST and not EMAIL_DEV_MAILBOX:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "emails.backends.DevMailboxBackend"
DEV_MAILBOX_ENABLED = EMAIL_BACKEND == "emails.backends.DevMailboxBackend" and DEBUG

BACKOFF_RETRY_AFTER = env(
    "BACKOFF_RETRY_AFTER",
    0,
    "Seconds; when non-zero every /v1 request answers 503 errno 201 with this Retry-After.",
    int,
)
# Overload protection of the server-side scrypt (accounts/services/scrypt_gate.py).
SCRYPT_MAX_CONCURRENT = env(
    "SCRYPT_MAX_CONCURRENT",
    os.cpu_count() or 1,
    "scrypt computations (~0.25 s of a core and 64 MiB each) one process runs at once.",
    int,
)
SCRYPT_MAX_PENDING = env(
    "SCRYPT_MAX_PENDING",
    2 * SCRYPT_MAX_CONCURRENT,
    "Requests of one process that may wait for a scrypt slot; any further one answers 503 "
    "errno 201 at once.",
    int,
)
SCRYPT_MAX_WAIT = env(
    "SCRYPT_MAX_WAIT",
    5.0,
    "Seconds a request waits for a scrypt slot before it answers 503 errno 201; also the "
    "Retry-After of those answers.",
    float,
)
HAWK_TIMESTAMP_SKEW = env(
    "HAWK_TIMESTAMP_SKEW",
    60,
    "Seconds a Hawk request's ts may differ from server time; nonces are remembered this long.",
    int,
)
SIGNIN_CONFIRMATION_SKIP_NEW_ACCOUNTS = env(
    "SIGNIN_CONFIRMATION_SKIP_NEW_ACCOUNTS",
    4 * 3600,
    "Seconds after sign-up during which new sign-ins need no confirmation.",
    int,
)
SIGNIN_CONFIRMATION_IP_RECENCY = env(
    "SIGNIN_CONFIRMATION_IP_RECENCY",
    72 * 3600,
    "Seconds during which a confirmed sign-in from an IP address exempts new ones from that IP.",
    int,
)
SESSION_TOKEN_WITHOUT_DEVICE_LIFETIME = env(
    "SESSION_TOKEN_WITHOUT_DEVICE_LIFETIME",
    28 * 24 * 3600,
    "Seconds a sessionToken without a device record lives (upstream: 4 weeks).",
    int,
)
SECURITY_EVENT_RETENTION_DAYS = env(
    "SECURITY_EVENT_RETENTION_DAYS",
    365,
    "Days an account's security events (GET /v1/securityEvents) are kept; `manage.py "
    "purge_expired` deletes older ones. 0: kept forever.",
    int,
)
PASSWORD_CHANGE_TOKEN_LIFETIME = 15 * 60  # seconds (upstream default)
PASSWORD_FORGOT_TOKEN_LIFETIME = 24 * 3600  # seconds (upstream default; older releases: 1 h)
PASSWORD_FORGOT_TOKEN_TRIES = 3  # wrong codes a passwordForgotToken survives
PASSWORD_FORGOT_OTP_LIFETIME = 10 * 60  # seconds an emailed 8-digit reset code lives
ACCOUNT_RESET_TOKEN_LIFETIME = 15 * 60  # seconds (upstream default)
MAX_REQUEST_BODY_BYTES = 16384  # upstream's payload limit (hawk.md §5)
EMAIL_BOUNCE_WEBHOOK_SECRET = env(
    "EMAIL_BOUNCE_WEBHOOK_SECRET",
    "",
    "Shared secret of POST /v1/emails/bounces (SES/SNS bounce and complaint notifications), sent "
    "as Authorization: Bearer <secret> or as the Basic password. Unset: the route answers 404.",
)

# Devices, their command queue and Web Push (accounts/devices).
PUSH_ALLOWED_SERVER_REGEX = env(
    "PUSH_ALLOWED_SERVER_REGEX",
    r"^https://[a-zA-Z0-9._-]+(\.services\.mozilla\.com|autopush\.dev\.mozaws\.net"
    r"|autopush\.stage\.mozaws\.net)(?::\d+)?(/.*)?$",
    "Regular expression a device's pushCallback URL must match (upstream's push.allowedServerRegex: "
    "Mozilla's push services).",
)
PUSH_EXTRA_ALLOWED_HOSTS = env(
    "PUSH_EXTRA_ALLOWED_HOSTS",
    [],
    "Comma-separated host names of further push services devices may register (https; plain http "
    "only for loopback hosts such as 127.0.0.1, for local and test push servers).",
    list,
)
PUSH_TIMEOUT = env("PUSH_TIMEOUT", 10, "Seconds a request to a push service may take.", float)


def _new_vapid_key():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


VAPID_PRIVATE_KEY = env(
    "VAPID_PRIVATE_KEY",
    None,
    "P-256 private key that signs push requests (VAPID): PEM, or base64url of the raw 32 bytes. "
    "Generated into DATA_DIR for development; unset in production: pushes are unsigned.",
)
if VAPID_PRIVATE_KEY is None and DEBUG:
    VAPID_PRIVATE_KEY = _development_key("vapid_private_key.pem", _new_vapid_key)
VAPID_SUBJECT = env(
    "VAPID_SUBJECT",
    "mailto:" + (parseaddr(DEFAULT_FROM_EMAIL)[1] or "accounts@localhost"),
    "Contact of this server for push services (VAPID sub claim): a mailto: or https: URL.",
)
DEVICE_COMMAND_MAX_TTL = env(
    "DEVICE_COMMAND_MAX_TTL",
    28 * 24 * 3600,
    "Seconds a device command stays queued at most (upstream's pushbox.maxTTL: 28 days).",
    int,
)

# Two-step authentication and MFA step-up tokens (accounts/twofactor).
TOTP_SERVICE_NAME = env(
    "TOTP_SERVICE_NAME",
    "Mozilla",
    "Issuer name authenticator apps show next to the account's TOTP codes (upstream's "
    "totp.serviceName).",
)
MFA_JWT_KEY = env(
    "MFA_JWT_KEY",
    "",
    "HMAC key that signs the short-lived MFA step-up JWTs of /v1/mfa/*. Unset: a key derived from "
    "SECRET_KEY.",
)
MFA_JWT_LIFETIME = env(
    "MFA_JWT_LIFETIME",
    600,
    "Seconds an MFA step-up JWT (from /v1/mfa/otp/verify) stays valid (upstream: 10 minutes).",
    int,
)

# OAuth 2.0 / OpenID Connect (oauth/).
def _new_oauth_signing_key():
    from oauth.crypto import generate_signing_key_pem

    return generate_signing_key_pem()


OAUTH_SIGNING_KEY = env(
    "OAUTH_SIGNING_KEY",
    None,
    "RSA private key (PEM) that signs id_tokens (RS256), published at /v1/jwks. Generated into "
    "DATA_DIR for development; `manage.py oauth_keys generate` makes one.",
)
if OAUTH_SIGNING_KEY is None and DEBUG:
    OAUTH_SIGNING_KEY = _development_key("oauth_signing_key.pem", _new_oauth_signing_key)
OAUTH_SIGNING_KEY_NEXT = env(
    "OAUTH_SIGNING_KEY_NEXT",
    None,
    "The next RSA signing key (PEM), published at /v1/jwks before it replaces OAUTH_SIGNING_KEY.",
)
OAUTH_SIGNING_KEY_OLD = env(
    "OAUTH_SIGNING_KEY_OLD",
    None,
    "The retired signing key's public key (PEM), still published at /v1/jwks so that what it "
    "signed verifies until it expires. `manage.py oauth_keys rotate` writes it; `retire` empties it.",
)
OAUTH_ISSUER = env(
    "OAUTH_ISSUER",
    PUBLIC_URL,
    "OpenID Connect issuer: the iss of every id_token and of the discovery document.",
).rstrip("/")
OAUTH_ACCESS_TOKEN_TTL = env(
    "OAUTH_ACCESS_TOKEN_TTL",
    365 * 60,
    "Maximum lifetime of an access token, in seconds (upstream: 365 minutes).",
    int,
)
OAUTH_CODE_TTL = env(
    "OAUTH_CODE_TTL", 15 * 60, "Seconds an authorization code stays valid (upstream: 15 min).", int
)
OAUTH_ID_TOKEN_TTL = env(
    "OAUTH_ID_TOKEN_TTL", 300, "Seconds an id_token stays valid (upstream: 5 minutes).", int
)
OAUTH_PPID_SALT = env(
    "OAUTH_PPID_SALT",
    "",
    "Salt of the pairwise subject identifiers of PPID clients. Unset: derived from SECRET_KEY.",
)
OAUTH_PPID_ROTATION_PERIOD = env(
    "OAUTH_PPID_ROTATION_PERIOD",
    6 * 3600,
    "Seconds between changes of the pairwise sub of rotating PPID clients (upstream: 6 hours).",
    int,
)
OAUTH_KEYED_SCOPES = env(
    "OAUTH_KEYED_SCOPES",
    "https://identity.mozilla.com/apps/oldsync https://identity.thunderbird.net/apps/sync",
    "Space-separated scopes that carry scoped keys (need a verified session; listed by "
    "/v1/account/scoped-key-data).",
).split()
OAUTH_PROMPT_NONE_CLIENTS = env(
    "OAUTH_PROMPT_NONE_CLIENTS",
    "",
    "Space-separated client ids allowed to use prompt=none with login_hint (any client may with "
    "id_token_hint).",
).split()
OAUTH_SCOPED_KEYS_REDIRECT_URIS = env(
    "OAUTH_SCOPED_KEYS_REDIRECT_URIS",
    {
        "https://identity.mozilla.com/apps/oldsync": [
            "urn:ietf:wg:oauth:2.0:oob:oauth-redirect-webchannel",
            "urn:ietf:wg:oauth:2.0:oob:pair-auth-webchannel",
        ],
        "https://identity.thunderbird.net/apps/sync": [
            "urn:ietf:wg:oauth:2.0:oob:oauth-redirect-webchannel",
        ],
    },
    "JSON object: per keyed scope, the redirect URIs a keys_jwe may be sent to (upstream's "
    "scopedKeys.validation); a keyed scope not listed gets no keys.",
    json.loads,
)
OAUTH_SYNC_TOKENSERVER_URL = env(
    "OAUTH_SYNC_TOKENSERVER_URL",
    "",
    "Sync tokenserver base URL (no /1.0/sync/1.5) announced in "
    "/.well-known/fxa-client-configuration; left out of it when empty.",
).rstrip("/")
OAUTH_PAIRING_SERVER_URL = env(
    "OAUTH_PAIRING_SERVER_URL",
    "wss://channelserver.services.mozilla.com",
    "Pairing channel server announced in /.well-known/fxa-client-configuration.",
)
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth.Client"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth.RefreshToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth.AuthorizationCode"
OAUTH2_PROVIDER = {
    "APPLICATION_ADMIN_CLASS": "oauth.admin.ClientAdmin",
    "ACCESS_TOKEN_ADMIN_CLASS": "oauth.admin.AccessTokenAdmin",
    "REFRESH_TOKEN_ADMIN_CLASS": "oauth.admin.RefreshTokenAdmin",
    "GRANT_ADMIN_CLASS": "oauth.admin.AuthorizationCodeAdmin",
}

# Relying-party events: Security Event Tokens POSTed to the clients' webhook URLs (events.md).
WEBHOOK_ISSUER = env(
    "WEBHOOK_ISSUER",
    OAUTH_ISSUER,
    "The iss of the Security Event Tokens sent to webhooks; defaults to OAUTH_ISSUER.",
)
WEBHOOK_RETENTION = env(
    "WEBHOOK_RETENTION",
    7 * 24 * 3600,
    "Seconds an undelivered webhook event is retried before it is dropped (Pub/Sub's 7 days).",
    int,
)
WEBHOOK_RETRY_BACKOFF = env(
    "WEBHOOK_RETRY_BACKOFF", 10, "Seconds before the first retry of a failed webhook delivery.", int
)
WEBHOOK_RETRY_BACKOFF_MAX = env(
    "WEBHOOK_RETRY_BACKOFF_MAX", 600, "Cap, in seconds, of the webhook retries' doubling delay.", int
)
WEBHOOK_REQUEUE_AFTER = env(
    "WEBHOOK_REQUEUE_AFTER",
    120,
    "Seconds a webhook delivery may stay pending past its due time before Celery beat queues it "
    "again (a killed worker, a lost task).",
    int,
)
WEBHOOK_CONNECT_TIMEOUT = env(
    "WEBHOOK_CONNECT_TIMEOUT", 5, "Seconds a webhook connection may take to open.", float
)
WEBHOOK_READ_TIMEOUT = env(
    "WEBHOOK_READ_TIMEOUT", 10, "Seconds a relying party may take to answer a webhook.", float
)
WEBHOOK_CONCURRENCY_PER_CLIENT = env(
    "WEBHOOK_CONCURRENCY_PER_CLIENT",
    4,
    "Deliveries in flight at once to one relying party, so a slow one cannot hold every worker.",
    int,
)
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env(
    "WEBHOOK_ALLOW_PRIVATE_ADDRESSES",
    DEBUG,
    "Deliver webhooks to loopback, private and link-local addresses (local and test RPs); off in "
    "production, against server-side request forgery.",
    bool,
)

# Customs: rate limits and blocks (customs.md; accounts/customs/).
CUSTOMS_RULES = env(
    "CUSTOMS_RULES",
    str(BASE_DIR / "accounts" / "customs" / "default_rules.txt"),
    "Rate-limit rules in upstream's grammar (action : blockOn : max : window : ban [: policy]): "
    "a file path, or the rules themselves (a value containing ':', rules separated by newlines "
    "or ';'). Set but empty (`CUSTOMS_RULES=`): customs is off.",
)
if os.environ.get("CUSTOMS_RULES") == "":  # env() reads an empty value as unset
    CUSTOMS_RULES = ""
CUSTOMS_IGNORE_IPS = env(
    "CUSTOMS_IGNORE_IPS", [], "Comma-separated client IPs or CIDR ranges never rate limited.", list
)
CUSTOMS_IGNORE_EMAILS = env(
    "CUSTOMS_IGNORE_EMAILS", [],
    "Comma-separated regular expressions; an email matching one is never rate limited.", list,
)
CUSTOMS_IGNORE_UIDS = env(
    "CUSTOMS_IGNORE_UIDS", [], "Comma-separated account uids never rate limited.", list
)
CUSTOMS_EMAIL_ALIAS_DOMAINS = env(
    "CUSTOMS_EMAIL_ALIAS_DOMAINS",
    ["gmail.com", "googlemail.com"],
    "Comma-separated mail domains where a +tag in the address is dropped before counting (and, "
    "for Gmail, dots), so aliases of one mailbox share its limits.",
    list,
)
CUSTOMS_KEY_PREFIX = env(
    "CUSTOMS_KEY_PREFIX", "customs", "Prefix of the customs counters and blocks in the cache."
)
CUSTOMS_BLOCKLIST_REFRESH = env(
    "CUSTOMS_BLOCKLIST_REFRESH",
    5.0,
    "Seconds a process uses its copy of the customs blocklist before it looks (one cache read) "
    "whether an operator changed it; 0: look on every check.",
    float,
)
TRUSTED_PROXY_COUNT = env(
    "TRUSTED_PROXY_COUNT",
    0,
    "Number of reverse proxies in front of the server that append to X-Forwarded-For. The client "
    "IP is the address that many hops from the right of it; 0: REMOTE_ADDR, the header ignored.",
    int,
)
# django-ratelimit counts for customs: in the shared cache, failing open when the cache is down.
RATELIMIT_USE_CACHE = "default"
RATELIMIT_FAIL_OPEN = True
RATELIMIT_CACHE_PREFIX = f"{CUSTOMS_KEY_PREFIX}:rl:"

# Web pages: /metrics-flow (events.md §4).
FLOW_ID_KEY = env(
    "FLOW_ID_KEY",
    "",
    "HMAC key of the flowId that /metrics-flow hands out (upstream's flow_id_key / "
    "metrics.flow_id_key). Unset: a key derived from SECRET_KEY.",
)
ALLOWED_METRICS_FLOW_ORIGINS = [
    origin.rstrip("/").lower()
    for origin in env(
        "ALLOWED_METRICS_FLOW_ORIGINS",
        [],
        "Comma-separated origins (scheme://host[:port]) whose pages may read /metrics-flow, in "
        "addition to http://127.0.0.1:8001, http://localhost:8000, http://127.0.0.1:8000 and "
        "requests without an Origin (or Origin null).",
        list,
    )
]

LOG_FORMAT = env(
    "LOG_FORMAT",
    "text" if DEBUG else "json",
    "json (mozlog, for production) or text.",
)
LOG_LEVEL = env("LOG_LEVEL", "INFO", "Root log level.")
METRICS_TOKEN = env(
    "METRICS_TOKEN",
    "",
    "Bearer token that GET /__metrics__ (Prometheus) requires. Unset: the route answers 404.",
)
WORKER_METRICS_PORT = env(
    "WORKER_METRICS_PORT",
    None,
    "Set on a Celery worker: the port where it serves its own /__metrics__ (task outcomes, mail "
    "sent), behind METRICS_TOKEN. Unset: the worker serves no metrics.",
    int,
)
# Subscriptions (subscriptions/stripe_gateway.py).
STRIPE_API_KEY = env(
    "STRIPE_API_KEY", "", "Stripe secret key (sk_...). Unset: the subscription routes answer errno 202 (503)."
)
STRIPE_API_BASE = env(
    "STRIPE_API_BASE", "https://api.stripe.com", "Base URL of the Stripe API (tests: localstripe)."
)
STRIPE_WEBHOOK_SECRET = env(
    "STRIPE_WEBHOOK_SECRET", "", "Signing secret (whsec_...) of the Stripe webhook endpoint."
)
STRIPE_MAX_NETWORK_RETRIES = env(
    "STRIPE_MAX_NETWORK_RETRIES", 2, "Times the Stripe library retries a failed request.", int
)
STRIPE_PUBLISHABLE_KEY = env(
    "STRIPE_PUBLISHABLE_KEY", "", "Stripe publishable key (pk_...) that Stripe.js uses on the subscription pages."
)
STRIPE_JS_URL = env(
    "STRIPE_JS_URL",
    "https://js.stripe.com/v3/",
    "Where the subscription pages load Stripe.js from (tests: localstripe's fake one). Its origin, "
    "and STRIPE_API_BASE's, are the only others those pages' Content-Security-Policy allows.",
)
SUBSCRIPTIONS_SHARED_SECRET = env(
    "SUBSCRIPTIONS_SHARED_SECRET",
    "",
    "The Authorization value GET /v1/oauth/subscriptions/clients requires (the event broker's). "
    "Unset: that route refuses every caller.",
)
SUBSCRIPTIONS_PLANS_CACHE_SECONDS = env(
    "SUBSCRIPTIONS_PLANS_CACHE_SECONDS",
    3600,
    "Seconds the local copy of Stripe's products and plans is used before it is fetched again "
    "(product and plan webhooks refresh it at once).",
    int,
)
SUBSCRIPTIONS_RENEWAL_REMINDER_DAYS = env(
    "SUBSCRIPTIONS_RENEWAL_REMINDER_DAYS",
    14,
    "Days before a long plan renews that its subscriber is reminded, once per period (the "
    "hourly beat job). 0: no renewal reminders.",
    int,
)
SUBSCRIPTIONS_RENEWAL_REMINDER_MIN_PLAN_DAYS = env(
    "SUBSCRIPTIONS_RENEWAL_REMINDER_MIN_PLAN_DAYS",
    180,
    "Shortest plan, in days (a month counts 30, a year 365), whose renewals are reminded.",
    int,
)

SUBSCRIPTIONS_CURRENCY_COUNTRIES = env(
    "SUBSCRIPTIONS_CURRENCY_COUNTRIES",
    {
        "USD": ["US", "GB", "NZ", "MY", "SG", "CA", "AS", "GU", "MP", "PR", "VI"],
        "EUR": ["AT", "BE", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "HR", "IE", "IT", "LT",
                "LU", "LV", "MT", "NL", "PT", "SI", "SK"],
        "CHF": ["CH"],
    },
    "JSON object: currency code -> the card and geo-IP countries that may pay in it (upstream's "
    "currenciesToCountries). A card of another country is refused with errno 211.",
    lambda value: {currency.upper(): [country.upper() for country in countries]
                   for currency, countries in json.loads(value).items()},
)
SUBSCRIPTIONS_TAX_IDS = env(
    "SUBSCRIPTIONS_TAX_IDS",
    {},
    "JSON object: currency code -> the seller's tax id printed on the invoices in that currency "
    "(a \"Tax ID\" custom field set on each customer at its first card, upstream's taxIds).",
    lambda value: {currency.upper(): str(tax_id) for currency, tax_id in json.loads(value).items()},
)
SUBSCRIPTIONS_UNSUPPORTED_LOCATIONS = [country.upper() for country in env(
    "SUBSCRIPTIONS_UNSUPPORTED_LOCATIONS", [],
    "Comma-separated countries where subscriptions are not offered: previews from there answer "
    "errno 213.", list,
)]
SUBSCRIPTIONS_GEO_COUNTRY_HEADER = env(
    "SUBSCRIPTIONS_GEO_COUNTRY_HEADER", "",
    "Request header in which the proxy in front gives the client's geo-IP country (e.g. "
    "CF-IPCountry): the location of anonymous invoice previews and of new Stripe customers, "
    "for Stripe Tax. Unset: no location, and previews without a customer carry no tax.",
)
SUBSCRIPTIONS_GEO_POSTAL_CODE_HEADER = env(
    "SUBSCRIPTIONS_GEO_POSTAL_CODE_HEADER", "",
    "Request header with the client's geo-IP postal code (Stripe Tax needs both).",
)

# /__version__ (dockerflow's view): version.json, or what git knows of a checkout without one.
DOCKERFLOW_VERSION_CALLBACK = "accounts.health.get_version"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "accounts",
    "accounts.devices",
    "accounts.twofactor",
    "emails",
    "oauth2_provider",
    "oauth",
    "subscriptions",
]

MIDDLEWARE = [
    "accounts.monitoring.RequestMonitoringMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "accounts.middleware.ApiEdgeMiddleware",
    "accounts.middleware.PageSecurityMiddleware",
    "accounts.middleware.SessionMiddleware",
    "accounts.middleware.LanguageOverrideMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "accounts.middleware.AuthenticationMiddleware",
    "accounts.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "fxa_project.urls"
WSGI_APPLICATION = "fxa_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

LANGUAGE_CODE = "en"
# The languages with a complete catalog in locale/ (pages, their scripts and the mails).
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env(
    "STATIC_ROOT",
    str(BASE_DIR / "staticfiles"),
    "Directory collectstatic writes the static files to, and whitenoise serves them from.",
))
STATIC_MANIFEST = env(
    "STATIC_MANIFEST",
    not DEBUG,
    "Serve what collectstatic wrote to STATIC_ROOT: hashed names, cached for a year, and gzip and "
    "Brotli variants. False: serve static/ as it is, without collectstatic (development, the "
    "tests). Default: on when DEBUG is off.",
    bool,
)
if STATIC_MANIFEST:
    # Only the entry scripts ({% static %} in templates) get hashed URLs. main.js reaches its page
    # module by a computed import(`./pages/${page}.js`), which no rewrite can hash, so the modules
    # below it load by their plain names (collectstatic keeps both copies; whitenoise caches plain
    # names for a minute). support_js_module_import_aggregation stays off: it would point only the
    # hashed copies' imports at hashed names, so a module shared with that plain graph would load
    # under two URLs, as two instances with split state (session.js's listeners).
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
# whitenoise serves /static/ from gunicorn too: the collected tree, or without the manifest the
# source tree through the finders, before any collectstatic.
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
WHITENOISE_MIMETYPES = {".js": "text/javascript", ".mjs": "text/javascript"}
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "accounts.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["accounts.parsers.JsonBodyParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "accounts.parsers.FirstRendererNegotiation",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "accounts.openapi.ApiSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Mozilla accounts (self-hosted) API",
    "DESCRIPTION": "The /v1 auth-server API, wire-compatible with upstream Mozilla accounts.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "dockerflow.logging.MozlogFormatter", "logger_name": "fxa"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "filters": {"request_id": {"()": "dockerflow.logging.RequestIdLogFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Every 4xx answer would otherwise be logged as a warning.
        "django.request": {"level": "ERROR"},
        # One mozlog line per request (accounts/monitoring.py), in JSON only (never CRITICAL: off):
        # in development runserver logs each request itself.
        "request.summary": {"level": "INFO" if LOG_FORMAT == "json" else "CRITICAL"},
    },
}

if not DEBUG:
    SESSION_COOKIE_SECURE = _public.scheme == "https"
    CSRF_COOKIE_SECURE = _public.scheme == "https"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# HTTPS in production (README "Deploy checks"): on by default when PUBLIC_URL is https.
_https_production = _public.scheme == "https" and not DEBUG
SECURE_SSL_REDIRECT = env(
    "SECURE_SSL_REDIRECT",
    _https_production,
    "Redirect plain-http requests to https (not /__heartbeat__, /__lbheartbeat__, /__version__ "
    "and /__metrics__, which probes reach over the internal network). Default: on when "
    "PUBLIC_URL is https and DEBUG is off.",
    bool,
)
SECURE_REDIRECT_EXEMPT = [r"^__(lb)?heartbeat__$", r"^__version__$", r"^__metrics__$"]
SECURE_HSTS_SECONDS = env(
    "SECURE_HSTS_SECONDS",
    365 * 24 * 3600 if _https_production else 0,
    "max-age of the Strict-Transport-Security header of https answers; 0: no header. Default: "
    "a year when PUBLIC_URL is https and DEBUG is off.",
    int,
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    False,
    "Extend HSTS to every subdomain of the PUBLIC_URL host (only if all of them serve https).",
    bool,
)
SECURE_HSTS_PRELOAD = env(
    "SECURE_HSTS_PRELOAD",
    False,
    "Add preload to HSTS, as browsers' preload lists require (hard to undo: read hstspreload.org).",
    bool,
)
# django-oauth-toolkit's RFC 9700 deploy warnings that are false here (README "Deploy checks").
# DOT's own views and its OAuthLibCore are not routed: oauth/ runs oauthlib with its own endpoints
# (oauth/grants.py), so DOT's COMPLIANT_BCP_RFC9700_* switches would change nothing.
SILENCED_SYSTEM_CHECKS = [
    # Implicit grant: grants.authorization_endpoint knows response_type=code alone, and
    # services.check_authorization_request refuses any other (errno 110).
    "oauth2_provider.W001",
    # Password grant: grants.token_endpoint runs authorization_code, refresh_token and
    # fxa-credentials (the user's session, not a password) only.
    "oauth2_provider.W002",
    # PKCE plain: services.check_pkce_request accepts code_challenge_method=S256 alone.
    "oauth2_provider.W003",
    # Tokens in the query string: access tokens are read from the Authorization header
    # (oauth/profile/authentication.py) or a POST body (/v1/verify, /v1/introspect), never a URI.
    "oauth2_provider.W004",
    # The RFC 9207 iss parameter: true, kept as upstream (its clients neither expect nor check it;
    # tests/oauth pin the response to code and state). The mix-up it prevents only threatens a
    # client of several servers, which can use a redirect URI per server (RFC 9700 §4.4.2).
    "oauth2_provider.W005",
    # Plaintext storage: codes, access and refresh tokens are stored as SHA-256 only
    # (oauth/models.py token_id, grants.save_bearer_token); DOT's token columns are removed.
    "oauth2_provider.W006",
    # Refresh-token replay detection: refresh tokens are never rotated (as upstream), so there is
    # no spent token to replay; each is revocable (/v1/destroy, /v1/account/attached_client/destroy).
    "oauth2_provider.W007",
    # http redirect URIs: oauth.models.validate_client_url allows http on loopback hosts only
    # (native apps, RFC 8252 §7.3, which RFC 9700 §2.1 allows), https everywhere else.
    "oauth2_provider.W008",
]
