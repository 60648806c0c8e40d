"""System check: the configured customs rules parse, and each counts what its action can supply.

A bad line fails ``manage.py check`` (and every start-up) naming the line, instead of the first
request that reaches the rule.
"""
from django.core import checks

from .actions import ACTIONS
from .rules import DEFAULT_ACTION, RuleError, parse_rules
from .service import rules_text


def customs_rules_valid(app_configs, **kwargs):
    try:
        rules = parse_rules(rules_text())
    except OSError as error:
        return [checks.Error(f"CUSTOMS_RULES: the rules file cannot be read: {error}", id="customs.E001")]
    except RuleError as error:
        return [checks.Error(f"CUSTOMS_RULES {error}", id="customs.E002")]
    problems = []
    for action, action_rules in rules.items():
        if action == DEFAULT_ACTION:
            continue
        if action not in ACTIONS:
            problems.append(checks.Warning(
                f"CUSTOMS_RULES line {action_rules[0].line}: no request is checked as {action!r}; "
                "its rules never apply.", id="customs.W001",
            ))
            continue
        for rule in action_rules:
            if rule.block_on not in ACTIONS[action]:
                problems.append(checks.Error(
                    f"CUSTOMS_RULES line {rule.line}: {action} cannot count on {rule.block_on!r} "
                    f"(it knows {', '.join(sorted(ACTIONS[action]))})", id="customs.E003",
                ))
    return problems
