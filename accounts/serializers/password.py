"""Request bodies of the password reset routes (/password/forgot/*, /account/reset,
/password/create; auth-server-api.txt)."""
from rest_framework import serializers

from ..validators import (
    DIGITS,
    EmailAddressField,
    HexBytesField,
    HexField,
    KeyStretchV2Mixin,
    MetricsContextSerializer,
    RegexStringField,
    StrictBooleanField,
    StrictCharField,
    auth_pw,
    service,
)


class ServiceQuerySerializer(serializers.Serializer):
    service = service(required=False)
    keys = StrictBooleanField(required=False, default=False)


class PasswordForgotSendCodeSerializer(serializers.Serializer):
    email = EmailAddressField()
    service = service(required=False)
    redirectTo = StrictCharField(max_length=2048, required=False)
    resume = StrictCharField(max_length=2048, required=False)
    metricsContext = MetricsContextSerializer(required=False)


class PasswordForgotResendCodeSerializer(PasswordForgotSendCodeSerializer):
    """The same body; ``email`` is only informative (the token names the account)."""

    email = EmailAddressField(required=False)


class PasswordForgotVerifyCodeSerializer(serializers.Serializer):
    code = HexField(length=32)
    accountResetWithRecoveryKey = StrictBooleanField(required=False, default=False)
    includeRecoveryKeyPrompt = StrictBooleanField(required=False)
    metricsContext = MetricsContextSerializer(required=False)


class PasswordForgotSendOtpSerializer(serializers.Serializer):
    email = EmailAddressField()
    service = service(required=False)
    metricsContext = MetricsContextSerializer(required=False)


class PasswordForgotVerifyOtpSerializer(serializers.Serializer):
    email = EmailAddressField()
    code = RegexStringField(DIGITS, min_length=8, max_length=8)
    metricsContext = MetricsContextSerializer(required=False)


class AccountResetSerializer(KeyStretchV2Mixin):
    """authPW, and either nothing (a new kB), ``wrapKb`` + ``recoveryKeyId`` (kB kept with the
    recovery key) and/or the v2 fields with ``wrapKb`` (onepw.md §6.4). PyFxA also sends its
    ``email``: accepted and ignored."""

    authPW = auth_pw()
    wrapKb = HexBytesField(length=64, required=False)
    recoveryKeyId = HexField(max_length=32, required=False)
    sessionToken = StrictBooleanField(required=False, default=False)

    V2_COMPANIONS = ()  # wrapKb also comes alone, with recoveryKeyId

    def validate(self, attrs):
        attrs = super().validate(attrs)
        v2 = attrs.get("clientSalt") is not None
        if v2 and "wrapKb" not in attrs:
            raise serializers.ValidationError({"wrapKb": "goes with the v2 fields"})
        if "recoveryKeyId" in attrs and "wrapKb" not in attrs:
            raise serializers.ValidationError({"wrapKb": "goes with recoveryKeyId"})
        if "wrapKb" in attrs and "recoveryKeyId" not in attrs and not v2:
            raise serializers.ValidationError({"recoveryKeyId": "goes with wrapKb"})
        return attrs


class PasswordCreateSerializer(KeyStretchV2Mixin):
    authPW = auth_pw()
    wrapKb = HexBytesField(length=64, required=False)
