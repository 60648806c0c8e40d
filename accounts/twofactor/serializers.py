"""Request bodies of the two-step routes (auth-server-api.txt: totp, recoveryCodes; /mfa/*)."""
from rest_framework import serializers

from accounts.serializers.responses import ResponseSerializer, optional

from accounts.validators import (
    BASE_36,
    DIGITS,
    HexBytesField,
    KeyStretchV2Mixin,
    MetricsContextSerializer,
    RegexStringField,
    auth_pw,
    service,
)

from . import mfa

RECOVERY_CODE_MAX_LENGTH = 20  # upstream's RECOVERY_CODE_SANE_MAX_LENGTH
RECOVERY_CODES_MAX = 8


def _totp_code():
    return RegexStringField(DIGITS, max_length=32)


def _recovery_code():
    # BASE_36, a superset of the Crockford base32 the server generates (upstream's validator).
    return RegexStringField(BASE_36, min_length=1, max_length=RECOVERY_CODE_MAX_LENGTH)


class TotpCreateSerializer(serializers.Serializer):
    metricsContext = MetricsContextSerializer(required=False)


class TotpSetupVerifySerializer(serializers.Serializer):
    code = _totp_code()
    metricsContext = MetricsContextSerializer(required=False)


class TotpSetupCompleteSerializer(serializers.Serializer):
    metricsContext = MetricsContextSerializer(required=False)
    service = service(required=False)


class SessionVerifyTotpSerializer(serializers.Serializer):
    code = _totp_code()
    service = service(required=False)
    metricsContext = MetricsContextSerializer(required=False)


class TotpVerifySerializer(serializers.Serializer):
    code = _totp_code()
    metricsContext = MetricsContextSerializer(required=False)


class RecoveryCodesSerializer(serializers.Serializer):
    recoveryCodes = serializers.ListField(
        child=_recovery_code(), min_length=1, max_length=RECOVERY_CODES_MAX
    )

    def validate_recoveryCodes(self, codes):
        if len({code.lower() for code in codes}) != len(codes):
            raise serializers.ValidationError("codes must be unique")
        return codes


class RecoveryCodeSerializer(serializers.Serializer):
    code = _recovery_code()


class MfaOtpRequestSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=mfa.ACTIONS)


class MfaOtpVerifySerializer(serializers.Serializer):
    code = RegexStringField(DIGITS, min_length=mfa.OTP_DIGITS, max_length=mfa.OTP_DIGITS)
    action = serializers.ChoiceField(choices=mfa.ACTIONS)


class MfaPasswordChangeSerializer(KeyStretchV2Mixin):
    """POST /mfa/password/change: the new password's credentials (as /password/change/finish)
    and, optionally, the current one's authPW."""

    oldAuthPW = auth_pw(required=False)
    authPW = auth_pw()
    wrapKb = HexBytesField(length=64)

    V2_COMPANIONS = ()


# Response bodies.


class SuccessResponseSerializer(ResponseSerializer):
    success = serializers.BooleanField()


class TotpCreateResponseSerializer(ResponseSerializer):
    qrCodeUrl = serializers.CharField(source="qr_code_url", help_text="A data: URL of the QR code.")
    secret = serializers.CharField(help_text="base32")


class TotpExistsResponseSerializer(ResponseSerializer):
    exists = serializers.BooleanField()
    verified = serializers.BooleanField()


class SessionVerifyTotpResponseSerializer(ResponseSerializer):
    success = serializers.BooleanField()
    recoveryCodes = optional(serializers.ListField, child=serializers.CharField(), source="recovery_codes",
                             help_text="A first set of backup codes, when the account had none.")


class RecoveryCodesResponseSerializer(ResponseSerializer):
    recoveryCodes = serializers.ListField(child=serializers.CharField(), source="recovery_codes")


class RecoveryCodesExistsResponseSerializer(ResponseSerializer):
    hasBackupCodes = serializers.BooleanField(source="has_backup_codes")
    count = serializers.IntegerField()


class RemainingCodesResponseSerializer(ResponseSerializer):
    remaining = serializers.IntegerField(help_text="Backup codes left.")


class MfaOtpRequestResponseSerializer(ResponseSerializer):
    status = serializers.ChoiceField(choices=("success",))


class MfaOtpVerifyResponseSerializer(ResponseSerializer):
    accessToken = serializers.CharField(source="access_token", help_text="The step-up JWT.")
