"""The apps' layering (README, "How it works"), checked on every import statement of the code.

* The nested apps ``accounts.devices`` and ``accounts.twofactor`` build on ``accounts``; the rest
  of ``accounts`` reaches them only through its port module, ``accounts/ports.py``.
* The nested apps do not import each other.
* ``emails`` is the outbox: it does not import the account services (bounce rules and the other
  account policy stay in ``accounts``, which calls ``emails``).
* ``subscriptions`` builds on ``accounts`` and ``oauth``; they reach it only through
  ``accounts/ports.py``, or receive its signals (``subscriptions.signals``: the RP events outbox).

Every ``import``/``from … import`` counts, at module level or inside a function (relative ones
resolved), and so does a literal ``import_module("…")``/``import_string("…")``.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("accounts", "emails", "oauth")
NESTED_APPS = ("accounts.devices", "accounts.twofactor")
PORTS = frozenset({"accounts.ports"})
DYNAMIC_IMPORTS = frozenset({"import_module", "import_string", "__import__"})


def _within(name, package):
    return name == package or name.startswith(package + ".")


def module_name(path, root):
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(path, root):
    """(line, module) for every module ``path`` imports, and for each name it imports from one
    (``from accounts import devices`` imports ``accounts.devices``)."""
    module = module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            found.append((node.lineno, source))
            found += [(node.lineno, f"{source}.{alias.name}") for alias in node.names]
        elif (isinstance(node, ast.Call) and node.args
              and getattr(node.func, "id", getattr(node.func, "attr", None)) in DYNAMIC_IMPORTS
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.append((node.lineno, node.args[0].value))
    return module, found


def rule_broken(importer, imported):
    """Why ``importer`` may not import ``imported``, or None."""
    importer_app = next((app for app in NESTED_APPS if _within(importer, app)), None)
    imported_app = next((app for app in NESTED_APPS if _within(imported, app)), None)
    if imported_app is not None and importer_app is None and _within(importer, "accounts"):
        if importer not in PORTS:
            return f"accounts imports its nested app {imported_app} outside accounts/ports.py"
    if imported_app is not None and importer_app not in (None, imported_app):
        return f"the nested app {importer_app} imports its sibling {imported_app}"
    if _within(importer, "emails") and _within(imported, "accounts.services"):
        return "emails imports the account services"
    if (_within(imported, "subscriptions") and importer not in PORTS
            and not _within(imported, "subscriptions.signals")):
        return "subscriptions is reached outside accounts/ports.py"
    return None


def forbidden_imports(root=ROOT):
    """One line per offending import statement: ``path:line: module (rule)``."""
    broken = {}
    for app in SCANNED:
        for path in sorted((root / app).rglob("*.py")):
            importer, names = imported_names(path, root)
            for line, imported in names:
                reason = rule_broken(importer, imported)
                if reason:
                    where = f"{path.relative_to(root)}:{line}"
                    broken.setdefault(where, f"{where}: {imported} ({reason})")
    return sorted(broken.values())


def test_no_forbidden_import():
    assert forbidden_imports() == []


def test_every_app_is_scanned():
    scanned = sum(1 for app in SCANNED for _ in (ROOT / app).rglob("*.py"))
    assert scanned > 100 and all((ROOT / app / "__init__.py").exists() for app in SCANNED)


def _tree(tmp_path, files):
    for name, source in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return tmp_path


@pytest.mark.parametrize(("name", "source"), [
    ("accounts/services/x.py", "from ..devices import notifications\n"),
    ("accounts/services/x.py", "def f():\n    from ..twofactor.services import totp\n"),
    ("accounts/models.py", "import accounts.twofactor.models\n"),
    ("accounts/views/x.py", "from accounts import devices\n"),
    ("accounts/x.py", "from django.utils.module_loading import import_string\n"
                      "f = import_string('accounts.devices.services.disconnect')\n"),
    ("accounts/devices/x.py", "from accounts.twofactor import otp\n"),
    ("emails/x.py", "from accounts.services import bounces\n"),
    ("emails/x.py", "class A:\n    def f(self):\n        from accounts.services.bounces import check\n"),
    ("oauth/x.py", "from subscriptions import services\n"),
    ("accounts/services/x.py", "import subscriptions.models\n"),
])
def test_the_scan_catches_a_forbidden_import(tmp_path, name, source):
    files = {f"{app}/__init__.py": "" for app in SCANNED}
    files[name] = source
    assert len(forbidden_imports(_tree(tmp_path, files))) == 1


def test_the_scan_allows_the_port_and_imports_of_the_parent(tmp_path):
    files = {f"{app}/__init__.py": "" for app in SCANNED}
    files.update({
        "accounts/devices/x.py": "from accounts.services import sessions\nfrom . import models\n",
        "accounts/twofactor/services/x.py": "from ..models import TotpToken\n",
        "emails/x.py": "from accounts.errors import AppError\n",
        "oauth/x.py": "from accounts.devices import services\n",
        "accounts/ports.py": "def f():\n    from .devices import notifications\n"
                             "def g():\n    from subscriptions import services\n",
    })
    assert forbidden_imports(_tree(tmp_path, files)) == []
