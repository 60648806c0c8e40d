"""The one door from ``accounts`` into its nested apps, ``accounts.devices`` and ``accounts.twofactor``,
and into the ``subscriptions`` app.

The nested apps build on ``accounts`` (its models, services and errors) and import it freely;
``accounts`` never imports them except here (``tests/test_layering.py`` fails otherwise). Each
function is one thing an account use case needs from a nested app, so this file is the whole
list. ``subscriptions`` builds on ``accounts`` the same way; the account use cases that must
answer with subscriptions (GET /account, the profiles, the access tokens of ``oauth``, account
deletion) reach it only through the functions at the end. The imports wait for the first call: the nested apps' models import ``accounts.models``,
which uses this module.
"""
from django.db.models import Exists, OuterRef

# Two-step authentication (accounts.twofactor).


def has_enabled_totp(account):
    """Whether two-step authentication is on for ``account`` (an Account or a uid)."""
    from .twofactor.services import has_enabled_totp

    return has_enabled_totp(account)


def has_enabled_totp_expression(account_field="account_id"):
    """``has_enabled_totp`` as a subquery, to annotate the rows whose ``account_field`` is a uid."""
    from .twofactor.models import TotpToken

    return Exists(TotpToken.objects.filter(pk=OuterRef(account_field), enabled=True))


# The account's devices (accounts.devices). The pushes are queued when the caller's transaction
# commits; call these inside it, before deleting what the devices hang on (they are told as they
# were, upstream's order).


def tell_devices_account_destroyed(account):
    from .devices import notifications

    return notifications.account_destroyed(account.uid, notifications.account_targets(account.uid))


def tell_devices_password_changed(account, exclude_session=None):
    """Every device but the one of ``exclude_session`` (a tokenId: the changing session)."""
    from .devices import notifications

    return notifications.password_changed(
        notifications.account_targets(account.uid, exclude_session=exclude_session)
    )


def tell_devices_password_reset(account):
    from .devices import notifications

    return notifications.password_reset(notifications.account_targets(account.uid))


def tell_devices_account_updated(account, reason):
    """``accountVerify`` (the address was confirmed) or ``accountConfirm`` (a sign-in was)."""
    from .devices import notifications

    return notifications.account_updated(account.uid, reason)


def tell_devices_session_destroyed(session):
    """A sessionToken is about to go: its device, if it has one, is disconnected with it."""
    from .devices import notifications

    return notifications.session_destroyed(session)


def forget_devices(account):
    """Delete every device of the account, those of OAuth refresh tokens too (a password reset)."""
    from .devices.models import Device

    Device.objects.filter(account=account).delete()


def expired_device_commands():
    """Device commands past their TTL, as a queryset (``manage.py purge_expired``)."""
    from .devices.services import expired_commands

    return expired_commands()


# Subscriptions (the subscriptions app): what the account's paid subscriptions grant.


def subscription_capabilities(account, client_id=None):
    """The capabilities (sorted) the account's subscriptions grant to ``client_id``; with no
    client (our own pages), all of them."""
    from subscriptions import services

    if client_id is None:
        return services.every_capability(account)
    return services.capabilities_for_client(account, client_id)


def subscriptions_by_client_id(account):
    """``{client_id | "*": [capability, ...]}`` (GET /account/profile)."""
    from subscriptions import services

    return services.capabilities_by_client_id(account)


def account_subscriptions(account):
    """GET /account's ``subscriptions``."""
    from subscriptions import services

    return services.account_subscriptions(account)


def web_subscription_serializer():
    """The serializer of one of GET /account's ``subscriptions`` (§4.3's WebSubscription)."""
    from subscriptions.serializers import WebSubscriptionSerializer

    return WebSubscriptionSerializer


def end_subscriptions(account):
    """Before an account is deleted: its Stripe subscriptions cancelled, its customer deleted."""
    from subscriptions import services

    return services.cancel_all_and_delete_customer(account)
