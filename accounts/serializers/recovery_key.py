"""Request bodies of the account recovery key routes (/recoveryKey*; auth-server-api.txt)."""
import re

from rest_framework import serializers

from ..validators import (
    DISPLAY_SAFE_UNICODE,
    EmailAddressField,
    HexField,
    RegexStringField,
    StrictBooleanField,
)

RECOVERY_DATA = re.compile(r"^[a-zA-Z0-9.\-_]+$")


class RecoveryKeyCreateSerializer(serializers.Serializer):
    recoveryKeyId = HexField(max_length=32)
    recoveryData = RegexStringField(RECOVERY_DATA, max_length=1024)
    enabled = StrictBooleanField(required=False, default=True)
    replaceKey = StrictBooleanField(required=False, default=False)


class RecoveryKeyIdSerializer(serializers.Serializer):
    recoveryKeyId = HexField(max_length=32)


class RecoveryKeyExistsSerializer(serializers.Serializer):
    email = EmailAddressField(required=False)


class RecoveryKeyHintQuerySerializer(serializers.Serializer):
    email = EmailAddressField(required=False)


class RecoveryKeyHintSerializer(serializers.Serializer):
    hint = RegexStringField(DISPLAY_SAFE_UNICODE, max_length=255)
