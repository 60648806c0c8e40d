"""``Cache-Control: no-store`` on every /v1 answer that may carry a token, a key or a code: all of
them, except the public documents that set their own caching."""
import pytest
from django.test import Client

from tests import factories
from tests.foundation.test_unstorable_input import ROUTES
from tests.helpers import ApiClient, ok, stretch

pytestmark = pytest.mark.django_db

# The signing keys, client names and avatar images are the same for everyone.
PUBLIC = {("/v1/jwks", "get"), ("/v1/client/{client_id}", "get"), ("/v1/avatar/{id}", "get")}


@pytest.mark.parametrize("path, method", [route for route in ROUTES if route not in PUBLIC])
def test_every_route_answers_no_store(path, method):
    url = path.replace("{", "").replace("}", "")
    response = Client(raise_request_exception=False).generic(method.upper(), url)
    assert "no-store" in response["Cache-Control"].split(", "), (method, url, response.status_code)


def test_the_public_documents_keep_their_caching():
    assert "max-age" in Client().get("/v1/jwks")["Cache-Control"]


def test_a_sign_in_with_keys_is_not_stored():
    user = factories.account("user@example.com", verified=True)
    auth_pw, _ = stretch(user.email, user.password)
    api = ApiClient()
    response = api.post("/account/login?keys=true", {"email": user.email, "authPW": auth_pw})
    assert "keyFetchToken" in ok(response)
    assert response.headers["Cache-Control"] == "no-store"
