"""/openapi.json serves an OpenAPI 3 JSON document of the /v1 routes."""
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
