"""Profile routes: thin views over ``oauth.profile.services``, profile-server errnos.

Every /v1 route takes a bearer access token and needs the scope in its ``scopes`` (oauth.md §10),
or the session token of our own settings pages (``authentication.SessionGrant``);
the default avatars under /v1/avatar/<initial> and the uploaded ones under /a/<id> are public.
"""
from django.http import Http404, HttpResponse
from django.utils.cache import parse_etags
from django.utils.http import http_date
from django.views.decorators.http import require_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.parsers import JsonBodyParser
from accounts.serializers.responses import EmptySerializer, render
from accounts.validators import body_serializer

from . import images, serializers, services
from .authentication import AccessTokenAuthentication
from .errors import ProfileError, exception_handler

PRIVATE = "private, no-cache, no-store, must-revalidate"  # upstream's default for its routes
AVATAR_CACHE = "public, max-age=31536000, immutable"  # upstream's img.uploads.cacheControlSeconds
MONOGRAM_CACHE = "public, max-age=604800, immutable"


def _not_modified(request, etag):
    """Whether the client's If-None-Match already names ``etag`` (weak comparison)."""
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header:
        return False
    names = parse_etags(header)
    return "*" in names or etag in (name.removeprefix("W/") for name in names)


def _tagged(request, body, checksum):
    """``body`` with its ETag, or 304 when the client already holds it."""
    etag = f'"{checksum}"'
    response = Response(status=304) if _not_modified(request, etag) else Response(body)
    response["ETag"] = etag
    return response


class ProfileRoute(APIView):
    """A profile route: a bearer access token granting ``scopes[method]``, profile errnos."""

    authentication_classes = [AccessTokenAuthentication]
    permission_classes = []  # the token and its scope, checked below
    parser_classes = [JsonBodyParser]
    body_serializer = None
    scopes = {}  # HTTP method -> the scope the token must grant

    def get_exception_handler(self):
        return exception_handler

    def check_permissions(self, request):
        super().check_permissions(request)
        scope = self.scopes.get(request.method)
        if scope is not None and not services.grants(request.auth, scope):
            raise ProfileError.insufficient_scope(scope)

    def body(self):
        if not isinstance(self.request.data, dict):
            raise ProfileError.invalid_parameter([])
        serializer = body_serializer(self.body_serializer, self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response.setdefault("Cache-Control", PRIVATE)
        return response

    @property
    def token(self):
        return self.request.auth


class ProfileView(ProfileRoute):
    """GET /v1/profile (the OIDC userinfo endpoint): fields gated by the token's scopes."""

    def check_permissions(self, request):
        super().check_permissions(request)
        if not services.reads_profile(request.auth):
            raise ProfileError.insufficient_scope("profile")

    response_serializer = serializers.ProfileResponseSerializer

    def get(self, request):
        body = render(self.response_serializer, services.profile(self.token))
        response = _tagged(request, body, services.body_checksum(body))
        # As upstream for a profile it has just composed (nothing is cached here).
        response["Last-Modified"] = http_date()
        return response


class EmailView(ProfileRoute):
    scopes = {"GET": "profile:email"}
    response_serializer = serializers.EmailResponseSerializer

    def get(self, request):
        return Response({"email": self.token.account.primary_email.email})


class UidView(ProfileRoute):
    scopes = {"GET": "profile:uid"}
    response_serializer = serializers.UidResponseSerializer

    def get(self, request):
        return Response({"uid": self.token.account.uid})


class DisplayNameView(ProfileRoute):
    scopes = {"GET": "profile:display_name", "POST": "profile:display_name:write"}
    body_serializer = serializers.DisplayNameBody
    response_serializer = {"get": serializers.DisplayNameResponseSerializer, "post": EmptySerializer}

    @extend_schema(responses={200: serializers.DisplayNameResponseSerializer,
                              204: OpenApiResponse(description="No display name")})
    def get(self, request):
        display_name = self.token.account.display_name
        if not display_name:
            return Response(status=204)
        body = render(serializers.DisplayNameResponseSerializer, {"display_name": display_name})
        return _tagged(request, body, services.checksum(display_name))

    def post(self, request):
        return Response(services.set_display_name(self.token.account, self.body()["displayName"]))


class AvatarView(ProfileRoute):
    scopes = {"GET": "profile:avatar"}
    response_serializer = serializers.AvatarResponseSerializer

    def get(self, request):
        current = services.avatar(self.token)
        return _tagged(request, render(self.response_serializer, current), current["id"])


class AvatarUploadView(ProfileRoute):
    """POST /v1/avatar/upload: the image itself is the body, with its Content-Type."""

    scopes = {"POST": "profile:avatar:write"}
    max_body_bytes = None  # up to 1 MB, checked by check_upload with the profile server's answer

    @extend_schema(
        request={content_type: OpenApiTypes.BINARY for content_type in images.UPLOAD_TYPES},
        responses={201: serializers.AvatarUploadResponseSerializer},
    )
    def post(self, request):
        # Checked from the headers: a refused upload is never read into memory.
        services.check_upload(request.META.get("CONTENT_TYPE", ""),
                              int(request.META.get("CONTENT_LENGTH") or 0))
        return Response(services.upload_avatar(self.token.account, request.body), status=201)


class AvatarItemView(ProfileRoute):
    """GET /v1/avatar/<initial>: the public default avatar; DELETE /v1/avatar/<id>: the upload."""

    scopes = {"DELETE": "profile:avatar:write"}

    def perform_authentication(self, request):
        if request.method not in ("GET", "HEAD"):
            super().perform_authentication(request)

    @extend_schema(operation_id="v1_avatar_default_retrieve", auth=[],
                   responses={(200, "image/svg+xml"): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request, id):
        response = HttpResponse(services.monogram_svg(id), content_type="image/svg+xml; charset=utf-8")
        response["Cache-Control"] = MONOGRAM_CACHE
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    @extend_schema(responses={200: EmptySerializer})
    def delete(self, request, id):
        if not services.HEX_ID.fullmatch(id):
            raise ProfileError.invalid_parameter(["id"], source="params")
        return Response(services.delete_avatar(self.token.account, id.lower()))


@require_safe
def public_avatar(request, avatar_id):
    """/a/<id>: an uploaded avatar, re-encoded, for anyone (it appears in RPs' pages)."""
    stored = services.public_avatar(avatar_id)
    if stored is None:
        raise Http404
    response = HttpResponse(bytes(stored.image), content_type=stored.content_type)
    response["Cache-Control"] = AVATAR_CACHE
    response["X-Content-Type-Options"] = "nosniff"
    response["Access-Control-Allow-Origin"] = "*"
    return response
