"""Shared view plumbing: authentication bundles per token type."""
from rest_framework.response import Response
from rest_framework.views import APIView

from ..authentication import KeyFetchTokenAuthentication, SessionTokenAuthentication
from ..permissions import TokenOptional, TokenRequired
from ..serializers.responses import render
from ..services.context import RequestContext
from ..validators import validated, validated_query


class PublicView(APIView):
    """A route that takes no token.

    ``body_serializer`` and ``query_serializer`` declare what the route accepts; ``body()`` and
    ``query()`` validate against them (106/107/108). ``response_serializer`` (one, or one per
    method: ``{"get": ..., "post": ...}``) declares what it answers; ``answer()`` renders a
    service's value with it. The OpenAPI document is built from all three.
    """

    authentication_classes = []
    body_serializer = None
    query_serializer = None

    def context(self):
        return RequestContext.from_request(self.request)

    def body(self):
        return validated(self.body_serializer, self.request.data)

    def query(self):
        return validated_query(self.query_serializer, self.request)

    def answer(self, value, **kwargs):
        declared = self.response_serializer
        if isinstance(declared, dict):
            declared = declared[self.request.method.lower()]
        return Response(render(declared, value), **kwargs)


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
