"""OAuth refresh tokens as credentials of the auth server's device routes (upstream's
``refreshToken`` strategy: ``Authorization: Bearer <64 hex refresh token>``)."""
import re

from rest_framework.authentication import BaseAuthentication

from accounts import hashing
from accounts.models import now_ms

from .models import RefreshToken
from .tokens import REFRESH_TOKENS

BEARER_REFRESH_TOKEN = re.compile(r"^Bearer ([0-9a-f]{64})$")
LAST_USED_RESOLUTION_MS = 60_000


class RefreshTokenAuthentication(BaseAuthentication):
    """Authenticates as ``(account, refresh token)``; the token's device is the caller's device."""

    def authenticate(self, request):
        match = BEARER_REFRESH_TOKEN.match(request.META.get("HTTP_AUTHORIZATION", ""))
        if match is None:
            return None
        token = REFRESH_TOKENS.get(hashing.digest(hashing.OAUTH_TOKEN, match.group(1)))
        if token is None:
            return None
        now = now_ms()
        # Recorded at a coarse resolution so that reads do not each cost a write.
        if now - token.last_used_at > LAST_USED_RESOLUTION_MS:
            from accounts.devices.models import Device

            RefreshToken.objects.filter(pk=token.pk).update(last_used_at=now)
            Device.objects.filter(refresh_token_id=token.token_id).update(last_access_time=now)
            token.last_used_at = now
        return (token.account, token)

    def authenticate_header(self, request):
        return "Bearer"
