"""Utility routes."""
import secrets

from rest_framework.response import Response
from rest_framework.views import APIView


class GetRandomBytesView(APIView):
    """POST /v1/get_random_bytes: 32 random bytes, hex."""

    def post(self, request):
        return Response({"data": secrets.token_hex(32)})
