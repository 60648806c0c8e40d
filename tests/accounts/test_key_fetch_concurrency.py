"""A keyFetchToken is spent exactly once, even by concurrent requests."""

import pytest

from accounts.models import KeyFetchToken
from tests import factories
from tests.helpers import ApiClient, race

# Real transactions: each thread's request commits on its own database connection.
pytestmark = pytest.mark.django_db(transaction=True)

ATTEMPTS = 10


def test_concurrent_key_fetches_succeed_exactly_once():
    user = factories.account(keys=True)

    def fetch(index):
        response = ApiClient().get("/account/keys", token=user.key_fetch_token, token_type="keyFetchToken")
        return response.status_code, response.json().get("errno")

    outcomes = race(ATTEMPTS, fetch)
    assert sorted(outcomes) == [(200, None)] + [(401, 110)] * (ATTEMPTS - 1)
    assert not KeyFetchToken.objects.filter(account_id=user.uid).exists()
