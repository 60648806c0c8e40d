"""The container files checked against the code and the README, statically: compose.yaml, the
Dockerfile, .env.example and the requirements split. (This machine has no Docker daemon and cannot
pull the base images, so nothing here builds the image or starts the stack; see the README.)

``.env.example`` is generated from settings' CONFIGURATION, the registry the README's table is
checked against: ``.venv/bin/python -m tests.foundation.test_compose > .env.example``.
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("migrate", "web", "worker", "beat")
# What .env.example fills in; every other variable is left commented out, at its default.
EXAMPLE_VALUES = {
    "DEBUG": "false",
    "PUBLIC_URL": "https://accounts.example.com",
    "EMAIL_HOST": "smtp.example.com",
    "EMAIL_PORT": "587",
    "EMAIL_HOST_USER": "accounts@example.com",
    "EMAIL_USE_TLS": "true",
    "DEFAULT_FROM_EMAIL": "Mozilla accounts <accounts@example.com>",
    "TRUSTED_PROXY_COUNT": "1",
}


def _configuration():
    from fxa_project.settings import CONFIGURATION

    return CONFIGURATION


def _compose():
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def _app_environments():
    """The environment compose.yaml gives each of the server's processes: the shared block
    (``x-app``), plus what a service adds for itself (the worker's metrics port)."""
    compose = _compose()
    shared = compose["x-app"]["environment"]
    environments = {name: compose["services"][name]["environment"] for name in APP_SERVICES}
    for name, environment in environments.items():
        assert shared.items() <= environment.items(), f"{name} lost the shared environment"
    return environments


def _app_environment():
    """Every variable compose.yaml sets for one of the server's processes."""
    return {name: value for environment in _app_environments().values()
            for name, value in environment.items()}


def _gunicorn_variables():
    source = (ROOT / "fxa_project/gunicorn.py").read_text()
    return set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', source))


def render_env_example():
    """.env.example: each variable settings reads, in settings' order, under its documentation."""
    environments = _app_environments()
    set_by_compose = {}
    for name, value in _app_environment().items():
        services = [service for service, environment in environments.items() if name in environment]
        only = "" if len(services) == len(environments) else f" (for {', '.join(services)})"
        set_by_compose[name.removesuffix("_FILE")] = f"{name}={value}{only}"
    parts = [
        "# Every variable the server's settings read (fxa_project/settings.py; README, \"Configuration\"),\n"
        "# generated from their documentation. Copy to .env for `docker compose up` and fill it in; a\n"
        "# commented-out variable keeps its default. Secrets go in files under secrets/, which compose.yaml\n"
        "# passes as NAME_FILE. A value with a $ in it needs single quotes. gunicorn's own variables\n"
        "# (WEB_CONCURRENCY, GUNICORN_*: README, \"Running in production\") may be added too.\n"
        "# Regenerate: .venv/bin/python -m tests.foundation.test_compose > .env.example\n"
    ]
    for name, entry in _configuration().items():
        lines = textwrap.wrap(entry["doc"], width=98, break_on_hyphens=False)
        if name in set_by_compose:
            lines.append(f"Set by compose.yaml: {set_by_compose[name]}")
        block = "".join(f"# {line}\n" for line in lines)
        if name in EXAMPLE_VALUES:
            block += f"{name}={EXAMPLE_VALUES[name]}\n"
        else:
            block += f"# {name}=\n"
        parts.append(block)
    return "\n".join(parts)


def _readme_commands():
    """The manual recipe's commands in "Running in production", by the name of their trailing
    comment (``# web``, ``# worker: …``), without the venv path and the variables set before them."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Running in production\n", 1)[1].split("\n## ", 1)[0]
    commands = {}
    for line in section.splitlines():
        match = re.match(r"^(?:[A-Z_]+=\S+ )*\.venv/bin/(\S.*?)\s+# (\w+)", line)
        if match:
            commands[match[2]] = shlex.split(match[1])
    return commands


def test_compose_passes_only_variables_the_server_reads():
    readable = set(_configuration()) | _gunicorn_variables()
    for name in _app_environment():
        assert name in readable or name.removesuffix("_FILE") in _configuration(), (
            f"compose.yaml passes {name}, which neither settings nor gunicorn.py reads"
        )


def test_compose_secrets_are_mounted_where_the_file_variables_point():
    compose = _compose()
    for service in APP_SERVICES:
        mounted = {f"/run/secrets/{secret}" for secret in compose["services"][service]["secrets"]}
        pointed = {value for name, value in _app_environment().items() if name.endswith("_FILE")}
        assert pointed <= mounted, service
        assert set(compose["services"][service]["secrets"]) <= set(compose["secrets"])


def test_settings_read_every_secret_file_compose_passes(tmp_path):
    """Each NAME_FILE of compose.yaml loads the file's content (stripped) as NAME, in production mode."""
    file_names = [name for name in _app_environment() if name.endswith("_FILE")]
    values = {name.removesuffix("_FILE"): f"from-{name.lower()}" for name in file_names}
    values["DATABASE_URL"] = "postgres://fxa:from-a-file@postgres:5432/fxa"
    env = {key: value for key, value in os.environ.items() if key.split("_FILE")[0] not in values}
    for name, value in values.items():
        (tmp_path / name).write_text(value + "\n")
        env[f"{name}_FILE"] = str(tmp_path / name)
    names = sorted(set(values) - {"DATABASE_URL"})
    code = (
        "import json, fxa_project.settings as s; print(json.dumps({name: getattr(s, name) for name in "
        f"{names!r}}} | {{'DATABASE_URL': s.DATABASES['default']['PASSWORD']}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**env, "DEBUG": "false"},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded.pop("DATABASE_URL") == "from-a-file"
    # A list setting (FIELD_ENCRYPTION_KEYS) reads the file as one entry.
    assert loaded == {name: [value] if isinstance(loaded[name], list) else value
                      for name, value in values.items() if name != "DATABASE_URL"}


def test_compose_commands_are_the_readme_ones():
    readme = _readme_commands()
    services = _compose()["services"]
    for service in ("web", "worker", "beat"):
        assert service in readme, f"the README's production recipe has no command marked # {service}"
        assert services[service]["command"] == readme[service], service
    assert services["migrate"]["command"][:3] == ["python", "manage.py", "migrate"]


def test_every_service_has_a_healthcheck_that_parses():
    for name, service in _compose()["services"].items():
        if name == "migrate":
            assert service["restart"] == "no"  # one-shot: run to completion, never restarted
            continue
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name} has no healthcheck"
        if test[:3] == ["CMD", "python", "-c"]:
            compile(test[3], f"{name} healthcheck", "exec")


def test_web_and_worker_start_after_migrate_succeeded():
    services = _compose()["services"]
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        for backing in ("postgres", "redis"):
            assert services[name]["depends_on"][backing] == {"condition": "service_healthy"}
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]


