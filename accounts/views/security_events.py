"""Security event routes: the account's audit log (/securityEvents)."""
from rest_framework.response import Response

from ..services import security_events
from .base import SessionView


class SecurityEventsView(SessionView):
    """GET /v1/securityEvents and DELETE /v1/securityEvents (sessionToken)"""

    def get(self, request):
        return Response(security_events.recent(request.user))

    def delete(self, request):
        security_events.delete_all(request.user)
        return Response({})
