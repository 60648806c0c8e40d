"""Email verification routes."""
from rest_framework.response import Response

from ..serializers import VerifyEmailCodeSerializer
from ..services import verification
from .base import PublicView, SessionView


class RecoveryEmailStatusView(SessionView):
    """GET /v1/recovery_email/status"""

    def get(self, request):
        session = request.auth
        account = request.user
        return Response(
            {
                "email": account.primary_email.email,
                # A session that need not be confirmed does not hold "verified" back (§8).
                "verified": account.email_verified
                and (session.token_verified or not session.must_verify),
                "sessionVerified": session.token_verified,
                "emailVerified": account.email_verified,
            }
        )


class VerifyEmailCodeView(PublicView):
    """POST /v1/recovery_email/verify_code"""

    body_serializer = VerifyEmailCodeSerializer

    def post(self, request):
        data = self.body()
        verification.verify_link_code(
            data["uid"], data["code"], self.context(), service=data.get("service")
        )
        return Response({})
