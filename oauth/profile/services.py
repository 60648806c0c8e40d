"""The profile server's use cases (oauth.md §10): what an access token may read of its account's
profile, and changes to the display name and the avatar.

Each change bumps ``Account.profile_changed_at`` and pushes ``profile_updated`` to the account's
devices once it commits, so that relying parties and browsers refetch the profile.
"""
import hashlib
import json
import re
import secrets

from django.conf import settings
from django.db import transaction

from accounts import ports
from accounts.devices import notifications
from accounts.models import Account, Avatar, now_ms

from .. import events
from .. import scopes as scope_lib
from ..services import subject
from . import images
from .errors import ProfileErrno, ProfileError

DEFAULT_AVATAR_ID = "0" * 32  # upstream's img.defaultAvatarId
MONOGRAM_INITIAL = re.compile(r"^[A-Za-z0-9]")
HEX_ID = re.compile(r"[0-9a-fA-F]{32}")


def grants(token, scope):
    return scope_lib.set_implies(token.scope.split(), scope)


def reads_profile(token):
    """Whether the token may read /v1/profile: some profile scope, or ``openid`` (userinfo)."""
    held = token.scope.split()
    return "openid" in held or any(s == "profile" or s.startswith("profile:") for s in held)


# Avatars.


def avatar_url(avatar_id):
    return f"{settings.PUBLIC_URL}/a/{avatar_id}"


def monogram_url(initial):
    return f"{settings.PUBLIC_URL}/v1/avatar/{initial}"


def current_avatar(account):
    return Avatar.objects.filter(account=account).only("id").first()


def avatar(token, email=None):
    """``{id, avatar, avatar_default}``: the uploaded picture, else a monogram of the display name
    or email the token may read (upstream's newest builds), else the generic default. ``email``:
    the primary address when the caller has read it already."""
    account = token.account
    uploaded = current_avatar(account)
    if uploaded is not None:
        return {"id": uploaded.id, "avatar": avatar_url(uploaded.id), "avatar_default": False}
    # Only what the token may read: the monogram must not reveal an initial it could not see.
    candidates = []
    if grants(token, "profile:display_name"):
        candidates.append(account.display_name)
    if grants(token, "profile:email"):
        candidates.append(email if email is not None else account.primary_email.email)
    initial = next((value[0] for value in candidates if MONOGRAM_INITIAL.match(value)), None)
    url = monogram_url(initial if initial is not None else DEFAULT_AVATAR_ID)
    return {"id": DEFAULT_AVATAR_ID, "avatar": url, "avatar_default": True}


def _profile_changed(account_uid):
    """Call inside the change's transaction."""
    Account.objects.filter(pk=account_uid).update(profile_changed_at=now_ms())
    notifications.profile_updated(account_uid)
    events.profile_change(account_uid)


def check_upload(content_type, content_length):
    """Refuse an upload from its headers, before its body is read (upstream's payload rules)."""
    if content_type.split(";")[0].strip().lower() not in images.UPLOAD_TYPES:
        raise ProfileError.unsupported_media_type()
    if content_length > images.MAX_BYTES:
        raise ProfileError.payload_too_large(images.MAX_BYTES)


def upload_avatar(account, data):
    """Re-encode ``data`` and make it the account's avatar, replacing any earlier one."""
    if len(data) > images.MAX_BYTES:
        raise ProfileError.payload_too_large(images.MAX_BYTES)
    try:
        encoded = images.reencode(data)
    except images.ImageError:
        raise ProfileError(ProfileErrno.IMAGE_PROCESSING_ERROR) from None
    with transaction.atomic():
        # Serializes concurrent uploads: each replaces what the previous one stored.
        Account.objects.select_for_update().only("uid").get(pk=account.pk)
        Avatar.objects.filter(account=account).delete()
        stored = Avatar.objects.create(id=secrets.token_hex(16), account=account,
                                       image=encoded.data, content_type=encoded.content_type)
        _profile_changed(account.pk)
    return {"url": avatar_url(stored.id), "id": stored.id}


@transaction.atomic
def delete_avatar(account, avatar_id):
    stored = Avatar.objects.filter(pk=avatar_id).only("id", "account_id").first()
    if stored is None:
        raise ProfileError.not_found()
    if stored.account_id != account.pk:
        raise ProfileError.unauthorized("Avatar not owned by user")
    stored.delete()
    _profile_changed(account.pk)
    return {}


def public_avatar(avatar_id):
    return Avatar.objects.filter(pk=avatar_id).first()


def monogram_svg(name):
    """The default avatar for ``/v1/avatar/<name>``: the initial on a disc, or a silhouette when
    ``name`` is not a single letter or digit."""
    if len(name) == 1 and MONOGRAM_INITIAL.match(name):
        figure = (f'<text x="50" y="50" dy="0.35em" text-anchor="middle" fill="#fff" '
                  f'font-family="Inter, Helvetica, Arial, sans-serif" font-size="52" '
                  f'font-weight="700">{name.upper()}</text>')
    else:
        figure = ('<circle cx="50" cy="39" r="17" fill="#fff"/>'
                  '<path d="M19 84a31 27 0 0 1 62 0z" fill="#fff"/>')
    return ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="100" height="100">'
            f'<circle cx="50" cy="50" r="50" fill="#8f8f9d"/>{figure}</svg>')


# Display name.


@transaction.atomic
def set_display_name(account, display_name):
    changed = Account.objects.filter(pk=account.pk).exclude(display_name=display_name).update(
        display_name=display_name)
    if changed:
        _profile_changed(account.pk)
    return {}


# The whole profile (also the OIDC userinfo endpoint).


def profile(token):
    """GET /v1/profile: the fields the token's scopes allow (oauth.md §10)."""
    account = token.account
    body = {}
    if grants(token, "profile:uid"):
        body["uid"] = account.uid
    email = None
    if grants(token, "profile:email"):
        body["email"] = email = account.primary_email.email
    if grants(token, "profile:locale"):
        body["locale"] = account.locale or None
    if grants(token, "profile:email") or grants(token, "profile:locale"):
        body["metrics_enabled"] = account.metrics_enabled
    if grants(token, "profile:amr"):
        aal = account.authenticator_assurance_level
        body["amr_values"] = ["pwd", "email"] + (["otp"] if aal >= 2 else [])
        body["two_factor_authentication"] = aal >= 2
    if grants(token, "profile:display_name") and account.display_name:
        body["display_name"] = account.display_name
    if grants(token, "profile:avatar"):
        current = avatar(token, email)
        body["avatar"] = current["avatar"]
        body["avatar_default"] = current["avatar_default"]
    if grants(token, "profile:subscriptions"):
        client_id = token.application.client_id if token.application else None
        granted = ports.subscription_capabilities(account, client_id)
        if granted:
            body["subscriptions"] = granted
    if "openid" in token.scope.split():
        body["sub"] = subject(token.application, account)
    return body


def checksum(text):
    """Upstream's ETags: the SHA-1 of a value (hex)."""
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def body_checksum(body):
    """The ETag of a JSON answer: the checksum of its JSON.stringify form."""
    return checksum(json.dumps(body, separators=(",", ":"), ensure_ascii=False))
