"""The profile server's routes (oauth.md §10): /v1/profile, /email, /uid, /display_name, /avatar,
the avatar upload and the public images, with their scopes and profile-server errnos."""
import hashlib
import io
import json
import os
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.utils import timezone
from PIL import Image, PngImagePlugin

from accounts import hashing
from accounts.models import Account, Avatar
from oauth import crypto
from oauth.models import AccessToken
from oauth.profile import services as profile_services
from tests import factories
from tests.helpers import assert_error, ok

from .conftest import code_for

pytestmark = pytest.mark.django_db

DEFAULT_AVATAR = f"{settings.PUBLIC_URL}/v1/avatar/{'0' * 32}"


def access_token(user, scope, *, expires_in=3600):
    """An access token of a trusted client, as /v1/token would issue it."""
    client = factories.oauth_client(trusted=True, scope="")[0]
    value = crypto.random_hex()
    AccessToken.objects.create(
        token_id=hashing.digest(hashing.OAUTH_TOKEN, value), application=client,
        account=user.account, scope=scope,
        expires=timezone.now() + timedelta(seconds=expires_in),
    )
    return value


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def upload(token, body, content_type="image/png"):
    return HttpClient().post("/v1/avatar/upload", data=body, content_type=content_type,
                             headers=bearer(token))


def image_bytes(size=(800, 400), fmt="PNG", mode="RGB", **save):
    buffer = io.BytesIO()
    Image.new(mode, size, (200, 30, 60)).save(buffer, fmt, **save)
    return buffer.getvalue()


@pytest.fixture
def pushes(monkeypatch):
    """The accounts pushed ``profile_updated`` to."""
    sent = []
    monkeypatch.setattr(profile_services.notifications, "profile_updated", sent.append)
    return sent


def changed_at(user):
    return Account.objects.get(pk=user.uid).profile_changed_at


# GET /v1/profile


@pytest.mark.parametrize("scope, fields", [
    ("profile", {"uid", "email", "locale", "metricsEnabled", "amrValues",
                 "twoFactorAuthentication", "displayName", "avatar", "avatarDefault"}),
    ("profile:email", {"email", "metricsEnabled"}),
    ("profile:display_name", {"displayName"}),
    ("profile:avatar", {"avatar", "avatarDefault"}),
    ("openid profile:uid", {"uid", "sub"}),
    ("openid", {"sub"}),
])
def test_profile_fields_follow_scopes(api, user, scope, fields):
    Account.objects.filter(pk=user.uid).update(display_name="Ada")
    body = ok(api.get("/profile", headers=bearer(access_token(user, scope))))
    assert set(body) == fields
    assert body.get("displayName", "Ada") == "Ada" and body.get("sub", user.uid) == user.uid


@pytest.mark.parametrize("totp", [False, True])
def test_profile_is_four_queries(api, totp, django_assert_num_queries):
    # The token with its client, account and two-step state; the primary address; the avatar;
    # the subscriptions. (bench/hot_path.py's profile case.)
    user = factories.account(totp=totp)
    token = access_token(user, "profile")
    with django_assert_num_queries(4):
        body = ok(api.get("/profile", headers=bearer(token)))
    assert body["twoFactorAuthentication"] is totp
    assert body["amrValues"] == ["pwd", "email"] + (["otp"] if totp else [])


def test_profile_omits_an_unset_display_name(api, user):
    assert "displayName" not in ok(api.get("/profile", headers=bearer(access_token(user, "profile"))))


def test_profile_through_the_authorization_code_flow(api, user, rp):
    client, secret = rp
    tokens = ok(api.post("/token", {"client_id": client.client_id, "client_secret": secret,
                                    "code": code_for(api, user, client)}))
    body = ok(api.get("/profile", headers=bearer(tokens["access_token"])))
    assert body["sub"] == body["uid"] == user.uid and body["email"] == user.email
    assert body["avatar"] == f"{settings.PUBLIC_URL}/v1/avatar/o" and body["avatarDefault"] is True


