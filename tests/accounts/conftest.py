"""Fixtures of the accounts tests: API clients that deliver the mail their requests queue."""
import pytest

from accounts.customs import blocklist
from tests import factories
from tests.helpers import MailingApiClient, assert_error, ok

from .customs_helpers import TIGHT
from .flow_helpers import OTHER_IP, login


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


@pytest.fixture
def customs_user():
    return factories.account("user@example.com")


@pytest.fixture
def blocked(settings, elsewhere, customs_user):
    """A real block: the tight rule exceeded by a second sign-in from OTHER_IP."""
    settings.CUSTOMS_RULES = TIGHT
    assert ok(login(elsewhere, customs_user.email))
    assert_error(login(elsewhere, customs_user.email), 429, 114)
    return customs_user
