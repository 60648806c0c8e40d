"""Request bodies and query strings of the /v1 routes (wire names verbatim); one module per area."""
from rest_framework import serializers

from ..validators import (
    BASE_36,
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
    verification_method,
)


class KeysQuerySerializer(serializers.Serializer):
    keys = StrictBooleanField(required=False, default=False)
    service = service(required=False)
    verificationMethod = verification_method(required=False)


class _RedirectFields(serializers.Serializer):
    service = service(required=False)
    redirectTo = StrictCharField(max_length=2048, required=False)
    resume = StrictCharField(max_length=2048, required=False)
    metricsContext = MetricsContextSerializer(required=False)


class CreateAccountSerializer(KeyStretchV2Mixin, _RedirectFields):
    email = EmailAddressField()
    authPW = auth_pw()
    wrapKb = HexBytesField(length=64, required=False)
    verificationMethod = serializers.ChoiceField(choices=("email", "email-otp"), required=False)
    style = serializers.ChoiceField(choices=("trailhead",), required=False)
    preVerified = StrictBooleanField(required=False, default=False)
    atLeast18AtReg = StrictBooleanField(required=False, allow_null=True)


class LoginSerializer(_RedirectFields):
    email = EmailAddressField()
    authPW = auth_pw()
    reason = RegexStringField(BASE_36, max_length=16, required=False)
    unblockCode = RegexStringField(BASE_36, max_length=16, required=False)
    originalLoginEmail = EmailAddressField(required=False)
    verificationMethod = verification_method(required=False)
    skipCaptcha = StrictBooleanField(required=False)


class AccountStatusQuerySerializer(serializers.Serializer):
    uid = HexField(length=32, required=False)


class AccountStatusSerializer(serializers.Serializer):
    """Upstream accepts any ``checkDomain`` (``isA.optional()``); unused here, it is stripped."""

    email = EmailAddressField()
    thirdPartyAuthStatus = StrictBooleanField(required=False, default=False)


class EmailSerializer(serializers.Serializer):
    email = EmailAddressField()


class DestroyAccountSerializer(serializers.Serializer):
    email = EmailAddressField()
    authPW = auth_pw()


class MetricsOptSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=("in", "out"))


class SessionDestroySerializer(serializers.Serializer):
    customSessionToken = HexField(length=64, required=False)


class SessionDuplicateSerializer(serializers.Serializer):
    reason = RegexStringField(BASE_36, max_length=16, required=False)


class VerifyEmailCodeSerializer(serializers.Serializer):
    uid = HexField(length=32)
    code = HexField(length=32)
    service = service(required=False)
    reminder = RegexStringField(BASE_36, max_length=16, required=False)
    type = RegexStringField(BASE_36, max_length=16, required=False)
    style = serializers.ChoiceField(choices=("trailhead",), required=False)
    marketingOptIn = StrictBooleanField(required=False)
    newsletters = serializers.ListField(
        child=StrictCharField(max_length=64), required=False, allow_empty=True
    )
    metricsContext = MetricsContextSerializer(required=False)


class PasswordChangeStartSerializer(serializers.Serializer):
    email = EmailAddressField()
    oldAuthPW = auth_pw()


class PasswordChangeFinishSerializer(KeyStretchV2Mixin):
    authPW = auth_pw()
    wrapKb = HexBytesField(length=64)
    sessionToken = HexField(length=64, required=False)

    V2_COMPANIONS = ()
