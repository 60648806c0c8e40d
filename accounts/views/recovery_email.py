"""Email verification routes."""
from rest_framework.response import Response

from ..serializers import VerifyEmailCodeSerializer
from ..services import accounts
from .base import PublicView, SessionView


class RecoveryEmailStatusView(SessionView):
    """GET /v1/recovery_email/status"""

    def get(self, request):
        session = request.auth
        account = request.user
        return Response(
            {
                "email": account.primary_email.email,
                "verified": account.email_verified and session.token_verified,
                "sessionVerified": session.token_verified,
                "emailVerified": account.email_verified,
            }
        )


class VerifyEmailCodeView(PublicView):
    """POST /v1/recovery_email/verify_code"""

    body_serializer = VerifyEmailCodeSerializer

    def post(self, request):
        data = self.body()
        accounts.verify_email_code(data["uid"], data["code"])
        return Response({})
