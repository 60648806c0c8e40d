"""Device, command-queue, push and attached-client routes (thin: validate, one service call, render)."""
from accounts.authentication import SessionTokenAuthentication
from accounts.permissions import TokenRequired, VerifiedSessionRequired
from accounts.serializers.responses import EmptySerializer
from accounts.views.base import PublicView, SessionView
from oauth.authentication import RefreshTokenAuthentication

from . import attached_clients, services
from .owner import DeviceOwner
from .serializers import (
    AttachedClientDestroySerializer,
    AttachedClientResponseSerializer,
    CommandsQuerySerializer,
    DeviceCommandsResponseSerializer,
    DeviceDestroySerializer,
    DeviceListEntryResponseSerializer,
    DeviceRecordResponseSerializer,
    DevicesNotifySerializer,
    DeviceSerializer,
    DevicesQuerySerializer,
    InvokeCommandResponseSerializer,
    InvokeCommandSerializer,
    SessionListEntryResponseSerializer,
)

# Upstream's ['sessionToken', 'refreshToken'] strategies (see owner.py for the refresh-token side).
DEVICE_AUTHENTICATION = [SessionTokenAuthentication, RefreshTokenAuthentication]


class DeviceTokenView(PublicView):
    """A route authenticated by a sessionToken or an OAuth refresh token."""

    authentication_classes = DEVICE_AUTHENTICATION
    permission_classes = [TokenRequired]

    def owner(self):
        return DeviceOwner.of(self.request.user, self.request.auth)



class DeviceView(DeviceTokenView):
    """POST /v1/account/device"""

    response_serializer = DeviceRecordResponseSerializer

    body_serializer = DeviceSerializer

    def post(self, request):
        data = self.body()
        device, created = services.register_device(self.owner(), DeviceSerializer.model_fields(data))
        return self.answer(services.device_record(device, created))


class DevicesView(DeviceTokenView):
    """GET /v1/account/devices[?filterIdleDevicesTimestamp=]"""

    response_serializer = DeviceListEntryResponseSerializer(many=True)

    query_serializer = DevicesQuerySerializer

    def get(self, request):
        query = self.query()
        return self.answer(services.list_devices(self.owner(), query.get("filterIdleDevicesTimestamp")))


class DeviceDestroyView(DeviceTokenView):
    """POST /v1/account/device/destroy"""

    response_serializer = EmptySerializer

    body_serializer = DeviceDestroySerializer

    def post(self, request):
        data = self.body()
        services.destroy_device(self.owner(), data["id"])
        return self.answer({})


class DeviceCommandsView(DeviceTokenView):
    """GET /v1/account/device/commands?index=&limit="""

    response_serializer = DeviceCommandsResponseSerializer

    query_serializer = CommandsQuerySerializer

    def get(self, request):
        query = self.query()
        return self.answer(services.fetch_commands(self.owner(), query.get("index"), query["limit"]))


class InvokeCommandView(DeviceTokenView):
    """POST /v1/account/devices/invoke_command"""

    response_serializer = InvokeCommandResponseSerializer

    body_serializer = InvokeCommandSerializer

    def post(self, request):
        data = self.body()
        return self.answer(services.invoke_command(
            self.owner(), data["target"], data["command"], data["payload"], data.get("ttl")
        ))


class DevicesNotifyView(DeviceTokenView):
    """POST /v1/account/devices/notify"""

    response_serializer = EmptySerializer

    body_serializer = DevicesNotifySerializer

    def post(self, request):
        data = self.body()
        services.notify_devices(
            self.owner(),
            data["payload"],
            to=data["to"],
            excluded=data.get("excluded", ()),
            ttl=data.get("TTL", 0),
            endpoint_action=data.get("_endpointAction"),
        )
        return self.answer({})


class SessionsView(SessionView):
    """GET /v1/account/sessions (deprecated in favour of attached_clients)"""

    response_serializer = SessionListEntryResponseSerializer(many=True)

    def get(self, request):
        return self.answer(attached_clients.list_sessions(request.auth))


class AttachedClientsView(SessionView):
    """GET /v1/account/attached_clients[?filterIdleDevicesTimestamp=]"""

    response_serializer = AttachedClientResponseSerializer(many=True)

    query_serializer = DevicesQuerySerializer

    def get(self, request):
        query = self.query()
        return self.answer(attached_clients.attached_clients(
            request.auth, query.get("filterIdleDevicesTimestamp")
        ))


class AttachedClientDestroyView(SessionView):
    """POST /v1/account/attached_client/destroy"""

    response_serializer = EmptySerializer

    permission_classes = [TokenRequired, VerifiedSessionRequired]
    body_serializer = AttachedClientDestroySerializer

    def post(self, request):
        data = self.body()
        handle_field = "sessionTokenHandle" if data.get("sessionTokenHandle") else "sessionTokenId"
        attached_clients.destroy_attached_client(
            request.auth,
            self.context(),
            client_id=data.get("clientId"),
            session_handle=data.get(handle_field),
            session_field=handle_field,
            refresh_token_id=data.get("refreshTokenId"),
            device_id=data.get("deviceId"),
        )
        return self.answer({})
