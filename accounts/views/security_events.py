"""Security event routes: the account's audit log (/securityEvents)."""
from ..serializers import responses
from ..services import security_events
from .base import SessionView


class SecurityEventsView(SessionView):
    """GET /v1/securityEvents and DELETE /v1/securityEvents (sessionToken)"""

    response_serializer = {
        "get": responses.SecurityEventResponseSerializer(many=True),
        "delete": responses.EmptySerializer,
    }

    def get(self, request):
        return self.answer(security_events.recent(request.user))

    def delete(self, request):
        security_events.delete_all(request.user)
        return self.answer({})
