"""Malformed request bodies and query strings: a 400 with errno 106/107/108 on every route, never a 500."""
import pytest

from accounts import onepw
from accounts.models import Account
from tests import factories
from tests.helpers import assert_error, stretch

pytestmark = pytest.mark.django_db

HEX64 = "ab" * 32
HEX32 = "cd" * 16
EMAIL = "user@example.com"
CLIENT_SALT = onepw.CLIENT_SALT_V2_PREFIX + HEX32

NOT_STRINGS = [1, 1.5, True, None, {}, {"a": "b"}, [], ["x"]]
NOT_BOOLEANS = ["yes", "", 1, 0, None, {}, []]
BAD_HEX64 = ["zz" * 32, "ab" * 31, "ab" * 33, "abc", "", " " + "ab" * 31 + "a"] + NOT_STRINGS
BAD_HEX32 = ["zz" * 16, "ab" * 15, "ab" * 17, "abc", ""] + NOT_STRINGS
BAD_EMAILS = [
    "no-at-sign",
    "a@b",
    "@example.com",
    "a@@example.com",
    "a b@example.com",
    "user@example.com\n",
    "x" * 250 + "@example.com",
    "\ud800@example.com",  # a lone surrogate cannot even be stored
    "a\u0085b@example.com",
    "a\u0080b@example.com",
    "a\u2028b@example.com",
    "\ue000@example.com",
    "\ufffd@example.com",
    "",
] + NOT_STRINGS
BAD_SERVICES = ["x" * 17, "sync!", "sÿnc", "sync\n"] + NOT_STRINGS
BAD_LONG_STRINGS = ["x" * 2049] + NOT_STRINGS
BAD_REASONS = ["x" * 17] + NOT_STRINGS
BAD_METRICS_CONTEXTS = [
    "flow",
    1,
    None,
    [],
    {"unknownKey": 1},
    {"flowId": HEX64},
    {"flowId": HEX64, "flowBeginTime": "soon"},
    {"flowId": "zz", "flowBeginTime": 1},
    {"deviceId": HEX64},
    {"utmSource": "x" * 129},
]
BAD_VERIFICATION_METHODS = ["sms", "EMAIL", ""] + NOT_STRINGS

LOGIN_FIELDS = {
    "email": BAD_EMAILS,
    "authPW": BAD_HEX64,
    "service": BAD_SERVICES,
    "redirectTo": BAD_LONG_STRINGS,
    "resume": BAD_LONG_STRINGS,
    "reason": BAD_REASONS,
    "unblockCode": ["x" * 17, "ABC-123", "ABC123\n"] + NOT_STRINGS,
    "metricsContext": BAD_METRICS_CONTEXTS,
    "originalLoginEmail": BAD_EMAILS,
    "verificationMethod": BAD_VERIFICATION_METHODS,
}

# route -> (needs a sessionToken, a valid body, {field: invalid values})
ROUTES = {
    "/account/create": (
        False,
        {
            "email": EMAIL,
            "authPW": HEX64,
            "wrapKb": HEX64,
            "authPWVersion2": HEX64,
            "wrapKbVersion2": HEX64,
            "clientSalt": CLIENT_SALT,
        },
        {
            "email": BAD_EMAILS,
            "authPW": BAD_HEX64,
            "wrapKb": BAD_HEX64,
            "authPWVersion2": BAD_HEX64,
            "wrapKbVersion2": BAD_HEX64,
            "clientSalt": [
                "x" * 129,
                onepw.CLIENT_SALT_V2_PREFIX + "g" * 32,
                onepw.CLIENT_SALT_V2_PREFIX + HEX32 + "00",
                EMAIL,
            ]
            + NOT_STRINGS,
            "service": BAD_SERVICES,
            "redirectTo": BAD_LONG_STRINGS,
            "resume": BAD_LONG_STRINGS,
            "metricsContext": BAD_METRICS_CONTEXTS,
            "verificationMethod": BAD_VERIFICATION_METHODS + ["totp-2fa"],
            "style": ["classic"] + NOT_STRINGS,
            "preVerified": NOT_BOOLEANS,
            "atLeast18AtReg": ["yes", 1, {}, []],
        },
    ),
    "/account/login": (False, {"email": EMAIL, "authPW": HEX64}, LOGIN_FIELDS),
    "/session/reauth": (True, {"email": EMAIL, "authPW": HEX64}, LOGIN_FIELDS),
    "/account/status": (
        False,
        {"email": EMAIL},
        {"email": BAD_EMAILS, "thirdPartyAuthStatus": NOT_BOOLEANS},
    ),
    "/account/credentials/status": (False, {"email": EMAIL}, {"email": BAD_EMAILS}),
    "/account/destroy": (
        False,
        {"email": EMAIL, "authPW": HEX64},
        {"email": BAD_EMAILS, "authPW": BAD_HEX64},
    ),
    "/session/destroy": (True, {}, {"customSessionToken": BAD_HEX64}),
    "/session/duplicate": (True, {}, {"reason": BAD_REASONS}),
    "/recovery_email/verify_code": (
        False,
        {"uid": HEX32, "code": HEX32},
        {
            "uid": BAD_HEX32,
            "code": BAD_HEX32,
            "service": BAD_SERVICES,
            "reminder": ["x" * 17, "first!"] + NOT_STRINGS,
            "type": ["x" * 33, "upgrade session"] + NOT_STRINGS,
            "style": ["classic"] + NOT_STRINGS,
            "marketingOptIn": NOT_BOOLEANS,
            "newsletters": ["mozilla-accounts", 1, {}, None, [1], [{}], [None], ["x" * 65]],
            "metricsContext": BAD_METRICS_CONTEXTS,
        },
    ),
}

