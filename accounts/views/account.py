"""Account routes: create, login, status, credentials status, keys, profile, destroy, metrics opt."""
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from ..errors import AppError
from ..serializers import (
    AccountStatusQuerySerializer,
    AccountStatusSerializer,
    CreateAccountSerializer,
    DestroyAccountSerializer,
    EmailSerializer,
    KeysQuerySerializer,
    LoginSerializer,
    MetricsOptSerializer,
)
from ..services import accounts, verification
from ..validators import key_stretch_v2, validated_query
from .base import KeyFetchView, OptionalSessionView, PublicView, SessionView


def _tokens(issued):
    body = {"uid": issued.account.uid, "sessionToken": issued.session_token}
    if issued.key_fetch_token:
        body["keyFetchToken"] = issued.key_fetch_token
    if issued.key_fetch_token_version2:
        body["keyFetchTokenVersion2"] = issued.key_fetch_token_version2
    return body


class CreateAccountView(PublicView):
    """POST /v1/account/create"""

    query_serializer = KeysQuerySerializer
    body_serializer = CreateAccountSerializer

    def post(self, request):
        query = self.query()
        data = self.body()
        v2 = key_stretch_v2(data)
        issued = accounts.create_account(
            data["email"],
            bytes.fromhex(data["authPW"]),
            self.context(),
            keys=query["keys"],
            v2=v2,
            wrap_kb=bytes.fromhex(data["wrapKb"]) if v2 else None,
            verification_method=data.get("verificationMethod"),
            links=verification.link_options(data, query),
        )
        body = _tokens(issued)
        body["authAt"] = issued.session.auth_at_seconds
        if "verificationMethod" in data:
            body["verificationMethod"] = data["verificationMethod"]
        return Response(body)


class LoginView(PublicView):
    """POST /v1/account/login"""

    query_serializer = KeysQuerySerializer
    body_serializer = LoginSerializer

    def post(self, request):
        query = self.query()
        data = self.body()
        method = data.get("verificationMethod") or query.get("verificationMethod")
        issued = accounts.login(
            data["email"],
            bytes.fromhex(data["authPW"]),
            self.context(),
            keys=query["keys"],
            verification_method=method,
            unblock_code=data.get("unblockCode"),
            original_login_email=data.get("originalLoginEmail"),
            links=verification.link_options(data, query),
        )
        body = _tokens(issued)
        body.update(verification.status(issued.account, issued.session, issued.verification_method))
        body["authAt"] = issued.session.auth_at_seconds
        body["metricsEnabled"] = issued.account.metrics_enabled
        return Response(body)


class AccountStatusView(OptionalSessionView):
    """GET /v1/account/status?uid= and POST /v1/account/status {email}"""

    body_serializer = AccountStatusSerializer

    @extend_schema(parameters=[AccountStatusQuerySerializer])
    def get(self, request):
        if request.auth is not None:
            return Response({"exists": True, "locale": request.user.locale or None})
        query = validated_query(AccountStatusQuerySerializer, request)
        if "uid" not in query:
            raise AppError.missing_parameter("uid")
        return Response({"exists": accounts.account_uid_exists(query["uid"], self.context())})

    def post(self, request):
        data = self.body()
        body = {"exists": accounts.account_exists(data["email"], self.context())}
        if data["thirdPartyAuthStatus"]:
            body.update(accounts.third_party_auth_status(data["email"]))
        return Response(body)


class CredentialsStatusView(PublicView):
    """POST /v1/account/credentials/status"""

    body_serializer = EmailSerializer

    def post(self, request):
        data = self.body()
        return Response(accounts.credentials_status(data["email"], self.context()))


class AccountKeysView(KeyFetchView):
    """GET /v1/account/keys"""

    def get(self, request):
        return Response({"bundle": accounts.fetch_keys(request.auth)})


class AccountDestroyView(OptionalSessionView):
    """POST /v1/account/destroy"""

    body_serializer = DestroyAccountSerializer

    payload_required = True

    def post(self, request):
        data = self.body()
        accounts.destroy_account(
            data["email"], bytes.fromhex(data["authPW"]), self.context(), session=request.auth
        )
        return Response({})


class AccountProfileView(SessionView):
    """GET /v1/account/profile (sessionToken; OAuth tokens arrive with the OAuth app)"""

    def get(self, request):
        return Response(accounts.profile(request.user))


class AccountView(SessionView):
    """GET /v1/account"""

    def get(self, request):
        return Response(accounts.account_data(request.user))


class MetricsOptView(SessionView):
    """POST /v1/account/metrics_opt {state: "in"|"out"}"""

    body_serializer = MetricsOptSerializer

    def post(self, request):
        accounts.set_metrics_opt(request.user, self.body()["state"])
        return Response({})
