"""The subscriptions admin: every list renders, and the account's page shows its subscriptions."""
import pytest

from tests.helpers import ApiClient, ok

from .test_routes import subscribe

pytestmark = pytest.mark.django_db


def test_lists_and_the_account_panel(admin_client, user, token, catalogue):
    """``admin_client``: pytest-django's signed-in superuser."""
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