def test_profile_needs_a_profile_scope(api, user):
    token = access_token(user, "https://identity.mozilla.com/apps/oldsync")
    response = api.get("/profile", headers=bearer(token))
    # Upstream's scope check is its framework's 403, without a profile errno.
    body = assert_error(response, 403, 999)
    assert body["message"] == "Insufficient scope"
    assert response["WWW-Authenticate"] == 'Bearer error="insufficient_scope", scope="profile"'


def test_profile_etag_and_not_modified(api, user):
    token = access_token(user, "profile")
    response = api.get("/profile", headers=bearer(token))
    body = ok(response)
    digest = hashlib.sha1(json.dumps(body, separators=(",", ":")).encode()).hexdigest()
    assert response["ETag"] == f'"{digest}"' and response["Last-Modified"]
    again = api.get("/profile", headers={**bearer(token), "If-None-Match": response["ETag"]})
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == response["ETag"]
    ok(api.post("/display_name", {"displayName": "Ada"}, headers=bearer(access_token(
        user, "profile:display_name:write"))))
    changed = api.get("/profile", headers={**bearer(token), "If-None-Match": response["ETag"]})
    assert ok(changed)["displayName"] == "Ada" and changed["ETag"] != response["ETag"]


def test_answers_carry_cors_and_no_store(api, user):
    response = api.get("/profile", headers=bearer(access_token(user, "profile")))
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "no-store" in response["Cache-Control"]
    assert api.get("/profile")["Access-Control-Allow-Origin"] == "*"


