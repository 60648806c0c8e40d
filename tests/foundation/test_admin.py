"""The Django admin answers, and createsuperuser --noinput makes a staff user who can use it."""
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_admin_login_page_answers(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert b'name="password"' in response.content


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
