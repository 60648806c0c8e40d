#!/usr/bin/env python3
"""PyFxA client scenarios against a running auth server, using only the ``fxa`` package's API.

Standalone: it imports nothing but the standard library and ``fxa``, so that it runs under any
PyFxA release in any virtualenv. ``tests/e2e/test_pyfxa.py`` imports it in-process (PyFxA 0.9,
installed in the main virtualenv) and runs it as a script with another virtualenv's Python
(PyFxA 0.8.2, which signs its requests with Hawk).

Usage::

    python pyfxa_scenario.py SERVER_URL --email E --password P [--key-stretch-version {1,2}]
                             [--scenario {signup,upgrade,oauth}]
                             [--client-id ID --client-secret SECRET]   (oauth)

SERVER_URL is the auth server's API root (``http://127.0.0.1:8000/v1``).

Confirmation codes reach users by email, so the script asks its caller for them. It speaks JSON
lines on stdout/stdin:

* ``{"need": "code", "reason": "signup"|"login", "uid": UID}`` on stdout; the caller answers
  with one line ``{"code": CODE}`` on stdin (``signup``: the account's email code; ``login``:
  the id a new sign-in session waits on);
* ``{"result": {...}}`` on stdout when the scenario completed;
* ``{"error": {...}}`` on stdout (and exit status 1) when it raised.

Anything PyFxA itself prints goes to stderr. Byte strings in results are lowercase hex.
"""
import argparse
import contextlib
import io
import json
import sys
import traceback

import fxa
from fxa.core import Client, StretchedPassword
from fxa.errors import ClientError, InProtocolError
from fxa.oauth import Client as OAuthClient


# Observation only: a response hook records which Authorization scheme each request used.

def _watch_requests(client, log):
    def record(response, *args, **kwargs):
        header = response.request.headers.get("Authorization", "")
        path = response.request.path_url.split("?", 1)[0]
        log.append({
            "request": f"{response.request.method} {path}",
            "scheme": header.split(" ", 1)[0] if header else None,
            "status": response.status_code,
        })
    client.apiclient.hooks["response"].append(record)
    return client


def _error(exc):
    return {
        "ok": False,
        "code": exc.code,
        "errno": exc.errno,
        "error": exc.error,
        "message": str(exc),
        "details": exc.details,
    }


def _attempt(call, *args, **kwargs):
    """The outcome of a call that may fail in-protocol: ``ok`` and the value, or the error."""
    try:
        value = call(*args, **kwargs)
    except ClientError as exc:
        return _error(exc)
    return {"ok": True, "value": repr(value)}


def _keys(keys):
    ka, kb = keys
    return {"kA": ka.hex(), "kB": kb.hex()}


def _credentials_status(client, email):
    return client.apiclient.post("/account/credentials/status", {"email": email})


def _sign_in(client, email, password, confirm):
    """client.login with keys, confirming the new session by email when the server asks to."""
    session = client.login(email, password, keys=True)
    needed_confirmation = not session.verified
    if needed_confirmation:
        session.verify_email_code(confirm("login", session.uid))
    return session, needed_confirmation


def signup_scenario(server_url, email, password, key_stretch_version, confirm):
    """Sign up, confirm, fetch keys, sign in again, destroy the session, destroy the account.

    ``confirm(reason, uid)`` returns the code the user would have received by email.
    """
    requests_seen = []
    out = {"pyfxa": fxa.__version__, "key_stretch_version": key_stretch_version,
           "requests": requests_seen}
    client = _watch_requests(
        Client(server_url=server_url, key_stretch_version=key_stretch_version), requests_seen
    )

    session = client.create_account(email, password, keys=True)
    uid = out["uid"] = session.uid
    session.check_session_status()
    out["email_status_before_confirmation"] = session.get_email_status()
    out["keys_before_confirmation"] = _attempt(session.fetch_keys)

    out["verify_email_code"] = session.verify_email_code(confirm("signup", uid))
    out["email_status"] = session.get_email_status()
    out["credentials_status"] = _credentials_status(client, email)
    out["signup_keys"] = _keys(session.fetch_keys())

    login, out["login_needed_confirmation"] = _sign_in(client, email, password, confirm)
    login.check_session_status()
    out["login_email_status"] = login.get_email_status()
    out["login_keys"] = _keys(login.fetch_keys())

    session.destroy_session()
    out["destroyed_session_status"] = _attempt(session.check_session_status)
    out["destroyed_session_email_status"] = _attempt(session.get_email_status)
    login.check_session_status()  # the other session is untouched

    client.destroy_account(email, password)
    out["login_after_account_destroyed"] = _attempt(client.login, email, password)
    out["session_after_account_destroyed"] = _attempt(login.check_session_status)
    return out


