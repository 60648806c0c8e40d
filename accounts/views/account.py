"""Account routes: create, login, status, credentials status, keys, profile, destroy, metrics opt."""
from drf_spectacular.utils import extend_schema

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
from ..serializers import responses
from ..services import accounts, verification
from ..validators import key_stretch_v2, validated_query
from .base import KeyFetchView, OptionalSessionView, PublicView, SessionView


class CreateAccountView(PublicView):
    """POST /v1/account/create"""

    query_serializer = KeysQuerySerializer
    body_serializer = CreateAccountSerializer
    response_serializer = responses.CreateAccountResponseSerializer

    def post(self, request):
        query = self.query()
        data = self.body()
        v2 = key_stretch_v2(data)
        issued = accounts.create_account(
            data["email"],
            data["authPW"],
            self.context(),
            keys=query["keys"],
            v2=v2,
            wrap_kb=data["wrapKb"] if v2 else None,
            verification_method=data.get("verificationMethod"),
            links=verification.link_options(data, query),
        )
        return self.answer(issued)


class LoginView(PublicView):
    """POST /v1/account/login"""

    query_serializer = KeysQuerySerializer
    body_serializer = LoginSerializer
    response_serializer = responses.LoginResponseSerializer

    def post(self, request):
        query = self.query()
        data = self.body()
        method = data.get("verificationMethod") or query.get("verificationMethod")
        issued = accounts.login(
            data["email"],
            data["authPW"],
            self.context(),
            keys=query["keys"],
            verification_method=method,
            unblock_code=data.get("unblockCode"),
            original_login_email=data.get("originalLoginEmail"),
            links=verification.link_options(data, query),
        )
        return self.answer(issued)


class AccountStatusView(OptionalSessionView):
    """GET /v1/account/status?uid= and POST /v1/account/status {email}"""

    body_serializer = AccountStatusSerializer
    response_serializer = {
        "get": responses.AccountUidStatusResponseSerializer,
        "post": responses.AccountStatusResponseSerializer,
    }

    @extend_schema(parameters=[AccountStatusQuerySerializer])
    def get(self, request):
        if request.auth is not None:
            return self.answer({"exists": True, "locale": request.user.locale or None})
        query = validated_query(AccountStatusQuerySerializer, request)
        if "uid" not in query:
            raise AppError.missing_parameter("uid")
        return self.answer({"exists": accounts.account_uid_exists(query["uid"], self.context())})

    def post(self, request):
        data = self.body()
        body = {"exists": accounts.account_exists(data["email"], self.context())}
        if data["thirdPartyAuthStatus"]:
            body.update(accounts.third_party_auth_status(data["email"]))
        return self.answer(body)


class CredentialsStatusView(PublicView):
    """POST /v1/account/credentials/status"""

    body_serializer = EmailSerializer
    response_serializer = responses.CredentialsStatusResponseSerializer

    def post(self, request):
        data = self.body()
        return self.answer(accounts.credentials_status(data["email"], self.context()))


class AccountKeysView(KeyFetchView):
    """GET /v1/account/keys"""

    response_serializer = responses.KeysResponseSerializer

    def get(self, request):
        return self.answer({"bundle": accounts.fetch_keys(request.auth)})


class AccountDestroyView(OptionalSessionView):
    """POST /v1/account/destroy"""

    body_serializer = DestroyAccountSerializer
    response_serializer = responses.EmptySerializer

    payload_required = True

    def post(self, request):
        data = self.body()
        accounts.destroy_account(
            data["email"], data["authPW"], self.context(), session=request.auth
        )
        return self.answer({})


class AccountProfileView(SessionView):
    """GET /v1/account/profile (sessionToken; OAuth tokens arrive with the OAuth app)"""

    response_serializer = responses.AccountProfileResponseSerializer

    def get(self, request):
        return self.answer(accounts.profile(request.user))


class AccountView(SessionView):
    """GET /v1/account"""

    response_serializer = responses.AccountResponseSerializer

    def get(self, request):
        return self.answer(accounts.account_data(request.user))


class MetricsOptView(SessionView):
    """POST /v1/account/metrics_opt {state: "in"|"out"}"""

    body_serializer = MetricsOptSerializer
    response_serializer = responses.EmptySerializer

    def post(self, request):
        accounts.set_metrics_opt(request.user, self.body()["state"])
        return self.answer({})
