"""Shared view plumbing: authentication bundles per token type."""
from rest_framework.views import APIView

from ..authentication import (
    KeyFetchTokenAuthentication,
    SessionTokenAuthentication,
    TokenOptional,
    TokenRequired,
)
from ..services.context import RequestContext


class PublicView(APIView):
    """A route that takes no token."""

    authentication_classes = []

    def context(self):
        return RequestContext.from_request(self.request)


class SessionView(PublicView):
    """A route authenticated by a sessionToken (Bearer fxs_… or Hawk)."""

    authentication_classes = [SessionTokenAuthentication]
    permission_classes = [TokenRequired]


class OptionalSessionView(PublicView):
    """A route where a sessionToken is optional."""

    authentication_classes = [SessionTokenAuthentication]
    permission_classes = [TokenOptional]


class KeyFetchView(PublicView):
    authentication_classes = [KeyFetchTokenAuthentication]
    permission_classes = [TokenRequired]