def upgrade_scenario(server_url, email, password, confirm):
    """A v1 account signs in with key_stretch_version=2: PyFxA upgrades it to v2 on the fly."""
    requests_seen = []
    out = {"pyfxa": fxa.__version__, "requests": requests_seen}
    v1 = _watch_requests(Client(server_url=server_url, key_stretch_version=1), requests_seen)
    v2 = _watch_requests(Client(server_url=server_url, key_stretch_version=2), requests_seen)

    session = v1.create_account(email, password, keys=True)
    uid = out["uid"] = session.uid
    session.verify_email_code(confirm("signup", uid))
    out["signup_keys"] = _keys(session.fetch_keys())
    out["credentials_status_before"] = _credentials_status(v1, email)

    # PyFxA reports a failed upgrade only by printing a warning and carrying on with v1.
    printed = io.StringIO()
    upgrade_requests_start = len(requests_seen)
    with contextlib.redirect_stdout(printed):
        upgraded = v2.login(email, password, keys=True)
    out["upgrade_printed"] = printed.getvalue()
    out["upgrade_requests"] = requests_seen[upgrade_requests_start:]
    out["upgraded_session_stretch"] = (
        "v2" if isinstance(upgraded.stretchpwd, StretchedPassword) else "v1"
    )
    out["upgraded_session_verified"] = upgraded.verified
    if not upgraded.verified:
        upgraded.verify_email_code(confirm("login", uid))
    upgraded.check_session_status()
    out["upgrade_keys"] = _keys(upgraded.fetch_keys())
    out["credentials_status_after"] = _credentials_status(v1, email)

    v2_login, _ = _sign_in(v2, email, password, confirm)
    out["v2_login_keys"] = _keys(v2_login.fetch_keys())
    v1_login, _ = _sign_in(v1, email, password, confirm)
    out["v1_login_keys"] = _keys(v1_login.fetch_keys())
    # An upgrade is not a password change: existing sessions stay signed in.
    out["signup_session_after_upgrade"] = _attempt(session.check_session_status)

    v2.destroy_account(email, password)
    out["login_after_account_destroyed"] = _attempt(v2.login, email, password)
    return out


def oauth_scenario(server_url, email, password, client_id, client_secret, confirm):
    """A relying party's side with PyFxA's OAuth client: a code authorized with the user's
    session (Hawk on 0.8, Bearer on 0.9), traded for a token, verified, destroyed; then the
    PKCE shortcut ``authorize_token``."""
    requests_seen = []
    out = {"pyfxa": fxa.__version__, "requests": requests_seen}
    client = _watch_requests(Client(server_url=server_url), requests_seen)
    session = client.create_account(email, password)
    out["uid"] = session.uid
    session.verify_email_code(confirm("signup", session.uid))
    oauth = _watch_requests(OAuthClient(client_id, client_secret, server_url=server_url),
                            requests_seen)
    code = oauth.authorize_code(session, "profile")
    out["tokens"] = tokens = oauth.trade_code(code)
    out["verified"] = oauth.verify_token(tokens["access_token"], scope="profile")
    out["reused_code"] = _attempt(oauth.trade_code, code)
    oauth.destroy_token(tokens["access_token"])
    out["verified_after_destroy"] = _attempt(oauth.verify_token, tokens["access_token"])
    shortcut = oauth.authorize_token(session, "profile")
    out["shortcut_verified"] = oauth.verify_token(shortcut, scope="profile")
    return out


def _ask_caller(channel):
    def confirm(reason, uid):
        channel.write(json.dumps({"need": "code", "reason": reason, "uid": uid}) + "\n")
        channel.flush()
        line = sys.stdin.readline()
        if not line:
            raise RuntimeError(f"no {reason} confirmation code from the caller")
        return json.loads(line)["code"]
    return confirm


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("server_url")
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--key-stretch-version", type=int, choices=(1, 2), default=1)
    parser.add_argument("--scenario", choices=("signup", "upgrade", "oauth"), default="signup")
    parser.add_argument("--client-id")
    parser.add_argument("--client-secret")
    args = parser.parse_args(argv)

    channel = sys.stdout
    confirm = _ask_caller(channel)
    try:
        # Keep stdout for the protocol: whatever PyFxA prints goes to stderr.
        with contextlib.redirect_stdout(sys.stderr):
            if args.scenario == "signup":
                result = signup_scenario(
                    args.server_url, args.email, args.password, args.key_stretch_version, confirm
                )
            elif args.scenario == "oauth":
                result = oauth_scenario(args.server_url, args.email, args.password,
                                        args.client_id, args.client_secret, confirm)
            else:
                result = upgrade_scenario(args.server_url, args.email, args.password, confirm)
    except Exception as exc:
        error = {"type": type(exc).__name__, "message": str(exc),
                 "traceback": traceback.format_exc()}
        if isinstance(exc, InProtocolError):
            error.update(_error(exc))
        channel.write(json.dumps({"error": error}) + "\n")
        channel.flush()
        return 1
    channel.write(json.dumps({"result": result}) + "\n")
    channel.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
