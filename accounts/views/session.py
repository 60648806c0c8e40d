"""Session routes: status, destroy, duplicate, reauth."""
from rest_framework.response import Response

from ..serializers import (
    KeysQuerySerializer,
    LoginSerializer,
    SessionDestroySerializer,
    SessionDuplicateSerializer,
)
from ..services import sessions, verification
from .base import SessionView


class SessionStatusView(SessionView):
    """GET /v1/session/status"""

    def get(self, request):
        return Response(sessions.session_state(request.auth))


class SessionDestroyView(SessionView):
    """POST /v1/session/destroy (old clients send an empty body)"""

    body_serializer = SessionDestroySerializer

    def post(self, request):
        data = self.body()
        sessions.destroy_session(request.auth, self.context(), data.get("customSessionToken"))
        return Response({})


class SessionDuplicateView(SessionView):
    """POST /v1/session/duplicate"""

    body_serializer = SessionDuplicateSerializer

    payload_required = True

    def post(self, request):
        self.body()
        session_token, copy = sessions.duplicate_session(request.auth, self.context())
        status = sessions.duplicate_status(copy)
        return Response(
            {
                "uid": copy.account_id,
                "sessionToken": session_token,
                "authAt": copy.auth_at_seconds,
                "emailVerified": copy.account.email_verified,
                "sessionVerified": copy.token_verified,
                "verificationMethod": status.get("verificationMethod"),
                "verificationReason": status.get("verificationReason"),
                "verified": status["verified"],
            }
        )


class SessionReauthView(SessionView):
    """POST /v1/session/reauth"""

    query_serializer = KeysQuerySerializer
    body_serializer = LoginSerializer

    payload_required = True

    def post(self, request):
        query = self.query()
        data = self.body()
        method = data.get("verificationMethod") or query.get("verificationMethod")
        session, key_fetch_token, match, method = sessions.reauth(
            request.auth,
            data["email"],
            bytes.fromhex(data["authPW"]),
            self.context(),
            keys=query["keys"],
            verification_method=method,
            links=verification.link_options(data, query),
        )
        body = {"uid": session.account_id}
        if key_fetch_token:
            body["keyFetchTokenVersion2" if match.version == 2 else "keyFetchToken"] = key_fetch_token
        body.update(sessions.sign_in_status(session, method))
        body.update(
            {
                "emailVerified": session.account.email_verified,
                "sessionVerified": session.token_verified,
                "authAt": session.auth_at_seconds,
                "metricsEnabled": session.account.metrics_enabled,
            }
        )
        return Response(body)
