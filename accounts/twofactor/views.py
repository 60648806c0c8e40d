"""Two-step authentication routes (thin: validate, one service call, render).

Each setup route exists twice, as upstream has them: the sessionToken route, and its ``/mfa/``
twin that takes a step-up JWT with scope ``mfa:2fa`` instead (``Mfa2faView``).
"""
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters

from accounts.permissions import ConfirmedSessionRequired, TokenRequired, VerifiedSessionRequired
from accounts.serializers import KeysQuerySerializer
from accounts.serializers.responses import EmptySerializer, NewSessionResponseSerializer
from accounts.services import password_change
from accounts.validators import key_stretch_v2
from accounts.views.base import PublicView, SessionView
from accounts.views.emails import (
    RecoveryEmailCreateView,
    RecoveryEmailDestroyView,
    RecoveryEmailSetPrimaryView,
    SecondaryEmailResendCodeView,
    SecondaryEmailVerifyCodeView,
)
from accounts.views.password import PasswordCreateView, PasswordForgotView
from accounts.views.recovery_key import RecoveryKeyView

from .authentication import MfaScopeRequired, MfaTokenAuthentication
from .serializers import (
    MfaOtpRequestResponseSerializer,
    MfaOtpRequestSerializer,
    MfaOtpVerifyResponseSerializer,
    MfaOtpVerifySerializer,
    MfaPasswordChangeSerializer,
    RecoveryCodeSerializer,
    RecoveryCodesExistsResponseSerializer,
    RecoveryCodesResponseSerializer,
    RecoveryCodesSerializer,
    RemainingCodesResponseSerializer,
    SessionVerifyTotpResponseSerializer,
    SessionVerifyTotpSerializer,
    SuccessResponseSerializer,
    TotpCreateResponseSerializer,
    TotpExistsResponseSerializer,
    TotpCreateSerializer,
    TotpSetupCompleteSerializer,
    TotpSetupVerifySerializer,
    TotpVerifySerializer,
)
from .services import recovery_codes, step_up, totp

sensitive = method_decorator(sensitive_post_parameters(), name="dispatch")


class VerifiedSessionView(SessionView):
    """A route for upstream's verifiedSessionToken strategy."""

    permission_classes = [TokenRequired, VerifiedSessionRequired]


class Mfa2faView(PublicView):
    """A ``/mfa/`` route: ``Authorization: Bearer <step-up JWT>`` with scope ``mfa:2fa``."""

    authentication_classes = [MfaTokenAuthentication]
    permission_classes = [MfaScopeRequired]
    mfa_action = "2fa"
    payload_required = False


# TOTP.


class TotpCreateView(SessionView):
    """POST /v1/totp/create"""

    response_serializer = TotpCreateResponseSerializer

    permission_classes = [TokenRequired, ConfirmedSessionRequired]
    body_serializer = TotpCreateSerializer
    payload_required = True

    def post(self, request):
        self.body()
        return self.answer(totp.create_totp(request.auth, self.context()))


class TotpSetupVerifyView(SessionView):
    """POST /v1/totp/setup/verify {code}"""

    response_serializer = SuccessResponseSerializer

    body_serializer = TotpSetupVerifySerializer
    payload_required = True

    def post(self, request):
        data = self.body()
        return self.answer(totp.verify_setup(request.auth, data["code"], self.context()))


class TotpSetupCompleteView(SessionView):
    """POST /v1/totp/setup/complete"""

    response_serializer = SuccessResponseSerializer

    permission_classes = [TokenRequired, ConfirmedSessionRequired]
    body_serializer = TotpSetupCompleteSerializer

    def post(self, request):
        data = self.body()
        service = data.get("service") or request.query_params.get("service")
        return self.answer(totp.complete_setup(request.auth, self.context(), service=service))


class TotpDestroyView(SessionView):
    """POST /v1/totp/destroy"""

    response_serializer = EmptySerializer

    permission_classes = [TokenRequired, ConfirmedSessionRequired]
    def post(self, request):
        return self.answer(totp.destroy_totp(request.auth, self.context()))


