"""Request bodies of the profile routes, as upstream's Joi schemas declare them, and their
response bodies."""
from rest_framework import serializers

from accounts.serializers.responses import ResponseSerializer, optional
from accounts.validators import DISPLAY_SAFE_UNICODE, RegexStringField

DISPLAY_NAME_MAX_LENGTH = 256  # counted as JavaScript counts: UTF-16 code units


class DisplayNameBody(serializers.Serializer):
    # Upstream's allowed characters: no control characters, line/paragraph separators, private
    # use or "specials"; DISPLAY_SAFE_UNICODE also refuses lone surrogates, which no text column
    # can store.
    displayName = RegexStringField(DISPLAY_SAFE_UNICODE, allow_blank=True)

    def validate_displayName(self, value):
        if len(value.encode("utf-16-le")) // 2 > DISPLAY_NAME_MAX_LENGTH:
            raise serializers.ValidationError("too long")
        return value


class ProfileResponseSerializer(ResponseSerializer):
    """Each member only when the token's scopes allow it."""

    uid = optional(serializers.CharField)
    email = optional(serializers.CharField)
    locale = optional(serializers.CharField, allow_null=True)
    metricsEnabled = optional(serializers.BooleanField, source="metrics_enabled")
    amrValues = optional(serializers.ListField, child=serializers.CharField(), source="amr_values")
    twoFactorAuthentication = optional(serializers.BooleanField, source="two_factor_authentication")
    displayName = optional(serializers.CharField, source="display_name")
    avatar = optional(serializers.URLField)
    avatarDefault = optional(serializers.BooleanField, source="avatar_default")
    subscriptions = optional(serializers.ListField, child=serializers.CharField(),
                             help_text="With profile:subscriptions: the client's capabilities.")
    sub = optional(serializers.CharField, help_text="With openid: the client's subject identifier.")


class EmailResponseSerializer(ResponseSerializer):
    email = serializers.CharField()


class UidResponseSerializer(ResponseSerializer):
    uid = serializers.CharField()


class DisplayNameResponseSerializer(ResponseSerializer):
    displayName = serializers.CharField(source="display_name")


class AvatarResponseSerializer(ResponseSerializer):
    id = serializers.CharField()
    avatar = serializers.URLField()
    avatarDefault = serializers.BooleanField(source="avatar_default")


class AvatarUploadResponseSerializer(ResponseSerializer):
    url = serializers.URLField()
    id = serializers.CharField()
