"""Pruning, id_token verification for FxA web content, concurrency of code redemption, admin."""
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client as HttpClient
from django.utils import timezone

from oauth.models import AccessToken, AuthorizationCode, Client
from oauth.tasks import prune_expired_tokens
from tests import factories
from tests.helpers import ApiClient, assert_error, ok, race

from .conftest import code_for


@pytest.mark.django_db
def test_prune_expired_tokens(api, user, rp):
    client, secret = rp
    code_for(api, user, client)
    live = code_for(api, user, client)
    ok(api.post("/token", {"client_id": client.client_id, "client_secret": secret, "code": live}))
    AuthorizationCode.objects.update(expires=timezone.now() - timedelta(seconds=1))
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert prune_expired_tokens() == {"access_tokens": 1, "codes": 1}
    assert not AccessToken.objects.exists() and not AuthorizationCode.objects.exists()


@pytest.mark.django_db
def test_id_token_verify(api, user, rp, settings):
    client, secret = rp
    body = ok(api.post("/token", {"client_id": client.client_id, "client_secret": secret,
                                  "code": code_for(api, user, client)}))
    claims = ok(api.post("/oauth/id-token-verify", {"client_id": client.client_id,
                                                    "id_token": body["id_token"]}))
    assert claims["sub"] == user.uid and claims["iss"] == settings.OAUTH_ISSUER
    other, _ = factories.oauth_client("Other")
    assert_error(api.post("/oauth/id-token-verify", {"client_id": other.client_id,
                                                     "id_token": body["id_token"]}), 401, 110)


@pytest.mark.django_db(transaction=True)
def test_a_code_is_redeemed_once_under_concurrency():
    user = factories.account("race@example.com")
    client, secret = factories.oauth_client()
    code = code_for(ApiClient(), user, client)

    def attempt(_):
        return ApiClient().post("/token", {"client_id": client.client_id, "client_secret": secret,
                                           "code": code}).status_code

    assert sorted(race(5, attempt)) == [200, 400, 400, 400, 400]
    assert AccessToken.objects.count() == 1


@pytest.mark.django_db
def test_admin_lists_clients_and_tokens(rp):
    User.objects.create_superuser("staff", "staff@example.com", "pw")
    browser = HttpClient()
    browser.login(username="staff", password="pw")
    for path in ("client", "accesstoken", "refreshtoken", "authorizationcode"):
        assert browser.get(f"/admin/oauth/{path}/").status_code == 200, path
    page = browser.get(f"/admin/oauth/client/{rp[0].pk}/change/")
    assert page.status_code == 200 and rp[1] not in page.content.decode()


@pytest.mark.django_db
def test_admin_adds_clients_and_rotates_secrets_showing_each_secret_once(rp):
    User.objects.create_superuser("staff", "staff@example.com", "pw")
    browser = HttpClient()
    browser.login(username="staff", password="pw")
    form = {"name": "Admin RP", "client_type": "confidential",
            "redirect_uris": "https://admin-rp.example/cb", "allowed_scopes": "openid",
            "image_uri": "", "webhook_url": ""}
    page = browser.post("/admin/oauth/client/add/", form, follow=True)
    secret = re.search(r"shown only now: ([0-9a-f]{64})", page.content.decode()).group(1)
    client = Client.objects.get(name="Admin RP")
    assert client.check_secret(secret) and secret not in client.client_secret
    refused = browser.post("/admin/oauth/client/add/",
                           {**form, "name": "Bad", "redirect_uris": "http://rp.example/cb"})
    assert refused.status_code == 200 and not Client.objects.filter(name="Bad").exists()
    page = browser.post("/admin/oauth/client/", {"action": "rotate_secret",
                                                 "_selected_action": [client.pk]}, follow=True)
    rotated = re.search(r"shown only now: ([0-9a-f]{64})", page.content.decode()).group(1)
    client.refresh_from_db()
    assert rotated != secret and client.check_secret(rotated) and client.check_secret(secret)
