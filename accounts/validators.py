"""The API document's common validators (lib/routes/validators), defined once as DRF fields.

Serializers across the apps compose these; a value of the wrong JSON type is refused (Joi does not
coerce numbers to strings), so clients get 107 rather than a silently converted value.
"""
import re
from dataclasses import dataclass

from rest_framework import serializers

from .errors import AppError, from_validation_errors
from .onepw import is_valid_client_salt

HEX_STRING = re.compile(r"^(?:[a-fA-F0-9]{2})+$")
BASE_36 = re.compile(r"^[a-zA-Z0-9]*$")
URL_SAFE_BASE_64 = re.compile(r"^[A-Za-z0-9_-]+$")
DIGITS = re.compile(r"^[0-9]+$")
SERVICE = re.compile(r"^[a-zA-Z0-9\-]*$")
DISPLAY_SAFE_UNICODE = re.compile(
    "^(?:[^\u0000-\u001f\u007f\u0080-\u009f\u2028-\u2029\ud800-\udfff\ue000-\uf8ff"
    "\ufff9-\uffff])*$"
)
DISPLAY_SAFE_UNICODE_WITH_NON_BMP = re.compile(
    "^(?:[^\u0000-\u001f\u007f\u0080-\u009f\u2028-\u2029\ue000-\uf8ff\ufff9-\uffff])*$"
)
# Upstream's email check: a local part of printable characters and a dotted domain.
EMAIL = re.compile(
    r"^[^\s@\x00-\x1f\x7f]{1,64}@(?=.{1,255}$)[^\s@.\x00-\x1f\x7f]"
    r"[^\s@\x00-\x1f\x7f]*\.[^\s@\x00-\x1f\x7f.]+$"
)
VERIFICATION_METHODS = ("email", "email-otp", "email-2fa", "email-captcha", "totp-2fa")


class StrictCharField(serializers.CharField):
    """A string field that refuses numbers, booleans and objects instead of converting them."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """Booleans as JSON booleans (or Joi's accepted strings "true"/"false")."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        if data in ("true", "false"):
            return data == "true"
        self.fail("invalid", input=data)


class RegexStringField(StrictCharField):
    def __init__(self, regex, **kwargs):
        super().__init__(**kwargs)
        self.regex = regex

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        # fullmatch: with match, "$" would also accept a trailing newline.
        if not self.regex.fullmatch(value):
            self.fail("invalid")
        return value


class HexField(RegexStringField):
    """hexString, optionally of an exact length; returned lower-cased."""

    def __init__(self, length=None, **kwargs):
        if length is not None:
            kwargs.setdefault("min_length", length)
            kwargs.setdefault("max_length", length)
        super().__init__(HEX_STRING, **kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value(data).lower()


class HexBytesField(HexField):
    """A hexString the services take as bytes (authPW, wrapKb...)."""

    def run_validation(self, data=serializers.empty):
        value = super().run_validation(data)  # the length is checked on the hex
        return bytes.fromhex(value) if isinstance(value, str) else value


class EmailAddressField(RegexStringField):
    """Upstream's validators.email(): display-safe Unicode, then the address check."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 255)
        super().__init__(EMAIL, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not DISPLAY_SAFE_UNICODE.fullmatch(value):
            self.fail("invalid")
        return value


def auth_pw(**kwargs):
    """authPW: 64 hex, required; bytes."""
    return HexBytesField(length=64, **kwargs)


def service(**kwargs):
    return RegexStringField(SERVICE, max_length=16, **kwargs)


def verification_method(**kwargs):
    return serializers.ChoiceField(choices=VERIFICATION_METHODS, **kwargs)


class MetricsContextSerializer(serializers.Serializer):
    """lib/metrics/context SCHEMA: known keys only, flowId and flowBeginTime together."""

    deviceId = HexField(length=32, required=False)
    entrypoint = StrictCharField(max_length=128, required=False)
    entrypointExperiment = StrictCharField(max_length=128, required=False)
    entrypointVariation = StrictCharField(max_length=128, required=False)
    flowId = HexField(length=64, required=False)
    flowBeginTime = serializers.IntegerField(min_value=1, required=False)
    utmCampaign = StrictCharField(max_length=128, required=False)
    utmContent = StrictCharField(max_length=128, required=False)
    utmMedium = StrictCharField(max_length=128, required=False)
    utmSource = StrictCharField(max_length=128, required=False)
    utmTerm = StrictCharField(max_length=128, required=False)

    def to_internal_value(self, data):
        if isinstance(data, dict) and set(data) - set(self.fields):
            raise serializers.ValidationError("unknown key")
        value = super().to_internal_value(data)
        if ("flowId" in value) != ("flowBeginTime" in value):
            raise serializers.ValidationError("flowId and flowBeginTime go together")
        return value


class KeyStretchV2Mixin(serializers.Serializer):
    """Key-stretching v2 fields: all of them or none (onepw.md §2.2)."""

    authPWVersion2 = HexBytesField(length=64, required=False)
    wrapKbVersion2 = HexBytesField(length=64, required=False)
    clientSalt = StrictCharField(max_length=128, required=False)

    V2_FIELDS = ("authPWVersion2", "wrapKbVersion2", "clientSalt")
    # Fields that must accompany the v2 ones, beyond V2_FIELDS.
    V2_COMPANIONS = ("wrapKb",)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        group = self.V2_FIELDS + self.V2_COMPANIONS
        present = [name for name in group if attrs.get(name) is not None]
        if present and len(present) != len(group):
            raise serializers.ValidationError(
                {name: "v2 fields go together" for name in group if name not in present}
            )
        if "clientSalt" in attrs and not is_valid_client_salt(attrs["clientSalt"]):
            raise serializers.ValidationError({"clientSalt": "invalid"})
        return attrs


@dataclass(frozen=True)
class KeyStretchV2:
    """A client's key-stretching v2 credentials (authPWVersion2, wrapKbVersion2, clientSalt)."""

    auth_pw: bytes
    wrap_kb: bytes
    client_salt: str


def key_stretch_v2(data):
    """The key-stretching v2 fields of validated data, or None for a v1-only client."""
    if "clientSalt" not in data:
        return None
    return KeyStretchV2(data["authPWVersion2"], data["wrapKbVersion2"], data["clientSalt"])


_bound_fields = {}


def body_serializer(serializer_class, data):
    """``serializer_class(data=data)``, its fields bound once per class.

    DRF deep-copies every declared field for each serializer it makes, which cost more than the
    validation itself. A bound field keeps nothing of one validation for the next (errors and
    values are returned, ``validate_<name>`` and ``validate`` run on the new serializer), and no
    request serializer here reads the serializer's context, so the fields can be shared.
    """
    serializer = serializer_class(data=data)
    fields = _bound_fields.get(serializer_class)
    if fields is None:
        fields = _bound_fields[serializer_class] = serializer_class().fields
    serializer.fields = fields  # DRF's cached_property, set ahead
    return serializer


def validated(serializer_class, data, source="payload"):
    """Validate a request body (or query) with a serializer, raising 106/107/108 as upstream."""
    if not isinstance(data, dict):
        raise AppError.invalid_parameter([], source)
    serializer = body_serializer(serializer_class, data)
    if not serializer.is_valid():
        raise from_validation_errors(serializer.errors, source)
    return serializer.validated_data


def validated_query(serializer_class, request):
    return validated(serializer_class, request.query_params.dict(), source="query")
