"""Bounces and complaints: upstream's blocking rules, sign-up/sign-in refusal, the SES/SNS webhook."""
import base64
import json

import pytest

from accounts.errors import AppError
from accounts.models import Account, EmailBounce, SecurityEvent, now_ms
from accounts.services import bounces
from tests import factories
from tests.helpers import assert_error, ok, stretch

pytestmark = pytest.mark.django_db

MINUTE_MS = 60 * 1000
SECRET = "a-webhook-secret"



def bounce(email, bounce_type, minutes_ago=0, sub_type=""):
    return EmailBounce.objects.create(
        email=email, bounce_type=bounce_type, bounce_sub_type=sub_type,
        created_at=now_ms() - minutes_ago * MINUTE_MS,
    )


def check_errno(email, template=None):
    try:
        bounces.check(email, template)
    except AppError as error:
        return error.errno, error.extra["bouncedAt"]
    return None


# The rules (upstream's smtp.bounces defaults).


def test_an_address_without_bounces_is_fine():
    assert check_errno("user@example.com") is None


def test_a_recent_hard_bounce_is_134_with_its_time():
    recent = bounce("user@example.com", "hard", minutes_ago=1)
    assert check_errno("User@Example.com") == (134, recent.created_at)


def test_a_single_hard_bounce_blocks_for_15_minutes():
    bounce("user@example.com", "hard", minutes_ago=16)
    assert check_errno("user@example.com") is None


def test_a_second_hard_bounce_within_a_day_blocks_with_the_latest_time():
    latest = bounce("user@example.com", "hard", minutes_ago=30)
    bounce("user@example.com", "hard", minutes_ago=120)
    assert check_errno("user@example.com") == (134, latest.created_at)


def test_hard_bounces_older_than_a_day_do_not_block():
    bounce("user@example.com", "hard", minutes_ago=30)
    bounce("user@example.com", "hard", minutes_ago=25 * 60)
    assert check_errno("user@example.com") is None


def test_a_recent_complaint_is_133():
    complaint = bounce("user@example.com", "complaint", minutes_ago=2)
    assert check_errno("user@example.com") == (133, complaint.created_at)


def test_a_soft_bounce_blocks_for_5_minutes_only():
    soft = bounce("user@example.com", "soft", minutes_ago=1)
    assert check_errno("user@example.com") == (135, soft.created_at)
    soft.created_at = now_ms() - 6 * MINUTE_MS
    soft.save()
    assert check_errno("user@example.com") is None


@pytest.mark.parametrize("template", ["verifyLoginCode", "verifyLogin", "recovery", "unblockCode"])
def test_sign_in_and_recovery_mail_ignores_bounces(template):
    bounce("user@example.com", "complaint")
    bounce("user@example.com", "hard")
    assert check_errno("user@example.com", template) is None
    assert check_errno("user@example.com", "verify") is not None


def test_other_addresses_are_not_affected():
    bounce("other@example.com", "hard")
    assert check_errno("user@example.com") is None


# Sign-up and sign-in.


def test_sign_up_with_a_bounced_address_is_refused_and_creates_nothing(api):
    bounce("new@example.com", "hard")
    auth_pw, _ = stretch("New@example.com")
    body = assert_error(api.post("/account/create", {"email": "New@example.com", "authPW": auth_pw}),
                        400, 134)
    assert body["bouncedAt"] == EmailBounce.objects.get().created_at
    assert not Account.objects.filter(normalized_email="new@example.com").exists()


def test_sign_up_with_a_complained_address_is_133(api):
    bounce("new@example.com", "complaint")
    auth_pw, _ = stretch("new@example.com")
    assert_error(api.post("/account/create", {"email": "new@example.com", "authPW": auth_pw}), 400, 133)


def test_sign_in_to_an_unverified_account_with_a_bounced_address_is_refused(api):
    factories.account("pending@example.com", verified=False)
    bounce("pending@example.com", "soft")
    auth_pw, _ = stretch("pending@example.com")
    response = api.post("/account/login", {"email": "pending@example.com", "authPW": auth_pw})
    assert_error(response, 400, 135)


def test_sign_in_to_a_verified_account_tolerates_bounces(api):
    user = factories.account("user@example.com")
    bounce("user@example.com", "hard")
    auth_pw, _ = stretch("user@example.com")
    assert ok(api.post("/account/login", {"email": "user@example.com", "authPW": auth_pw}))["uid"] == user.uid


# The webhook.


def ses_bounce(*addresses, bounce_type="Permanent", sub_type="General"):
    return {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": bounce_type,
            "bounceSubType": sub_type,
            "bouncedRecipients": [{"emailAddress": address, "action": "failed"} for address in addresses],
            "timestamp": "2024-01-01T00:00:00.000Z",
        },
        "mail": {"destination": list(addresses)},
    }


def ses_complaint(*addresses):
    return {
        "notificationType": "Complaint",
        "complaint": {
            "complainedRecipients": [{"emailAddress": address} for address in addresses],
            "complaintFeedbackType": "abuse",
        },
    }


