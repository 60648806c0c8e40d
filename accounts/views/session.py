"""Session routes: status, destroy, duplicate, reauth."""
from ..serializers import (
    KeysQuerySerializer,
    LoginSerializer,
    SessionDestroySerializer,
    SessionDuplicateSerializer,
)
from ..serializers import responses
from ..services import sessions, verification
from .base import SessionView


class SessionStatusView(SessionView):
    """GET /v1/session/status"""

    response_serializer = responses.SessionStatusResponseSerializer

    def get(self, request):
        return self.answer(sessions.session_state(request.auth))


class SessionDestroyView(SessionView):
    """POST /v1/session/destroy (old clients send an empty body)"""

    body_serializer = SessionDestroySerializer
    response_serializer = responses.EmptySerializer

    def post(self, request):
        data = self.body()
        sessions.destroy_session(request.auth, self.context(), data.get("customSessionToken"))
        return self.answer({})


class SessionDuplicateView(SessionView):
    """POST /v1/session/duplicate"""

    body_serializer = SessionDuplicateSerializer
    response_serializer = responses.SessionDuplicateResponseSerializer

    payload_required = True

    def post(self, request):
        self.body()
        return self.answer(sessions.duplicate_session(request.auth, self.context()))


class SessionReauthView(SessionView):
    """POST /v1/session/reauth"""

    query_serializer = KeysQuerySerializer
    body_serializer = LoginSerializer
    response_serializer = responses.SessionReauthResponseSerializer

    payload_required = True

    def post(self, request):
        query = self.query()
        data = self.body()
        method = data.get("verificationMethod") or query.get("verificationMethod")
        return self.answer(sessions.reauth(
            request.auth,
            data["email"],
            data["authPW"],
            self.context(),
            keys=query["keys"],
            verification_method=method,
            links=verification.link_options(data, query),
        ))
