"""Fixtures for the emails tests: an account to mail."""
import pytest

from tests import factories


@pytest.fixture
def account(db):
    """A verified account (its row: the emails code takes Account rows)."""
    return factories.account("reader@example.com").account
