"""The /v1 URL map keeps the match of each literal route once found, and only those."""
from django.urls import get_resolver, resolve

from fxa_project.urls import LiteralRoutesKept


def kept():
    (resolver,) = [p for p in get_resolver().url_patterns if isinstance(p, LiteralRoutesKept)]
    return resolver._kept


def test_a_literal_route_resolves_as_before_and_is_kept(monkeypatch):
    first = resolve("/v1/oauth/token")
    assert first.route == "v1/oauth/token" and first.func.view_class.__name__ == "OAuthTokenView"
    assert kept()["v1/oauth/token"].func is first.func
    # Resolved again without trying the routes.
    monkeypatch.setattr("django.urls.resolvers.URLPattern.resolve", lambda *args: None)
    again = resolve("/v1/oauth/token")
    assert (again.func, again.route, again.kwargs) == (first.func, first.route, {})


def test_routes_with_parameters_unknown_paths_and_pages_are_resolved_each_time():
    match = resolve("/v1/recoveryKey/" + "ab" * 16)
    assert match.kwargs == {"recoveryKeyId": "ab" * 16}
    assert resolve("/v1/recoveryKey/" + "cd" * 16).kwargs == {"recoveryKeyId": "cd" * 16}
    assert resolve("/v1/no/such/route").route == "^v1/"
    assert resolve("/v1/session/status/").route == "^v1/"  # not the route without the slash
    resolved = {"v1/recoveryKey/" + "ab" * 16, "v1/recoveryKey/" + "cd" * 16, "v1/no/such/route",
                "v1/session/status/"}
    assert not resolved & set(kept())
