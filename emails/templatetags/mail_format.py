"""Filters the subscription mails format Stripe's values with, in the message's language."""
from datetime import datetime, timezone as dt_timezone

from django import template
from django.utils import formats
from django.utils.translation import gettext

register = template.Library()

# Currencies Stripe counts in whole units (its "zero-decimal currencies").
ZERO_DECIMAL = frozenset({
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
})


@register.filter
def money(amount, currency):
    """An amount in Stripe's minor units as ``12.34 USD`` (``12,34 USD`` in German)."""
    try:
        amount = int(amount)
    except (TypeError, ValueError):
        return ""
    currency = str(currency or "").lower()
    places = 0 if currency in ZERO_DECIMAL else 2
    value = amount / (10 ** places)
    return f"{formats.number_format(value, places, use_l10n=True, force_grouping=True)} {currency.upper()}".strip()


@register.filter
def stripe_date(seconds):
    """A Stripe timestamp (seconds) as the language's long date (``4. Dezember 2026``)."""
    try:
        moment = datetime.fromtimestamp(int(seconds), tz=dt_timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return ""
    return formats.date_format(moment, "DATE_FORMAT", use_l10n=True)


@register.filter
def billing_cycle(interval):
    """A plan's interval as the adverb the mails use ("monthly")."""
    cycles = {"day": gettext("daily"), "week": gettext("weekly"), "month": gettext("monthly"),
              "year": gettext("yearly")}
    return cycles.get(str(interval or ""), str(interval or ""))
