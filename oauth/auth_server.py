"""What the auth server's ``/v1/oauth/token`` adds to a grant (upstream's auth-server token route).

* The ``…/tokens/session`` scope (a trusted native client, e.g. Firefox's OAuth sign-in, asking
  for a session of its own): a new sessionToken copying the state of the session that authorized
  the grant, with the requester's user agent, returned as ``session_token``.
* A Sync grant (``…/apps/oldsync``) that created a refresh token: the browser is now connected, so
  its device record is created and the user gets the ``newDeviceLogin`` notice.
"""
from accounts.devices import services as device_services
from accounts.devices.owner import DeviceOwner
from accounts.errors import AppError, Errno
from accounts.models import SessionToken
from accounts.services import sessions, verification

from . import scopes as scope_lib

NOTIFICATION_SCOPES = frozenset({scope_lib.OLDSYNC})


def complete_grant(issued, context):
    """The response body of ``/v1/oauth/token`` for ``issued`` (grants.IssuedTokens)."""
    body = issued.body
    session = None
    if scope_lib.SESSION_SCOPE in issued.scopes:
        authorizing = SessionToken.objects.filter(
            token_id=issued.session_token_id, account=issued.account).first()
        if authorizing is None:  # signed out since it authorized the code
            raise AppError(Errno.UNKNOWN_AUTHORIZATION_CODE)
        duplicated = sessions.duplicate_session(authorizing, context)
        body["session_token"], session = duplicated.session_token, duplicated.session
    if issued.refresh_token is not None and NOTIFICATION_SCOPES.intersection(issued.scopes):
        _connect_device(issued, session)
        verification.send_new_device_login(issued.account, context)
    return body


def _connect_device(issued, session):
    """The browser's placeholder device, named after the client until the browser registers its
    own name. A device has one owning token: the new session when there is one (the browser
    manages its device with it), else the refresh token (apps that use it on the device routes)."""
    if session is not None:
        owner = DeviceOwner(issued.account, session=session)
    else:
        owner = DeviceOwner(issued.account, refresh_token_id=issued.refresh_token.token_id,
                            client_name=issued.client.name)
    device, created = device_services.register_device(owner, {})
    if created and not device.name:
        device.name = issued.client.name
        device.save(update_fields=["name"])
