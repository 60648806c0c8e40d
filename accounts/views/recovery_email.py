"""Email verification routes."""
from ..serializers import VerifyEmailCodeSerializer
from ..serializers import responses
from ..services import verification
from .base import PublicView, SessionView


class RecoveryEmailStatusView(SessionView):
    """GET /v1/recovery_email/status"""

    response_serializer = responses.RecoveryEmailStatusResponseSerializer

    def get(self, request):
        return self.answer(verification.email_status(request.auth))


class VerifyEmailCodeView(PublicView):
    """POST /v1/recovery_email/verify_code"""

    response_serializer = responses.EmptySerializer

    body_serializer = VerifyEmailCodeSerializer

    def post(self, request):
        data = self.body()
        verification.verify_link_code(
            data["uid"], data["code"], self.context(), service=data.get("service")
        )
        return self.answer({})
