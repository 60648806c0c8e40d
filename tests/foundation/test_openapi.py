"""/openapi.json serves an OpenAPI 3 JSON document of the /v1 routes."""
import re

import pytest
from django.test import Client


@pytest.fixture(scope="module")
def document():
    # No Accept header, as a browser address bar or curl sends: the answer must still be JSON.
    response = Client().get("/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] in ("application/json", "application/vnd.oai.openapi+json")
    return response.json()


def test_document_is_openapi_3(document):
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"]


@pytest.mark.parametrize(
    "path, method",
    [
        ("/v1/account/create", "post"),
        ("/v1/account/login", "post"),
        ("/v1/session/status", "get"),
        ("/v1/recovery_email/verify_code", "post"),
        ("/v1/get_random_bytes", "post"),
    ],
)
def test_document_lists_existing_v1_routes(document, path, method):
    assert method in document["paths"][path]


def test_document_lists_only_v1_routes(document):
    assert document["paths"]
    assert all(path.startswith("/v1/") for path in document["paths"])


def test_every_v1_route_is_in_the_document(document):
    """The document is generated from the URL map: no /v1 route is missing from it."""
    from django.urls import URLResolver, get_resolver

    def routes_under(prefix, patterns):
        # Nested apps include their routes (accounts/urls.py includes accounts.devices.urls).
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from routes_under(prefix + str(pattern.pattern), pattern.url_patterns)
            else:
                # Path converters (<str:name>) are OpenAPI parameters ({name}).
                yield re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", prefix + str(pattern.pattern))

    v1 = next(p for p in get_resolver().url_patterns if str(getattr(p, "pattern", "")) == "v1/")
    routes = set(routes_under("/v1/", v1.url_patterns))
    assert "/v1/account/devices" in routes
    assert routes and routes <= set(document["paths"])


def test_request_bodies_come_from_the_views_serializers(document):
    create = document["paths"]["/v1/account/create"]["post"]
    schema_ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    component = document["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert {"email", "authPW"} <= set(component["required"])
    assert "keys" in {parameter["name"] for parameter in create["parameters"]}


def test_schema_generation_has_no_warnings():
    from django.core.management import call_command

    # --fail-on-warn turns every "unable to guess serializer" or unknown authenticator into an error.
    call_command("spectacular", "--fail-on-warn", "--file", "/dev/null")
