"""Request bodies of the confirmation routes: /session/verify_code, /recovery_email/resend_code and
the unblock-code routes (auth-server-api.txt)."""
import re

from rest_framework import serializers

from ..validators import (
    BASE_36,
    DIGITS,
    EmailAddressField,
    HexField,
    MetricsContextSerializer,
    RegexStringField,
    StrictBooleanField,
    StrictCharField,
    service,
)

SCOPE = re.compile(r"^[a-zA-Z0-9 _/.:#-]*$")
ALPHANUMERIC = re.compile(r"^[a-zA-Z0-9]*$")


def _newsletters():
    return serializers.ListField(
        child=StrictCharField(max_length=64), required=False, allow_empty=True
    )


class SessionVerifyCodeSerializer(serializers.Serializer):
    code = RegexStringField(DIGITS, max_length=32)
    service = service(required=False)
    scopes = serializers.ListField(
        child=RegexStringField(SCOPE, max_length=256), required=False, allow_empty=True
    )
    marketingOptIn = StrictBooleanField(required=False)
    newsletters = _newsletters()
    metricsContext = MetricsContextSerializer(required=False)


class ResendCodeQuerySerializer(serializers.Serializer):
    service = service(required=False)
    type = RegexStringField(ALPHANUMERIC, max_length=32, required=False)


class RecoveryEmailResendCodeSerializer(serializers.Serializer):
    email = EmailAddressField(required=False)
    service = service(required=False)
    redirectTo = StrictCharField(max_length=2048, required=False)
    resume = StrictCharField(max_length=2048, required=False)
    style = serializers.ChoiceField(choices=("trailhead",), required=False)
    type = RegexStringField(ALPHANUMERIC, max_length=32, required=False)


class SendUnblockCodeSerializer(serializers.Serializer):
    email = EmailAddressField()
    metricsContext = MetricsContextSerializer(required=False)


class RejectUnblockCodeSerializer(serializers.Serializer):
    uid = HexField(length=32)
    unblockCode = RegexStringField(BASE_36, min_length=8, max_length=8)
