"""PyFxA, unchanged, against the live server over real HTTP (gunicorn + Celery on PostgreSQL).

Two client generations:

* PyFxA 0.9.0 (installed in the main virtualenv): ``Bearer fxs_…/fxk_…`` tokens, key stretching
  v1 and v2, and the automatic v1 → v2 upgrade at sign-in. Runs in-process.
* PyFxA 0.8.2: Hawk-signed requests (hawkauthlib). It cannot be installed next to 0.9, so it gets
  its own virtualenv (``.venv-pyfxa08``, built once from ``requirements-pyfxa08.txt`` and reused)
  and runs ``pyfxa_scenario.py`` as a script.

Both run the scenarios of ``pyfxa_scenario.py``. Codes that users get by email are read from the
database the live server writes (the test database, shared).
"""
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import Account, SessionToken
from tests import factories
from tests.e2e import pyfxa_scenario

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HERE = Path(__file__).resolve().parent
SCENARIO_SCRIPT = HERE / "pyfxa_scenario.py"
PYFXA08_REQUIREMENTS = HERE / "requirements-pyfxa08.txt"
PYFXA08_VENV = Path(settings.BASE_DIR) / ".venv-pyfxa08"
PASSWORD = "pässwörd e2e"
SCRIPT_TIMEOUT = 180


def unique_email():
    return f"e2e.PyFxA-{uuid.uuid4().hex}@example.com"


def confirmation_code(reason, uid):
    """The code the server emailed: the sign-up email code, or the id a sign-in waits on."""
    account = Account.objects.get(uid=uid)
    if reason == "signup":
        return account.email_code
    pending = (
        SessionToken.objects.filter(account=account, token_verification_id__isnull=False)
        .order_by("-created_at")
        .first()
    )
    assert pending is not None, f"no session of {uid} awaits confirmation"
    return pending.token_verification_id


# --- PyFxA 0.8.2 in its own virtualenv ------------------------------------------------------------

def _child_env():
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def _run(command, timeout):
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, env=_child_env()
    )
    if completed.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, command))} failed ({completed.returncode}):\n"
            f"{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
        )
    return completed.stdout


