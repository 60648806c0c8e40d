"""Fuzzing as a regression guard: schemathesis generates requests for every operation of the live
server's /openapi.json, inside the schema (positive) and outside it (negative), without
credentials and with a valid session token. Every answer must be a non-5xx status, and every /v1
answer must be JSON (upstream's errno format for errors), except where the document says a route
answers otherwise (the avatar image, 204 without a body).

The run is bounded and deterministic: a fixed number of examples per operation and mode, with
Hypothesis derandomized and without its example database, so that the same requests are sent on
every run and nothing is written to the checkout. A failure lists every offending request, as it
was sent, with the stack's log, which has the traceback of a 500.
"""
import time
from collections import Counter
from email.message import Message

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests import factories
from tests.helpers import authorization

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    # Thousands of requests from one address are exactly what customs (rate limiting) blocks or
    # bans: the fuzzer's address is exempt, so that every request reaches the route's own
    # validation instead of a 429 errno 114.
    pytest.mark.live_stack(extra_env={"CUSTOMS_IGNORE_IPS": "127.0.0.1"}),
]

# Examples per operation and generation mode. Operations without parameters stop after their
# one possible request; this gives about 2,000 requests without credentials and about 1,000 with
# a session, in well under two minutes on two cores.
EXAMPLES = {"anonymous": 10, "session": 5}

# Skipped in the session pass because they end the session (or the account) that the pass
# signs its requests with: the anonymous pass still fuzzes them, where they must refuse with 401.
# Anything else that ends the session is caught by the check before each operation, which
# makes a new one.
SESSION_ENDING = {
    ("POST", "/v1/account/destroy"),
    ("POST", "/v1/session/destroy"),
}

FUZZ_SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: every failure is kept as found
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


def media_type(value):
    message = Message()
    message["Content-Type"] = value or ""
    return message.get_content_type() if value else ""


def documented_media_types(operation, status):
    """The media types the document gives for this status (None when it does not document it)."""
    responses = operation.definition.raw.get("responses", {})
    response = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
    if response is None:
        return None
    return set(response.get("content", {}))


def feature_not_enabled(response):
    """503 errno 202: a feature this stack does not configure (subscriptions without Stripe), as
    upstream answers for a disabled one; not a failure of the server."""
    try:
        return response.status_code == 503 and response.json().get("errno") == 202
    except ValueError:
        return False


def problem(operation, response):
    """What is wrong with the answer, or None."""
    if response.status_code >= 500 and not feature_not_enabled(response):
        return f"server error {response.status_code}"
    content_type = media_type((response.headers.get("content-type") or [""])[0])
    documented = documented_media_types(operation, response.status_code)
    if response.status_code in (204, 304):
        return None if not response.content else f"{response.status_code} with a body"
    if response.status_code in (301, 302, 303, 307, 308) and response.headers.get("location"):
        return None  # GET /v1/authorization sends the browser on to the sign-in page, by design
    if documented and "application/json" not in documented:
        return None if content_type in documented else f"{content_type!r}, not {sorted(documented)}"
    if content_type != "application/json":
        return f"{response.status_code} answered as {content_type!r}, not JSON"
    try:
        response.json()
    except ValueError:
        return f"{response.status_code} with a body that is not JSON"
    return None


def sent(request):
    """The request as it went out, to replay it."""
    body = request.body.encode() if isinstance(request.body, str) else request.body
    return (f"{request.method} {request.url}\n    headers: {dict(request.headers)}\n"
            f"    body: {body!r}")


class Fuzzer:
    def __init__(self, stack):
        self.stack = stack
        self.http = requests.Session()
        self.requests = Counter()
        self.statuses = Counter()
        self.failures = []
        self.unsatisfiable = []

    def run(self, operation, mode, examples, headers=None):
        label = f"{operation.method.upper()} {operation.path}"

        @settings(FUZZ_SETTINGS, max_examples=examples)
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case):
            try:
                response = case.call(base_url=self.stack.url, session=self.http, headers=headers,
                                     timeout=30, allow_redirects=False)
            except requests.RequestException as error:
                self.failures.append((label, mode, f"no answer: {error!r}",
                                      case.as_curl_command(headers, base_url=self.stack.url)))
                return
            self.requests[label] += 1
            self.statuses[response.status_code] += 1
            found = problem(operation, response)
            if found:
                self.failures.append((label, mode, found, sent(response.request)))

        try:
            fuzz()
        except Unsatisfiable:
            self.unsatisfiable.append((label, mode))  # nothing to generate outside the schema

    def report(self):
        lines = [f"{len(self.failures)} bad answers:"]
        lines += [f"- {label} [{mode}]: {found}\n    {curl}"
                  for label, mode, found, curl in self.failures[:50]]
        return "\n".join(lines) + "\n" + self.stack.logs()


@pytest.fixture(autouse=True, scope="module")
def _hypothesis_home(tmp_path_factory):
    """Hypothesis caches what it learns (even without an example database) in .hypothesis/:
    not in the checkout."""
    set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))


@pytest.fixture
def schema(live_stack):
    loaded = schemathesis.openapi.from_url(live_stack.url + "/openapi.json")
    operations = [result.ok() for result in loaded.get_all_operations()]
    assert len(operations) > 90, "the OpenAPI document lost its routes"
    return operations


def test_fuzz_without_credentials(live_stack, schema):
    fuzzer = Fuzzer(live_stack)
    started = time.monotonic()
    for operation in schema:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzzer.run(operation, mode, EXAMPLES["anonymous"])
    total = sum(fuzzer.requests.values())
    print(f"fuzz without credentials: {total} requests over {len(fuzzer.requests)} operations "
          f"in {time.monotonic() - started:.0f} s; "
          f"statuses {dict(sorted(fuzzer.statuses.items()))}")
    assert not fuzzer.failures, fuzzer.report()
    assert total > 1000


def test_fuzz_with_a_session(live_stack, schema):
    user = factories.account("fuzz@example.com")
    token = user.session_token

    def session_headers():
        return {"Authorization": authorization(token, "sessionToken", "GET", live_stack.url)}

    def session_alive():
        answer = requests.get(live_stack.api_url + "/session/status", headers=session_headers(),
                              timeout=10)
        return answer.status_code == 200

    fuzzer = Fuzzer(live_stack)
    renewed = 0
    started = time.monotonic()
    for operation in schema:
        if (operation.method.upper(), operation.path) in SESSION_ENDING:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if not session_alive():
                token = factories.session(user)
                renewed += 1
            fuzzer.run(operation, mode, EXAMPLES["session"], headers=session_headers())
    total = sum(fuzzer.requests.values())
    print(f"fuzz with a session: {total} requests over {len(fuzzer.requests)} operations "
          f"in {time.monotonic() - started:.0f} s (session renewed {renewed} times); "
          f"statuses {dict(sorted(fuzzer.statuses.items()))}")
    assert not fuzzer.failures, fuzzer.report()
    assert total > 500
