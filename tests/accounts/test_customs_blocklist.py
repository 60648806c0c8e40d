"""The customs blocklist (customs.md §1, §6): listed IPs, CIDR ranges and mail domains get 400 errno
125 on every check, before any rule; each process keeps a compiled copy that follows changes."""
import pytest
from django.core.cache import caches

from accounts import customs
from accounts.customs import blocklist, service
from accounts.models import BlocklistEntry
from tests import factories
from tests.accounts.customs_helpers import assert_request_blocked
from tests.accounts.flow_helpers import OTHER_IP, login
from tests.helpers import MailingApiClient, ok

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_blocklist")]


@pytest.fixture
def user():
    return factories.account("user@example.com")


class FakeMonotonic:
    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeMonotonic()
    monkeypatch.setattr(blocklist.time, "monotonic", fake.monotonic)
    return fake


def listed(kind, value):
    return BlocklistEntry.objects.create(kind=kind, value=value)


def blocklisted_count(action):
    return service.CHECKS.labels(action, "blocklisted")._value.get()


def test_a_blocklisted_ip_is_refused_with_125_and_counted(api, elsewhere, user):
    listed("ip", OTHER_IP)
    before = blocklisted_count("accountLogin")
    body = assert_request_blocked(login(elsewhere, user.email))
    assert "retryAfter" not in body and "verificationMethod" not in body
    assert blocklisted_count("accountLogin") - before == 1
    assert ok(login(api, user.email))["uid"] == user.uid


def test_a_blocklisted_cidr_range_refuses_every_address_in_it(api, user):
    listed("cidr", "198.51.100.0/24")
    for address in ("198.51.100.1", "198.51.100.254", "::ffff:198.51.100.9"):
        assert_request_blocked(login(MailingApiClient(address), user.email))
    assert ok(login(MailingApiClient("198.51.101.1"), user.email))["uid"] == user.uid
    listed("cidr", "2001:db8::/32")
    assert_request_blocked(login(MailingApiClient("2001:db8:1::5"), user.email))


def test_a_blocklisted_email_domain_refuses_its_addresses_and_subdomains(api):
    blocked = factories.account("someone@spam.example")
    sub = factories.account("else@mail.spam.example")
    fine = factories.account("fine@example.com")
    listed("email_domain", "spam.example")
    assert_request_blocked(login(api, blocked.email))
    assert_request_blocked(login(api, sub.email))
    assert_request_blocked(login(api, "SOMEONE@Spam.Example"))
    assert ok(login(api, fine.email))["uid"] == fine.uid
    # A domain that merely ends alike is another domain.
    assert customs.check("accountLogin", None, ip="192.0.2.1", email="a@notspam.example") is None


def test_blocklisted_callers_learn_nothing_about_the_account(elsewhere, user):
    listed("ip", OTHER_IP)
    assert_request_blocked(login(elsewhere, user.email, password="wrong"))
    assert_request_blocked(login(elsewhere, "nobody@example.com"))


def test_the_blocklist_comes_before_the_ignore_lists_and_the_rules(settings, elsewhere, user):
    settings.CUSTOMS_IGNORE_IPS = [OTHER_IP]
    listed("ip", OTHER_IP)
    assert_request_blocked(login(elsewhere, user.email))
    settings.CUSTOMS_RULES = ""  # rate limits off: an operator's blocklist still holds
    assert_request_blocked(login(elsewhere, user.email))


def test_no_database_query_per_check_once_the_copy_is_read(django_assert_num_queries):
    listed("ip", "192.0.2.9")
    customs.check("accountStatusCheck", None, ip="192.0.2.1")
    with django_assert_num_queries(0):
        for _ in range(5):
            customs.check("accountStatusCheck", None, ip="192.0.2.1")
        with pytest.raises(customs.Blocked):
            customs.check("accountStatusCheck", None, ip="192.0.2.9")


def test_a_change_in_this_process_applies_at_the_next_check(user, elsewhere):
    assert ok(login(elsewhere, user.email))
    entry = listed("ip", OTHER_IP)
    assert_request_blocked(login(elsewhere, user.email))
    entry.delete()
    assert ok(login(elsewhere, user.email))


def test_another_process_change_applies_after_the_refresh_interval(settings, clock, user, elsewhere):
    settings.CUSTOMS_BLOCKLIST_REFRESH = 5
    assert ok(login(elsewhere, user.email))  # this process read the (empty) blocklist
    # Another process lists the IP: no signal here, only the version it bumps on commit.
    BlocklistEntry.objects.bulk_create([BlocklistEntry(kind="ip", value=OTHER_IP)])
    blocklist._bump()
    clock.now += 4
    assert ok(login(elsewhere, user.email)), "the copy is used for the refresh interval"
    clock.now += 2
    assert_request_blocked(login(elsewhere, user.email))


def test_a_copy_whose_version_did_not_move_is_not_read_again(settings, clock, django_assert_num_queries):
    settings.CUSTOMS_BLOCKLIST_REFRESH = 5
    customs.check("accountStatusCheck", None, ip="192.0.2.1")
    assert caches[settings.RATELIMIT_USE_CACHE].get(blocklist.version_key())
    clock.now += 60
    with django_assert_num_queries(0):
        customs.check("accountStatusCheck", None, ip="192.0.2.1")


def test_the_database_down_keeps_the_copy_and_fails_open(settings, clock, monkeypatch, user, elsewhere):
    settings.CUSTOMS_BLOCKLIST_REFRESH = 5
    listed("ip", OTHER_IP)
    assert_request_blocked(login(elsewhere, user.email))

    def broken():
        raise ConnectionError("database down")

    monkeypatch.setattr(blocklist, "_entries", broken)
    blocklist._bump()
    clock.now += 10
    assert_request_blocked(login(elsewhere, user.email))  # the copy there is stays
    blocklist.reset()
    assert ok(login(elsewhere, user.email)), "no copy and no database: fail open, never a 500"


@pytest.mark.parametrize("kind, value, stored", [
    ("ip", " 192.0.2.1 ", "192.0.2.1"),
    ("ip", "2001:DB8::0001", "2001:db8::1"),
    ("cidr", "10.0.0.0/8", "10.0.0.0/8"),
    ("cidr", "192.0.2.7", "192.0.2.7/32"),
    ("cidr", "2001:db8::/32", "2001:db8::/32"),
    ("email_domain", "@Example.COM.", "example.com"),
    ("email_domain", "xyz", "xyz"),
])
def test_values_are_normalised(kind, value, stored):
    assert blocklist.normalize_value(kind, value) == stored


@pytest.mark.parametrize("kind, value, message", [
    ("ip", "192.0.2.300", "not an IP address"),
    ("ip", "10.0.0.0/8", "not an IP address"),
    ("cidr", "10.0.0.1/8", "the range is 10.0.0.0/8"),
    ("cidr", "nonsense", "not a CIDR range"),
    ("email_domain", "user@example.com", "not a mail domain"),
    ("email_domain", "exa mple.com", "not a mail domain"),
    ("email_domain", "", "not a mail domain"),
    ("phone", "123", "the kind must be one of"),
])
def test_bad_values_are_refused_saying_why(kind, value, message):
    with pytest.raises(ValueError, match=message):
        blocklist.normalize_value(kind, value)
