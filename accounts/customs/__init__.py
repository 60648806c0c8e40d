"""Customs: abuse and brute-force protection (customs.md). See ``service`` for how it decides,
``rules`` for the grammar, ``actions`` for which action counts on what."""
from .service import Blocked, check, normalize_email, open_records, ruleset, unblock

__all__ = ["Blocked", "check", "normalize_email", "open_records", "ruleset", "unblock"]
