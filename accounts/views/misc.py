"""Utility routes."""
import secrets

from ..serializers.responses import RandomBytesResponseSerializer
from .base import PublicView


class GetRandomBytesView(PublicView):
    """POST /v1/get_random_bytes: 32 random bytes, hex."""

    response_serializer = RandomBytesResponseSerializer

    def post(self, request):
        return self.answer({"data": secrets.token_hex(32)})
