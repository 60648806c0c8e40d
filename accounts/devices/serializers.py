"""Request bodies and query strings of the device routes (upstream's lib/devices schema)."""
import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from jsonschema import Draft4Validator
from rest_framework import serializers

from accounts.serializers.responses import ResponseSerializer, optional
from accounts.validators import (
    DISPLAY_SAFE_UNICODE_WITH_NON_BMP,
    URL_SAFE_BASE_64,
    HexField,
    RegexStringField,
    StrictCharField,
)

from . import push
from .notifications import PUSH_PAYLOAD_SCHEMA

DEVICE_COMMAND_NAME = re.compile(r"^[a-zA-Z0-9._/\-:]{1,100}$")
PUSH_PAYLOAD_VALIDATOR = Draft4Validator(PUSH_PAYLOAD_SCHEMA)

# Wire name -> model field of POST /account/device.
DEVICE_FIELDS = {
    "id": "id",
    "name": "name",
    "type": "type",
    "pushCallback": "push_callback",
    "pushPublicKey": "push_public_key",
    "pushAuthKey": "push_auth_key",
    "availableCommands": "available_commands",
}
PUSH_TUPLE = ("pushCallback", "pushPublicKey", "pushAuthKey")


class PushCallbackField(StrictCharField):
    """An https URL of an allowed push service (see push.is_allowed_endpoint), or ''."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 255)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not push.is_allowed_endpoint(value):
            self.fail("invalid")
        return value


@extend_schema_field({"type": "object", "additionalProperties": {"type": "string", "maxLength": 2048}})
class AvailableCommandsField(serializers.DictField):
    """``{"<command name>": "<opaque string, at most 2048>"}``, command names as DEVICE_COMMAND_NAME."""

    child = StrictCharField(max_length=2048)
    default_error_messages = {"invalid": "Command names match DEVICE_COMMAND_NAME."}

    def to_internal_value(self, data):
        if isinstance(data, dict) and not all(DEVICE_COMMAND_NAME.fullmatch(key) for key in data):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.OBJECT)
class JsonObjectField(serializers.DictField):
    """Any JSON object, kept as sent."""


class DeviceSerializer(serializers.Serializer):
    id = HexField(length=32, required=False)
    name = RegexStringField(DISPLAY_SAFE_UNICODE_WITH_NON_BMP, max_length=255, required=False)
    type = StrictCharField(max_length=16, required=False)
    pushCallback = PushCallbackField(required=False)
    pushPublicKey = RegexStringField(URL_SAFE_BASE_64, max_length=88, allow_blank=True, required=False)
    pushAuthKey = RegexStringField(URL_SAFE_BASE_64, max_length=24, allow_blank=True, required=False)
    availableCommands = AvailableCommandsField(required=False)
    # Some Firefox versions send an empty "capabilities" array: accepted (only empty) and ignored.
    capabilities = serializers.ListField(max_length=0, required=False)

    def validate(self, attrs):
        sent = [name for name in PUSH_TUPLE if name in attrs]
        if sent and len(sent) != len(PUSH_TUPLE):
            raise serializers.ValidationError(
                {name: "the push fields go together" for name in PUSH_TUPLE if name not in attrs}
            )
        if attrs.get("pushPublicKey") and not push.is_valid_public_key(attrs["pushPublicKey"]):
            raise serializers.ValidationError({"pushPublicKey": "not a P-256 public key"})
        return attrs

    @staticmethod
    def model_fields(data):
        return {DEVICE_FIELDS[name]: value for name, value in data.items() if name in DEVICE_FIELDS}


class DevicesQuerySerializer(serializers.Serializer):
    filterIdleDevicesTimestamp = serializers.IntegerField(required=False)


class DeviceDestroySerializer(serializers.Serializer):
    id = HexField(length=32)


class CommandsQuerySerializer(serializers.Serializer):
    index = serializers.IntegerField(required=False)
    limit = serializers.IntegerField(min_value=0, max_value=100, required=False, default=100)


class InvokeCommandSerializer(serializers.Serializer):
    target = HexField(length=32)
    command = StrictCharField()
    payload = JsonObjectField()
    ttl = serializers.IntegerField(min_value=0, max_value=10_000_000, required=False)


@extend_schema_field({"oneOf": [{"type": "string", "enum": ["all"]},
                                {"type": "array", "items": {"type": "string"}}]})
class NotifyTargetsField(serializers.Field):
    """``"all"`` or a list of device ids."""

    def to_internal_value(self, data):
        if data == "all":
            return data
        return serializers.ListField(child=HexField(length=32)).run_validation(data)


class DevicesNotifySerializer(serializers.Serializer):
    to = NotifyTargetsField()
    _endpointAction = serializers.ChoiceField(choices=["accountVerify"], required=False)
    excluded = serializers.ListField(child=HexField(length=32), required=False)
    payload = JsonObjectField()
    TTL = serializers.IntegerField(min_value=0, required=False)

    def validate(self, attrs):
        payload = attrs["payload"]
        if attrs.get("_endpointAction") == "accountVerify":
            valid = payload == {}
        else:
            valid = PUSH_PAYLOAD_VALIDATOR.is_valid(payload)
        if not valid:
            raise serializers.ValidationError({"payload": "invalid push payload"})
        return attrs


class AttachedClientDestroySerializer(serializers.Serializer):
    """Names one entry of /account/attached_clients (its session by handle, as listed there)."""

    clientId = HexField(length=16, required=False, allow_null=True)
    sessionTokenId = HexField(required=False, allow_null=True)
    sessionTokenHandle = HexField(required=False, allow_null=True)
    refreshTokenId = HexField(length=64, required=False, allow_null=True)
    deviceId = HexField(length=32, required=False, allow_null=True)

    def validate(self, attrs):
        if not any(attrs.get(name) for name in self.fields):
            raise serializers.ValidationError(
                "one of clientId, sessionTokenId, refreshTokenId or deviceId"
            )
        if attrs.get("refreshTokenId") and not attrs.get("clientId"):
            raise serializers.ValidationError({"clientId": "refreshTokenId needs its clientId"})
        return attrs


# Response bodies.


def _commands():
    return serializers.DictField(child=serializers.CharField(), source="available_commands",
                                 help_text="Command URL: its data (upstream's availableCommands).")


class DeviceRecordResponseSerializer(ResponseSerializer):
    id = serializers.CharField()
    createdAt = optional(serializers.IntegerField, source="created_at", help_text="When just registered.")
    name = serializers.CharField()
    type = serializers.CharField()
    pushCallback = optional(serializers.CharField, source="push_callback")
    pushPublicKey = optional(serializers.CharField, source="push_public_key")
    pushAuthKey = optional(serializers.CharField, source="push_auth_key")
    pushEndpointExpired = serializers.BooleanField(source="push_endpoint_expired")
    availableCommands = _commands()


class DeviceListEntryResponseSerializer(ResponseSerializer):
    id = serializers.CharField()
    isCurrentDevice = serializers.BooleanField(source="is_current_device")
    lastAccessTime = serializers.IntegerField(source="last_access_time", allow_null=True)
    lastAccessTimeFormatted = serializers.CharField(source="last_access_time_formatted")
    location = serializers.DictField()
    name = serializers.CharField()
    type = serializers.CharField()
    pushCallback = serializers.CharField(source="push_callback", allow_null=True)
    pushPublicKey = serializers.CharField(source="push_public_key", allow_null=True)
    pushAuthKey = serializers.CharField(source="push_auth_key", allow_null=True)
    pushEndpointExpired = serializers.BooleanField(source="push_endpoint_expired")
    availableCommands = _commands()


class CommandMessageDataSerializer(ResponseSerializer):
    command = serializers.CharField()
    payload = serializers.DictField()
    sender = optional(serializers.CharField)


class CommandMessageSerializer(ResponseSerializer):
    index = serializers.IntegerField()
    data = CommandMessageDataSerializer()


class DeviceCommandsResponseSerializer(ResponseSerializer):
    index = serializers.IntegerField()
    last = serializers.BooleanField()
    messages = CommandMessageSerializer(many=True)


class InvokeCommandResponseSerializer(ResponseSerializer):
    enqueued = serializers.BooleanField()
    notified = serializers.BooleanField()
    notifyError = optional(serializers.ChoiceField, choices=("noCallback", "expiredCallback", "noKeys"),
                           source="notify_error")


class SessionListEntryResponseSerializer(ResponseSerializer):
    id = serializers.CharField(help_text="The session's handle.")
    lastAccessTime = serializers.IntegerField(source="last_access_time", allow_null=True)
    createdTime = serializers.IntegerField(source="created_time", allow_null=True)
    location = serializers.DictField()
    userAgent = serializers.CharField(source="user_agent", allow_blank=True)
    os = serializers.CharField(allow_null=True)
    deviceId = serializers.CharField(source="device_id", allow_null=True)
    deviceName = serializers.CharField(source="device_name", allow_blank=True)
    deviceAvailableCommands = serializers.DictField(
        child=serializers.CharField(), source="device_available_commands", allow_null=True)
    deviceType = serializers.CharField(source="device_type")
    deviceCallbackURL = serializers.CharField(source="device_callback_url", allow_null=True)
    deviceCallbackPublicKey = serializers.CharField(source="device_callback_public_key", allow_null=True)
    deviceCallbackAuthKey = serializers.CharField(source="device_callback_auth_key", allow_null=True)
    deviceCallbackIsExpired = serializers.BooleanField(source="device_callback_is_expired")
    isDevice = serializers.BooleanField(source="is_device")
    isCurrentDevice = serializers.BooleanField(source="is_current_device")
    createdTimeFormatted = optional(serializers.CharField, source="created_time_formatted")
    lastAccessTimeFormatted = optional(serializers.CharField, source="last_access_time_formatted")


class AttachedClientResponseSerializer(ResponseSerializer):
    clientId = serializers.CharField(source="client_id", allow_null=True)
    deviceId = serializers.CharField(source="device_id", allow_null=True)
    sessionTokenId = serializers.CharField(source="session_token_id", allow_null=True,
                                           help_text="The session's handle (older clients' name).")
    refreshTokenId = serializers.CharField(source="refresh_token_id", allow_null=True)
    isCurrentSession = serializers.BooleanField(source="is_current_session")
    deviceType = serializers.CharField(source="device_type", allow_null=True)
    name = serializers.CharField(allow_null=True)
    createdTime = serializers.IntegerField(source="created_time", allow_null=True)
    lastAccessTime = serializers.IntegerField(source="last_access_time", allow_null=True)
    scope = serializers.ListField(child=serializers.CharField(), allow_null=True)
    location = serializers.DictField()
    userAgent = serializers.CharField(source="user_agent", allow_blank=True)
    os = serializers.CharField(allow_null=True)
    sessionTokenHandle = serializers.CharField(source="session_token_handle", allow_null=True)
    createdTimeFormatted = optional(serializers.CharField, source="created_time_formatted")
    lastAccessTimeFormatted = optional(serializers.CharField, source="last_access_time_formatted")
