"""/.well-known/change-password (W3C "A Well-Known URL for Changing Passwords"): password
managers open it to send the user to the page that changes the password."""
from django.conf import settings
from django.test import Client


def test_redirects_to_the_settings_password_page():
    response = Client().get("/.well-known/change-password")
    # The spec asks for 302, 303 or 307 (upstream answers 301).
    assert response.status_code in (302, 303, 307)
    assert response["Location"] == f"{settings.PUBLIC_URL}/settings/change_password"


def test_the_target_page_renders():
    # Without a session its script sends the user to sign in first, then back here.
    response = Client().get("/settings/change_password")
    assert response.status_code == 200
    # The settings page for now; the settings issue gives it its own module.
    assert 'data-page="settings' in response.content.decode()
