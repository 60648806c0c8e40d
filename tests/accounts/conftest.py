"""Fixtures of the accounts tests: API clients that deliver the mail their requests queue."""
import pytest

from accounts.customs import blocklist

from tests.helpers import MailingApiClient

from .flow_helpers import OTHER_IP


@pytest.fixture
def api():
    return MailingApiClient()


@pytest.fixture
def elsewhere():
    """A client at an IP address the account never signed in from."""
    return MailingApiClient(OTHER_IP)


@pytest.fixture
def fresh_blocklist():
    """No compiled copy leaks into or out of a test (its entries roll back with it)."""
    blocklist.reset()
    yield
    blocklist.reset()
