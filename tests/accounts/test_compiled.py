"""accounts.compiled: a lookup compiled once answers as the queryset it was made from."""
import pytest

from accounts import ports
from accounts.compiled import CompiledLookup
from accounts.models import SessionToken
from tests import factories

pytestmark = pytest.mark.django_db


def sessions():
    return SessionToken.objects.select_related("account").annotate(
        account_two_step=ports.has_enabled_totp_expression())


def test_the_instance_is_the_querysets_with_its_account_and_annotation():
    user = factories.account()
    lookup = CompiledLookup(sessions())
    expected = sessions().get(pk=user.session_key)
    for _ in range(2):  # compiled by the first call, reused by the second
        found = lookup.get(user.session_key)
        assert [getattr(found, f.attname) for f in SessionToken._meta.concrete_fields] == \
            [getattr(expected, f.attname) for f in SessionToken._meta.concrete_fields]
        assert found.account_two_step is False
        assert SessionToken.account.is_cached(found)
        assert found.account.email == user.email and found.account.pk == user.uid
        assert found._state.adding is False and found._state.db == "default"


def test_an_unknown_value_is_none():
    factories.account()
    assert CompiledLookup(sessions()).get("0" * 64) is None


def test_the_annotation_is_each_accounts_two_step_state():
    lookup = CompiledLookup(sessions())
    plain, two_step = factories.account(), factories.account("two@example.com", totp=True)
    assert lookup.get(plain.session_key).account_two_step is False
    assert lookup.get(two_step.session_key).account_two_step is True


def test_another_field_can_be_the_key():
    user = factories.account()
    found = CompiledLookup(sessions(), "account_id").get(user.uid)
    assert found.pk == user.session_key


def test_all_is_every_match_in_the_querysets_order():
    user, second = factories.account(), factories.account("two@example.com")
    factories.session(user)
    lookup = CompiledLookup(sessions().order_by("-created_at", "-pk"), "account_id")
    expected = list(sessions().filter(account_id=user.uid).order_by("-created_at", "-pk"))
    found = lookup.all(user.uid)
    assert len(found) == 2 and [token.pk for token in found] == [token.pk for token in expected]
    assert all(token.account.pk == user.uid and token.account_two_step is False for token in found)
    assert [token.pk for token in lookup.all(second.uid)] == [second.session_key]
    assert lookup.all("0" * 32) == []
