"""The customs algorithm (customs.md §2): counting, the three policies, overlapping rules, fixed
windows, bans, unblocking, ignore lists, email normalisation, and failing open.

Most tests count in the real Redis the suite runs with; those that move the clock use a local-
memory cache and a fake clock, which both django-ratelimit's windows and the cache's expiry read.
"""
import django_ratelimit.core
import pytest
from django.core.cache import caches
from django.core.cache.backends import base as cache_base, locmem
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from accounts import customs
from accounts.customs import service
from accounts.services.context import RequestContext, client_ip

HERE = RequestContext(ip_address="203.0.113.1")
THERE = RequestContext(ip_address="198.51.100.2")


def attempts(action, count, context=HERE, **values):
    """The outcome of ``count`` checks: "ok", or the errno of the refusal."""
    outcomes = []
    for _ in range(count):
        try:
            customs.check(action, context, **values)
            outcomes.append("ok")
        except customs.Blocked as blocked:
            outcomes.append(int(blocked.errno))
    return outcomes


class Clock:
    def __init__(self):
        self.now = 1_900_000_000.0

    def time(self):
        return self.now

    def monotonic(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock(settings, monkeypatch):
    """A local-memory cache and one fake clock for the windows, the blocks and the expiry."""
    settings.CACHES = {
        **settings.CACHES, "customs-test": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    settings.RATELIMIT_USE_CACHE = "customs-test"
    fake = Clock()
    for module in (django_ratelimit.core, service, locmem, cache_base):
        monkeypatch.setattr(module, "time", fake)
    yield fake
    caches["customs-test"].clear()


def test_the_attempt_after_the_maximum_is_refused_with_114_and_the_wait(settings):
    settings.CUSTOMS_RULES = "accountLogin : ip_email : 3 : 15 minutes : 10 minutes"
    assert attempts("accountLogin", 4, email="a@example.com") == ["ok", "ok", "ok", 114]
    with pytest.raises(customs.Blocked) as raised:
        customs.check("accountLogin", HERE, email="a@example.com")
    error = raised.value
    assert error.code == 429
    assert 590 <= error.extra["retryAfter"] <= 600
    assert error.headers["Retry-After"] == str(error.extra["retryAfter"])
    assert error.extra["retryAfterLocalized"] == "in 10 minutes"


def test_counts_are_per_property_value(settings):
    settings.CUSTOMS_RULES = "accountLogin : ip_email : 1 : 15 minutes : 15 minutes"
    assert attempts("accountLogin", 2, email="a@example.com") == ["ok", 114]
    assert attempts("accountLogin", 1, THERE, email="a@example.com") == ["ok"]
    assert attempts("accountLogin", 1, email="b@example.com") == ["ok"]


def test_a_block_only_refuses_its_action(settings):
    settings.CUSTOMS_RULES = "accountLogin : ip : 1 : 1 hour : 1 hour; accountCreate : ip : 5 : 1 hour : 1 hour"
    assert attempts("accountLogin", 2) == ["ok", 114]
    assert attempts("accountCreate", 1) == ["ok"]


def test_a_ban_refuses_every_rule_on_that_value_and_an_unblock_code_does_not_lift_it(settings):
    settings.CUSTOMS_RULES = (
        "passwordCheckFailed : ip : 2 : 24 hours : 4 hours : ban;"
        "accountLogin : ip_email : 5 : 15 minutes : 15 minutes; accountLogin : ip : 100 : 1 day : 15 minutes;"
        "accountCreate : ip : 100 : 1 day : 1 day"
    )
    assert attempts("passwordCheckFailed", 3, email="a@example.com") == ["ok", "ok", 114]
    with pytest.raises(customs.Blocked) as raised:
        customs.check("accountLogin", HERE, email="someone@example.com", unblockable=True)
    assert raised.value.extra["retryAfter"] > 3 * 3600
    assert "verificationMethod" not in raised.value.extra
    assert attempts("accountCreate", 1, email="new@example.com") == [114]
    assert attempts("accountLogin", 1, THERE, email="a@example.com") == ["ok"]
    customs.unblock(HERE, email="a@example.com")
    assert attempts("accountCreate", 1) == [114], "a self-service unblock leaves bans"
    customs.unblock(HERE, by_operator=True)
    assert attempts("accountCreate", 1) == ["ok"]


def test_report_counts_but_never_refuses(settings):
    settings.CUSTOMS_RULES = "default : ip : 2 : 15 minutes : 15 minutes : report"
    before = service.CHECKS.labels("devicesNotify", "reported")._value.get()
    assert attempts("devicesNotify", 5) == ["ok"] * 5
    assert service.CHECKS.labels("devicesNotify", "reported")._value.get() - before == 3


def test_the_default_rule_counts_each_action_apart(settings):
    settings.CUSTOMS_RULES = "default : ip : 1 : 15 minutes : 15 minutes"
    assert attempts("devicesNotify", 2) == ["ok", 114]
    assert attempts("invokeDeviceCommand", 1) == ["ok"]


def test_an_action_with_rules_of_its_own_ignores_the_default(settings):
    settings.CUSTOMS_RULES = "default : ip : 1 : 15 minutes : 15 minutes; accountLogin : ip : 3 : 15 minutes : 15 minutes"
    assert attempts("accountLogin", 4) == ["ok", "ok", "ok", 114]


def test_without_rules_for_an_action_nothing_is_counted(settings):
    settings.CUSTOMS_RULES = "accountLogin : ip : 1 : 15 minutes : 15 minutes"
    assert attempts("devicesNotify", 10) == ["ok"] * 10


def test_an_empty_rules_setting_turns_customs_off(settings):
    settings.CUSTOMS_RULES = ""
    assert attempts("accountLogin", 200, email="a@example.com") == ["ok"] * 200


def test_overlapping_rules_refuse_with_the_longest_wait(settings):
    settings.CUSTOMS_RULES = (
        "accountLogin : ip_email : 2 : 15 minutes : 5 minutes;"
        "accountLogin : email : 2 : 15 minutes : 1 hour"
    )
    assert attempts("accountLogin", 3, email="a@example.com") == ["ok", "ok", 114]
    with pytest.raises(customs.Blocked) as raised:
        customs.check("accountLogin", HERE, email="a@example.com")
    assert raised.value.extra["retryAfter"] > 3000


def test_a_refused_request_is_not_counted_by_the_other_rules(settings):
    """An attacker refused on ip_email cannot push the address's own limit, which would lock the
    owner out from everywhere."""
    settings.CUSTOMS_RULES = (
        "accountLogin : ip_email : 5 : 15 minutes : 15 minutes;"
        "accountLogin : email : 10 : 24 hours : 24 hours"
    )
    assert attempts("accountLogin", 60, email="victim@example.com").count("ok") == 5
    assert attempts("accountLogin", 4, THERE, email="victim@example.com") == ["ok"] * 4


def test_the_window_is_fixed_and_a_new_one_starts_from_zero(settings, clock):
    settings.CUSTOMS_RULES = "verifyTotpCode : ip_uid : 3 : 30 seconds : 2 minutes"
    assert attempts("verifyTotpCode", 3, uid="u1") == ["ok"] * 3
    clock.advance(30)
    assert attempts("verifyTotpCode", 3, uid="u1") == ["ok"] * 3
    assert attempts("verifyTotpCode", 1, uid="u1") == [114]


def test_a_block_lasts_its_duration_beyond_the_window_then_counting_starts_again(settings, clock):
    settings.CUSTOMS_RULES = "verifyTotpCode : ip_uid : 2 : 30 seconds : 15 minutes"
    assert attempts("verifyTotpCode", 3, uid="u1") == ["ok", "ok", 114]
    clock.advance(60)
    with pytest.raises(customs.Blocked) as raised:
        customs.check("verifyTotpCode", HERE, uid="u1")
    assert raised.value.extra["retryAfter"] == 15 * 60 - 60
    clock.advance(15 * 60)
    assert attempts("verifyTotpCode", 3, uid="u1") == ["ok", "ok", 114]


def test_a_ban_outlasts_a_block_of_the_same_value(settings, clock):
    settings.CUSTOMS_RULES = (
        "accountLogin : ip : 2 : 1 hour : 10 minutes;"
        "passwordCheckFailed : ip : 1 : 1 hour : 2 hours : ban"
    )
    assert attempts("accountLogin", 3) == ["ok", "ok", 114]
    assert attempts("passwordCheckFailed", 2) == ["ok", 114]
    clock.advance(11 * 60)
    with pytest.raises(customs.Blocked) as raised:
        customs.check("accountLogin", HERE)
    assert raised.value.extra["retryAfter"] == 2 * 3600 - 11 * 60
    clock.advance(2 * 3600)
    assert attempts("accountLogin", 1) == ["ok"]


def test_sign_in_blocks_offer_the_unblock_code_while_unblock_email_allows_it(settings):
    settings.CUSTOMS_RULES = (
        "accountLogin : ip_email : 1 : 15 minutes : 15 minutes;"
        "unblockEmail : ip_email : 2 : 15 minutes : 15 minutes"
    )
    customs.check("accountLogin", HERE, email="a@example.com", unblockable=True)
    with pytest.raises(customs.Blocked) as raised:
        customs.check("accountLogin", HERE, email="a@example.com", unblockable=True)
    assert raised.value.unblockable
    assert raised.value.extra["verificationMethod"] == "email-captcha"
    assert raised.value.extra["verificationReason"] == "login"
    assert attempts("unblockEmail", 2, email="a@example.com") == ["ok", "ok"]
    with pytest.raises(customs.Blocked) as raised:
        customs.check("accountLogin", HERE, email="a@example.com", unblockable=True)
    assert not raised.value.unblockable and "verificationMethod" not in raised.value.extra


def test_a_self_service_unblock_clears_the_address_but_not_the_bare_ip(settings):
    settings.CUSTOMS_RULES = (
        "accountLogin : ip_email : 1 : 15 minutes : 15 minutes;"
        "accountCreate : ip : 1 : 15 minutes : 15 minutes"
    )
    assert attempts("accountLogin", 2, email="a@example.com") == ["ok", 114]
    assert attempts("accountCreate", 2) == ["ok", 114]
    customs.unblock(HERE, email="a@example.com", uid="u1")
    assert attempts("accountLogin", 2, email="a@example.com") == ["ok", 114], "counter restarted"
    assert attempts("accountCreate", 1) == [114]


def test_open_records_list_what_an_operator_can_clear(settings):
    settings.CUSTOMS_RULES = "accountLogin : ip_email : 1 : 15 minutes : 15 minutes; accountLogin : email : 1 : 1 hour : 1 hour"
    attempts("accountLogin", 2, email="a@example.com")
    records = customs.open_records(ip=HERE.ip_address, email="a@example.com")
    assert {(record.block_on, record.value) for record in records} == {
        ("ip_email", "203.0.113.1_a@example.com"), ("email", "a@example.com"),
    }
    assert all(record.attempts == 2 and record.policy == "block" for record in records)
    assert customs.unblock(ip=HERE.ip_address, email="a@example.com", by_operator=True) >= 2
    assert customs.open_records(ip=HERE.ip_address, email="a@example.com") == []


@pytest.mark.parametrize("raw, normalized", [
    ("Someone@Example.COM", "someone@example.com"),
    ("some.one+tag@gmail.com", "someone@gmail.com"),
    ("Some.One+x@googlemail.com", "someone@googlemail.com"),
    ("some.one+tag@example.com", "some.one+tag@example.com"),
])
def test_email_normalisation(raw, normalized):
    assert customs.normalize_email(raw) == normalized


def test_aliases_of_one_mailbox_share_its_limits(settings):
    settings.CUSTOMS_RULES = "sendUnblockCode : email : 2 : 15 minutes : 15 minutes"
    outcomes = [attempts("sendUnblockCode", 1, email=address)[0]
                for address in ("a.b@gmail.com", "ab+1@gmail.com", "A.B+2@Gmail.com")]
    assert outcomes == ["ok", "ok", 114]


def test_ignored_ips_emails_and_uids_are_never_counted(settings):
    settings.CUSTOMS_RULES = "accountLogin : ip : 1 : 15 minutes : 15 minutes; verifyTotpCode : uid : 1 : 1 hour : 1 hour"
    settings.CUSTOMS_IGNORE_IPS = ["203.0.113.0/24"]
    settings.CUSTOMS_IGNORE_EMAILS = [r"@qa\.example$"]
    settings.CUSTOMS_IGNORE_UIDS = ["qa-uid"]
    assert attempts("accountLogin", 5) == ["ok"] * 5
    assert attempts("accountLogin", 5, THERE, email="bot@qa.example") == ["ok"] * 5
    assert attempts("verifyTotpCode", 5, THERE, uid="qa-uid") == ["ok"] * 5
    assert attempts("accountLogin", 2, THERE, email="someone@example.com") == ["ok", 114]


def test_a_cache_that_is_down_fails_open_counted_and_logged(settings, caplog):
    settings.CACHES = {**settings.CACHES, "down": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }}
    settings.RATELIMIT_USE_CACHE = "down"
    settings.CUSTOMS_RULES = "accountLogin : ip : 1 : 15 minutes : 15 minutes"
    before = service.CHECKS.labels("accountLogin", "error")._value.get()
    assert attempts("accountLogin", 3) == ["ok"] * 3
    assert service.CHECKS.labels("accountLogin", "error")._value.get() - before == 3
    assert "failed open" in caplog.text
    assert customs.unblock(HERE, email="a@example.com") == 0


def test_the_system_check_names_a_broken_line(settings):
    settings.CUSTOMS_RULES = "accountLogin : ip : 5 : 15 minutes : 15 minutes\naccountLogin : ip : five : 1h : 1h"
    with pytest.raises(SystemCheckError, match=r"CUSTOMS_RULES line 2: maxAttempts"):
        call_command("check")


def test_the_system_check_refuses_a_property_the_action_does_not_have(settings):
    settings.CUSTOMS_RULES = "accountLogin : uid : 5 : 15 minutes : 15 minutes"
    with pytest.raises(SystemCheckError, match=r"line 1: accountLogin cannot count on 'uid'"):
        call_command("check")


def test_the_default_rules_pass_the_system_check(settings):
    call_command("check")


@pytest.mark.parametrize("trusted, forwarded, expected", [
    (0, "198.51.100.9", "127.0.0.1"),
    (1, "198.51.100.9", "198.51.100.9"),
    (1, "6.6.6.6, 198.51.100.9", "198.51.100.9"),
    (2, "6.6.6.6, 198.51.100.9, 10.0.0.1", "198.51.100.9"),
    (3, "198.51.100.9", "198.51.100.9"),
    (1, "", "127.0.0.1"),
])
def test_the_client_ip_trusts_only_the_configured_proxies(settings, trusted, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = trusted
    meta = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": forwarded}
    assert client_ip(meta) == expected
