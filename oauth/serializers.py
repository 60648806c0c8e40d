"""Request bodies of the OAuth routes (wire names verbatim), for validation and the OpenAPI document.

Unknown keys are ignored, as upstream strips them. Then the response bodies: OAuth's wire names are
Python's (``access_token``), so the services' dicts are the bodies; these declare them.
"""
import re

from rest_framework import serializers

from accounts.serializers.responses import MappingResponseSerializer, ResponseSerializer, optional
from accounts.validators import HexField, RegexStringField, StrictCharField

URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")
PKCE_CODE_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636 §4.1
SCOPE = re.compile(r"^[a-zA-Z0-9 _/.:-]*$")  # upstream's validators.scope
# An access token: 64 hex, or a JWS (an at+JWT access token).
ACCESS_TOKEN = re.compile(r"^(?:[0-9a-fA-F]{64}|[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$")
KEYS_JWE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


def client_id_field(**kwargs):
    return HexField(length=16, **kwargs)


def token_field(**kwargs):
    """A 64-hex code, refresh token or token id (upstream's authorizationCode, refreshToken)."""
    return HexField(length=64, **kwargs)


def scope_field(**kwargs):
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_blank", True)
    return RegexStringField(SCOPE, max_length=256, **kwargs)


class AuthorizationBody(serializers.Serializer):
    client_id = client_id_field()
    response_type = serializers.ChoiceField(choices=["code"], required=False)
    redirect_uri = StrictCharField(max_length=256, required=False)
    scope = scope_field()
    state = StrictCharField(max_length=512, allow_blank=True)
    access_type = serializers.ChoiceField(choices=["online", "offline"], required=False)
    code_challenge_method = serializers.ChoiceField(choices=["S256"], required=False)
    code_challenge = RegexStringField(URL_SAFE, min_length=43, max_length=43, required=False)
    keys_jwe = RegexStringField(KEYS_JWE, max_length=1024, required=False)
    acr_values = StrictCharField(max_length=256, required=False)
    nonce = StrictCharField(max_length=256, required=False)


class ClientAuthorizationBody(AuthorizationBody):
    """POST /v1/authorization: also ``response_type=token`` (canGrant clients) with a ``ttl``."""

    response_type = serializers.ChoiceField(choices=["code", "token"], required=False)
    ttl = serializers.IntegerField(min_value=0, required=False)


class TokenBody(serializers.Serializer):
    grant_type = serializers.ChoiceField(
        choices=["authorization_code", "refresh_token", "fxa-credentials"], required=False
    )
    client_id = client_id_field()
    client_secret = HexField(required=False)
    code = token_field(required=False)
    code_verifier = RegexStringField(PKCE_CODE_VERIFIER, required=False)
    redirect_uri = StrictCharField(required=False)
    refresh_token = token_field(required=False)
    scope = scope_field()
    access_type = serializers.ChoiceField(choices=["online", "offline"], required=False)
    ttl = serializers.IntegerField(min_value=0, required=False)
    ppid_seed = serializers.IntegerField(min_value=0, max_value=1024, required=False)
    resource = StrictCharField(required=False)


def access_token_field(**kwargs):
    return RegexStringField(ACCESS_TOKEN, max_length=8192, **kwargs)


class DestroyBody(serializers.Serializer):
    client_id = client_id_field()
    client_secret = HexField(required=False)
    token = access_token_field()
    token_type_hint = StrictCharField(max_length=64, required=False)


class ScopedKeyDataBody(serializers.Serializer):
    client_id = client_id_field()
    scope = scope_field(required=True, allow_blank=False)


class ClientTokenBody(TokenBody):
    """POST /v1/token: the client may authenticate with HTTP Basic instead of the body."""

    client_id = client_id_field(required=False)


class VerifyBody(serializers.Serializer):
    token = access_token_field()


class IntrospectBody(serializers.Serializer):
    token = access_token_field()
    token_type_hint = StrictCharField(max_length=64, required=False)


class ClientDestroyBody(serializers.Serializer):
    client_id = client_id_field(required=False)
    client_secret = HexField(required=False)
    token = access_token_field(required=False)
    access_token = access_token_field(required=False)
    refresh_token = token_field(required=False)
    refresh_token_id = token_field(required=False)
    token_type_hint = StrictCharField(max_length=64, required=False)

    def validate(self, attrs):
        given = [k for k in ("token", "access_token", "refresh_token", "refresh_token_id") if k in attrs]
        if len(given) != 1:
            raise serializers.ValidationError({"token": "exactly one token is required"})
        return attrs


class AuthorizedClientDestroyBody(serializers.Serializer):
    client_id = client_id_field()
    refresh_token_id = token_field(required=False)


