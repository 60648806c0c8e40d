"""Who a device belongs to: the token that authenticated a device route.

Upstream's device routes accept a sessionToken or an OAuth refresh token (``Bearer <64 hex>``), and
a device record belongs to the token that registered it. ``DeviceOwner.of`` is the one place that
looks at the token type, so refresh tokens plug in without touching the services:

* add the OAuth app's refresh-token authentication class to ``DEVICE_AUTHENTICATION`` in
  ``accounts/devices/views.py``;
* have it authenticate as ``(account, token)`` where ``token.refresh_token_id`` is the token's id
  (64 hex, upstream's ``refreshTokenId``) and ``token.client_name`` the OAuth client's name (the
  default device name), and keep ``Device.last_access_time`` of that token's device current;
* when a refresh token is revoked, call ``services.forget_refresh_token(refresh_token_id)``, and
  register the OAuth clients of ``/account/attached_clients`` with
  ``oauth_clients.register_oauth_clients``.
"""
from dataclasses import dataclass

from accounts.models import Account, SessionToken

from .models import Device


@dataclass(frozen=True)
class DeviceOwner:
    account: Account
    session: SessionToken | None = None
    refresh_token_id: str | None = None
    client_name: str = ""

    @classmethod
    def of(cls, account, token):
        if isinstance(token, SessionToken):
            return cls(account, session=token)
        refresh_token_id = getattr(token, "refresh_token_id", None)
        if refresh_token_id:
            return cls(account, refresh_token_id=refresh_token_id,
                       client_name=getattr(token, "client_name", "") or "")
        raise TypeError(f"{type(token).__name__} cannot own a device")

    @property
    def lookup(self):
        """Filter arguments selecting this token's device."""
        if self.session is not None:
            return {"session_token_id": self.session.pk}
        return {"refresh_token_id": self.refresh_token_id}

    @property
    def ownership(self):
        """The Device fields that bind a record to this token."""
        return {"session_token": self.session, "refresh_token_id": self.refresh_token_id}

    @property
    def token_verified(self):
        # A refresh token is only ever issued to a verified session.
        return self.session.token_verified if self.session is not None else True

    def current_device(self, for_update=False):
        devices = Device.objects.filter(account=self.account, **self.lookup)
        return (devices.select_for_update() if for_update else devices).first()

    def owns(self, device):
        if self.session is not None:
            return device.session_token_id == self.session.pk
        return device.refresh_token_id == self.refresh_token_id
