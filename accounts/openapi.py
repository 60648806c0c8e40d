"""OpenAPI generation for the /v1 views: request bodies and query strings from the serializers
each view declares (``body_serializer``, ``query_serializer``), response bodies from its
``response_serializer``, upstream's error body for every other status, token schemes per token
type."""
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.drainage import warn
from rest_framework import serializers

UNDECLARED = object()
# The 200 body of a route whose view declares no response_serializer (tests/openapi_check.py
# names such routes).
UNDOCUMENTED = {"type": "object", "description": "Undocumented response body"}


class ErrorSerializer(serializers.Serializer):
    """Upstream's error body (accounts/errors.py renders it); some errnos add members, such as
    ``retryAfter`` or ``verificationMethod``."""

    code = serializers.IntegerField(help_text="The HTTP status.")
    errno = serializers.IntegerField(help_text="The errno of accounts/errors.py's tables.")
    error = serializers.CharField(help_text="The HTTP reason phrase.")
    message = serializers.CharField()
    info = serializers.CharField(required=False)

    class Meta:
        ref_name = "Error"


class ApiSchema(AutoSchema):
    def get_request_serializer(self):
        return getattr(self.view, "body_serializer", None)

    def map_parsers(self):
        # Bodies are parsed as JSON whatever their Content-Type; document them as JSON.
        return ["application/json" if media == "*/*" else media for media in super().map_parsers()]

    def get_response_serializers(self):
        """``response_serializer``: the 200 body's serializer, or ``{method: serializer}`` for a
        view whose methods answer differently; ``None`` for a method that answers no JSON body
        (a redirect)."""
        declared = getattr(self.view, "response_serializer", UNDECLARED)
        if isinstance(declared, dict):
            declared = declared.get(self.method.lower(), UNDECLARED)
        if declared is UNDECLARED:
            warn(f"{self.view.__class__.__name__}: no response_serializer for {self.method} {self.path}")
            return {200: UNDOCUMENTED}
        return {200: declared} if declared is not None else {}

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction == "response":
            responses.setdefault(
                "default", self._get_response_for_code(ErrorSerializer, "default", direction=direction)
            )
            responses["default"]["description"] = "An error: upstream's errno body."
        return responses

    def get_override_parameters(self):
        query = getattr(self.view, "query_serializer", None)
        return [*super().get_override_parameters(), *([query] if query else [])]


class EmptyScheme(OpenApiSerializerExtension):
    """``{}``, documented as such (drf-spectacular drops a component without members)."""

    target_class = "accounts.serializers.responses.EmptySerializer"

    def map_serializer(self, auto_schema, direction):
        return {"type": "object", "additionalProperties": False, "description": "An empty object."}


class MappingScheme(OpenApiSerializerExtension):
    """A MappingResponseSerializer: an object of ``child`` values under any keys."""

    target_class = "accounts.serializers.responses.MappingResponseSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        child = auto_schema.resolve_serializer(self.target.child, direction)
        return {"type": "object", "additionalProperties": child.ref}


class TokenScheme(OpenApiAuthenticationExtension):
    """``Authorization: Bearer <prefix>_<tokenId>`` (Hawk with the same token is also accepted)."""

    target_class = "accounts.authentication.TokenAuthentication"
    match_subclasses = True

    def __init__(self, target):
        super().__init__(target)
        self.name = target.model.__name__

    def get_security_definition(self, auto_schema):
        prefix = self.target.model.bearer_prefix
        return {
            "type": "http",
            "scheme": "bearer",
            "description": f"`Bearer {prefix}_<tokenId hex>`, or a Hawk header signed with the "
            f"{self.target.model.__name__}'s derived key.",
        }


class RefreshTokenScheme(OpenApiAuthenticationExtension):
    """``Authorization: Bearer <64 hex>``: an OAuth refresh token, on the device routes."""

    target_class = "oauth.authentication.RefreshTokenAuthentication"
    name = "RefreshToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An OAuth refresh token (64 hex)."}
