"""The Django admin: createsuperuser --noinput makes a staff user who can use it, and what support
staff do there reaches the clients (a session signed out from the admin is refused over /v1)."""
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from tests import factories
from tests.helpers import ApiClient, assert_error, ok

pytestmark = pytest.mark.django_db


@pytest.fixture
def support(client):
    """A signed-in superuser (no password: hashing one would only slow the tests down)."""
    staff = get_user_model().objects.create(username="support", is_staff=True, is_superuser=True)
    client.force_login(staff)
    return client


def test_a_session_signed_out_from_the_admin_is_refused_over_the_api(support):
    user = factories.account("signed-out-by-support@example.com")
    kept = factories.session(user)
    # The sessions list selects a session by a prefix of its tokenId (never the whole id).
    response = support.post(f"/admin/accounts/sessiontoken/?account={user.uid}",
                            {"action": "sign_out", "_selected_action": [user.session_key[:16]]})
    assert response.status_code == 302

    api = ApiClient()
    assert_error(api.get("/session/status", token=user.session_token), 401, 110)
    assert ok(api.get("/session/status", token=kept))["state"] == "verified"


def test_the_sessions_list_offers_each_session_to_select(support):
    user = factories.account("listed-for-support@example.com")
    factories.session(user)
    page = support.get("/admin/accounts/sessiontoken/", {"account": user.uid}).content.decode()
    selectable = re.findall(r'<input type="checkbox" name="_selected_action" value="([0-9a-f]+)"', page)
    assert len(selectable) == 2
    assert any(user.session_key.startswith(value) for value in selectable)
    assert user.session_id not in page


def test_admin_index_redirects_anonymous_users_to_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_createsuperuser_from_environment_can_log_in_to_admin(client, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "operator")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long admin password")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "operator@example.com")
    call_command("createsuperuser", interactive=False, verbosity=0)

    user = get_user_model().objects.get(username="operator")
    assert user.is_staff and user.is_superuser
    assert user.email == "operator@example.com"

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "operator", "password": "a long admin password", "next": "/admin/"},
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    response = client.get("/admin/")
    assert response.status_code == 200
    assert b"Site administration" in response.content
