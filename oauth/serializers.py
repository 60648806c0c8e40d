"""Request bodies of the OAuth routes (wire names verbatim), for validation and the OpenAPI document.

Unknown keys are ignored, as upstream strips them.
"""
import re

from rest_framework import serializers

from accounts.validators import HexField, RegexStringField, StrictCharField

URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")
# An access token: 64 hex, or a JWS (an at+JWT access token).
ACCESS_TOKEN = re.compile(r"^(?:[0-9a-fA-F]{64}|[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$")
KEYS_JWE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


class AuthorizationBody(serializers.Serializer):
    client_id = HexField()
    response_type = serializers.ChoiceField(choices=["code"], required=False)
    redirect_uri = StrictCharField(max_length=256, required=False)
    scope = StrictCharField(max_length=256, required=False, allow_blank=True)
    state = StrictCharField(max_length=512, allow_blank=True)
    access_type = serializers.ChoiceField(choices=["online", "offline"], required=False)
    code_challenge_method = serializers.ChoiceField(choices=["S256"], required=False)
    code_challenge = RegexStringField(URL_SAFE, min_length=43, max_length=128, required=False)
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
    client_id = HexField()
    client_secret = HexField(required=False)
    code = HexField(required=False)
    code_verifier = StrictCharField(min_length=43, max_length=128, required=False)
    redirect_uri = StrictCharField(required=False)
    refresh_token = HexField(required=False)
    scope = StrictCharField(max_length=256, required=False, allow_blank=True)
    access_type = serializers.ChoiceField(choices=["online", "offline"], required=False)
    ttl = serializers.IntegerField(min_value=0, required=False)
    ppid_seed = serializers.IntegerField(min_value=0, max_value=1024, required=False)
    resource = StrictCharField(required=False)


def access_token_field(**kwargs):
    return RegexStringField(ACCESS_TOKEN, max_length=8192, **kwargs)


class DestroyBody(serializers.Serializer):
    client_id = HexField()
    client_secret = HexField(required=False)
    token = access_token_field()
    token_type_hint = StrictCharField(max_length=64, required=False)


class ScopedKeyDataBody(serializers.Serializer):
    client_id = HexField()
    scope = StrictCharField(max_length=256)


class ClientTokenBody(TokenBody):
    """POST /v1/token: the client may authenticate with HTTP Basic instead of the body."""

    client_id = HexField(required=False)


class VerifyBody(serializers.Serializer):
    token = StrictCharField()


class IntrospectBody(serializers.Serializer):
    token = StrictCharField()
    token_type_hint = StrictCharField(max_length=64, required=False)


class ClientDestroyBody(serializers.Serializer):
    client_id = HexField(required=False)
    client_secret = HexField(required=False)
    token = access_token_field(required=False)
    access_token = access_token_field(required=False)
    refresh_token = HexField(required=False)
    refresh_token_id = HexField(length=64, required=False)
    token_type_hint = StrictCharField(max_length=64, required=False)

    def validate(self, attrs):
        given = [k for k in ("token", "access_token", "refresh_token", "refresh_token_id") if k in attrs]
        if len(given) != 1:
            raise serializers.ValidationError({"token": "exactly one token is required"})
        return attrs


class AuthorizedClientDestroyBody(serializers.Serializer):
    client_id = HexField()
    refresh_token_id = HexField(length=64, required=False)


class IdTokenVerifyBody(serializers.Serializer):
    client_id = HexField()
    id_token = StrictCharField(max_length=8192)
    expiry_grace_period = serializers.IntegerField(min_value=0, required=False)
