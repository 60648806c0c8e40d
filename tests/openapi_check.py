"""Every JSON answer the Django test client (or an in-process client of the live stack) receives
from a /v1 route is validated against /openapi.json's schema for that route, method and status
(the conftest fixtures wrap ``Client.request`` and ``requests.Session.send``), so the published
document cannot drift from what the code answers."""
import functools
import re
from urllib.parse import urlsplit

import jsonschema_rs
import requests
from django.test import Client

from accounts.openapi import UNDOCUMENTED

def json_schema(node):
    """An OpenAPI 3.0 schema as JSON Schema: ``nullable: true`` becomes a null alternative."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        node = {"anyOf": [node, {"type": "null"}]}
    return node


class ResponseSchemas:
    """The document's response schemas, each compiled on first use."""

    def __init__(self, document):
        self.paths = document["paths"]
        self.components = json_schema(document["components"])
        # A member the document does not name is a mismatch too (the error body may carry extras).
        for name, schema in self.components.get("schemas", {}).items():
            if name != "Error" and "properties" in schema:
                schema.setdefault("additionalProperties", False)
        # Literal paths win over templated ones (/v1/recoveryKey/exists over /{recoveryKeyId}).
        self.routes = sorted(
            ((re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"), path)
             for path in self.paths),
            key=lambda route: "{" in route[1],
        )

    def route(self, path):
        return next((route for pattern, route in self.routes if pattern.match(path)), None)

    def problems(self, method, path, status, body, view=None):
        """What is wrong with ``body`` as the ``status`` answer of ``method path`` (served by
        ``view``), or None."""
        route = self.route(path)
        where = f"{method} {path} -> {status}" + (f" ({view})" if view else "")
        operation = self.paths[route].get(method.lower()) if route else None
        if operation is None:
            if status >= 400:  # an unknown route or method: upstream's error body all the same
                return self.mismatch(where, "Error", self.error_validator(), body)
            if route is None:
                return f"{where}: the route is not in /openapi.json (is its view under /v1 in urls.py?)"
            return f"{where}: /openapi.json has no {method} for {route}"
        responses = operation["responses"]
        key = str(status) if str(status) in responses else None
        if key is None and status >= 400:
            key = "default"
        if key not in responses:
            return f"{where}: no response documented for status {status} of {method} {route}"
        content = responses[key].get("content", {}).get("application/json")
        if content is None:
            return f"{where}: {method} {route} documents no JSON body for status {key}"
        if content["schema"] == UNDOCUMENTED:
            return f"{where}: {method} {route} has no response schema (declare the view's response_serializer)"
        return self.mismatch(where, f"{key} schema of {method} {route}", self.validator(route, method.lower(), key), body)

    @staticmethod
    def mismatch(where, what, validator, body):
        errors = [f"{'/'.join(map(str, error.instance_path)) or '(body)'}: {error.message}"
                  for error in validator.iter_errors(body)]
        if errors:
            return f"{where}: the body does not match the {what}:\n  " + "\n  ".join(errors)
        return None

    @functools.cache
    def error_validator(self):
        return jsonschema_rs.validator_for({"$ref": "#/components/schemas/Error", "components": self.components})

    @functools.cache
    def validator(self, route, method, key):
        schema = json_schema(self.paths[route][method]["responses"][key]["content"]["application/json"]["schema"])
        return jsonschema_rs.validator_for({**schema, "components": self.components})


@functools.cache
def schemas():
    """The document of this test process, generated once (on the first /v1 answer)."""
    response = Client().get("/openapi.json")
    assert response.status_code == 200
    return ResponseSchemas(response.json())


ORIGINAL_REQUEST = Client.request


def checking_request(client, **request):
    """``Client.request``, failing the test on a /v1 JSON answer that its schema refuses."""
    response = ORIGINAL_REQUEST(client, **request)
    path = request.get("PATH_INFO", "")
    if path.startswith("/v1/") and response.get("Content-Type", "").startswith("application/json"):
        match = response.resolver_match
        view = getattr(match.func, "view_class", match.func).__name__ if match else None
        problem = schemas().problems(request["REQUEST_METHOD"], path, response.status_code, response.json(), view)
        assert problem is None, problem
    return response


def checking_send(base_url):
    """``requests.Session.send``, failing the test on a JSON answer from ``base_url``'s /v1 that
    its schema refuses (the live stack's in-process clients; PyFxA runs in its own process)."""
    original = requests.Session.send

    def send(session, request, **kwargs):
        response = original(session, request, **kwargs)
        parts = urlsplit(request.url)
        if request.url.startswith(base_url) and parts.path.startswith("/v1/") \
                and response.headers.get("Content-Type", "").startswith("application/json"):
            problem = schemas().problems(request.method, parts.path, response.status_code, response.json())
            assert problem is None, problem
        return response

    return send
