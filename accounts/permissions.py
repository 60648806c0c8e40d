"""Who may call a route: the DRF permission classes every view names in ``permission_classes``.

Authentication (accounts/authentication.py) only says which token, if any, a request carries;
these decide what the route needs of it, so the services behind a view trust their caller.
"""
from rest_framework.permissions import BasePermission

from .authentication import read_credentials
from .errors import AppError, Errno
from .services.assurance import (
    check_confirmed_session,
    check_granting_session,
    check_verified_session,
)


class TokenRequired(BasePermission):
    """The route needs one of its token types; otherwise 401 errno 110."""

    def has_permission(self, request, view):
        if request.auth is None:
            if read_credentials(request) is None:
                raise AppError.missing_authentication()
            raise AppError.token_not_found()
        if getattr(view, "payload_required", False) and not request._request.body:
            raise AppError(Errno.INVALID_REQUEST_SIGNATURE, message="Payload is required")
        return True


class VerifiedSessionRequired(BasePermission):
    """upstream's verifiedSessionToken: verified email (104), session (138), full AAL (110)."""

    def has_permission(self, request, view):
        if request.auth is None:
            raise AppError.token_not_found()
        check_verified_session(request.auth)
        return True


class ConfirmedSessionRequired(BasePermission):
    """A confirmed sign-in (138), whatever the email and assurance level."""

    def has_permission(self, request, view):
        if request.auth is None:
            raise AppError.token_not_found()
        check_confirmed_session(request.auth)
        return True


class TokenOptional(BasePermission):
    """A token is optional, but credentials that were sent must be valid (hapi's "optional" mode).

    Serving a caller whose token is unknown as anonymous would hide a signed-out session from it.
    """

    def has_permission(self, request, view):
        if request.auth is None and read_credentials(request) is not None:
            raise AppError.token_not_found()
        return True


class GrantingSessionRequired(BasePermission):
    """The session authorizing an OAuth grant (``check_granting_session``). The view says what
    the grant is: ``view.granted_keys()`` is True when it carries scoped keys, False when not,
    and None when the session authorizes no grant on this request (the token endpoint's other
    grants, authenticated by the client)."""

    def has_permission(self, request, view):
        keyed = view.granted_keys()
        if keyed is not None:
            if request.auth is None:
                raise AppError.token_not_found()
            check_granting_session(request.auth, keyed=keyed)
        return True


class AssertionSessionRequired(GrantingSessionRequired):
    """The RP-family routes, where upstream takes an identity assertion minted from the session:
    a session that could not have minted one answers OAuth's 104 Invalid assertion."""

    def has_permission(self, request, view):
        from oauth.errors import OAuthError

        try:
            return super().has_permission(request, view)
        except AppError as error:
            raise OAuthError.invalid_assertion(error.message) from None
