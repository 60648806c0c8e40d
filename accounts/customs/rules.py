"""Upstream's rate-limit rule grammar (customs.md §2), parsed into ``Rule`` values. Pure: no I/O.

One rule per line, ``#`` comments and blank lines ignored, sections separated by ``:``::

    <action> : <blockOn> : <maxAttempts> : <windowDuration> : <banDuration> [: <policy>]

``default`` is the rule set for every action without rules of its own; a missing policy means
``block``. Durations are written as upstream writes them: ``30 seconds``, ``15 minute``, ``1h``.
"""
import re
from dataclasses import dataclass, field

BLOCK_ON = ("ip", "email", "uid", "ip_email", "ip_uid", "token")
POLICIES = ("block", "ban", "report")
DEFAULT_ACTION = "default"

_ACTION = re.compile(r"[A-Za-z]+")
_DURATION = re.compile(r"(\d+)\s*([a-z]+)")
_UNITS = {
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
}


class RuleError(ValueError):
    """A line of a rules text that cannot be used; ``str()`` names the line."""

    def __init__(self, line_number, line, reason):
        self.line_number, self.line, self.reason = line_number, line, reason
        super().__init__(f"line {line_number}: {reason}: {line.strip()!r}")


@dataclass(frozen=True)
class Rule:
    action: str
    block_on: str
    max_attempts: int
    window: int  # seconds
    duration: int  # seconds a block or ban lasts
    policy: str = "block"
    line: int = field(default=0, compare=False)  # where the rules text has it

    @property
    def id(self):
        """What tells two rules of one action apart (and names their counters)."""
        return f"{self.block_on}:{self.max_attempts}-{self.window}-{self.duration}"


def parse_duration(text):
    """Seconds in ``text`` (``15 minutes``, ``1h``); ``ValueError`` for anything else."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not match or match.group(2) not in _UNITS:
        raise ValueError(f"not a duration: {text!r}")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds < 1:
        raise ValueError(f"a duration must be at least one second: {text!r}")
    return seconds


def parse_rule(line, line_number=1):
    sections = [section.strip() for section in line.split(":")]
    if len(sections) not in (5, 6):
        raise RuleError(line_number, line, "expected 5 or 6 sections separated by ':'")
    action, block_on, max_attempts, window, duration = sections[:5]
    policy = sections[5] if len(sections) == 6 else "block"
    if not _ACTION.fullmatch(action):
        raise RuleError(line_number, line, "the action must be letters only")
    if block_on not in BLOCK_ON:
        raise RuleError(line_number, line, f"blockOn must be one of {', '.join(BLOCK_ON)}")
    if not max_attempts.isdigit() or not 1 <= int(max_attempts) <= 10000:
        raise RuleError(line_number, line, "maxAttempts must be a whole number from 1 to 10000")
    if policy not in POLICIES:
        raise RuleError(line_number, line, f"the policy must be one of {', '.join(POLICIES)}")
    try:
        window_seconds, duration_seconds = parse_duration(window), parse_duration(duration)
    except ValueError as error:
        raise RuleError(line_number, line, str(error)) from None
    return Rule(action, block_on, int(max_attempts), window_seconds, duration_seconds, policy,
                line_number)


def parse_rules(text):
    """``{action: (Rule, ...)}`` for a rules text; ``RuleError`` names the first bad line.

    Lines may also be separated by ``;``, so that a whole rule set fits in one environment
    variable. The same rule twice is an error; several rules of one action and property with
    different limits are not (a short strict window beside a long loose one).
    """
    rules = {}
    seen = set()
    lines = [(number, part) for number, line in enumerate(text.splitlines(), start=1)
             for part in line.split("#", 1)[0].split(";")]
    for number, content in lines:
        if not content.strip():
            continue
        rule = parse_rule(content, number)
        key = (rule.action, rule.id)
        if key in seen:
            raise RuleError(number, content, "the same rule appears twice")
        seen.add(key)
        rules.setdefault(rule.action, []).append(rule)
    return {action: tuple(action_rules) for action, action_rules in rules.items()}
