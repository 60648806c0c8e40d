"""OpenAPI generation for the /v1 views: request bodies and query strings from the serializers
each view declares (``body_serializer``, ``query_serializer``), token schemes per token type."""
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes


class ApiSchema(AutoSchema):
    def get_request_serializer(self):
        return getattr(self.view, "body_serializer", None)

    def map_parsers(self):
        # Bodies are parsed as JSON whatever their Content-Type; document them as JSON.
        return ["application/json" if media == "*/*" else media for media in super().map_parsers()]

    def get_response_serializers(self):
        return OpenApiTypes.OBJECT

    def get_override_parameters(self):
        query = getattr(self.view, "query_serializer", None)
        return [*super().get_override_parameters(), *([query] if query else [])]


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
