"""System checks of the push configuration, so a bad VAPID key fails at start-up, not in a worker."""
import re

from django.conf import settings
from django.core.checks import Error, Warning

from . import push


def push_configuration(app_configs=None, **kwargs):
    problems = []
    try:
        re.compile(settings.PUSH_ALLOWED_SERVER_REGEX)
    except re.error as exc:
        problems.append(Error(f"PUSH_ALLOWED_SERVER_REGEX is not a regular expression: {exc}",
                              id="devices.E001"))
    if settings.VAPID_PRIVATE_KEY:
        try:
            push.load_vapid_private_key(settings.VAPID_PRIVATE_KEY)
        except (ValueError, TypeError) as exc:
            problems.append(Error(f"VAPID_PRIVATE_KEY cannot be read: {exc}", id="devices.E002"))
    elif not settings.DEBUG:
        problems.append(Warning(
            "VAPID_PRIVATE_KEY is not set: pushes to devices are sent without VAPID signatures.",
            hint="Generate a P-256 key (openssl ecparam -name prime256v1 -genkey -noout) and set "
                 "VAPID_PRIVATE_KEY or VAPID_PRIVATE_KEY_FILE.",
            id="devices.W001",
        ))
    if not re.match(r"^(mailto:.+@.+|https://[^/:]+)$", settings.VAPID_SUBJECT):
        problems.append(Error("VAPID_SUBJECT must be a mailto: address or an https:// origin "
                              "without a port.", id="devices.E003"))
    return problems
