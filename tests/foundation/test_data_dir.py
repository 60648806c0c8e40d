"""Development keys are generated into DATA_DIR (default ``var/``, git-ignored), never into the
source tree, and are kept across restarts."""
import os
import subprocess
import sys

from django.conf import settings

from fxa_project.settings import CONFIGURATION

KEY_SETTINGS = ("SECRET_KEY", "VAPID_PRIVATE_KEY", "OAUTH_SIGNING_KEY")
PRINT_KEYS = (
    "import fxa_project.settings as s; "
    "print(repr((s.SECRET_KEY, s.VAPID_PRIVATE_KEY[:30], s.OAUTH_SIGNING_KEY[:30], str(s.DATA_DIR))))"
)


def _settings_in_development(**overrides):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(KEY_SETTINGS + ("DATA_DIR", "DEBUG"))}
    env.update(overrides)
    result = subprocess.run([sys.executable, "-c", PRINT_KEYS], cwd=settings.BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _source_tree_files():
    return {str(path) for path in settings.BASE_DIR.iterdir()} | {
        str(path) for path in (settings.BASE_DIR / "oauth").iterdir()
    }


def test_development_keys_go_to_data_dir_and_survive_a_restart(tmp_path):
    data_dir = tmp_path / "data"
    before = _source_tree_files()
    first = _settings_in_development(DATA_DIR=str(data_dir))
    assert sorted(path.name for path in data_dir.iterdir()) == [
        "oauth_signing_key.pem", "secret_key", "vapid_private_key.pem",
    ]
    assert all(path.stat().st_mode & 0o077 == 0 for path in data_dir.iterdir())  # owner only
    assert _source_tree_files() <= before  # nothing new in the checkout
    assert _settings_in_development(DATA_DIR=str(data_dir)) == first


def test_data_dir_defaults_to_the_git_ignored_var_folder():
    assert CONFIGURATION["DATA_DIR"]["default"] == str(settings.BASE_DIR / "var")
    ignored = (settings.BASE_DIR / ".gitignore").read_text().splitlines()
    assert "/var/" in ignored, "var/ must be git-ignored"


def test_configured_keys_write_nothing(tmp_path):
    data_dir = tmp_path / "data"
    _settings_in_development(DATA_DIR=str(data_dir), SECRET_KEY="k", VAPID_PRIVATE_KEY="v",
                             OAUTH_SIGNING_KEY="o")
    assert not data_dir.exists()

