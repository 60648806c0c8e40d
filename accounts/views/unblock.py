"""Sign-in unblock code routes: /account/login/send_unblock_code and /reject_unblock_code."""
from ..serializers.verification import RejectUnblockCodeSerializer, SendUnblockCodeSerializer
from ..serializers import responses
from ..services import unblock
from .base import PublicView


class SendUnblockCodeView(PublicView):
    """POST /v1/account/login/send_unblock_code: mail an unblock code to the account."""

    response_serializer = responses.EmptySerializer

    body_serializer = SendUnblockCodeSerializer

    def post(self, request):
        data = self.body()
        unblock.send_unblock_code(data["email"], self.context())
        return self.answer({})


class RejectUnblockCodeView(PublicView):
    """POST /v1/account/login/reject_unblock_code: "not me" — the code is deleted."""

    response_serializer = responses.EmptySerializer

    body_serializer = RejectUnblockCodeSerializer

    def post(self, request):
        data = self.body()
        unblock.reject(data["uid"], data["unblockCode"], self.context())
        return self.answer({})
