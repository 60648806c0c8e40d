"""Configuration: every variable is documented in the README, and production needs a SECRET_KEY."""
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings

from fxa_project.settings import CONFIGURATION

README = settings.BASE_DIR / "README.md"


def _documented_names():
    assert README.exists(), "README.md is missing"
    return set(re.findall(r"^\|\s*`([A-Z][A-Z0-9_]*)`", README.read_text(), flags=re.MULTILINE))


def test_configuration_registry_is_populated():
    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "BACKOFF_RETRY_AFTER"} <= CONFIGURATION.keys()
    assert all(entry["doc"] for entry in CONFIGURATION.values())


@pytest.mark.parametrize("name", sorted(CONFIGURATION))
def test_variable_is_in_the_readme_configuration_table(name):
    assert name in _documented_names(), f"{name} has no row in README.md's configuration table"


def _import_settings(**overrides):
    env = {key: value for key, value in os.environ.items() if not key.startswith("SECRET_KEY")}
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "-c", "import fxa_project.settings"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60,
    )


def test_secret_key_is_required_when_debug_is_false():
    result = _import_settings(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_secret_key_from_environment_satisfies_production_mode():
    result = _import_settings(DEBUG="false", SECRET_KEY="a-production-key")
    assert result.returncode == 0, result.stderr


def test_secret_key_can_come_from_a_file(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text("from-a-file\n")
    code = "import fxa_project.settings as s; assert s.SECRET_KEY == 'from-a-file', s.SECRET_KEY"
    env = {key: value for key, value in os.environ.items() if not key.startswith("SECRET_KEY")}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, timeout=60, capture_output=True, text=True,
        env={**env, "DEBUG": "false", "SECRET_KEY_FILE": str(key_file)},
    )
    assert result.returncode == 0, result.stderr