class IdTokenVerifyBody(serializers.Serializer):
    client_id = client_id_field()
    id_token = StrictCharField(max_length=8192)
    expiry_grace_period = serializers.IntegerField(min_value=0, required=False)


# Response bodies.


class WireNamedFields:
    """Members whose wire names are no Python identifiers (``fxa-aal``): ``wire_fields``."""

    wire_fields = {}

    def get_fields(self):
        return {**super().get_fields(), **{name: make() for name, make in self.wire_fields.items()}}


class AuthorizationCodeResponse(ResponseSerializer):
    redirect = serializers.CharField(help_text="The redirect_uri with code and state.")
    code = serializers.CharField()
    state = serializers.CharField(allow_blank=True)


class TokenResponse(ResponseSerializer):
    access_token = serializers.CharField()
    token_type = serializers.ChoiceField(choices=("bearer",))
    scope = serializers.CharField(allow_blank=True, help_text="Space-separated.")
    expires_in = serializers.IntegerField(help_text="Seconds.")
    refresh_token = optional(serializers.CharField, help_text="With access_type=offline.")
    id_token = optional(serializers.CharField, help_text="With openid.")
    auth_at = optional(serializers.IntegerField, help_text="Seconds.")
    keys_jwe = optional(serializers.CharField)
    session_token = optional(serializers.CharField, help_text="With the session scope (/v1/oauth/token).")


class AuthorizationResponse(ResponseSerializer):
    """A code (``response_type=code``), or for canGrant clients a token (``response_type=token``)."""

    redirect = optional(serializers.CharField)
    code = optional(serializers.CharField)
    state = optional(serializers.CharField, allow_blank=True)
    access_token = optional(serializers.CharField)
    token_type = optional(serializers.ChoiceField, choices=("bearer",))
    scope = optional(serializers.CharField, allow_blank=True)
    expires_in = optional(serializers.IntegerField)
    auth_at = optional(serializers.IntegerField)


class ClientInfoResponse(ResponseSerializer):
    id = serializers.CharField()
    name = serializers.CharField()
    trusted = serializers.BooleanField()
    image_uri = serializers.CharField(allow_blank=True)
    redirect_uri = serializers.CharField(allow_blank=True)


class IdTokenClaimsResponse(WireNamedFields, ResponseSerializer):
    """The id_token's claims."""

    iss = serializers.CharField()
    sub = serializers.CharField()
    aud = serializers.CharField()
    iat = serializers.IntegerField()
    exp = serializers.IntegerField()
    at_hash = optional(serializers.CharField)
    nonce = optional(serializers.CharField)
    amr = optional(serializers.ListField, child=serializers.CharField())
    acr = optional(serializers.CharField)
    auth_time = optional(serializers.IntegerField)
    wire_fields = {"fxa-aal": lambda: optional(serializers.IntegerField)}


class ScopedKeyResponse(ResponseSerializer):
    identifier = serializers.CharField()
    keyRotationSecret = serializers.CharField(source="key_rotation_secret")
    keyRotationTimestamp = serializers.IntegerField(source="key_rotation_timestamp")


class ScopedKeyDataResponse(MappingResponseSerializer):
    """Each keyed scope asked for: its key metadata."""

    child = ScopedKeyResponse


class VerifyResponse(ResponseSerializer):
    user = serializers.CharField()
    client_id = serializers.CharField()
    scope = serializers.ListField(child=serializers.CharField())
    generation = serializers.IntegerField(allow_null=True)
    profile_changed_at = optional(serializers.IntegerField)


class IntrospectResponse(WireNamedFields, ResponseSerializer):
    active = serializers.BooleanField()
    scope = optional(serializers.CharField, allow_blank=True)
    client_id = optional(serializers.CharField)
    token_type = optional(serializers.CharField, help_text="access_token or refresh_token")
    iat = optional(serializers.IntegerField)
    exp = optional(serializers.IntegerField)
    sub = optional(serializers.CharField)
    jti = optional(serializers.CharField)
    wire_fields = {"fxa-lastUsedAt": lambda: optional(serializers.IntegerField, allow_null=True)}


class AuthorizedClientResponse(ResponseSerializer):
    client_id = serializers.CharField()
    refresh_token_id = optional(serializers.CharField)
    client_name = serializers.CharField()
    created_time = serializers.IntegerField()
    last_access_time = serializers.IntegerField(allow_null=True)
    scope = serializers.ListField(child=serializers.CharField())


class JwkResponse(ResponseSerializer):
    kty = serializers.CharField()
    alg = serializers.CharField()
    use = serializers.CharField()
    kid = serializers.CharField()
    n = serializers.CharField()
    e = serializers.CharField()


class JwksResponse(ResponseSerializer):
    keys = JwkResponse(many=True)
