"""Static checks on the project's own code: no unused imports or undefined names (pyflakes)."""
import subprocess
import sys

from django.conf import settings

PACKAGES = ["accounts", "emails", "oauth", "subscriptions", "fxa_project", "tests", "bench"]


def test_pyflakes_finds_nothing():
    result = subprocess.run(
        [sys.executable, "-m", "pyflakes", *PACKAGES],
        cwd=settings.BASE_DIR, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
