"""Account recovery key routes (/recoveryKey*)."""
from drf_spectacular.utils import extend_schema

from ..authentication import AccountResetTokenAuthentication
from ..permissions import TokenOptional, TokenRequired, VerifiedSessionRequired
from ..serializers.recovery_key import (
    RecoveryKeyCreateSerializer,
    RecoveryKeyExistsSerializer,
    RecoveryKeyHintQuerySerializer,
    RecoveryKeyHintSerializer,
    RecoveryKeyIdSerializer,
)
from ..serializers import responses
from ..services import recovery_keys
from ..validators import validated, validated_query
from .base import OptionalSessionView, PublicView, SessionView


class RecoveryKeyView(SessionView):
    """POST /v1/recoveryKey (create) and DELETE /v1/recoveryKey (verified sessionToken)"""

    response_serializer = responses.EmptySerializer

    permission_classes = [TokenRequired, VerifiedSessionRequired]
    body_serializer = RecoveryKeyCreateSerializer

    def post(self, request):
        data = self.body()
        return self.answer(recovery_keys.create(
            request.auth, data["recoveryKeyId"], data["recoveryData"], self.context(),
            enabled=data["enabled"], replace=data["replaceKey"],
        ))

    def delete(self, request):
        return self.answer(recovery_keys.remove(request.auth, self.context()))


class RecoveryKeyExistsView(OptionalSessionView):
    """POST /v1/recoveryKey/exists (sessionToken, or an email: rate-limited)"""

    response_serializer = responses.RecoveryKeyExistsResponseSerializer

    body_serializer = RecoveryKeyExistsSerializer

    def post(self, request):
        data = self.body()
        return self.answer(recovery_keys.exists(request.auth, data.get("email"), self.context()))


class RecoveryKeyVerifyView(SessionView):
    """POST /v1/recoveryKey/verify (verified sessionToken)"""

    response_serializer = responses.EmptySerializer

    permission_classes = [TokenRequired, VerifiedSessionRequired]
    body_serializer = RecoveryKeyIdSerializer

    def post(self, request):
        data = self.body()
        return self.answer(recovery_keys.verify(request.auth, data["recoveryKeyId"], self.context()))


class RecoveryKeyDataView(PublicView):
    """GET /v1/recoveryKey/{recoveryKeyId} (accountResetToken)"""

    response_serializer = responses.RecoveryKeyDataResponseSerializer

    authentication_classes = [AccountResetTokenAuthentication]
    permission_classes = [TokenRequired]

    def get(self, request, recoveryKeyId):  # noqa: N803 - the route's wire name
        data = validated(RecoveryKeyIdSerializer, {"recoveryKeyId": recoveryKeyId}, source="params")
        return self.answer(
            recovery_keys.recovery_data(request.auth, data["recoveryKeyId"], self.context())
        )


class RecoveryKeyHintView(OptionalSessionView):
    """GET /v1/recoveryKey/hint[?email=] (sessionToken optional) and POST (verified sessionToken)"""

    response_serializer = {
        "get": responses.RecoveryKeyHintResponseSerializer,
        "post": responses.EmptySerializer,
    }

    body_serializer = RecoveryKeyHintSerializer

    def get_permissions(self):
        if self.request.method == "POST":
            return [TokenRequired(), VerifiedSessionRequired()]
        return [TokenOptional()]

    @extend_schema(parameters=[RecoveryKeyHintQuerySerializer])
    def get(self, request):
        query = validated_query(RecoveryKeyHintQuerySerializer, request)
        return self.answer(recovery_keys.get_hint(request.auth, query.get("email"), self.context()))

    def post(self, request):
        data = self.body()
        return self.answer(recovery_keys.set_hint(request.auth, data["hint"], self.context()))
