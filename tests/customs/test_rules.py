"""The rule grammar (customs.md §2): what parses, what does not, and which line is named."""
import pytest

from accounts.customs.rules import Rule, RuleError, parse_duration, parse_rules
from accounts.customs.service import rules_text


def test_a_rule_has_five_or_six_sections_and_block_is_the_default_policy():
    rules = parse_rules("""
        # action | blockOn | max | window | ban [| policy]
        accountLogin : ip_email : 5 : 15 minutes : 15 minutes
        accountLogin : ip       : 100 : 24 hours : 15 minutes : ban
        default      : ip       : 900 : 15 minutes : 15 minutes : report
    """)
    assert rules["accountLogin"] == (
        Rule("accountLogin", "ip_email", 5, 900, 900, "block"),
        Rule("accountLogin", "ip", 100, 86400, 900, "ban"),
    )
    assert rules["default"][0].policy == "report"
    assert rules["accountLogin"][1].line == 4


@pytest.mark.parametrize("text, seconds", [
    ("1s", 1), ("1 second", 1), ("30 seconds", 30), ("15 minute", 900), ("15 minutes", 900),
    ("2m", 120), ("1 hour", 3600), ("24 hours", 86400), ("1h", 3600), ("1 day", 86400),
])
def test_durations_are_written_as_upstream_writes_them(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("line, reason", [
    ("foo!23:ip:1:1s:1s", "letters only"),
    ("foo:bar:1:1s:1s", "blockOn must be"),
    ("foo:ip:-2:1s:1s", "maxAttempts"),
    ("foo:ip:0:1s:1s", "maxAttempts"),
    ("foo:ip:10001:1s:1s", "maxAttempts"),
    ("foo:ip:50.:1s:1s", "maxAttempts"),
    ("foo:ip:1:1sdfds:1s", "not a duration"),
    ("foo:ip:1:1s:-1h", "not a duration"),
    ("foo:ip:1:0s:1h", "at least one second"),
    (":ip:1:1s:1s", "letters only"),
    ("foo::1:1s:1s", "blockOn must be"),
    ("foo:ip:1:1s:", "not a duration"),
    ("foo:ip:1", "5 or 6 sections"),
    ("foo:ip:1:1s:1s:forever", "policy must be"),
])
def test_a_malformed_rule_is_refused_with_its_line_and_reason(line, reason):
    with pytest.raises(RuleError) as raised:
        parse_rules(f"# first line\n{line}\n")
    assert raised.value.line_number == 2
    assert reason in str(raised.value) and "line 2" in str(raised.value)


def test_the_same_rule_twice_is_an_error_but_several_limits_per_property_are_not():
    with pytest.raises(RuleError, match="line 2: the same rule appears twice"):
        parse_rules("test : ip : 1 : 1s : 1s\ntest : ip : 1 : 1 second : 1s")
    rules = parse_rules("test : ip : 3 : 1 minute : 1 hour\ntest : ip : 30 : 1 day : 1 day")
    assert [rule.max_attempts for rule in rules["test"]] == [3, 30]


def test_rules_may_be_separated_by_semicolons_for_one_environment_variable():
    rules = parse_rules("a : ip : 1 : 1s : 1s; b : email : 2 : 1m : 1m # comment; not a rule")
    assert set(rules) == {"a", "b"}


def test_the_shipped_default_rules_parse(settings):
    rules = parse_rules(rules_text())
    assert {"accountLogin", "passwordCheckFailed", "verifyTotpCode", "default"} <= set(rules)
    assert {rule.block_on for rule in rules["accountLogin"]} == {"ip_email", "ip", "email"}


def test_the_setting_is_a_path_or_the_rules_themselves(settings, tmp_path):
    path = tmp_path / "rules.txt"
    path.write_text("fromFile : ip : 1 : 1s : 1s\n")
    settings.CUSTOMS_RULES = str(path)
    assert set(parse_rules(rules_text())) == {"fromFile"}
    settings.CUSTOMS_RULES = "inline : ip : 1 : 1s : 1s"
    assert set(parse_rules(rules_text())) == {"inline"}
    settings.CUSTOMS_RULES = ""
    assert parse_rules(rules_text()) == {}
