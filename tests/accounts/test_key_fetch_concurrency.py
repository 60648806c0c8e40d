"""A keyFetchToken is spent exactly once, even by concurrent requests."""
import threading

import pytest
from django.db import connection

from accounts.models import KeyFetchToken
from tests.helpers import ApiClient, make_account

# Real transactions: each thread's request commits on its own database connection.
pytestmark = pytest.mark.django_db(transaction=True)

ATTEMPTS = 10


def test_concurrent_key_fetches_succeed_exactly_once():
    user = make_account(keys=True)
    start = threading.Barrier(ATTEMPTS)
    outcomes = []

    def fetch():
        try:
            api = ApiClient()
            start.wait()
            response = api.get("/account/keys", token=user.key_fetch_token, token_type="keyFetchToken")
            outcomes.append((response.status_code, response.json().get("errno")))
        finally:
            connection.close()

    threads = [threading.Thread(target=fetch) for _ in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == [(200, None)] + [(401, 110)] * (ATTEMPTS - 1)
    assert not KeyFetchToken.objects.filter(account_id=user.uid).exists()