def _requirements_digest():
    digest = hashlib.sha256(PYFXA08_REQUIREMENTS.read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()


@pytest.fixture(scope="session")
def pyfxa08_python():
    """Python of a virtualenv with exactly requirements-pyfxa08.txt, built on first use.

    A marker file holds the digest of the requirements (and the Python version) the virtualenv
    was built from: while it matches, the virtualenv is reused. A lock inside the directory keeps
    concurrent test sessions (pytest-xdist workers) from building it at the same time.
    """
    python = PYFXA08_VENV / "bin" / "python"
    marker = PYFXA08_VENV / ".requirements-sha256"
    wanted = _requirements_digest()
    PYFXA08_VENV.mkdir(exist_ok=True)
    with open(PYFXA08_VENV / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = marker.read_text().strip() if marker.exists() else None
        if current != wanted or not python.exists():
            for child in PYFXA08_VENV.iterdir():
                if child.name == ".lock":
                    continue
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
            _run([sys.executable, "-m", "venv", str(PYFXA08_VENV)], timeout=300)
            _run([str(python), "-m", "pip", "install", "--disable-pip-version-check",
                  "--no-input", "--quiet", "-r", str(PYFXA08_REQUIREMENTS)], timeout=600)
            marker.write_text(wanted + "\n")
    version = _run([str(python), "-I", "-c", "import fxa, hawkauthlib; print(fxa.__version__)"],
                   timeout=60).strip()
    assert version == "0.8.2"
    return python


def run_scenario_script(python, server_url, *, email, key_stretch_version=1, scenario="signup",
                        extra=()):
    """Run pyfxa_scenario.py with ``python``, answering its requests for confirmation codes."""
    command = [
        str(python), "-I", str(SCENARIO_SCRIPT), server_url,
        "--email", email, "--password", PASSWORD,
        "--key-stretch-version", str(key_stretch_version), "--scenario", scenario, *extra,
    ]
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as stderr:
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
            text=True, encoding="utf-8", env=_child_env(),
        )
        # A hung child must not hang the test run: kill it after a generous deadline.
        watchdog = threading.Timer(SCRIPT_TIMEOUT, process.kill)
        watchdog.start()
        messages = []
        try:
            for line in process.stdout:
                message = json.loads(line)
                if "need" in message:
                    code = confirmation_code(message["reason"], message["uid"])
                    process.stdin.write(json.dumps({"code": code}) + "\n")
                    process.stdin.flush()
                else:
                    messages.append(message)
            returncode = process.wait()
        finally:
            watchdog.cancel()
            if process.poll() is None:
                process.kill()
                process.wait()
        stderr.seek(0)
        errors = stderr.read()
    final = messages[-1] if messages else {}
    if returncode != 0 or "result" not in final:
        error = final.get("error", {})
        pytest.fail(
            f"scenario {scenario!r} failed (exit {returncode}): {error.get('message')}\n"
            f"{error.get('traceback', '')}\nstderr:\n{errors[-3000:]}"
        )
    return final["result"], errors


# --- shared expectations ------------------------------------------------------------------------

def assert_authenticated_with(result, scheme):
    """Every token-authenticated request used ``scheme`` (Hawk for 0.8.2, Bearer for 0.9)."""
    used = {(seen["request"], seen["scheme"]) for seen in result["requests"] if seen["scheme"]}
    assert used, result["requests"]
    assert {s for _, s in used} == {scheme}, used
    assert {"GET /v1/session/status", "GET /v1/account/keys", "POST /v1/session/destroy",
            "POST /v1/account/destroy"} <= {request for request, _ in used}


def assert_signup_scenario(result, *, pyfxa, key_stretch_version):
    assert result["pyfxa"] == pyfxa
    uid = result["uid"]
    assert result["email_status_before_confirmation"]["verified"] is False
    assert result["keys_before_confirmation"]["errno"] == 104, result["keys_before_confirmation"]
    assert result["verify_email_code"] == {}
    assert result["email_status"]["verified"] is True
    status = result["credentials_status"]
    assert status["currentVersion"] == f"v{key_stretch_version}", status
    assert status["upgradeNeeded"] is (key_stretch_version == 1), status
    if key_stretch_version == 2:
        assert status["clientSalt"].startswith("identity.mozilla.com/picl/v1/quickStretchV2:")

    signup, login = result["signup_keys"], result["login_keys"]
    assert len(signup["kB"]) == 64 and len(signup["kA"]) == 64
    assert login == signup, "a new sign-in must unwrap the same kA and kB"
    assert result["login_email_status"]["verified"] is True

    for key in ("destroyed_session_status", "destroyed_session_email_status"):
        assert (result[key]["code"], result[key]["errno"]) == (401, 110), result[key]
    gone = result["login_after_account_destroyed"]
    assert (gone["code"], gone["errno"]) == (400, 102), gone
    stale = result["session_after_account_destroyed"]
    assert (stale["code"], stale["errno"]) == (401, 110), stale
    assert not Account.objects.filter(uid=uid).exists()


# --- PyFxA 0.9.0, in-process --------------------------------------------------------------------

@pytest.mark.parametrize("key_stretch_version", [1, 2], ids=["stretch-v1", "stretch-v2"])
def test_pyfxa09_signup_keys_sessions_destroy(live_stack, key_stretch_version):
    result = pyfxa_scenario.signup_scenario(
        live_stack.api_url, unique_email(), PASSWORD, key_stretch_version, confirmation_code
    )
    assert_signup_scenario(result, pyfxa="0.9.0", key_stretch_version=key_stretch_version)
    assert_authenticated_with(result, "Bearer")


def test_pyfxa09_upgrades_v1_account_to_v2_at_sign_in(live_stack):
    result = pyfxa_scenario.upgrade_scenario(live_stack.api_url, unique_email(), PASSWORD, confirmation_code)

    assert result["credentials_status_before"] == {"currentVersion": "v1", "upgradeNeeded": True}
    # PyFxA swallows upgrade failures (it prints a warning and keeps the v1 session).
    assert result["upgrade_printed"] == "", result["upgrade_printed"]
    assert [r["request"] for r in result["upgrade_requests"]] == [
        "POST /v1/account/credentials/status",
        "POST /v1/account/login",
        "POST /v1/password/change/start",
        "GET /v1/account/keys",
        "POST /v1/password/change/finish",
    ], result["upgrade_requests"]
    assert all(r["status"] == 200 for r in result["upgrade_requests"]), result["upgrade_requests"]
    assert result["upgraded_session_stretch"] == "v2"

    after = result["credentials_status_after"]
    assert after["currentVersion"] == "v2" and after["upgradeNeeded"] is False, after
    assert after["clientSalt"].startswith("identity.mozilla.com/picl/v1/quickStretchV2:")
    signup = result["signup_keys"]
    assert result["upgrade_keys"] == signup
    assert result["v2_login_keys"] == signup, "a v2 sign-in after the upgrade unwraps the same kB"
    assert result["v1_login_keys"] == signup, "v1 clients (Firefox) still sign in with the same kB"
    assert result["signup_session_after_upgrade"]["ok"], (
        "an upgrade keeps the account's other sessions", result["signup_session_after_upgrade"]
    )
    gone = result["login_after_account_destroyed"]
    assert (gone["code"], gone["errno"]) == (400, 102), gone


# --- PyFxA 0.8.2 (Hawk), in its own virtualenv -------------------------------------------------

def test_pyfxa08_hawk_signup_keys_sessions_destroy(live_stack, pyfxa08_python):
    result, errors = run_scenario_script(pyfxa08_python, live_stack.api_url, email=unique_email())
    assert_signup_scenario(result, pyfxa="0.8.2", key_stretch_version=1)
    assert_authenticated_with(result, "Hawk")


# --- OAuth, both generations ----------------------------------------------------------------------

def assert_oauth_scenario(result, scheme):
    uid = result["uid"]
    tokens = result["tokens"]
    assert tokens["token_type"] == "bearer" and tokens["scope"] == "profile"
    assert result["verified"]["user"] == uid and result["verified"]["scope"] == ["profile"]
    reused = result["reused_code"]
    assert (reused["code"], reused["errno"]) == (400, 105), reused
    gone = result["verified_after_destroy"]
    assert (gone["code"], gone["errno"]) == (400, 108), gone
    assert result["shortcut_verified"]["user"] == uid
    authorizations = {seen["scheme"] for seen in result["requests"]
                      if seen["request"] == "POST /v1/oauth/authorization"}
    assert authorizations == {scheme}


def test_pyfxa09_oauth_client(live_stack):
    client, secret = factories.oauth_client("PyFxA RP", scope="profile")
    result = pyfxa_scenario.oauth_scenario(live_stack.api_url, unique_email(), PASSWORD, client.client_id,
                                           secret, confirmation_code)
    assert_oauth_scenario(result, "Bearer")


def test_pyfxa08_oauth_client_with_hawk(live_stack, pyfxa08_python):
    client, secret = factories.oauth_client("PyFxA 0.8 RP", scope="profile")
    result, _ = run_scenario_script(pyfxa08_python, live_stack.api_url, email=unique_email(), scenario="oauth",
                                    extra=("--client-id", client.client_id,
                                           "--client-secret", secret))
    assert result["pyfxa"] == "0.8.2"
    assert_oauth_scenario(result, "Hawk")
