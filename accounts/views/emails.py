"""Secondary email routes: /recovery_emails, /recovery_email, its destroy, set_primary and
secondary code routes (sessionToken)."""
from ..permissions import TokenRequired, VerifiedSessionRequired
from ..serializers.emails import RecoveryEmailSerializer, SecondaryEmailVerifyCodeSerializer
from ..serializers import responses
from ..services import secondary_emails
from .base import SessionView


class RecoveryEmailsView(SessionView):
    """GET /v1/recovery_emails"""

    response_serializer = responses.RecoveryEmailResponseSerializer(many=True)

    def get(self, request):
        return self.answer(secondary_emails.list_emails(request.user))


class RecoveryEmailCreateView(SessionView):
    """POST /v1/recovery_email"""

    response_serializer = responses.EmptySerializer

    permission_classes = [TokenRequired, VerifiedSessionRequired]
    body_serializer = RecoveryEmailSerializer
    payload_required = True

    def post(self, request):
        data = self.body()
        secondary_emails.add(request.auth, data["email"], self.context())
        return self.answer({})


class RecoveryEmailDestroyView(SessionView):
    """POST /v1/recovery_email/destroy"""

    response_serializer = responses.EmptySerializer

    permission_classes = [TokenRequired, VerifiedSessionRequired]
    body_serializer = RecoveryEmailSerializer
    payload_required = True

    def post(self, request):
        data = self.body()
        secondary_emails.destroy(request.auth, data["email"], self.context())
        return self.answer({})


class RecoveryEmailSetPrimaryView(SessionView):
    """POST /v1/recovery_email/set_primary"""

    response_serializer = responses.EmptySerializer

    permission_classes = [TokenRequired, VerifiedSessionRequired]
    body_serializer = RecoveryEmailSerializer
    payload_required = True

    def post(self, request):
        data = self.body()
        secondary_emails.set_primary(request.auth, data["email"], self.context())
        return self.answer({})


class SecondaryEmailResendCodeView(SessionView):
    """POST /v1/recovery_email/secondary/resend_code"""

    response_serializer = responses.EmptySerializer

    body_serializer = RecoveryEmailSerializer
    payload_required = True

    def post(self, request):
        data = self.body()
        secondary_emails.resend_code(request.auth, data["email"], self.context())
        return self.answer({})


class SecondaryEmailVerifyCodeView(SessionView):
    """POST /v1/recovery_email/secondary/verify_code"""

    response_serializer = responses.EmptySerializer

    body_serializer = SecondaryEmailVerifyCodeSerializer
    payload_required = True

    def post(self, request):
        data = self.body()
        secondary_emails.verify_code(request.auth, data["email"], data["code"], self.context())
        return self.answer({})
