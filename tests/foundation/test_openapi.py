"""/openapi.json serves an OpenAPI 3 JSON document of the /v1 routes: the routes of upstream's
reference (../shared/reference/auth-server-api.txt), with the methods and the parameters it gives
them."""
import re
from collections import Counter, defaultdict
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
    # The profile server's capabilities route; invoice/retry, which the reference writes
    # without its leading slash; and coupon/apply, upstream's but not in the reference's API.
    "/subscriptions", "/oauth/subscriptions/invoice/retry", "/oauth/subscriptions/coupon/apply",
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


# The reference's parameter lists: a section heading, then per parameter its name, "required" or
# not, and a line starting with its type.
PARAMETER_SECTIONS = {"query Parameters": "query", "path Parameters": "path",
                      "header Parameters": "header", "Request Body schema: application/json": "body"}
PARAMETER_TYPE = re.compile(r"^(string|boolean|integer|number|object|array|Array|any|null)\b")
PARAMETER_NAME = re.compile(r"^[A-Za-z_][\w.\-]*$")
# The one route line the reference writes without its leading slash.
UNSLASHED_ROUTES = {"oauth/subscriptions/invoice/retry"}

# Where our parameters differ from the reference's, by (route, section): (what the reference has
# that we do not, what we have that it does not, why).
NEWER_V2 = ("authPWVersion2", "wrapKbVersion2", "clientSalt")
METRICS_CONTEXT_MEMBERS = ("deviceId", "entrypoint", "entrypointExperiment", "entrypointVariation",
                           "flowBeginTime", "flowId", "planId", "productId", "utmCampaign",
                           "utmContent", "utmMedium", "utmSource", "utmTerm")
PARAMETERS_DIFFERENT = {
    ("/account/create", "query"): ((), ("verificationMethod",), "newer upstream"),
    ("/account/create", "body"): ((), NEWER_V2 + ("atLeast18AtReg", "preVerified", "wrapKb"),
                                  "newer upstream: key stretching v2, age check; preVerified for tests"),
    ("/account/attached_client/destroy", "body"): ((), ("sessionTokenHandle",), "newer upstream"),
    ("/account/device", "body"): ((), ("availableCommands",), "newer upstream (device commands)"),
    ("/account/login", "body"): ((), ("skipCaptcha",), "newer upstream"),
    ("/session/reauth", "body"): ((), ("skipCaptcha",), "newer upstream"),
    ("/account/reset", "query"): ((), ("service", "verificationMethod"), "newer upstream"),
    ("/account/reset", "body"): ((), NEWER_V2, "key stretching v2"),
    ("/password/change/finish", "query"): ((), ("service", "verificationMethod"), "newer upstream"),
    ("/password/change/finish", "body"): ((), NEWER_V2, "key stretching v2"),
    ("/password/create", "body"): ((), NEWER_V2 + ("wrapKb",), "newer upstream"),
    ("/password/forgot/resend_code", "query"): ((), ("keys",), "newer upstream"),
    ("/password/forgot/resend_code", "body"): ((), ("metricsContext",), "newer upstream"),
    ("/password/forgot/verify_code", "body"): ((), ("includeRecoveryKeyPrompt", "metricsContext"),
                                               "newer upstream"),
    ("/recovery_email/verify_code", "body"): ((), ("metricsContext",), "newer upstream"),
    ("/session/verify_code", "body"): ((), ("metricsContext",), "newer upstream"),
    ("/session/verifiy/totp", "body"): ((), ("metricsContext",), "newer upstream"),
    ("/totp/create", "body"): (METRICS_CONTEXT_MEMBERS, (),
                               "the reference lists metricsContext's members flat"),
    ("/account/status", "body"): (("checkDomain",), (), "accepted and ignored, undocumented"),
    ("/authorization", "body"): (("assertion", "resource"), ("nonce",),
                                 "BrowserID assertions are retired; resource is for the token "
                                 "endpoint here; nonce is OIDC's"),
    ("/oauth/authorization", "body"): ((), ("nonce",), "OIDC's nonce"),
    ("/authorized-clients/destroy", "body"): (("assertion",), (), "BrowserID assertions are retired"),
    ("/key-data", "body"): (("assertion",), (), "BrowserID assertions are retired"),
    ("/token", "body"): (("assertion",), (), "BrowserID assertions are retired"),
    ("/oauth/token", "body"): ((), ("access_type", "refresh_token", "scope"),
                               "the refresh grant's members (the reference lists the fxa-credentials grant's)"),
    ("/destroy", "body"): ((), ("token", "token_type_hint"), "RFC 7009 names, which upstream accepts too"),
    ("/destroy", "header"): (("authorization",), (), "documented as a security scheme"),
    ("/oauth/destroy", "header"): (("authorization",), (), "documented as a security scheme"),
    ("/token", "header"): (("authorization",), (), "documented as a security scheme"),
    ("/oauth/mozilla-subscriptions/customer/plan-eligibility/{planid}", "path"): (
        ("planId",), ("planid",), "a path parameter's name is not on the wire"),
}


