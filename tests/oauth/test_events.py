"""Relying-party events (events.md §2-§3): the ledger of who uses which client, who receives
which event, and the outbox rows each account change writes in its own transaction."""
import pytest
from django.db import transaction

from accounts.models import Account, Email
from accounts.services import accounts as account_services
from accounts.twofactor.services import totp
from oauth import events
from oauth.models import ClientUser, RefreshToken, WebhookDelivery
from oauth.profile import services as profile_services
from subscriptions.signals import capabilities_changed
from tests import factories
from tests.accounts.test_password_change import start_change
from tests.helpers import ok, stretch

from tests.twofactor.conftest import enable_totp

from .conftest import code_for

pytestmark = pytest.mark.django_db

HOOK = "https://rp.example/hook"


def rp(name, **options):
    return factories.oauth_client(name, webhook_url=options.pop("webhook_url", HOOK), **options)[0]


def rows(uid=None, **filters):
    query = WebhookDelivery.objects.filter(**filters)
    if uid is not None:
        query = query.filter(uid=uid)
    return sorted(((row.client.name, row.event, row.payload) for row in query.select_related("client")),
                  key=lambda row: (row[0], row[1], sorted(row[2].items())))


# The ledger.


def test_a_code_issued_puts_the_account_in_the_clients_ledger(api, user):
    client = rp("Used")
    factories.oauth_client("Unused")
    code_for(api, user, client)
    (use,) = ClientUser.objects.all()
    assert (use.account_id, use.client_id) == (user.uid, client.pk)
    first = use.first_used_at
    code_for(api, user, client)
    use.refresh_from_db()
    assert ClientUser.objects.count() == 1
    assert use.first_used_at == first and use.last_used_at >= first


def test_an_fxa_credentials_grant_puts_the_account_in_the_ledger(api, user):
    client, _ = factories.oauth_client("Firefox", public=True, can_grant=True, trusted=True,
                                       scope="profile")
    ok(api.post("/oauth/token", {"client_id": client.client_id, "grant_type": "fxa-credentials",
                                 "scope": "profile"}, token=user.session_token))
    assert list(ClientUser.objects.values_list("account_id", "client__name")) == [
        (user.uid, "Firefox")]


def test_a_refresh_token_grant_records_the_use_again(api, user):
    client, _ = factories.oauth_client("Firefox", public=True, can_grant=True, trusted=True,
                                       scope="profile")
    body = ok(api.post("/oauth/token", {"client_id": client.client_id, "grant_type": "fxa-credentials",
                                        "scope": "profile", "access_type": "offline"},
                       token=user.session_token))
    ClientUser.objects.all().delete()  # a grant from before the ledger existed
    # Recorded with the token's last use, at its coarse resolution: a refresh long after the last.
    RefreshToken.objects.update(last_used_at=0)
    ok(api.post("/oauth/token", {"client_id": client.client_id, "grant_type": "refresh_token",
                                 "refresh_token": body["refresh_token"]}))
    assert ClientUser.objects.filter(account_id=user.uid, client=client).exists()


# Who receives what.


def test_delete_user_goes_to_the_accounts_rps_and_the_resource_servers_only(user):
    used, other_users = rp("Used"), rp("Someone else's")
    sync = rp("Sync", resource_server=True)
    rp("No webhook", webhook_url="").users.create(account_id=user.uid)
    events.record_use(user.uid, used)
    stranger = factories.account("stranger@example.com")
    events.record_use(stranger.uid, other_users)
    account_services.delete_account(user.account, by="user")
    assert rows(user.uid) == [("Sync", "delete-user", {}), ("Used", "delete-user", {})]
    assert not ClientUser.objects.filter(account_id=user.uid).exists()  # the ledger goes with it
    assert WebhookDelivery.objects.get(client=sync).expires_at > WebhookDelivery.objects.get(
        client=sync).created_at


def test_a_client_gets_only_the_events_it_asked_for(user):
    picky = rp("Picky", webhook_events="delete-user")
    events.record_use(user.uid, picky)
    events.password_change(user.uid, 1234)
    events.delete_user(user.uid)
    assert rows(user.uid) == [("Picky", "delete-user", {})]


