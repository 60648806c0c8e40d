"""Static files in production (README, "Running in production"): collectstatic, then gunicorn with
the production settings serves hashed names with far-future caching, compressed, and the pages
that use them render styled and run their modules in Chromium."""
import json
import os
import re
import subprocess
import sys

import pytest
import requests
from django.conf import settings

from tests.live import start_live_stack

# django_db: pytest-django creates the test database (that the live stack uses) only for a run
# with database tests.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

A_YEAR = 365 * 24 * 3600


def _static_env(root):
    """Production's static files (the test environment serves static/ through the finders)."""
    return {"STATIC_MANIFEST": "true", "STATIC_ROOT": str(root)}


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """A STATIC_ROOT that the recipe's collectstatic filled, as the image build does."""
    root = tmp_path_factory.mktemp("staticfiles")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=settings.BASE_DIR, check=True, capture_output=True, timeout=300,
        env={**os.environ, "DEBUG": "false", **_static_env(root)},
    )
    return root


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker, static_root):
    # The live stack's defaults are production's (DEBUG off, gunicorn with its configuration).
    stack = start_live_stack(_static_env(static_root), worker=False)
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def manifest(static_root):
    return json.loads((static_root / "staticfiles.json").read_text())["paths"]


def _linked(html, attribute, suffix):
    """The /static/ URLs of the page's ``attribute="…suffix"`` references."""
    return re.findall(rf'{attribute}="(/static/[^"]+{re.escape(suffix)})"', html)


def _assert_far_future(response):
    cache_control = response.headers["Cache-Control"]
    max_age = int(re.search(r"max-age=(\d+)", cache_control)[1])
    assert max_age >= A_YEAR and "immutable" in cache_control, cache_control


def test_a_page_links_hashed_files_served_for_a_year_and_compressed(stack, static_root, manifest):
    html = requests.get(stack.url + "/", timeout=10).text
    stylesheet = f"/static/{manifest['css/site.css']}"
    script = f"/static/{manifest['js/main.js']}"
    assert stylesheet != "/static/css/site.css" and script != "/static/js/main.js"
    assert _linked(html, "href", ".css") == [stylesheet]
    assert _linked(html, "src", ".js") == [script]

    for url, content_type in ((stylesheet, "text/css"), (script, "text/javascript")):
        plain = requests.get(stack.url + url, headers={"Accept-Encoding": "identity"}, timeout=10)
        assert plain.status_code == 200
        assert plain.headers["Content-Type"].startswith(content_type)
        assert "Content-Encoding" not in plain.headers
        assert plain.content == (static_root / url.removeprefix("/static/")).read_bytes()
        _assert_far_future(plain)
        for encoding in ("gzip", "br"):
            compressed = requests.get(stack.url + url, headers={"Accept-Encoding": encoding},
                                      timeout=10)
            assert compressed.status_code == 200
            assert compressed.headers["Content-Encoding"] == encoding
            assert "Accept-Encoding" in compressed.headers["Vary"]
            assert compressed.content == plain.content  # requests decoded it
            _assert_far_future(compressed)


def test_the_modules_main_js_imports_load_by_their_plain_names(stack):
    """main.js imports pages/<page>.js by a computed name, and the modules import each other by
    relative plain names (fxa_project/settings.py, STATIC_MANIFEST): those copies are served too,
    with a short max-age, as the source has them."""
    for name in ("js/pages/index.js", "js/api.js"):
        response = requests.get(f"{stack.url}/static/{name}", timeout=10)
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/javascript")
        assert "immutable" not in response.headers["Cache-Control"]
        assert response.content == (settings.BASE_DIR / "static" / name).read_bytes()


def test_the_admin_links_its_hashed_stylesheet(stack, manifest):
    base_css = f"/static/{manifest['admin/css/base.css']}"
    html = requests.get(stack.url + "/admin/login/", timeout=10).text
    assert f'href="{base_css}"' in html
    response = requests.get(stack.url + base_css, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/css")
    _assert_far_future(response)


def test_favicon_ico_is_the_hashed_logo(stack, manifest):
    """Browsers fetch it on the admin's pages, which name no icon."""
    response = requests.get(stack.url + "/favicon.ico", timeout=10)
    assert response.history[0].status_code == 301
    assert response.url == f"{stack.url}/static/{manifest['img/logo.svg']}"
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/svg+xml"


def test_pages_render_styled_and_run_their_module_in_chromium(stack, browser_page):
    failed = []
    browser_page.on("response", lambda response: response.status >= 400 and failed.append(
        f"{response.status} {response.url}"
    ))
    browser_page.goto(stack.url + "/")
    browser_page.wait_for_selector('body[data-ready="true"]')
    # site.css's custom properties apply: the stylesheet loaded.
    blue = browser_page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--blue-500').trim()"
    )
    assert blue == "#0060df"

    browser_page.goto(stack.url + "/admin/login/")
    header = browser_page.evaluate(
        "getComputedStyle(document.getElementById('header')).backgroundColor"
    )
    assert header not in ("", "rgba(0, 0, 0, 0)"), header  # admin's base.css applies
    assert failed == [] and browser_page.console_errors == []