# Tokens and scopes


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Basic Zm9vOmJhcg=="},
    {"Authorization": "Bearer " + "ab" * 32},
    {"Authorization": "Bearer "},
])
def test_missing_or_unknown_token_is_errno_100(api, headers):
    response = api.get("/profile", headers=headers)
    body = assert_error(response, 403, 100)
    assert body["message"] == "Unauthorized" and body["reason"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_is_errno_100(api, user):
    response = api.get("/email", headers=bearer(access_token(user, "profile", expires_in=-1)))
    assert assert_error(response, 403, 100)["reason"] == "Expired token"
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.parametrize("method, path, scope, other", [
    ("GET", "/email", "profile:email", "profile:uid"),
    ("GET", "/uid", "profile:uid", "profile:email"),
    ("GET", "/display_name", "profile:display_name", "profile:avatar"),
    ("POST", "/display_name", "profile:display_name:write", "profile"),
    ("GET", "/avatar", "profile:avatar", "profile:display_name"),
    ("DELETE", f"/avatar/{'a' * 32}", "profile:avatar:write", "profile"),
])
def test_each_route_needs_its_scope(api, user, method, path, scope, other):
    data = {"displayName": "Ada"} if method == "POST" else None
    refused = api.request(method, path, data, headers=bearer(access_token(user, other)))
    assert assert_error(refused, 403, 999)["message"] == "Insufficient scope"
    allowed = api.request(method, path, data, headers=bearer(access_token(user, scope)))
    assert allowed.status_code in (200, 204, 404), allowed.content


def test_write_scopes_imply_their_read_scopes(api, user):
    assert ok(api.get("/email", headers=bearer(access_token(user, "profile:write"))))["email"]


def test_email_and_uid(api, user):
    token = access_token(user, "profile")
    assert ok(api.get("/email", headers=bearer(token))) == {"email": user.email}
    assert ok(api.get("/uid", headers=bearer(token))) == {"uid": user.uid}


# Display name


def test_display_name_set_get_and_clear(api, user, pushes):
    token = access_token(user, "profile:display_name profile:display_name:write")
    before = changed_at(user)
    assert api.get("/display_name", headers=bearer(token)).status_code == 204
    assert ok(api.post("/display_name", {"displayName": "Ada Lovelace 🧮"}, headers=bearer(token))) == {}
    response = api.get("/display_name", headers=bearer(token))
    assert ok(response) == {"displayName": "Ada Lovelace 🧮"}
    assert response["ETag"].strip('"') == hashlib.sha1("Ada Lovelace 🧮".encode()).hexdigest()
    assert changed_at(user) > before and pushes == [user.uid]
    ok(api.post("/display_name", {"displayName": "Ada Lovelace 🧮"}, headers=bearer(token)))
    assert pushes == [user.uid]  # unchanged: nothing to announce
    ok(api.post("/display_name", {"displayName": ""}, headers=bearer(token)))
    assert api.get("/display_name", headers=bearer(token)).status_code == 204
    assert pushes == [user.uid, user.uid]


@pytest.mark.parametrize("body", [
    {},
    {"displayName": None},
    {"displayName": 42},
    {"displayName": "bell\u0007"},
    {"displayName": "line\u2028break"},
    {"displayName": "private\ue000use"},
    {"displayName": "special\ufffe"},
    {"displayName": "x" * 257},
    {"displayName": "🧮" * 129},  # 258 UTF-16 code units, as upstream counts
])
def test_display_name_validation(api, user, body):
    token = access_token(user, "profile:display_name:write")
    response = api.post("/display_name", body, headers=bearer(token))
    assert assert_error(response, 400, 101)["validation"]["keys"] == ["displayName"]


def test_display_name_limits_accept(api, user):
    token = access_token(user, "profile:display_name:write")
    for name in ("x" * 256, "🧮" * 128, "Zoë Ünïcødé-名前"):
        ok(api.post("/display_name", {"displayName": name}, headers=bearer(token)))


def test_display_name_body_must_be_json(user):
    response = HttpClient().post("/v1/display_name", data=b"{nope", content_type="application/json",
                                 headers=bearer(access_token(user, "profile:display_name:write")))
    assert_error(response, 400, 101)


# Avatars


def test_upload_then_read_avatar(api, user, pushes):
    token = access_token(user, "profile:avatar profile:avatar:write")
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret location")
    before = changed_at(user)
    response = upload(token, image_bytes(pnginfo=info))
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["url"] == f"{settings.PUBLIC_URL}/a/{created['id']}" and len(created["id"]) == 32
    assert changed_at(user) > before and pushes == [user.uid]

    current = api.get("/avatar", headers=bearer(token))
    assert ok(current) == {"id": created["id"], "avatar": created["url"], "avatarDefault": False}
    assert current["ETag"] == f'"{created["id"]}"'
    profile = ok(api.get("/profile", headers=bearer(token)))
    assert profile["avatar"] == created["url"] and profile["avatarDefault"] is False

    image = HttpClient().get(f"/a/{created['id']}")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image["X-Content-Type-Options"] == "nosniff"
    assert image["Cache-Control"].startswith("public") and "max-age=31536000" in image["Cache-Control"]
    served = Image.open(io.BytesIO(image.content))
    assert served.format == "PNG" and served.size == (600, 300)  # downsized, aspect kept
    assert "Comment" not in served.info  # re-encoded: the upload's metadata is gone


def test_jpeg_stays_jpeg_without_exif(user):
    token = access_token(user, "profile:avatar:write")
    exif = Image.Exif()
    exif[0x013B] = "Photographer"  # Artist
    created = upload(token, image_bytes((300, 200), "JPEG", exif=exif.tobytes()), "image/jpeg").json()
    image = HttpClient().get(f"/a/{created['id']}")
    assert image["Content-Type"] == "image/jpeg"
    served = Image.open(io.BytesIO(image.content))
    assert served.size == (300, 200) and not served.getexif()  # small images are not upscaled


@pytest.mark.parametrize("fmt, content_type, mode", [
    ("GIF", "image/gif", "P"), ("WEBP", "image/webp", "RGBA"),
])
def test_gif_and_webp_become_png(user, fmt, content_type, mode):
    token = access_token(user, "profile:avatar:write")
    created = upload(token, image_bytes((64, 64), fmt, mode=mode), content_type).json()
    assert HttpClient().get(f"/a/{created['id']}")["Content-Type"] == "image/png"


def test_upload_replaces_the_previous_avatar(user):
    token = access_token(user, "profile:avatar:write")
    first = upload(token, image_bytes()).json()
    second = upload(token, image_bytes()).json()
    assert list(Avatar.objects.filter(account=user.account).values_list("id", flat=True)) == [second["id"]]
    assert HttpClient().get(f"/a/{first['id']}").status_code == 404


def test_upload_refuses_a_non_image(user):
    token = access_token(user, "profile:avatar:write")
    response = upload(token, b"<svg onload=alert(1)></svg>")
    assert assert_error(response, 500, 103)["message"] == "Image processing error"
    assert not Avatar.objects.exists()


def test_upload_refuses_other_content_types(user):
    response = upload(access_token(user, "profile:avatar:write"), image_bytes(), "image/svg+xml")
    assert_error(response, 415, 999)


def test_uploads_larger_than_the_json_body_limit_are_taken(user):
    # A photo is far larger than the 16 KiB the JSON routes take: noise does not compress.
    photo = Image.frombytes("RGB", (400, 400), os.urandom(400 * 400 * 3))
    buffer = io.BytesIO()
    photo.save(buffer, format="PNG")
    assert 300_000 < len(buffer.getvalue()) < 1024 * 1024
    response = upload(access_token(user, "profile:avatar:write"), buffer.getvalue())
    assert response.status_code == 201, response.content
    assert Avatar.objects.get().content_type == "image/png"


def test_upload_refuses_more_than_one_megabyte(user):
    token = access_token(user, "profile:avatar:write")
    response = upload(token, image_bytes() + b"\0" * (1024 * 1024))
    body = assert_error(response, 413, 999)
    assert body["message"] == "Payload content length greater than maximum allowed: 1048576"
    assert not Avatar.objects.exists()


def test_delete_avatar(api, user, pushes):
    token = access_token(user, "profile:avatar profile:avatar:write")
    created = upload(token, image_bytes()).json()
    before = changed_at(user)
    assert ok(api.delete(f"/avatar/{created['id']}", headers=bearer(token))) == {}
    assert changed_at(user) > before and pushes == [user.uid, user.uid]
    assert HttpClient().get(f"/a/{created['id']}").status_code == 404
    assert ok(api.get("/avatar", headers=bearer(token)))["avatarDefault"] is True
    assert_error(api.delete(f"/avatar/{created['id']}", headers=bearer(token)), 404, 999)


def test_delete_refuses_another_accounts_avatar_and_bad_ids(api, user):
    other = factories.account("other@example.com")
    theirs = upload(access_token(other, "profile:avatar:write"), image_bytes()).json()
    token = access_token(user, "profile:avatar:write")
    response = api.delete(f"/avatar/{theirs['id']}", headers=bearer(token))
    assert assert_error(response, 403, 100)["reason"] == "Avatar not owned by user"
    assert Avatar.objects.filter(pk=theirs["id"]).exists()
    response = api.delete("/avatar/not-hex", headers=bearer(token))
    assert assert_error(response, 400, 101)["validation"]["keys"] == ["id"]


# Default avatars


def test_default_avatar_is_a_monogram_of_what_the_token_may_read(api, user):
    email_initial = f"{settings.PUBLIC_URL}/v1/avatar/o"  # oauth.user@example.com
    assert ok(api.get("/avatar", headers=bearer(access_token(user, "profile")))) == {
        "id": "0" * 32, "avatar": email_initial, "avatarDefault": True}
    # The email's initial is not shown to a token that may not read the email.
    assert ok(api.get("/avatar", headers=bearer(access_token(user, "profile:avatar"))))[
        "avatar"] == DEFAULT_AVATAR
    Account.objects.filter(pk=user.uid).update(display_name="Zed")
    assert ok(api.get("/profile", headers=bearer(access_token(user, "profile"))))[
        "avatar"] == f"{settings.PUBLIC_URL}/v1/avatar/Z"
    Account.objects.filter(pk=user.uid).update(display_name="Ælfred")  # not a monogram initial
    assert ok(api.get("/profile", headers=bearer(access_token(user, "profile"))))[
        "avatar"] == email_initial


def test_monogram_is_public_and_cacheable():
    response = HttpClient().get("/v1/avatar/z")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert response["Cache-Control"] == "public, max-age=604800, immutable"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert b">Z</text>" in response.content
    placeholder = HttpClient().get(f"/v1/avatar/{'0' * 32}")
    assert placeholder.status_code == 200 and b"<text" not in placeholder.content
    assert b"<script" not in HttpClient().get("/v1/avatar/<script>").content
