"""/openapi.json serves an OpenAPI 3 JSON document of the /v1 routes: the routes of upstream's
reference (../shared/reference/auth-server-api.txt), with the methods it gives them."""
import re
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
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


REFERENCE = Path(settings.BASE_DIR).parent / "shared" / "reference" / "auth-server-api.txt"

# Routes of the reference that we do not serve, each with why.
NOT_SERVED = {
    # Sign-up of stub accounts for subscriptions, and the subscriptions themselves: not built yet.
    "/account/stub", "/account/set_password", "/account/finish_setup",
    # Retired by upstream (BrowserID certificates, the account-unlock flow).
    "/certificate/sign", "/.well-known/browserid", "/.well-known/public-keys",
    "/account/unlock/resend_code", "/account/unlock/verify_code",
    # Features that do not exist here: Basket newsletters, support tickets, third-party sign-in,
    # push-approved sign-in, reminders of abandoned sign-ups.
    "/newsletters", "/support/ticket", "/linked_account/login", "/session/verify/send_push",
    "/emails/reminders/cad",
    # Links in mails, served as pages (not /v1 routes).
    "/verify_email", "/complete_reset_password",
}
# Subscriptions: part of the Stripe card routes is built (README, "Subscriptions"); PayPal, IAP
# and the rest are not yet.
NOT_SERVED_PREFIXES = ("/oauth/subscriptions/", "/oauth/mozilla-subscriptions/")

# Routes we serve that the reference (upstream's published 2019-era document) does not list:
# newer upstream routes, the profile server's, and the mailer's bounce webhook.
BEYOND_REFERENCE = {
    "/account/credentials/status", "/password/forgot/send_otp", "/password/forgot/verify_otp",
    "/mfa/otp/request", "/mfa/otp/verify", "/mfa/password/change", "/mfa/recoveryCodes",
    "/mfa/totp/create", "/mfa/totp/destroy", "/mfa/totp/setup/complete", "/mfa/totp/setup/verify",
    "/mfa/recovery_email", "/mfa/recovery_email/destroy", "/mfa/recovery_email/set_primary",
    "/mfa/recovery_email/secondary/resend_code", "/mfa/recovery_email/secondary/verify_code",
    "/mfa/recoveryKey",
    "/mfa/password/create", "/mfa/totp/replace/start", "/mfa/totp/replace/confirm",
    "/totp/replace/start", "/totp/replace/confirm",
    "/totp/setup/complete", "/totp/setup/verify", "/totp/verify", "/totp/verify/recoveryCode",
    "/recoveryCodes/exists", "/session/verify/recoveryCode",
    "/session/verify/totp",  # the reference (and upstream, still) spells it /session/verifiy/totp
    "/profile", "/uid", "/email", "/display_name", "/avatar", "/avatar/upload", "/avatar/{id}",
    "/emails/bounces", "/account/metrics_opt",
    # The profile server's capabilities route; and invoice/retry, which the reference writes
    # without its leading slash.
    "/subscriptions", "/oauth/subscriptions/invoice/retry",
}

def reference_routes():
    """{route: how many methods the reference documents for it}, routes without /v1 (the OAuth
    server's section writes it, the auth server's does not)."""
    routes = Counter()
    for line in REFERENCE.read_text().splitlines():
        match = re.match(r"(/\S*)", line)
        if match:
            routes[match.group(1).removeprefix("/v1")] += 1
    return routes


def documented(document):
    """{route: its methods} of our document, without /v1."""
    return {path.removeprefix("/v1"): {m for m in item if m in ("get", "post", "put", "delete", "patch")}
            for path, item in document["paths"].items()}


def served_upstream(route):
    return route not in NOT_SERVED and not route.startswith(NOT_SERVED_PREFIXES)


def test_every_route_of_the_reference_is_documented_with_its_methods(document):
    reference, ours = reference_routes(), documented(document)
    assert len(reference) > 100  # the parse found the reference's routes
    missing = {route for route in reference if served_upstream(route) and route not in ours}
    assert not missing
    # A route the reference documents twice (GET and POST /account/status...) has two methods.
    fewer = {route: (count, ours[route]) for route, count in reference.items()
             if route in ours and len(ours[route]) < count}
    assert not fewer


def test_every_documented_route_is_in_the_reference_or_named_as_beyond_it(document):
    reference = reference_routes()
    unexplained = {route for route in documented(document)
                   if route not in reference and route not in BEYOND_REFERENCE}
    assert not unexplained


def test_the_lists_of_exceptions_are_current(document):
    reference, ours = reference_routes(), documented(document)
    assert not {route for route in NOT_SERVED if route in ours}, "served now: drop from NOT_SERVED"
    assert NOT_SERVED <= set(reference)
    assert not BEYOND_REFERENCE & set(reference), "listed in the reference now"
    assert BEYOND_REFERENCE <= set(ours), "no longer served"


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