REQUIRED = {
    "/account/create": ["email", "authPW"],
    "/account/login": ["email", "authPW"],
    "/session/reauth": ["email", "authPW"],
    "/account/status": ["email"],
    "/account/credentials/status": ["email"],
    "/account/destroy": ["email", "authPW"],
    "/recovery_email/verify_code": ["uid", "code"],
}

QUERY_ROUTES = ["/account/create", "/account/login", "/session/reauth"]
BAD_QUERIES = [
    "keys=maybe",
    "keys=1",
    "keys=",
    "service=" + "x" * 17,
    "service=sync%21",
    "verificationMethod=sms",
]


FIELD_CASES = [
    pytest.param(path, field, value, id=f"{path}-{field}-{index}")
    for path, (_, _, fields) in ROUTES.items()
    for field, values in fields.items()
    for index, value in enumerate(values)
]


@pytest.fixture(autouse=True)
def _cheap_scrypt(monkeypatch):
    # Validation runs before any password work; a tiny scrypt keeps hundreds of cases fast.
    monkeypatch.setattr(onepw, "SCRYPT_N", 2)



def send(api, path, *, body=None, raw_body=None, query=""):
    """POST to ``path``, with a fresh session when the route needs one."""
    needs_session = ROUTES[path][0]
    token = factories.account(EMAIL).session_token if needs_session else None
    return api.post(f"{path}{query}", body, raw_body=raw_body, token=token)


@pytest.mark.parametrize("path, field, value", FIELD_CASES)
def test_invalid_field_is_107(api, path, field, value):
    body = {**ROUTES[path][1], field: value}
    error = assert_error(send(api, path, body=body), 400, 107)
    assert field in error["validation"]["keys"]


@pytest.mark.parametrize(
    "path, field", [(path, field) for path, fields in REQUIRED.items() for field in fields]
)
def test_missing_required_field_is_108(api, path, field):
    body = {k: v for k, v in ROUTES[path][1].items() if k != field}
    error = assert_error(send(api, path, body=body), 400, 108)
    assert error["param"] == field


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("raw_body", [b"[]", b'"x"', b"null", b"1", b"true", b"[{}]"])
def test_non_object_json_body_is_107(api, path, raw_body):
    assert_error(send(api, path, raw_body=raw_body), 400, 107)


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize(
    "raw_body", [b"{", b'{"email": }', b"{'a': 1}", b"\xff\xfe{}", b"NaN", b'{"a": NaN}', b"{}{}"]
)
def test_invalid_json_is_106(api, path, raw_body):
    assert_error(send(api, path, raw_body=raw_body), 400, 106)


def test_deeply_nested_json_is_106(api):
    raw_body = b'{"email": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    assert_error(api.post("/account/status", raw_body=raw_body), 400, 106)


@pytest.mark.parametrize("path", QUERY_ROUTES)
@pytest.mark.parametrize("query", BAD_QUERIES)
def test_invalid_query_parameter_is_107(api, path, query):
    error = assert_error(send(api, path, body=ROUTES[path][1], query=f"?{query}"), 400, 107)
    assert error["validation"]["source"] == "query"


def test_unknown_fields_are_stripped_on_create(api):
    auth_pw, _ = stretch(EMAIL)
    response = api.post(
        "/account/create?keys=true&future=1", {"email": EMAIL, "authPW": auth_pw, "future": {"a": 1}}
    )
    assert response.status_code == 200, response.content
    assert Account.objects.filter(uid=response.json()["uid"]).exists()


@pytest.mark.parametrize(
    "path, body",
    [
        ("/account/login", "login"),
        ("/session/reauth", "login"),
        ("/account/destroy", "login"),
        ("/account/status", {"email": EMAIL}),
        ("/account/credentials/status", {"email": EMAIL}),
        ("/session/destroy", {}),
        ("/session/duplicate", {}),
        ("/recovery_email/verify_code", "verify"),
    ],
)
def test_unknown_fields_are_stripped(api, path, body):
    user = factories.account(EMAIL)
    if body == "login":
        body = {"email": EMAIL, "authPW": stretch(EMAIL)[0]}
    elif body == "verify":
        body = {"uid": user.uid, "code": user.account.email_code}
    token = user.session_token if ROUTES[path][0] else None
    response = api.post(path, {**body, "somethingNew": [1, {"x": None}]}, token=token)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
