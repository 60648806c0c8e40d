"""Dockerflow endpoints against the real PostgreSQL, Redis and broker; with one unreachable, unset
or broken."""
import json

import pytest
from django.core.cache import caches
from django.db import connection

from fxa_project.celery import app as celery_app
from tests.live import OAUTH_SIGNING_KEY, free_port

pytestmark = pytest.mark.django_db

CHECKS = {"check_database_connected", "check_migrations_applied", "check_redis_connected",
          "check_celery_broker", "check_signing_key"}


@pytest.fixture(autouse=True)
def signing_key(settings):
    settings.OAUTH_SIGNING_KEY = OAUTH_SIGNING_KEY


@pytest.fixture
def broker():
    """Tasks queued on the Celery broker (in-process tests run them eagerly otherwise). Restored
    here, not by monkeypatch: monkeypatch is torn down after tests/conftest.py's eager switch, and
    would leave tasks eager for the end-to-end tests that run next in this process."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield celery_app.conf
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def redis_down(settings):
    url = f"redis://127.0.0.1:{free_port()}/1"
    settings.REDIS_URL = url
    # Assigning CACHES fires setting_changed, which drops the cache connections already made.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


@pytest.mark.usefixtures("broker")
def test_heartbeat_is_200_with_every_check_ok(client):
    response = client.get("/__heartbeat__")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {name: "ok" for name in CHECKS}
    assert body["details"] == {}


def test_redis_unset_is_skipped_not_ok(client, settings):
    settings.REDIS_URL = None
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    response = client.get("/__heartbeat__")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["check_redis_connected"] == "skipped"
    assert body["details"]["check_redis_connected"]["status"] == "skipped"
    assert "REDIS_URL is unset" in body["details"]["check_redis_connected"]["messages"]["health.S001"]


def test_tasks_run_in_process_skip_the_broker_check(client):
    body = client.get("/__heartbeat__").json()
    assert body["checks"]["check_celery_broker"] == "skipped"
    assert "in the web process" in body["details"]["check_celery_broker"]["messages"]["health.S001"]


def test_heartbeat_is_500_naming_the_broker_when_it_is_down(client, broker, monkeypatch):
    monkeypatch.setitem(broker, "broker_url", f"redis://127.0.0.1:{free_port()}/1")
    response = client.get("/__heartbeat__")
    assert response.status_code == 500, response.content
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["check_celery_broker"] == "error"
    assert body["checks"]["check_redis_connected"] == "ok"
    assert "Celery broker" in body["details"]["check_celery_broker"]["messages"]["health.E003"]


def test_an_unset_signing_key_is_a_warning(client, settings):
    settings.OAUTH_SIGNING_KEY = None
    response = client.get("/__heartbeat__")
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["check_signing_key"] == "warning"


def test_an_unusable_signing_key_fails(client, settings):
    settings.OAUTH_SIGNING_KEY = "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----"
    response = client.get("/__heartbeat__")
    assert response.status_code == 500, response.content
    body = response.json()
    assert body["checks"]["check_signing_key"] == "error"
    assert "health.E004" in body["details"]["check_signing_key"]["messages"]


def test_heartbeat_really_uses_redis(client, settings):
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    client.get("/__heartbeat__")
    assert caches["default"].get("__heartbeat__") == "ok"


@pytest.mark.usefixtures("redis_down", "broker")
def test_heartbeat_is_500_naming_redis_when_redis_is_unreachable(client):
    response = client.get("/__heartbeat__")
    assert response.status_code == 500, response.content
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["check_redis_connected"] == "error"
    assert body["checks"]["check_database_connected"] == "ok"
    assert list(body["details"]) == ["check_redis_connected"]
    assert "Redis" in body["details"]["check_redis_connected"]["messages"]["health.E002"]
    # Only a database failure warrants dropping the (persistent) database connection.
    assert connection.is_usable()


def test_lbheartbeat_is_200(client):
    assert client.get("/__lbheartbeat__").status_code == 200


def test_version_answers_source_version_commit_and_build(client):
    response = client.get("/__version__")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert {"source", "version", "commit", "build"} <= body.keys()
    assert all(isinstance(body[key], str) for key in ("source", "version", "commit", "build"))


def test_version_prefers_the_build_written_version_json(client, settings, tmp_path):
    build = {"source": "https://example.com/fxa", "version": "1.2.3", "commit": "abc", "build": "42"}
    (tmp_path / "version.json").write_text(json.dumps(build))
    settings.BASE_DIR = tmp_path
    assert client.get("/__version__").json() == build
