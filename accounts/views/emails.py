"""Secondary email routes: /recovery_emails, /recovery_email, its destroy, set_primary and
secondary code routes (sessionToken)."""
from rest_framework.response import Response

from ..permissions import TokenRequired, VerifiedSessionRequired
from ..serializers.emails import RecoveryEmailSerializer, SecondaryEmailVerifyCodeSerializer
from ..services import secondary_emails
from .base import SessionView


class RecoveryEmailsView(SessionView):
    """GET /v1/recovery_emails"""

    def get(self, request):
        return Response(secondary_emails.list_emails(request.user))


class RecoveryEmailCreateView(SessionView):
    """POST /v1/recovery_email"""

    permission_classes = [TokenRequired, VerifiedSessionRequired]
    body_serializer = RecoveryEmailSerializer
    payload_required = True

    def post(self, request):
        data = self.body()
        secondary_emails.add(request.auth, data["email"], self.context())
        return Response({})


class RecoveryEmailDestroyView(SessionView):
    """POST /v1/recovery_email/destroy"""

    permission_classes = [TokenRequired, VerifiedSessionRequired]
    body_serializer = RecoveryEmailSerializer
    payload_required = True

    def post(self, request):
        data = self.body()
        secondary_emails.destroy(request.auth, data["email"], self.context())
        return Response({})


class RecoveryEmailSetPrimaryView(SessionView):
    """POST /v1/recovery_email/set_primary"""

    permission_classes = [TokenRequired, VerifiedSessionRequired]
    body_serializer = RecoveryEmailSerializer
    payload_required = True

    def post(self, request):
        data = self.body()
        secondary_emails.set_primary(request.auth, data["email"], self.context())
        return Response({})


class SecondaryEmailResendCodeView(SessionView):
    """POST /v1/recovery_email/secondary/resend_code"""

    body_serializer = RecoveryEmailSerializer
    payload_required = True

    def post(self, request):
        data = self.body()
        secondary_emails.resend_code(request.auth, data["email"], self.context())
        return Response({})


class SecondaryEmailVerifyCodeView(SessionView):
    """POST /v1/recovery_email/secondary/verify_code"""

    body_serializer = SecondaryEmailVerifyCodeSerializer
    payload_required = True

    def post(self, request):
        data = self.body()
        secondary_emails.verify_code(request.auth, data["email"], data["code"], self.context())
        return Response({})
