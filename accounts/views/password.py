"""Password routes: change (start/finish), forgotten password (codes, reset), create."""
from drf_spectacular.types import OpenApiTypes

from ..authentication import (
    AccountResetTokenAuthentication,
    PasswordChangeTokenAuthentication,
    PasswordForgotTokenAuthentication,
)
from ..permissions import TokenRequired
from ..serializers import (
    KeysQuerySerializer,
    PasswordChangeFinishSerializer,
    PasswordChangeStartSerializer,
)
from ..serializers.password import (
    AccountResetSerializer,
    PasswordCreateSerializer,
    PasswordForgotResendCodeSerializer,
    PasswordForgotSendCodeSerializer,
    PasswordForgotSendOtpSerializer,
    PasswordForgotVerifyCodeSerializer,
    PasswordForgotVerifyOtpSerializer,
    ServiceQuerySerializer,
)
from ..serializers import responses
from ..services import password_change, password_reset, verification
from ..validators import key_stretch_v2
from .base import PublicView, SessionView


class PasswordChangeStartView(PublicView):
    """POST /v1/password/change/start"""

    response_serializer = responses.PasswordChangeStartResponseSerializer

    body_serializer = PasswordChangeStartSerializer

    def post(self, request):
        data = self.body()
        return self.answer(
            password_change.start(data["email"], data["oldAuthPW"], self.context())
        )


class PasswordChangeFinishView(PublicView):
    """POST /v1/password/change/finish (passwordChangeToken)"""

    response_serializer = responses.NewSessionResponseSerializer

    query_serializer = KeysQuerySerializer
    body_serializer = PasswordChangeFinishSerializer

    authentication_classes = [PasswordChangeTokenAuthentication]
    permission_classes = [TokenRequired]
    payload_required = True

    def post(self, request):
        query = self.query()
        data = self.body()
        v2 = key_stretch_v2(data)
        return self.answer(
            password_change.finish(
                request.auth,
                data["authPW"],
                data["wrapKb"],
                self.context(),
                v2=v2,
                session_token_id=data.get("sessionToken"),
                keys=query["keys"],
            )
        )


class PasswordForgotView(PublicView):
    """A route authenticated by a passwordForgotToken."""

    authentication_classes = [PasswordForgotTokenAuthentication]
    permission_classes = [TokenRequired]


class PasswordForgotSendCodeView(PublicView):
    """POST /v1/password/forgot/send_code"""

    response_serializer = responses.PasswordForgotSendCodeResponseSerializer

    query_serializer = ServiceQuerySerializer
    body_serializer = PasswordForgotSendCodeSerializer

    def post(self, request):
        query = self.query()
        data = self.body()
        return self.answer(password_reset.send_code(
            data["email"], self.context(), links=verification.link_options(data, query)
        ))


class PasswordForgotResendCodeView(PasswordForgotView):
    """POST /v1/password/forgot/resend_code (passwordForgotToken)"""

    response_serializer = responses.PasswordForgotCodeStatusSerializer

    query_serializer = ServiceQuerySerializer
    body_serializer = PasswordForgotResendCodeSerializer
    payload_required = True

    def post(self, request):
        query = self.query()
        data = self.body()
        return self.answer(password_reset.resend_code(
            request.auth, self.context(), links=verification.link_options(data, query)
        ))


class PasswordForgotVerifyCodeView(PasswordForgotView):
    """POST /v1/password/forgot/verify_code (passwordForgotToken)"""

    response_serializer = responses.AccountResetTokenResponseSerializer

    body_serializer = PasswordForgotVerifyCodeSerializer
    payload_required = True

    def post(self, request):
        data = self.body()
        return self.answer(password_reset.verify_code(
            request.auth, data["code"], self.context(),
            with_recovery_key=data["accountResetWithRecoveryKey"],
        ))


class PasswordForgotStatusView(PasswordForgotView):
    """GET /v1/password/forgot/status (passwordForgotToken)"""

    response_serializer = responses.PasswordForgotStatusResponseSerializer

    def get(self, request):
        return self.answer(password_reset.status(request.auth))


class PasswordForgotSendOtpView(PublicView):
    """POST /v1/password/forgot/send_otp"""

    response_serializer = responses.EmptySerializer

    body_serializer = PasswordForgotSendOtpSerializer

    def post(self, request):
        data = self.body()
        return self.answer(password_reset.send_otp(data["email"], self.context()))


class PasswordForgotVerifyOtpView(PublicView):
    """POST /v1/password/forgot/verify_otp"""

    response_serializer = responses.PasswordForgotVerifyOtpResponseSerializer

    body_serializer = PasswordForgotVerifyOtpSerializer

    def post(self, request):
        data = self.body()
        return self.answer(password_reset.verify_otp(data["email"], data["code"], self.context()))


class AccountResetView(PublicView):
    """POST /v1/account/reset (accountResetToken)"""

    response_serializer = responses.AccountResetResponseSerializer

    query_serializer = KeysQuerySerializer
    body_serializer = AccountResetSerializer
    authentication_classes = [AccountResetTokenAuthentication]
    permission_classes = [TokenRequired]
    payload_required = True

    def post(self, request):
        query = self.query()
        data = self.body()
        return self.answer(password_reset.reset_account(
            request.auth,
            data["authPW"],
            self.context(),
            wrap_kb=data["wrapKb"] if "wrapKb" in data else None,
            recovery_key_id=data.get("recoveryKeyId"),
            v2=key_stretch_v2(data),
            want_session=data["sessionToken"],
            keys=query["keys"],
        ))


class PasswordCreateView(SessionView):
    """POST /v1/password/create (sessionToken)"""

    response_serializer = OpenApiTypes.INT  # the new password's creation time, ms

    body_serializer = PasswordCreateSerializer

    def post(self, request):
        data = self.body()
        v2 = key_stretch_v2(data)
        return self.answer(password_reset.create_password(
            request.auth,
            data["authPW"],
            self.context(),
            wrap_kb=data["wrapKb"] if v2 else None,
            v2=v2,
        ))
