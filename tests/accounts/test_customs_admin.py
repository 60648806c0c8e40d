"""Customs in the admin: the blocklist (add, validate, remove) and the rate-limiting page (open
blocks and bans by ip, email and/or uid, and "clear"), as upstream's admin panel has them."""
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from accounts import customs
from accounts.customs import ledger
from accounts.models import BlocklistEntry, CustomsBlock
from tests.accounts.customs_helpers import TIGHT, assert_request_blocked
from tests.accounts.flow_helpers import OTHER_IP, login
from tests.helpers import assert_error, ok

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_blocklist")]

PAGE = "/admin/accounts/customsblock/"
BLOCKLIST = "/admin/accounts/blocklistentry/"


def signed_in(username, *, superuser=False, permissions=()):
    """A client signed in as a staff user (no password: hashing one would only slow the tests)."""
    staff = get_user_model().objects.create(username=username, is_staff=True, is_superuser=superuser)
    staff.user_permissions.set(Permission.objects.filter(codename__in=permissions))
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def staff_client():
    return signed_in("staff", superuser=True)


def shown(page):
    return [(row["action"], row["block_on"], row["value"], row["policy"]) for row in page.context["rows"]]


# The blocklist.

def test_staff_add_an_entry_and_the_next_check_refuses_it(staff_client, elsewhere, customs_user):
    assert ok(login(elsewhere, customs_user.email))
    response = staff_client.post(f"{BLOCKLIST}add/", {"kind": "cidr", "value": "203.0.113.0/24",
                                                      "note": "credential stuffing"})
    assert response.status_code == 302, response.content
    entry = BlocklistEntry.objects.get()
    assert (entry.kind, entry.value, entry.created_by) == ("cidr", "203.0.113.0/24", "staff")
    assert_request_blocked(login(elsewhere, customs_user.email))
    listing = staff_client.get(BLOCKLIST)
    assert b"203.0.113.0/24" in listing.content and b"credential stuffing" in listing.content
    response = staff_client.post(f"{BLOCKLIST}{entry.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert ok(login(elsewhere, customs_user.email)), "removing the entry lets the caller in again"


def test_a_bulk_delete_is_picked_up_too(staff_client, elsewhere, customs_user):
    entry = BlocklistEntry.objects.create(kind="ip", value=OTHER_IP)
    assert_request_blocked(login(elsewhere, customs_user.email))
    response = staff_client.post(BLOCKLIST, {"action": "delete_selected", "_selected_action": [entry.pk],
                                             "post": "yes"})
    assert response.status_code == 302
    assert not BlocklistEntry.objects.exists()
    assert ok(login(elsewhere, customs_user.email))


@pytest.mark.parametrize("kind, value, error", [
    ("ip", "203.0.113.300", b"not an IP address"),
    ("cidr", "10.0.0.1/8", b"the range is 10.0.0.0/8"),
    ("email_domain", "someone@example.com", b"not a mail domain"),
])
def test_the_value_is_validated_per_kind(staff_client, kind, value, error):
    response = staff_client.post(f"{BLOCKLIST}add/", {"kind": kind, "value": value})
    assert response.status_code == 200
    assert error in response.content
    assert not BlocklistEntry.objects.exists()


def test_values_are_stored_normalised_and_once(staff_client):
    staff_client.post(f"{BLOCKLIST}add/", {"kind": "email_domain", "value": "@Spam.Example"})
    assert BlocklistEntry.objects.get().value == "spam.example"
    response = staff_client.post(f"{BLOCKLIST}add/", {"kind": "email_domain", "value": "SPAM.example"})
    assert response.status_code == 200 and b"already exists" in response.content
    assert BlocklistEntry.objects.count() == 1


# The rate-limiting page.

def test_the_admin_index_links_the_rate_limiting_page(staff_client):
    index = staff_client.get("/admin/")
    assert PAGE.encode() in index.content and BLOCKLIST.encode() in index.content
    page = staff_client.get(PAGE)
    assert page.status_code == 200 and b"No open blocks or bans" in page.content


def test_a_real_block_is_listed_by_email_alone_and_by_ip_and_email(staff_client, blocked):
    expected = [("accountLogin", "ip_email", f"{OTHER_IP}_user@example.com", "block")]
    # The email alone finds the ip_email block through the ledger; both values, by its key.
    assert shown(staff_client.get(PAGE, {"email": "User@Example.com"})) == expected
    assert shown(staff_client.get(PAGE, {"email": blocked.email, "ip": OTHER_IP})) == expected
    assert shown(staff_client.get(PAGE, {"ip": OTHER_IP})) == expected
    assert shown(staff_client.get(PAGE)) == expected, "no value: every open block"
    assert shown(staff_client.get(PAGE, {"email": "other@example.com"})) == []
    page = staff_client.get(PAGE, {"email": blocked.email})
    row = page.context["rows"][0]
    assert row["attempts"] == 2 and 890 <= row["retry_after"] <= 900
    assert row["retry_after_localized"] == "in 15 minutes"
    for text in (b"accountLogin", b"ip_email", b"in 15 minutes", b"UTC", b"Clear"):
        assert text in page.content


def test_clearing_by_email_lets_the_next_login_through(staff_client, blocked, elsewhere, caplog):
    response = staff_client.post(PAGE, {"email": blocked.email, "ip": "", "uid": ""}, follow=True)
    assert response.redirect_chain[-1][0] == f"{PAGE}?email=user%40example.com"
    assert b"cleared for email user@example.com" in response.content
    assert "staff" in caplog.text and "cleared" in caplog.text
    assert shown(response) == []
    assert ok(login(elsewhere, blocked.email))["uid"] == blocked.uid


def test_clearing_one_row_clears_that_record(staff_client, blocked, elsewhere):
    key = staff_client.get(PAGE).context["rows"][0]["key"]
    response = staff_client.post(PAGE, {"key": key}, follow=True)
    assert b"1 record(s) cleared" in response.content
    assert ok(login(elsewhere, blocked.email))
    response = staff_client.post(PAGE, {"key": "default:something-else"}, follow=True)
    assert b"Not a customs block key" in response.content


def test_an_operator_clear_lifts_bans_and_the_ip_counters(settings, staff_client, api, customs_user):
    settings.CUSTOMS_RULES = "accountLogin : ip : 1 : 1 hour : 1 hour : ban"
    assert ok(login(api, customs_user.email))
    assert_error(login(api, customs_user.email), 429, 114)
    assert shown(staff_client.get(PAGE, {"ip": "127.0.0.1"})) == [("accountLogin", "ip", "127.0.0.1", "ban")]
    staff_client.post(PAGE, {"ip": "127.0.0.1"})
    assert ok(login(api, customs_user.email))


def test_a_block_of_a_default_rule_is_listed_under_its_action(settings, staff_client):
    settings.CUSTOMS_RULES = "default : ip : 1 : 15 minutes : 15 minutes"
    customs.check("accountCreate", None, ip="192.0.2.5")
    with pytest.raises(customs.Blocked):
        customs.check("accountCreate", None, ip="192.0.2.5")
    CustomsBlock.objects.all().delete()  # found by its key, not only through the ledger
    assert shown(staff_client.get(PAGE, {"ip": "192.0.2.5"})) == [("accountCreate", "ip", "192.0.2.5", "block")]


def test_bad_values_are_reported_not_searched(staff_client):
    page = staff_client.get(PAGE, {"ip": "not-an-ip", "uid": "XYZ"})
    assert page.status_code == 200
    assert b"Not an IP address" in page.content and b"32 lowercase hex" in page.content
    response = staff_client.post(PAGE, {}, follow=True)
    assert b"Enter an ip, an email or a uid" in response.content


def test_view_permission_lists_but_only_delete_permission_clears(blocked, elsewhere):
    viewer = signed_in("viewer", permissions=["view_customsblock"])
    page = viewer.get(PAGE, {"email": blocked.email})
    assert page.status_code == 200 and len(page.context["rows"]) == 1
    assert b'value="Clear"' not in page.content
    assert viewer.post(PAGE, {"email": blocked.email}).status_code == 403
    assert_error(login(elsewhere, blocked.email), 429, 114)
    clearer = signed_in("clearer", permissions=["view_customsblock", "delete_customsblock"])
    assert clearer.post(PAGE, {"email": blocked.email}).status_code == 302
    assert ok(login(elsewhere, blocked.email))


def test_staff_without_permission_and_anonymous_users_see_nothing(blocked):
    assert signed_in("nobody").get(PAGE).status_code == 403
    anonymous = Client().get(PAGE)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]


# The ledger behind the page.

def test_each_opened_block_is_recorded_once_and_expired_rows_go(blocked):
    row = CustomsBlock.objects.get()
    assert (row.action, row.block_on, row.policy, row.attempts) == ("accountLogin", "ip_email", "block", 2)
    assert row.expires_at - row.started_at == 900 * 1000
    CustomsBlock.objects.update(expires_at=1, started_at=0)
    ledger.opened("customs:block:x", customs.open_records(ip=OTHER_IP, email=blocked.email)[0])
    assert list(CustomsBlock.objects.values_list("key", flat=True)) == ["customs:block:x"]


def test_a_ledger_failure_does_not_lose_the_block(settings, monkeypatch, elsewhere, customs_user, caplog):
    settings.CUSTOMS_RULES = TIGHT

    def broken(**fields):
        raise ConnectionError("database down")

    monkeypatch.setattr(CustomsBlock.objects, "create", broken)
    assert ok(login(elsewhere, customs_user.email))
    assert_error(login(elsewhere, customs_user.email), 429, 114)
    assert_error(login(elsewhere, customs_user.email), 429, 114)
    assert "not recorded" in caplog.text
