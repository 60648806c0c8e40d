"""Request bodies of the OAuth routes (wire names verbatim), for validation and the OpenAPI document.

Unknown keys are ignored, as upstream strips them.
"""
import re

from rest_framework import serializers

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