class TotpExistsView(SessionView):
    """GET /v1/totp/exists"""

    response_serializer = TotpExistsResponseSerializer

    def get(self, request):
        return self.answer(totp.totp_status(request.user))


class SessionVerifyTotpView(SessionView):
    """POST /v1/session/verify/totp {code, service?} (also at upstream's /session/verifiy/totp)"""

    response_serializer = SessionVerifyTotpResponseSerializer

    body_serializer = SessionVerifyTotpSerializer
    payload_required = True

    def post(self, request):
        data = self.body()
        service = data.get("service") or request.query_params.get("service")
        return self.answer(totp.verify_session(request.auth, data["code"], self.context(), service=service))


class TotpVerifyView(PasswordForgotView):
    """POST /v1/totp/verify {code} (passwordForgotToken): the second factor of a reset"""

    response_serializer = SuccessResponseSerializer

    body_serializer = TotpVerifySerializer
    payload_required = True

    def post(self, request):
        data = self.body()
        return self.answer(totp.verify_password_forgot(request.auth, data["code"], self.context()))


@sensitive
class TotpVerifyRecoveryCodeView(PasswordForgotView):
    """POST /v1/totp/verify/recoveryCode {code} (passwordForgotToken)"""

    response_serializer = RemainingCodesResponseSerializer

    body_serializer = RecoveryCodeSerializer
    payload_required = True

    def post(self, request):
        data = self.body()
        return self.answer(
            recovery_codes.verify_password_forgot(request.auth, data["code"], self.context())
        )


class TotpReplaceStartView(TotpCreateView):
    """POST /v1/totp/replace/start: a new secret while the enabled authenticator stays on"""

    def post(self, request):
        self.body()
        return self.answer(totp.start_replacement(request.auth, self.context()))


class TotpReplaceConfirmView(SessionView):
    """POST /v1/totp/replace/confirm {code}: the new authenticator replaces the old one"""

    response_serializer = SuccessResponseSerializer

    permission_classes = [TokenRequired, ConfirmedSessionRequired]
    body_serializer = TotpSetupVerifySerializer
    payload_required = True

    def post(self, request):
        data = self.body()
        return self.answer(totp.confirm_replacement(request.auth, data["code"], self.context()))


class MfaTotpCreateView(Mfa2faView, TotpCreateView):
    """POST /v1/mfa/totp/create"""


class MfaTotpSetupVerifyView(Mfa2faView, TotpSetupVerifyView):
    """POST /v1/mfa/totp/setup/verify {code}"""


class MfaTotpSetupCompleteView(Mfa2faView, TotpSetupCompleteView):
    """POST /v1/mfa/totp/setup/complete"""


class MfaTotpDestroyView(Mfa2faView, TotpDestroyView):
    """POST /v1/mfa/totp/destroy"""


class MfaTotpReplaceStartView(Mfa2faView, TotpReplaceStartView):
    """POST /v1/mfa/totp/replace/start"""


class MfaTotpReplaceConfirmView(Mfa2faView, TotpReplaceConfirmView):
    """POST /v1/mfa/totp/replace/confirm {code}"""


@sensitive
class MfaPasswordCreateView(Mfa2faView, PasswordCreateView):
    """POST /v1/mfa/password/create (step-up JWT, scope ``mfa:password``)"""

    mfa_action = "password"


@sensitive
class MfaPasswordChangeView(Mfa2faView):
    """POST /v1/mfa/password/change[?keys=true] (step-up JWT, scope ``mfa:password``)"""

    response_serializer = NewSessionResponseSerializer

    mfa_action = "password"
    query_serializer = KeysQuerySerializer
    body_serializer = MfaPasswordChangeSerializer

    def post(self, request):
        query = self.query()
        data = self.body()
        return self.answer(password_change.change_with_step_up(
            request.auth,
            data["authPW"],
            data["wrapKb"],
            self.context(),
            old_auth_pw=data.get("oldAuthPW"),
            v2=key_stretch_v2(data),
            keys=query["keys"],
        ))


