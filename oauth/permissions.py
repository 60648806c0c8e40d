"""What each scope gives a relying party, in words, for the consent page (content-server.md §3
"OAuth consent / permissions").

``profile`` is shown as the items it stands for; ``openid`` gives the RP the account's id (the
id_token's ``sub``), the same item as ``profile:uid``, so the two are listed once.
"""
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from . import scopes as scope_lib

# The items `profile` (and `profile:write`) expand to, in the order they are listed.
PROFILE_ITEMS = ("profile:email", "profile:display_name", "profile:avatar", "profile:uid")

# scope -> (what the RP gets, in a few words; what it is, in a sentence).
WORDS = {
    "profile:email": (_("Email address"), _("The primary email address of your account.")),
    "profile:display_name": (_("Display name"), _("The name you chose to show in your account.")),
    "profile:avatar": (_("Profile picture"), _("The picture of your account.")),
    "profile:uid": (
        _("Account ID"), _("A number that identifies your account to this application."),
    ),
    "profile:locale": (_("Language"), _("The language you chose for your account.")),
    "profile:amr": (
        _("Sign-in methods"), _("How you sign in, and whether two-step authentication is on."),
    ),
    "profile:subscriptions": (
        _("Subscriptions"), _("Which of your paid subscriptions this application provides."),
    ),
    "profile:display_name:write": (
        _("Change your display name"), _("The application may set the name your account shows."),
    ),
    "profile:avatar:write": (
        _("Change your profile picture"), _("The application may replace your account’s picture."),
    ),
    scope_lib.OLDSYNC: (
        _("Firefox Sync data"), _("Your bookmarks, history, passwords and other synced data."),
    ),
}
ALIASES = {"openid": "profile:uid"}


@dataclass(frozen=True)
class Permission:
    scope: str
    label: str
    description: str


def _expand(scope):
    if scope in ("profile", "profile:write"):
        items = list(PROFILE_ITEMS)
        if scope == "profile:write":
            items += ["profile:display_name:write", "profile:avatar:write"]
        return items
    return [ALIASES.get(scope, scope)]


def describe(requested):
    """The permissions a list of scopes asks for, each once, in words: the known ones in the
    order of WORDS, then any others."""
    items = list(dict.fromkeys(item for scope in requested for item in _expand(scope)))
    order = list(WORDS)
    items.sort(key=lambda item: order.index(item) if item in WORDS else len(order))
    result = []
    for item in items:
        if item in WORDS:
            label, description = WORDS[item]
        else:
            label = _("Other data")
            description = _("Access named “%(scope)s”.") % {"scope": item}
        result.append(Permission(item, str(label), str(description)))
    return result