def _dockerfile_instructions():
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    return [
        tuple(line.split(None, 1)) for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]


def test_dockerfile_builds_the_runtime_set_and_runs_the_web_command():
    instructions = _dockerfile_instructions()
    stages = [args for op, args in instructions if op == "FROM"]
    assert len(stages) >= 2 and all(stage.startswith("python:3.11-slim") for stage in stages)
    runs = " ".join(args for op, args in instructions if op == "RUN")
    assert "pip install -r /tmp/requirements.txt" in runs and "requirements-dev" not in runs
    assert "manage.py collectstatic --noinput" in runs
    users = [args for op, args in instructions if op == "USER"]
    assert users and users[-1] not in ("root", "0")
    (cmd,) = [json.loads(args) for op, args in instructions if op == "CMD"]
    assert cmd == _compose()["services"]["web"]["command"] == _readme_commands()["web"]
    assert not [op for op, _ in instructions if op == "ENTRYPOINT"]  # compose picks the process


def test_dockerfile_writes_the_version_json_members_health_reads(tmp_path):
    from accounts.health import get_version

    members = get_version(tmp_path)  # no version.json there: the members a checkout answers
    instructions = _dockerfile_instructions()
    build_args = {args.split("=")[0] for op, args in instructions if op == "ARG"}
    (writes,) = [args for op, args in instructions if op == "RUN" and "version.json" in args]
    for member in members:
        assert member.upper() in build_args and f'"{member}"' in writes, member


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", "secrets", ".git", ".venv", "var", "db.sqlite3", "tests"} <= ignored


def test_env_example_lists_exactly_the_variables_settings_read():
    text = (ROOT / ".env.example").read_text()
    listed = re.findall(r"^(?:# )?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE)
    regenerate = "regenerate it: .venv/bin/python -m tests.foundation.test_compose > .env.example"
    assert sorted(listed) == sorted(_configuration()), regenerate
    assert text == render_env_example(), regenerate


def test_requirements_split_pinned_and_disjoint():
    runtime = (ROOT / "requirements.txt").read_text().splitlines()
    dev = (ROOT / "requirements-dev.txt").read_text().splitlines()
    assert "-r requirements.txt" in dev

    def pins(lines):
        entries = [line.split("#")[0].strip() for line in lines]
        entries = [entry for entry in entries if entry and not entry.startswith("-r ")]
        assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[A-Za-z0-9_.+-]+", entry) for entry in entries), entries
        return {re.sub(r"[-_.]+", "-", entry.split("==")[0]).lower() for entry in entries}

    assert not pins(runtime) & pins(dev)
    assert {"pytest", "aiosmtpd", "playwright", "pyfxa"} <= pins(dev)


def test_readme_test_command_is_what_ci_runs():
    ci = (ROOT / ".ci/run").read_text().strip().splitlines()[-1]
    assert f"```sh\n{ci}\n```" in (ROOT / "README.md").read_text()
    assert "requirements-dev.txt" in ci


def _compose_client():
    for client in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(client[0]) and not subprocess.run(client + ["version"], capture_output=True).returncode:
            return client
    pytest.skip("no docker compose client (docker compose or docker-compose)")


def test_compose_file_is_valid_for_docker_compose(tmp_path):
    """`docker compose config` (no daemon needed) on the file, with .env and the secret files it names."""
    client = _compose_client()
    shutil.copy(ROOT / "compose.yaml", tmp_path)
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    (tmp_path / "secrets").mkdir()
    for secret in _compose()["secrets"].values():
        (tmp_path / secret["file"]).touch()
    result = subprocess.run(client + ["-f", "compose.yaml", "config", "--quiet"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


if __name__ == "__main__":
    sys.stdout.write(render_env_example())
