"""The happy path of a confidential client, end to end in-process."""
import jwt
import pytest

from oauth import keys

from .conftest import REDIRECT, code_for

pytestmark = pytest.mark.django_db


def test_code_to_tokens_to_profile(api, user, rp):
    client, secret = rp
    code = code_for(api, user, client, access_type="offline", nonce="n0nce")
    response = api.post("/token", {"client_id": client.client_id, "client_secret": secret,
                                   "code": code, "redirect_uri": REDIRECT})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "bearer"
    assert len(body["access_token"]) == 64 and len(body["refresh_token"]) == 64
    claims = jwt.decode(body["id_token"], keys.current_key().private_key.public_key(),
                        algorithms=["RS256"], audience=client.client_id)
    assert claims["sub"] == user.uid and claims["nonce"] == "n0nce"
    profile = api.get("/profile", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert profile.json()["email"] == user.email