def reference_parameters():
    """{route: {section: parameter names}} of the reference."""
    found = defaultdict(lambda: defaultdict(set))
    route = section = None
    lines = [line.rstrip() for line in REFERENCE.read_text().splitlines() if line.strip()]
    for number, line in enumerate(lines):
        if re.match(r"^/\S*$", line) or line in UNSLASHED_ROUTES:
            route, section = "/" + line.removeprefix("/").removeprefix("v1/"), None
        elif line in PARAMETER_SECTIONS:
            section = PARAMETER_SECTIONS[line]
        elif line.startswith(("Responses", "Request samples")):
            section = None
        elif section is not None:
            following = lines[number + 1] if number + 1 < len(lines) else ""
            if (line != "required" and PARAMETER_NAME.match(line) and not PARAMETER_TYPE.match(line)
                    and (following == "required" or PARAMETER_TYPE.match(following))):
                found[route][section].add(line)
            nameless = re.match(r"^object \((\w+)\)$", line)  # "object (metricsContext)"
            if nameless and not PARAMETER_NAME.match(lines[number - 1]):
                found[route][section].add(nameless.group(1))
    return found


def documented_parameters(document):
    """{route: {section: parameter names}} of our document, over all its methods."""
    schemas = document["components"]["schemas"]
    found = defaultdict(lambda: defaultdict(set))

    def members(schema):
        schema = schemas[schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else schema
        return set(schema.get("properties", {})).union(
            *(members(part) for part in schema.get("allOf", [])))

    for path, item in document["paths"].items():
        route = path.removeprefix("/v1")
        for method, operation in item.items():
            for parameter in operation.get("parameters", []) if method != "parameters" else []:
                found[route][parameter["in"]].add(parameter["name"])
            for content in operation.get("requestBody", {}).get("content", {}).values():
                found[route]["body"] |= members(content["schema"])
    return found


def test_parameters_match_the_reference(document):
    reference, ours = reference_parameters(), documented_parameters(document)
    assert {"email", "authPW", "metricsContext", "unblockCode"} <= reference["/account/login"]["body"]
    differences = {}
    for route in reference.keys() & ours.keys():
        for section in PARAMETER_SECTIONS.values():
            missing = reference[route][section] - ours[route][section]
            # Our header parameters are only ever documented, never required, beyond the reference's.
            extra = set() if section == "header" else ours[route][section] - reference[route][section]
            if missing or extra:
                differences[(route, section)] = (tuple(sorted(missing)), tuple(sorted(extra)))
    explained = {key: (tuple(sorted(missing)), tuple(sorted(extra)))
                 for key, (missing, extra, _why) in PARAMETERS_DIFFERENT.items()}
    assert differences == explained


def test_schema_generation_has_no_warnings():
    from django.core.management import call_command

    # --fail-on-warn turns every "unable to guess serializer" or unknown authenticator into an error.
    call_command("spectacular", "--fail-on-warn", "--file", "/dev/null")
