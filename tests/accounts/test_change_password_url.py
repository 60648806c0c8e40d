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
    assert 'data-page="settings_change_password"' in response.content.decode()


def test_linked_settings_paths_redirect_to_their_page():
    # Firefox links to /settings/avatar/change, our mails to /settings/clients.
    client = Client()
    avatar = client.get("/settings/avatar/change?utm_source=firefox")
    assert avatar.status_code == 302
    assert avatar["Location"] == f"{settings.PUBLIC_URL}/settings/avatar?utm_source=firefox"
    clients = client.get("/settings/clients")
    assert clients["Location"] == f"{settings.PUBLIC_URL}/settings#connected-services"
