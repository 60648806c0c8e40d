"""The port through which the OAuth app plugs its grants into the device routes.

``/account/attached_clients`` lists the account's OAuth authorizations and
``/account/attached_client/destroy`` (or disconnecting a refresh-token device) revokes them, but
``accounts.devices`` does not import ``oauth``: the OAuth app registers an ``OAuthClients``
provider here in its ``AppConfig.ready``. Until it does, there are none.
"""
from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class OAuthAuthorization:
    """One OAuth grant as the OAuth app reports it: a refresh token, or a client's access tokens."""

    client_id: str
    client_name: str
    created_time: int
    last_access_time: int
    scope: list = field(default_factory=list)
    refresh_token_id: str | None = None


class OAuthClients(Protocol):
    def authorizations(self, account) -> list[OAuthAuthorization]: ...

    def revoke(self, account, client_id=None, refresh_token_id=None) -> None: ...


class NoOAuthClients:
    """Until the OAuth app registers itself: no authorizations, nothing to revoke."""

    def authorizations(self, account):
        return []

    def revoke(self, account, client_id=None, refresh_token_id=None):
        return None


_oauth_clients = NoOAuthClients()


def register_oauth_clients(provider):
    """Called by the OAuth app (in its AppConfig.ready) with an ``OAuthClients``."""
    global _oauth_clients
    _oauth_clients = provider


def oauth_clients():
    return _oauth_clients
