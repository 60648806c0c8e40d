"""``manage.py customs``: check the rules, list and clear open blocks and bans, the blocklist."""
import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import BlocklistEntry
from tests.accounts.customs_helpers import TIGHT, assert_request_blocked
from tests.accounts.flow_helpers import OTHER_IP, login
from tests.helpers import ok

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_blocklist")]



def customs(*args):
    out = StringIO()
    call_command("customs", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


# check

def test_check_validates_and_prints_the_rules_per_action(settings):
    settings.CUSTOMS_RULES = f"{TIGHT}; accountLogin : ip : 100 : 24 hours : 15 minutes : ban"
    out = customs("check")
    assert out.splitlines() == [
        "2 rules for 1 actions, all valid.",
        "accountLogin",
        "  ip_email     1 in 15 minutes  -> block 15 minutes  (line 1)",
        "  ip         100 in 24 hours    -> ban 15 minutes  (line 1)",
    ]
    data = json.loads(customs("check", "--json"))
    assert data["rules"]["accountLogin"][1] == {
        "blockOn": "ip", "maxAttempts": 100, "window": 86400, "duration": 900, "policy": "ban",
        "line": 1,
    }


def test_check_of_the_default_rules_passes():
    out = customs("check")
    assert "all valid" in out and "accountLogin" in out
    assert "default (any action without rules of its own)" in out


def test_check_says_when_customs_is_off(settings):
    settings.CUSTOMS_RULES = ""
    assert customs("check").strip() == "Customs is off: CUSTOMS_RULES is empty."


def test_a_broken_line_fails_check_naming_it(settings):
    settings.CUSTOMS_RULES = f"{TIGHT}\naccountLogin : ipx : 5 : 15 minutes : 15 minutes"
    with pytest.raises(CommandError, match=r"customs.E002: CUSTOMS_RULES line 2: blockOn must be"):
        customs("check")


def test_a_broken_line_makes_the_command_exit_non_zero(tmp_path):
    rules = tmp_path / "rules.txt"
    rules.write_text(f"# tight\n{TIGHT}\naccountLogin : ip : 5 : soon : 15 minutes\n")
    env = {**os.environ, "CUSTOMS_RULES": str(rules)}
    result = subprocess.run(
        [sys.executable, "manage.py", "customs", "check"], cwd=django_settings.BASE_DIR, env=env,
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1, result
    assert "line 3" in result.stderr and "not a duration: 'soon'" in result.stderr


# list and clear

def test_list_shows_the_open_blocks(blocked):
    out = customs("list", "--email", blocked.email)
    assert f"accountLogin  ip_email={OTHER_IP}_user@example.com  block  2 attempts" in out
    assert "retry after" in out
    assert customs("list") == out, "no value: every open block the ledger knows"
    rows = json.loads(customs("list", "--ip", OTHER_IP, "--email", blocked.email, "--json"))
    assert [(row["action"], row["blockOn"], row["policy"]) for row in rows] == [
        ("accountLogin", "ip_email", "block")
    ]
    assert 890 <= rows[0]["retryAfter"] <= 900
    assert customs("list", "--email", "other@example.com").strip() == "No open blocks or bans."


def test_clear_lifts_the_block(blocked, elsewhere, caplog):
    assert json.loads(customs("clear", "--email", blocked.email, "--json"))["cleared"] >= 1
    assert "manage.py customs cleared" in caplog.text
    assert customs("list").strip() == "No open blocks or bans."
    assert ok(login(elsewhere, blocked.email))["uid"] == blocked.uid


def test_clear_needs_a_value():
    with pytest.raises(CommandError, match="clear needs --ip, --email or --uid"):
        customs("clear")


# blocklist

def test_blocklist_add_list_remove(elsewhere, customs_user):
    assert customs("blocklist", "add", "ip", OTHER_IP, "--note", "abuse").strip() == f"Added ip {OTHER_IP}."
    assert customs("blocklist", "add", "ip", OTHER_IP).strip() == f"ip {OTHER_IP} is already listed."
    assert customs("blocklist", "add", "email_domain", "@Spam.Example").strip() == "Added email_domain spam.example."
    assert_request_blocked(login(elsewhere, customs_user.email))
    assert customs("blocklist", "list").splitlines() == [
        "email_domain spam.example", f"ip           {OTHER_IP}  (abuse)",
    ]
    rows = json.loads(customs("blocklist", "list", "--kind", "ip", "--json"))
    assert [(row["kind"], row["value"], row["note"], row["createdBy"]) for row in rows] == [
        ("ip", OTHER_IP, "abuse", "manage.py customs")
    ]
    assert customs("blocklist", "remove", "ip", OTHER_IP).strip() == f"Removed ip {OTHER_IP}."
    assert ok(login(elsewhere, customs_user.email))
    with pytest.raises(CommandError, match="is not listed"):
        customs("blocklist", "remove", "ip", OTHER_IP)


def test_blocklist_refuses_bad_values():
    with pytest.raises(CommandError, match="has host bits set; the range is 10.0.0.0/8"):
        customs("blocklist", "add", "cidr", "10.0.0.1/8")
    with pytest.raises(CommandError, match="invalid choice"):
        customs("blocklist", "add", "phone", "123")
    assert not BlocklistEntry.objects.exists()
    assert customs("blocklist", "list").strip() == "The blocklist is empty."
