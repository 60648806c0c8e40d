"""Password routes: change (start/finish)."""
from rest_framework.response import Response

from ..authentication import PasswordChangeTokenAuthentication, TokenRequired
from ..serializers import (
    KeysQuerySerializer,
    PasswordChangeFinishSerializer,
    PasswordChangeStartSerializer,
)
from ..services import password_change
from ..validators import key_stretch_v2
from .base import PublicView


class PasswordChangeStartView(PublicView):
    """POST /v1/password/change/start"""

    body_serializer = PasswordChangeStartSerializer

    def post(self, request):
        data = self.body()
        return Response(
            password_change.start(data["email"], bytes.fromhex(data["oldAuthPW"]), self.context())
        )


class PasswordChangeFinishView(PublicView):
    """POST /v1/password/change/finish (passwordChangeToken)"""

    query_serializer = KeysQuerySerializer
    body_serializer = PasswordChangeFinishSerializer

    authentication_classes = [PasswordChangeTokenAuthentication]
    permission_classes = [TokenRequired]
    payload_required = True

    def post(self, request):
        query = self.query()
        data = self.body()
        v2 = key_stretch_v2(data)
        return Response(
            password_change.finish(
                request.auth,
                bytes.fromhex(data["authPW"]),
                bytes.fromhex(data["wrapKb"]),
                self.context(),
                v2=v2,
                session_token_id=data.get("sessionToken"),
                keys=query["keys"],
            )
        )
