"""/v1/authorized-clients[/destroy] and the OAuth entries of /v1/account/attached_clients."""
import pytest

from oauth.models import AccessToken, RefreshToken
from tests import factories
from tests.helpers import assert_error, ok

from .conftest import code_for

pytestmark = pytest.mark.django_db


def connect(api, user, client, secret, **params):
    return ok(api.post("/token", {"client_id": client.client_id, "client_secret": secret,
                                  "code": code_for(api, user, client, **params)}))


def test_lists_refresh_tokens_and_access_only_clients(api, user, rp):
    client, secret = rp
    other, other_secret = factories.oauth_client("Other RP")
    connect(api, user, client, secret, access_type="offline")
    connect(api, user, other, other_secret, scope="openid")
    connect(api, user, other, other_secret, scope="profile")
    entries = ok(api.post("/authorized-clients", token=user.session_token))
    assert len(entries) == 2
    by_name = {e["client_name"]: e for e in entries}
    refresh = RefreshToken.objects.get()
    assert by_name["Test RP"]["refresh_token_id"] == refresh.token_id
    assert by_name["Test RP"]["scope"] == ["openid", "profile"]
    assert "refresh_token_id" not in by_name["Other RP"]
    assert by_name["Other RP"]["scope"] == ["openid", "profile"]
    assert_error(api.post("/authorized-clients"), 401, 111)


def test_destroy_one_refresh_token_or_a_whole_client(api, user, rp):
    client, secret = rp
    connect(api, user, client, secret, access_type="offline")
    connect(api, user, client, secret, access_type="offline")
    first = RefreshToken.objects.first()
    ok(api.post("/authorized-clients/destroy", {"client_id": client.client_id,
                                                "refresh_token_id": first.token_id},
                token=user.session_token))
    assert RefreshToken.objects.count() == 1
    assert_error(api.post("/authorized-clients/destroy", {"client_id": client.client_id,
                                                          "refresh_token_id": first.token_id},
                          token=user.session_token), 400, 122)
    ok(api.post("/authorized-clients/destroy", {"client_id": client.client_id},
                token=user.session_token))
    assert not RefreshToken.objects.exists() and not AccessToken.objects.exists()


def test_attached_clients_show_and_revoke_oauth_grants(api, user, rp):
    client, secret = rp
    connect(api, user, client, secret, access_type="offline")
    refresh = RefreshToken.objects.get()
    entries = ok(api.get("/account/attached_clients", token=user.session_token))
    oauth_entry = next(e for e in entries if e["clientId"] == client.client_id)
    assert oauth_entry["refreshTokenId"] == refresh.token_id and oauth_entry["name"] == "Test RP"
    ok(api.post("/account/attached_client/destroy", {"clientId": client.client_id,
                                                     "refreshTokenId": refresh.token_id},
                token=user.session_token))
    assert not RefreshToken.objects.exists()
