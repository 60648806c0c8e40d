"""/__heartbeat__ of gunicorn under the production settings: every check ok with the real services,
and the broker check failed when CELERY_BROKER_URL names a port nothing listens on (tcpmux,
port 1)."""
import pytest
import requests

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHECKS = {"check_database_connected", "check_migrations_applied", "check_redis_connected",
          "check_celery_broker", "check_signing_key"}


def test_every_check_is_ok_on_the_full_stack(live_stack):
    response = requests.get(live_stack.url + "/__heartbeat__", timeout=30)
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "checks": dict.fromkeys(CHECKS, "ok"), "details": {}}


@pytest.mark.live_stack(extra_env={"CELERY_BROKER_URL": "redis://127.0.0.1:1/0"}, worker=False)
def test_a_dead_broker_fails_the_heartbeat_not_the_lbheartbeat(live_stack):
    response = requests.get(live_stack.url + "/__heartbeat__", timeout=30)
    assert response.status_code == 500, response.text
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["check_celery_broker"] == "error"
    assert body["checks"]["check_redis_connected"] == "ok"
    assert list(body["details"]) == ["check_celery_broker"]
    assert requests.get(live_stack.url + "/__lbheartbeat__", timeout=30).status_code == 200
