"""Customs for operators: check the rules, list and clear open blocks and bans, manage the blocklist.

    manage.py customs check [--json]                       validate CUSTOMS_RULES, print them per action
    manage.py customs list  [--ip IP] [--email E] [--uid U] [--json]   open blocks and bans
    manage.py customs clear [--ip IP] [--email E] [--uid U]            clear them (bans too)
    manage.py customs blocklist list [--kind K] [--json]
    manage.py customs blocklist add KIND VALUE [--note TEXT]           KIND: ip, cidr, email_domain
    manage.py customs blocklist remove KIND VALUE

``list`` without a value lists every open block the ledger knows of. A bad rules line makes
``check`` exit non-zero, naming the line (the same system check as start-up).
"""
import json as jsonlib
import time

from django.core import checks as django_checks
from django.core.management.base import BaseCommand, CommandError

from accounts.customs import blocklist, ledger, open_records
from accounts.customs.checks import customs_rules_valid
from accounts.customs.rules import DEFAULT_ACTION, parse_rules
from accounts.customs.service import rules_text
from accounts.models import BlocklistEntry

OPERATOR = "manage.py customs"
_UNITS = ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second"))


def duration(seconds):
    """``900`` → ``15 minutes``, ``86400`` → ``24 hours``: the rules file's own words."""
    for size, unit in _UNITS:
        if seconds % size == 0 and (unit != "day" or seconds >= 2 * size):
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


def _values(parser):
    parser.add_argument("--ip")
    parser.add_argument("--email")
    parser.add_argument("--uid")


class Command(BaseCommand):
    help = "Check the customs rules, list or clear open blocks and bans, manage the blocklist."
    # ``check`` runs the rules check itself; the blocklist works whatever the rules say.
    requires_system_checks = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        check = sub.add_parser("check", help="Validate CUSTOMS_RULES and print the rules per action.")
        check.add_argument("--json", action="store_true")
        listing = sub.add_parser("list", help="Open blocks and bans on these values (all, without one).")
        _values(listing)
        listing.add_argument("--json", action="store_true")
        clear = sub.add_parser("clear", help="Clear every block, ban and counter on these values.")
        _values(clear)
        clear.add_argument("--json", action="store_true")
        lists = sub.add_parser("blocklist", help="IPs, CIDR ranges and mail domains refused (errno 125).")
        lists_sub = lists.add_subparsers(dest="blocklist_command", required=True)
        shown = lists_sub.add_parser("list", help="The blocklist.")
        shown.add_argument("--kind", choices=blocklist.KINDS)
        shown.add_argument("--json", action="store_true")
        add = lists_sub.add_parser("add", help="List an IP, a CIDR range or a mail domain.")
        add.add_argument("kind", choices=blocklist.KINDS)
        add.add_argument("value")
        add.add_argument("--note", default="")
        remove = lists_sub.add_parser("remove", help="Unlist one.")
        remove.add_argument("kind", choices=blocklist.KINDS)
        remove.add_argument("value")

    def handle(self, *args, subcommand, **options):
        if subcommand == "blocklist":
            return getattr(self, "blocklist_" + options.pop("blocklist_command"))(**options)
        return getattr(self, "do_" + subcommand)(**options)

    def _out(self, as_json, data, text):
        self.stdout.write(jsonlib.dumps(data, indent=2) if as_json else text)

    # Rules.

    def do_check(self, json, **options):
        problems = customs_rules_valid(None)
        errors = [problem for problem in problems if problem.level >= django_checks.ERROR]
        for problem in problems:
            if problem not in errors:
                self.stderr.write(f"warning ({problem.id}): {problem.msg}")
        if errors:
            raise CommandError("\n".join(f"{problem.id}: {problem.msg}" for problem in errors))
        rules = parse_rules(rules_text())
        data = {
            action: [{
                "blockOn": rule.block_on, "maxAttempts": rule.max_attempts, "window": rule.window,
                "duration": rule.duration, "policy": rule.policy, "line": rule.line,
            } for rule in action_rules]
            for action, action_rules in sorted(rules.items())
        }
        if not rules:
            text = "Customs is off: CUSTOMS_RULES is empty."
        else:
            lines = [f"{sum(map(len, rules.values()))} rules for {len(rules)} actions, all valid."]
            for action, action_rules in sorted(rules.items()):
                label = f"{action} (any action without rules of its own)" if action == DEFAULT_ACTION else action
                lines.append(label)
                lines += [
                    f"  {rule.block_on:<8} {rule.max_attempts:>5} in {duration(rule.window):<11} "
                    f"-> {rule.policy} {duration(rule.duration)}  (line {rule.line})"
                    for rule in action_rules
                ]
            text = "\n".join(lines)
        self._out(json, {"rules": data, "warnings": [p.msg for p in problems]}, text)

    # Open blocks.

    def do_list(self, ip, email, uid, json, **options):
        entries = open_records(ip=ip, email=email, uid=uid)
        data = [{
            "action": record.action, "blockOn": record.block_on, "value": record.value,
            "policy": record.policy, "attempts": record.attempts,
            "startedAt": int(record.started_at * 1000), "retryAfter": record.retry_after,
        } for record in entries]
        text = "\n".join(
            f"{row['action']}  {row['blockOn']}={row['value']}  {row['policy']}  "
            f"{row['attempts']} attempts  started {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(row['startedAt'] / 1000))} UTC"
            f"  retry after {row['retryAfter']} s"
            for row in data
        ) or "No open blocks or bans."
        self._out(json, data, text)

    def do_clear(self, ip, email, uid, json, **options):
        if not (ip or email or uid):
            raise CommandError("clear needs --ip, --email or --uid")
        removed = ledger.clear(ip=ip, email=email, uid=uid, by=OPERATOR)
        self._out(json, {"cleared": removed}, f"{removed} block(s), ban(s) and counter(s) cleared.")

    # The blocklist.

    def blocklist_list(self, kind, json, **options):
        entries = BlocklistEntry.objects.all()
        if kind:
            entries = entries.filter(kind=kind)
        data = [{"kind": entry.kind, "value": entry.value, "note": entry.note,
                 "createdAt": entry.created_at, "createdBy": entry.created_by} for entry in entries]
        text = "\n".join(
            f"{row['kind']:<12} {row['value']}" + (f"  ({row['note']})" if row["note"] else "")
            for row in data
        ) or "The blocklist is empty."
        self._out(json, data, text)

    def blocklist_add(self, kind, value, note, **options):
        try:
            entry, created = blocklist.add(kind, value, note=note, by=OPERATOR)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Added {entry.kind} {entry.value}." if created
                          else f"{entry.kind} {entry.value} is already listed.")

    def blocklist_remove(self, kind, value, **options):
        try:
            removed = blocklist.remove(kind, value, by=OPERATOR)
        except ValueError as error:
            raise CommandError(str(error)) from None
        if not removed:
            raise CommandError(f"{kind} {value} is not listed")
        self.stdout.write(f"Removed {kind} {value.strip()}.")