# Backup authentication codes.


@sensitive
class RecoveryCodesView(VerifiedSessionView):
    """GET (new set), POST (initial set during setup), PUT (replace) /v1/recoveryCodes"""

    response_serializer = {
        "get": RecoveryCodesResponseSerializer,
        "post": SuccessResponseSerializer,
        "put": SuccessResponseSerializer,
    }

    body_serializer = RecoveryCodesSerializer

    def get(self, request):
        codes = recovery_codes.replace_codes(request.auth, self.context())
        return self.answer({"recovery_codes": codes})

    def post(self, request):
        data = self.body()
        return self.answer(
            recovery_codes.set_codes(request.auth, data["recoveryCodes"], self.context())
        )

    def put(self, request):
        data = self.body()
        return self.answer(
            recovery_codes.update_codes(request.auth, data["recoveryCodes"], self.context())
        )


class MfaRecoveryCodesView(Mfa2faView, RecoveryCodesView):
    """POST, PUT /v1/mfa/recoveryCodes"""

    http_method_names = ["post", "put", "options"]


class RecoveryCodesExistsView(SessionView):
    """GET /v1/recoveryCodes/exists"""

    response_serializer = RecoveryCodesExistsResponseSerializer

    def get(self, request):
        return self.answer(recovery_codes.codes_status(request.user))


@sensitive
class SessionVerifyRecoveryCodeView(SessionView):
    """POST /v1/session/verify/recoveryCode {code}"""

    response_serializer = RemainingCodesResponseSerializer

    body_serializer = RecoveryCodeSerializer
    payload_required = True

    def post(self, request):
        data = self.body()
        return self.answer(recovery_codes.verify_session(request.auth, data["code"], self.context()))


# MFA step-up.


class MfaOtpRequestView(VerifiedSessionView):
    """POST /v1/mfa/otp/request {action}"""

    response_serializer = MfaOtpRequestResponseSerializer

    body_serializer = MfaOtpRequestSerializer

    def post(self, request):
        data = self.body()
        return self.answer(step_up.request_code(request.auth, data["action"], self.context()))


@sensitive
class MfaOtpVerifyView(VerifiedSessionView):
    """POST /v1/mfa/otp/verify {action, code} → {accessToken}"""

    response_serializer = MfaOtpVerifyResponseSerializer

    body_serializer = MfaOtpVerifySerializer

    def post(self, request):
        data = self.body()
        return self.answer(
            step_up.verify_code(request.auth, data["action"], data["code"], self.context())
        )


# Secondary emails and the account recovery key: accounts' own routes (and services), behind a
# step-up JWT scoped ``mfa:email`` or ``mfa:recovery_key`` instead of the sessionToken.


class MfaEmailView(Mfa2faView):
    mfa_action = "email"


class MfaRecoveryEmailCreateView(MfaEmailView, RecoveryEmailCreateView):
    """POST /v1/mfa/recovery_email {email}"""


class MfaRecoveryEmailDestroyView(MfaEmailView, RecoveryEmailDestroyView):
    """POST /v1/mfa/recovery_email/destroy {email}"""


class MfaRecoveryEmailSetPrimaryView(MfaEmailView, RecoveryEmailSetPrimaryView):
    """POST /v1/mfa/recovery_email/set_primary {email}"""


class MfaSecondaryEmailResendCodeView(MfaEmailView, SecondaryEmailResendCodeView):
    """POST /v1/mfa/recovery_email/secondary/resend_code {email}"""


class MfaSecondaryEmailVerifyCodeView(MfaEmailView, SecondaryEmailVerifyCodeView):
    """POST /v1/mfa/recovery_email/secondary/verify_code {email, code}"""


class MfaRecoveryKeyView(Mfa2faView, RecoveryKeyView):
    """POST (create or replace) and DELETE /v1/mfa/recoveryKey"""

    mfa_action = "recovery_key"
