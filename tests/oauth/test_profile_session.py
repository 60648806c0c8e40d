"""The profile routes with the session token of our own settings pages (``Bearer fxs_…``): the
account's whole profile, read and written, for a verified session at the account's assurance level."""
import io

import pytest
from django.test import Client as HttpClient
from PIL import Image

from accounts.models import SessionToken
from tests import factories
from tests.helpers import assert_error, ok

pytestmark = pytest.mark.django_db


def png(size=(40, 40)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_verified_session_reads_and_writes_the_profile(api, user):
    ok(api.post("/display_name", {"displayName": "Ada"}, token=user.session_token))
    profile = ok(api.get("/profile", token=user.session_token))
    assert profile["displayName"] == "Ada" and profile["email"] == user.email
    assert profile["avatarDefault"] is True and profile["avatar"].endswith("/v1/avatar/A")
    assert "sub" not in profile  # a session is no OAuth client

    uploaded = HttpClient().post("/v1/avatar/upload", data=png(), content_type="image/png",
                                 headers={"Authorization": f"Bearer fxs_{user.session_id}"})
    assert uploaded.status_code == 201, uploaded.content
    current = ok(api.get("/avatar", token=user.session_token))
    assert current["id"] == uploaded.json()["id"] and current["avatarDefault"] is False
    ok(api.delete(f"/avatar/{current['id']}", token=user.session_token))
    assert ok(api.get("/avatar", token=user.session_token))["avatarDefault"] is True


def test_an_unconfirmed_session_is_refused(api, user):
    token = factories.session(user, verified=False)
    response = api.post("/display_name", {"displayName": "Ada"}, token=token)
    assert assert_error(response, 403, 100)["reason"]


def test_a_two_step_account_needs_an_aal2_session(api, db):
    two_step = factories.account("two.step@example.com", totp=True)
    assert ok(api.get("/profile", token=factories.session(two_step, totp=True)))["email"]
    assert_error(api.get("/profile", token=factories.session(two_step)), 403, 100)


def test_an_unknown_or_destroyed_session_is_refused(api, user):
    assert_error(api.get("/profile", token="ab" * 32), 403, 100)
    SessionToken.objects.filter(pk=user.session_key).delete()
    assert_error(api.get("/profile", token=user.session_token), 403, 100)
