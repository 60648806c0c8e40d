"""``manage.py check --deploy`` with a complete production environment: no warning; what each
production default turns on; and the start-up check that mail cannot vanish."""
import json
import os
import secrets
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings as django_settings

from accounts.fields import new_key
from tests.live import OAUTH_SIGNING_KEY

VAPID_PRIVATE_KEY = ec.generate_private_key(ec.SECP256R1()).private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()

# What README "Running in production" asks an operator for.
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "PUBLIC_URL": "https://accounts.example.com",
    "DATABASE_URL": "postgres://fxa@db:5432/fxa",
    "REDIS_URL": "redis://redis:6379/0",
    "EMAIL_HOST": "smtp.example.com",
    "EMAIL_PORT": "587",
    "EMAIL_USE_TLS": "true",
    "OAUTH_SIGNING_KEY": OAUTH_SIGNING_KEY,
    "VAPID_PRIVATE_KEY": VAPID_PRIVATE_KEY,
    "FIELD_ENCRYPTION_KEYS": new_key(),
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
}
# The test run's own settings stay out of the child's environment.
INHERITED = ("PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV")


def manage(*args, **environment):
    env = {key: os.environ[key] for key in INHERITED if key in os.environ}
    env.update({key: value for key, value in environment.items() if value is not None})
    return subprocess.run([sys.executable, "manage.py", *args], cwd=django_settings.BASE_DIR,
                          env=env, capture_output=True, text=True, timeout=120)


def test_a_complete_production_environment_passes_the_deploy_checks_without_a_warning():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stderr + result.stdout
    # Exactly django-oauth-toolkit's eight RFC 9700 warnings that are false here (settings.py).
    assert "System check identified no issues (8 silenced)." in result.stdout


def test_without_hsts_subdomains_and_preload_the_deploy_checks_say_so():
    result = manage("check", "--deploy", **{**PRODUCTION, "SECURE_HSTS_INCLUDE_SUBDOMAINS": None,
                                            "SECURE_HSTS_PRELOAD": None})
    assert "security.W005" in result.stderr and "security.W021" in result.stderr
    assert "security.W004" not in result.stderr and "security.W008" not in result.stderr


PROBE = ("import json, fxa_project.settings as s; print(json.dumps([s.SECURE_SSL_REDIRECT, "
         "s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE]))")


@pytest.mark.parametrize("environment, expected", [
    ({}, [True, 31536000, True, True]),
    ({"SECURE_SSL_REDIRECT": "false", "SECURE_HSTS_SECONDS": "600"}, [False, 600, True, True]),
    ({"PUBLIC_URL": "http://127.0.0.1:8000"}, [False, 0, False, False]),
])
def test_https_defaults_follow_public_url(environment, expected):
    env = {key: os.environ[key] for key in INHERITED if key in os.environ}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=django_settings.BASE_DIR,
                            env={**env, **PRODUCTION, **environment}, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected


def test_probes_are_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/__lbheartbeat__").status_code == 200
    redirected = client.get("/v1/jwks")
    assert redirected.status_code == 301
    assert redirected["Location"] == "https://testserver/v1/jwks"


def test_production_without_smtp_fails_at_start_unless_the_mailbox_is_chosen():
    without_smtp = {**PRODUCTION, "EMAIL_HOST": None}
    refused = manage("check", **without_smtp)
    assert refused.returncode == 1
    assert "emails.E001" in refused.stderr and "EMAIL_DEV_MAILBOX=true" in refused.stderr
    chosen = manage("check", **without_smtp, EMAIL_DEV_MAILBOX="true")
    assert chosen.returncode == 0, chosen.stderr