def sns(message):
    return {"Type": "Notification", "MessageId": "1", "TopicArn": "arn:aws:sns:x", "Message": json.dumps(message)}


def webhook(api, payload, secret=SECRET, scheme="Bearer"):
    headers = {}
    if secret is not None:
        if scheme == "Basic":
            headers["Authorization"] = "Basic " + base64.b64encode(f"fxa:{secret}".encode()).decode()
        else:
            headers["Authorization"] = f"{scheme} {secret}"
    return api.post("/emails/bounces", payload, headers=headers)


@pytest.fixture
def secret(settings):
    settings.EMAIL_BOUNCE_WEBHOOK_SECRET = SECRET


def test_the_webhook_does_not_exist_without_a_secret(api, settings):
    settings.EMAIL_BOUNCE_WEBHOOK_SECRET = ""
    assert_error(webhook(api, ses_bounce("user@example.com")), 404, 999)
    assert not EmailBounce.objects.exists()


@pytest.mark.parametrize("presented, scheme", [(None, "Bearer"), ("wrong", "Bearer"), ("", "Bearer"),
                                               ("wrong", "Basic"), (SECRET, "Hawk")])
def test_the_webhook_refuses_a_missing_or_wrong_secret(api, secret, presented, scheme):
    assert_error(webhook(api, ses_bounce("user@example.com"), presented, scheme), 401, 110)
    assert not EmailBounce.objects.exists()


def test_a_permanent_bounce_is_recorded_as_hard(api, secret):
    body = ok(webhook(api, ses_bounce("User@Example.com", "other@example.com", sub_type="NoEmail")))
    assert body == {"recorded": 2}
    recorded = EmailBounce.objects.get(normalized_email="user@example.com")
    assert (recorded.email, recorded.bounce_type, recorded.bounce_sub_type) == (
        "User@Example.com", "hard", "NoEmail"
    )
    assert EmailBounce.objects.filter(normalized_email="other@example.com").exists()


def test_a_transient_bounce_is_recorded_as_soft_with_basic_auth(api, secret):
    ok(webhook(api, ses_bounce("user@example.com", bounce_type="Transient", sub_type="MailboxFull"),
               scheme="Basic"))
    assert EmailBounce.objects.get().bounce_type == "soft"


def test_a_complaint_is_recorded(api, secret):
    ok(webhook(api, ses_complaint("user@example.com")))
    recorded = EmailBounce.objects.get()
    assert (recorded.bounce_type, recorded.bounce_sub_type) == ("complaint", "abuse")


def test_an_sns_wrapped_notification_is_unwrapped(api, secret):
    assert ok(webhook(api, sns(ses_bounce("Someone <user@example.com>")))) == {"recorded": 1}
    assert EmailBounce.objects.get().email == "user@example.com"
    ok(webhook(api, sns(ses_complaint("user@example.com"))))
    assert check_errno("user@example.com")[0] == 133


def test_undetermined_bounces_and_deliveries_are_ignored(api, secret):
    assert ok(webhook(api, ses_bounce("user@example.com", bounce_type="Undetermined"))) == {"recorded": 0}
    assert ok(webhook(api, {"notificationType": "Delivery", "delivery": {}})) == {"recorded": 0}
    assert not EmailBounce.objects.exists()


def test_an_sns_subscription_confirmation_is_acknowledged(api, secret):
    payload = {"Type": "SubscriptionConfirmation", "SubscribeURL": "https://sns.example/confirm"}
    assert ok(webhook(api, payload)) == {}


@pytest.mark.parametrize("payload", [
    {"notificationType": "Bounce", "bounce": {"bounceType": "Permanent"}},
    {"notificationType": "Bounce", "bounce": "nope"},
    {"Type": "Notification", "Message": "not json"},
    [1, 2],
])
def test_malformed_notifications_are_107(api, secret, payload):
    assert_error(webhook(api, payload), 400, 107)


def test_a_bounce_ends_a_young_unverified_sign_up(api, secret):
    pending = factories.account("pending@example.com", verified=False)
    verified = factories.account("user@example.com")
    ok(webhook(api, ses_bounce("pending@example.com", "user@example.com")))
    assert not Account.objects.filter(uid=pending.uid).exists()
    assert Account.objects.filter(uid=verified.uid).exists()


def test_a_recorded_bounce_blocks_sign_up_through_the_api(api, secret):
    ok(webhook(api, ses_bounce("new@example.com")))
    auth_pw, _ = stretch("new@example.com")
    assert_error(api.post("/account/create", {"email": "new@example.com", "authPW": auth_pw}), 400, 134)


# Clearing.


def test_clearing_records_emails_clear_bounces_on_the_owning_account():
    user = factories.account("user@example.com")
    bounce("user@example.com", "hard")
    bounce("stranger@example.com", "hard")
    assert bounces.clear(EmailBounce.objects.all()) == 2
    assert not EmailBounce.objects.exists()
    assert SecurityEvent.objects.filter(account_id=user.uid, name="emails.clearBounces").count() == 1
    assert check_errno("user@example.com") is None
