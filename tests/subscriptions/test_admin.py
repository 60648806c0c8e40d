"""The subscriptions admin: every list renders, and the account's page shows its subscriptions."""
import pytest
from django.contrib.auth import get_user_model

from tests.helpers import ApiClient, ok

from .test_routes import subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    staff = get_user_model().objects.create(username="staff", is_staff=True, is_superuser=True)
    client.force_login(staff)
    return client


def test_lists_and_the_account_panel(admin_client, user, token, catalogue):
    account_page = f"/admin/accounts/account/{user.account.uid}/change/"
    assert "no Stripe customer" in admin_client.get(account_page).content.decode()
    sub_id = ok(subscribe(ApiClient(), token, catalogue["basic"]))["subscription"]["id"]
    for model in ("stripecustomer", "product", "plan", "subscription", "invoice",
                  "paymentmethod", "webhookevent"):
        assert admin_client.get(f"/admin/subscriptions/{model}/").status_code == 200, model
    assert sub_id in admin_client.get("/admin/subscriptions/subscription/").content.decode()
    page = admin_client.get(account_page).content.decode()
    assert "Stripe subscriptions" in page
    assert user.account.stripe_customer.customer_id in page
    assert f"{sub_id}</a> {catalogue['basic']} — active" in page
    assert admin_client.get(f"/admin/subscriptions/subscription/{sub_id}/change/").status_code \
        == 200
