"""Bounces and complaints: recording them, and refusing to mail an address that recently bounced.

``check`` applies upstream's ``smtp.bounces`` rules (lib/bounces.js): per bounce type, a table of
tiers where the N-th most recent bounce (0-based) blocks mail while it is younger than tier N.
With upstream's defaults one hard bounce or complaint blocks for 15 minutes and a second one for a
day; one soft bounce blocks for 5 minutes. The delivery provider's own suppression list is what
stops mail to dead addresses for good; these rules stop a sign-up or sign-in flow from mailing an
address that just bounced. Templates that a user needs to get back into the account are exempt.
"""
import json
import logging
from email.utils import parseaddr

from django.db import transaction

from ..errors import AppError, Errno
from ..models import Account, Email, EmailBounce, now_ms
from ..validators import EMAIL
from . import security_events

logger = logging.getLogger("fxa.bounces")

MINUTE_MS = 60 * 1000
DAY_MS = 24 * 60 * MINUTE_MS

# Upstream's config defaults (smtp.bounces.{hard,soft,complaint}): tier -> window in ms.
RULES = {
    EmailBounce.Type.HARD: (15 * MINUTE_MS, DAY_MS),
    EmailBounce.Type.SOFT: (5 * MINUTE_MS,),
    EmailBounce.Type.COMPLAINT: (15 * MINUTE_MS, DAY_MS),
}
ERRNOS = {
    EmailBounce.Type.HARD: Errno.BOUNCE_HARD,
    EmailBounce.Type.SOFT: Errno.BOUNCE_SOFT,
    EmailBounce.Type.COMPLAINT: Errno.BOUNCE_COMPLAINT,
}
BOUNCE_ERRNOS = frozenset(ERRNOS.values())
# smtp.bounces.ignoreTemplates: the mail a user needs to sign in or recover the account.
IGNORE_TEMPLATES = frozenset(
    {"verifyLoginCode", "verifyLogin", "recovery", "unblockCode", "subscriptionAccountFinishSetup"}
)
# SES bounceType -> ours; "Undetermined" bounces are not recorded (upstream stores them unmapped
# and its rules ignore them).
SES_BOUNCE_TYPES = {"Permanent": EmailBounce.Type.HARD, "Transient": EmailBounce.Type.SOFT}
# Upstream deletes an unverified account this young when its address bounces (lib/email/bounces.js).
UNVERIFIED_ACCOUNT_DELETION_AGE_MS = 6 * 60 * MINUTE_MS


def check(email, template=None):
    """Raise 133/134/135 (with ``bouncedAt``) if mail to ``email`` is blocked by its bounces.

    ``template`` is the upstream template name about to be sent; bounce-tolerant templates are
    never blocked. Without a template the address itself is checked.
    """
    if template in IGNORE_TEMPLATES:
        return
    bounces = EmailBounce.objects.filter(normalized_email=email.lower()).values_list(
        "bounce_type", "created_at"
    )
    now = now_ms()
    counts = dict.fromkeys(RULES, 0)
    latest = {}
    # Newest first: the first bounce of a type is checked against tier 0, the next against tier 1…
    for bounce_type, created_at in bounces.order_by("-created_at", "-id"):
        tiers = RULES.get(bounce_type)
        if tiers is None:
            continue
        latest.setdefault(bounce_type, created_at)
        tier = counts[bounce_type]
        if tier < len(tiers) and created_at > now - tiers[tier]:
            raise AppError(ERRNOS[bounce_type], bouncedAt=latest[bounce_type])
        counts[bounce_type] += 1


def record(email, bounce_type, sub_type=""):
    """Store one bounce or complaint reported by the delivery provider.

    A young unverified account at that address is deleted, as upstream does: its sign-up mail
    never arrived, and the address is freed for a corrected sign-up.
    """
    with transaction.atomic():
        bounce = EmailBounce.objects.create(
            email=email, bounce_type=bounce_type, bounce_sub_type=(sub_type or "")[:64]
        )
        _delete_account_if_unverified_new(email.lower())
    return bounce


def _delete_account_if_unverified_new(normalized_email):
    """Upstream: a bounce on a sign-up address less than 6 hours old ends that sign-up."""
    row = Email.objects.select_related("account").filter(normalized_email=normalized_email).first()
    if row is None:
        return
    account = row.account
    if not account.email_verified and account.created_at > now_ms() - UNVERIFIED_ACCOUNT_DELETION_AGE_MS:
        logger.info("Deleting unverified account %s after a bounce", account.uid)
        account.delete()


def clear(bounces, context=None):
    """Support staff clear bounces: delete them, and record ``emails.clearBounces`` once for each
    account that owns one of the addresses (as upstream's admin panel does)."""
    bounces = list(bounces)
    addresses = {bounce.normalized_email for bounce in bounces}
    with transaction.atomic():
        EmailBounce.objects.filter(pk__in=[bounce.pk for bounce in bounces]).delete()
        for account in _owners(addresses):
            security_events.record(account, "emails.clearBounces", context)
    return len(bounces)


def _owners(normalized_addresses):
    uids = set(
        Email.objects.filter(normalized_email__in=normalized_addresses).values_list("account_id", flat=True)
    )
    uids |= set(
        Account.objects.filter(normalized_email__in=normalized_addresses).values_list("uid", flat=True)
    )
    return Account.objects.filter(uid__in=uids)


# Notifications from the delivery provider.


class InvalidNotification(ValueError):
    """A webhook body that is not an SES bounce/complaint notification (nor an SNS envelope)."""


def handle_notification(payload):
    """Record the bounces or complaint of one SES notification, raw or wrapped in SNS.

    Returns how many addresses were recorded. Other notification types (Delivery, SNS
    subscription confirmations) are accepted and ignored.
    """
    message = unwrap_sns(payload)
    kind = message.get("notificationType") or message.get("eventType")
    if kind == "Bounce":
        bounce = _object(message.get("bounce"))
        bounce_type = SES_BOUNCE_TYPES.get(bounce.get("bounceType"))
        recipients = bounce.get("bouncedRecipients")
        sub_type = bounce.get("bounceSubType") or ""
    elif kind == "Complaint":
        complaint = _object(message.get("complaint"))
        bounce_type = EmailBounce.Type.COMPLAINT
        recipients = complaint.get("complainedRecipients")
        sub_type = complaint.get("complaintFeedbackType") or ""
    else:
        return 0
    if not isinstance(recipients, list):
        raise InvalidNotification("no recipients")
    if bounce_type is None:
        return 0
    recorded = 0
    for recipient in recipients:
        address = _address(recipient)
        if address is None:
            logger.warning("Bounce notification with an unusable recipient: %r", recipient)
            continue
        record(address, bounce_type, str(sub_type))
        recorded += 1
    return recorded


def unwrap_sns(payload):
    """The SES message: the payload itself, or the JSON string in an SNS envelope's ``Message``."""
    payload = _object(payload)
    if payload.get("Type") == "Notification" and "Message" in payload:
        message = payload["Message"]
        if isinstance(message, str):
            try:
                message = json.loads(message)
            except ValueError:
                raise InvalidNotification("SNS Message is not JSON") from None
        return _object(message)
    return payload


def _object(value):
    if not isinstance(value, dict):
        raise InvalidNotification("expected an object")
    return value


def _address(recipient):
    """The bare address of a recipient entry (SES may send ``"Name <addr>"``), or None."""
    raw = recipient.get("emailAddress") if isinstance(recipient, dict) else None
    if not isinstance(raw, str):
        return None
    address = parseaddr(raw)[1] or raw
    return address if EMAIL.fullmatch(address) and len(address) <= 255 else None
