"""Password routes: change (start/finish)."""
from rest_framework.response import Response

from ..authentication import PasswordChangeTokenAuthentication, TokenRequired
from ..serializers import (
    KeysQuerySerializer,
    PasswordChangeFinishSerializer,
    PasswordChangeStartSerializer,
)
from ..services import password_change
from ..validators import key_stretch_v2, validated, validated_query
from .base import PublicView


class PasswordChangeStartView(PublicView):
    """POST /v1/password/change/start"""

    def post(self, request):
        data = validated(PasswordChangeStartSerializer, request.data)
        return Response(
            password_change.start(data["email"], bytes.fromhex(data["oldAuthPW"]), self.context())
        )


class PasswordChangeFinishView(PublicView):
    """POST /v1/password/change/finish (passwordChangeToken)"""

    authentication_classes = [PasswordChangeTokenAuthentication]
    permission_classes = [TokenRequired]
    payload_required = True

    def post(self, request):
        query = validated_query(KeysQuerySerializer, request)
        data = validated(PasswordChangeFinishSerializer, request.data)
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
