"""Support staff's admin pages for accounts, sessions, security events and bounces."""
import pytest
from django.contrib.auth import get_user_model

from accounts.models import Account, Email, EmailBounce, SecurityEvent, SessionToken
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    """A signed-in superuser (no password: hashing one would only slow the tests down)."""
    staff = get_user_model().objects.create(username="staff", is_staff=True, is_superuser=True)
    client.force_login(staff)
    return client


@pytest.fixture
def user():
    user = factories.account("User@Example.com")
    Email.objects.create(account=user.account, email="alias@example.com",
                         normalized_email="alias@example.com", email_code="ab" * 16, is_verified=True)
    return user


def secrets_of(account):
    return [account.ka, account.wrap_wrap_kb, account.verify_hash, account.email_code]


def test_admin_index_and_every_list_render_for_staff(admin_client, user):
    index = admin_client.get("/admin/")
    assert index.status_code == 200
    for name in (b"Accounts", b"Session tokens", b"Security events", b"Email bounces"):
        assert name in index.content
    for model in ("account", "sessiontoken", "securityevent", "emailbounce"):
        assert admin_client.get(f"/admin/accounts/{model}/").status_code == 200, model


def test_account_list_finds_an_account_by_uid_or_any_address(admin_client, user):
    factories.account("someone@example.com")
    for query in (user.uid, "user@example.com", "ALIAS@example.com"):
        page = admin_client.get("/admin/accounts/account/", {"q": query})
        assert page.status_code == 200
        assert [account.uid for account in page.context["cl"].result_list] == [user.uid], query
        for secret in secrets_of(user.account):
            assert secret.encode() not in page.content


def test_account_page_shows_addresses_but_no_key_material(admin_client, user):
    page = admin_client.get(f"/admin/accounts/account/{user.uid}/change/")
    assert page.status_code == 200
    assert b"alias@example.com" in page.content and b"User@Example.com" in page.content
    for secret in secrets_of(user.account):
        assert secret.encode() not in page.content
    assert b"set (64 hex)" in page.content
    # Key material and verifiers are not form fields: a POST cannot change them.
    admin_client.post(f"/admin/accounts/account/{user.uid}/change/", {
        "locale": "de", "ka": "00" * 32, "verify_hash": "00" * 32,
        "emails-TOTAL_FORMS": "2", "emails-INITIAL_FORMS": "2",
        "emails-MIN_NUM_FORMS": "0", "emails-MAX_NUM_FORMS": "1000",
    })
    account = Account.objects.get(uid=user.uid)
    assert (account.ka, account.verify_hash) == (user.account.ka, user.account.verify_hash)
    assert account.locale == "de"


def test_mark_primary_email_verified_action(admin_client):
    pending = factories.account("pending@example.com", verified=False)
    response = admin_client.post("/admin/accounts/account/", {
        "action": "mark_primary_email_verified", "_selected_action": [pending.uid],
    })
    assert response.status_code == 302
    assert Account.objects.get(uid=pending.uid).email_verified
    assert Email.objects.get(account_id=pending.uid, is_primary=True).is_verified


def test_sessions_are_listed_per_account_without_their_token_ids(admin_client, user):
    other = factories.account("other@example.com")
    page = admin_client.get("/admin/accounts/sessiontoken/", {"account": user.uid})
    assert page.status_code == 200
    assert [session.account_id for session in page.context["cl"].result_list] == [user.uid]
    assert user.session_id.encode() not in page.content
    assert user.session_key[:16].encode() in page.content
    assert other.session_key[:16].encode() not in page.content


def test_signing_out_a_session_deletes_it(admin_client, user):
    other = factories.account("other@example.com")
    response = admin_client.post("/admin/accounts/sessiontoken/", {
        "action": "sign_out", "_selected_action": [user.session_key[:16]],
    })
    assert response.status_code == 302
    assert not SessionToken.objects.filter(account_id=user.uid).exists()
    assert SessionToken.objects.filter(account_id=other.uid).exists()


def test_deleting_an_account_lists_its_sessions_without_their_token_ids(admin_client, user):
    page = admin_client.get(f"/admin/accounts/account/{user.uid}/delete/")
    assert page.status_code == 200
    assert user.session_id.encode() not in page.content
    assert not page.context["perms_lacking"]
    response = admin_client.post(f"/admin/accounts/account/{user.uid}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Account.objects.filter(uid=user.uid).exists()
    assert admin_client.get(f"/admin/accounts/sessiontoken/{user.session_id}/change/").status_code == 404


def test_security_events_are_read_only(admin_client, user):
    event = SecurityEvent.objects.filter(account_id=user.uid).first()
    assert admin_client.get("/admin/accounts/securityevent/").status_code == 200
    page = admin_client.get(f"/admin/accounts/securityevent/{event.pk}/change/")
    assert page.status_code == 200
    assert b"account.create" in page.content
    assert user.session_id.encode() not in page.content
    assert admin_client.get("/admin/accounts/securityevent/add/").status_code == 403


def test_support_staff_add_and_clear_bounces(admin_client, user):
    assert admin_client.get("/admin/accounts/emailbounce/add/").status_code == 200
    response = admin_client.post("/admin/accounts/emailbounce/add/", {
        "email": "User@Example.com", "bounce_type": "hard", "bounce_sub_type": "General",
    })
    assert response.status_code == 302
    bounce = EmailBounce.objects.get()
    assert bounce.normalized_email == "user@example.com"
    assert admin_client.get("/admin/accounts/emailbounce/").status_code == 200
    response = admin_client.post(f"/admin/accounts/emailbounce/{bounce.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not EmailBounce.objects.exists()
    assert SecurityEvent.objects.filter(account_id=user.uid, name="emails.clearBounces").count() == 1


def test_bulk_clearing_bounces_from_the_list(admin_client, user):
    bounces = [EmailBounce.objects.create(email=address, bounce_type="soft")
               for address in ("user@example.com", "alias@example.com")]
    response = admin_client.post("/admin/accounts/emailbounce/", {
        "action": "delete_selected", "_selected_action": [b.pk for b in bounces], "post": "yes",
    })
    assert response.status_code == 302
    assert not EmailBounce.objects.exists()
    assert SecurityEvent.objects.filter(account_id=user.uid, name="emails.clearBounces").count() == 1


def test_clear_bounces_of_an_account(admin_client, user):
    EmailBounce.objects.create(email="alias@example.com", bounce_type="complaint")
    EmailBounce.objects.create(email="stranger@example.com", bounce_type="complaint")
    response = admin_client.post("/admin/accounts/account/", {
        "action": "clear_email_bounces", "_selected_action": [user.uid],
    })
    assert response.status_code == 302
    assert list(EmailBounce.objects.values_list("email", flat=True)) == ["stranger@example.com"]
