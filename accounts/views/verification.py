"""Confirmation routes: /session/verify_code, /session/resend_code, /recovery_email/resend_code."""
from ..serializers.verification import (
    RecoveryEmailResendCodeSerializer,
    ResendCodeQuerySerializer,
    SessionVerifyCodeSerializer,
)
from ..serializers import responses
from ..services import verification
from .base import SessionView


class SessionVerifyCodeView(SessionView):
    """POST /v1/session/verify_code (sessionToken): a 6-digit email code confirms the session."""

    response_serializer = responses.EmptySerializer

    body_serializer = SessionVerifyCodeSerializer

    payload_required = True

    def post(self, request):
        data = self.body()
        verification.verify_session_code(
            request.auth,
            data["code"],
            self.context(),
            service=data.get("service") or request.query_params.get("service"),
            scopes=data.get("scopes", ()),
        )
        return self.answer({})


class SessionResendCodeView(SessionView):
    """POST /v1/session/resend_code (sessionToken; no payload): the 6-digit code again."""

    response_serializer = responses.EmptySerializer

    def post(self, request):
        verification.resend_session_code(request.auth, self.context())
        return self.answer({})


class RecoveryEmailResendCodeView(SessionView):
    """POST /v1/recovery_email/resend_code (sessionToken): the confirmation mail again."""

    response_serializer = responses.EmptySerializer

    query_serializer = ResendCodeQuerySerializer
    body_serializer = RecoveryEmailResendCodeSerializer

    payload_required = True

    def post(self, request):
        query = self.query()
        data = self.body()
        links = verification.link_options(data, query)
        verification.resend_recovery_email_code(
            request.auth,
            self.context(),
            email=data.get("email"),
            kind=data.get("type") or query.get("type"),
            links=links,
        )
        return self.answer({})