def test_a_change_that_rolls_back_writes_nothing(user, django_capture_on_commit_callbacks):
    events.record_use(user.uid, rp("RP"))
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            account_services.delete_account(user.account, by="user")
            raise RuntimeError("the caller's transaction fails after the deletion")
    assert WebhookDelivery.objects.count() == 0 and callbacks == []
    assert Account.objects.filter(pk=user.uid).exists()


# Each account change writes its event.


@pytest.fixture
def user_rp(user):
    client = rp("RP")
    events.record_use(user.uid, client)
    return client


def test_password_change_sends_its_change_time(api, user, user_rp):
    from accounts import onepw

    body, kb = start_change(api, user)
    new_auth_pw, new_unwrap = stretch(user.email, "a new password")
    ok(api.post("/password/change/finish", {"authPW": new_auth_pw,
                                            "wrapKb": onepw.xor(kb, new_unwrap).hex()},
                token=body["passwordChangeToken"], token_type="passwordChangeToken"))
    change_time = Account.objects.get(pk=user.uid).verifier_set_at
    assert rows(user.uid) == [("RP", "password-change", {"changeTime": change_time})]


def test_primary_email_change_sends_the_new_address(api, user, user_rp):
    Email.objects.create(account=user.account, email="new@example.com",
                         normalized_email="new@example.com", is_verified=True)
    ok(api.post("/recovery_email/set_primary", {"email": "new@example.com"},
                token=user.session_token))
    assert rows(user.uid) == [("RP", "profile-change", {"uid": user.uid, "email": "new@example.com"})]


def test_two_step_authentication_off_sends_totp_enabled(user, user_rp):
    two_step = factories.account("two.step@example.com", totp=True)
    events.record_use(two_step.uid, user_rp)
    totp.remove_for_support(two_step.account, None)
    assert rows(two_step.uid) == [("RP", "profile-change", {"uid": two_step.uid, "totpEnabled": False})]
    assert rows(user.uid) == []


def test_enabling_two_step_authentication_sends_totp_enabled(api, user, user_rp):
    enable_totp(api, user.session_token)
    assert rows(user.uid) == [("RP", "profile-change", {"uid": user.uid, "totpEnabled": True})]


def test_metrics_opt_out_and_in_send_their_events_once_per_change(api, user, user_rp):
    for state in ("out", "out", "in"):
        ok(api.post("/account/metrics_opt", {"state": state}, token=user.session_token))
    assert rows(user.uid) == [
        ("RP", "metrics-opt-in", {}),
        ("RP", "metrics-opt-out", {}),
        ("RP", "profile-change", {"uid": user.uid, "metricsEnabled": False}),
        ("RP", "profile-change", {"uid": user.uid, "metricsEnabled": True}),
    ]


def test_display_name_and_avatar_changes_send_profile_change(user, user_rp):
    profile_services.set_display_name(user.account, "Ada")
    profile_services.set_display_name(user.account, "Ada")  # unchanged: nothing
    assert rows(user.uid) == [("RP", "profile-change", {"uid": user.uid})]


def test_a_locale_changed_by_support_sends_it(user, user_rp):
    account = user.account
    account.locale = "de"
    account_services.save_by_support(account, ["locale"])
    assert rows(user.uid) == [("RP", "profile-change", {"uid": user.uid, "locale": "de"})]


def test_subscription_changes_go_to_the_named_clients_with_their_capabilities(user):
    events.record_use(user.uid, rp("Not named"))
    vpn, relay = rp("VPN"), rp("Relay")
    with transaction.atomic():
        capabilities_changed.send(
            None, account=user.account, is_active=True, change_time=1565721242227,
            capabilities_by_client={vpn.client_id: ["vpn"], relay.client_id: ["relay", "vpn"],
                                    "0123456789abcdef": ["gone"]})
    assert rows(user.uid) == [
        ("Not named", "profile-change", {"uid": user.uid}),  # the account's RP: refetch the profile
        ("Relay", "subscription-state-change",
         {"capabilities": ["relay", "vpn"], "isActive": True, "changeTime": 1565721242227}),
        ("VPN", "subscription-state-change",
         {"capabilities": ["vpn"], "isActive": True, "changeTime": 1565721242227}),
    ]
