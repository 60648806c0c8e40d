"""The German catalog (locale/de) is complete and compiled, and pages, scripts and mails use it.

The .po files are parsed here (no polib); the .mo files are read byte by byte, so the test needs no
gettext tools. The sources are scanned the way ``makemessages`` sees them (Django's own
``templatize`` for templates, the Python AST, the scripts' ``gettext("…")`` literals), so a string
marked after the last catalog pass fails here until the catalogs are updated (README, "Translations").
"""
import ast
import json
import os
import re
import struct
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.translation.template import templatize

from emails.models import OutboundEmail
from emails.services import render_email, render_outbound

ROOT = Path(settings.BASE_DIR)
CATALOG_DIR = ROOT / "locale" / "de" / "LC_MESSAGES"
DOMAINS = ("django", "djangojs")
# What makemessages is told to skip (README, "Translations"), and what it never reads.
SKIPPED_DIRS = {".git", ".venv", "tests", "staticfiles", "artifacts", "node_modules", "__pycache__"}

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\{\s*\w+\s*\}\}|%[sd]")
TAG = re.compile(r"</?[A-Za-z][^>]*>")


@dataclass
class Entry:
    msgid: str
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstrs: list = field(default_factory=list)
    flags: set = field(default_factory=set)
    references: list = field(default_factory=list)

    @property
    def key(self):
        return (self.msgctxt, self.msgid, self.msgid_plural)

    @property
    def where(self):
        return " ".join(self.references) or repr(self.msgid)


def read_po(path):
    """The entries of a .po file (obsolete ``#~`` entries left out), the header first."""
    entries, fields, flags, references, current = [], {}, set(), [], None

    def flush():
        nonlocal fields, flags, references, current
        if "msgid" in fields:
            plural = "msgid_plural" in fields
            count = 1 + max((int(k[7:-1]) for k in fields if k.startswith("msgstr[")), default=0)
            msgstrs = ([fields.get(f"msgstr[{i}]", "") for i in range(count)] if plural
                       else [fields.get("msgstr", "")])
            entries.append(Entry(fields["msgid"], fields.get("msgid_plural"), fields.get("msgctxt"),
                                 msgstrs, flags, references))
        fields, flags, references, current = {}, set(), [], None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line:
                flush()
            continue
        starts_entry = line.startswith("#") or line.startswith(("msgctxt ", "msgid "))
        if starts_entry and any(k.startswith("msgstr") for k in fields):
            flush()  # makemessages -d djangojs puts no blank line after the header
        if line.startswith("#,"):
            flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
        elif line.startswith("#:"):
            references += line[2:].split()
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            fields[current] += ast.literal_eval(line)
        else:
            current, literal = line.split(" ", 1)
            fields[current] = ast.literal_eval(literal)
    flush()
    return entries


def read_mo(path):
    """A compiled catalog as msgmerge writes it: {id: str}; plural ids and strings joined by NUL,
    a context joined to its id by EOT."""
    data = path.read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    order = {0x950412DE: "<", 0xDE120495: ">"}[magic]
    _revision, count, ids_at, strs_at = struct.unpack(order + "4I", data[4:20])
    messages = {}
    for index in range(count):
        id_length, id_offset = struct.unpack(order + "2I", data[ids_at + 8 * index:ids_at + 8 * index + 8])
        str_length, str_offset = struct.unpack(order + "2I", data[strs_at + 8 * index:strs_at + 8 * index + 8])
        messages[data[id_offset:id_offset + id_length].decode()] = \
            data[str_offset:str_offset + str_length].decode()
    return messages


def catalog(domain):
    return read_po(CATALOG_DIR / f"{domain}.po")


def messages(domain):
    return [entry for entry in catalog(domain) if entry.msgid]


def german(msgid, domain="django"):
    """The German of one msgid (its first form), from the shipped catalog."""
    for entry in messages(domain):
        if entry.msgid == msgid:
            return entry.msgstrs[0]
    raise AssertionError(f"{msgid!r} is not in {domain}.po")


# ---- (a) the catalogs: complete, well-formed, compiled ------------------------------------------


@pytest.mark.parametrize("domain", DOMAINS)
def test_header_names_german_and_its_plural_rule(domain):
    header = catalog(domain)[0]
    assert header.msgid == "" and "fuzzy" not in header.flags
    values = dict(re.findall(r"^([^:\n]+): *(.*)$", header.msgstrs[0], re.M))
    assert values["Language"] == "de"
    assert values["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert values["Content-Type"] == "text/plain; charset=UTF-8"


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_message_is_translated_and_none_is_fuzzy(domain):
    entries = messages(domain)
    assert entries, f"{domain}.po has no messages"
    fuzzy = [entry.where for entry in entries if "fuzzy" in entry.flags]
    untranslated = [entry.where for entry in entries
                    if not all(text.strip() for text in entry.msgstrs)]
    wrong_forms = [entry.where for entry in entries if entry.msgid_plural and len(entry.msgstrs) != 2]
    assert not fuzzy, f"fuzzy in {domain}.po: {fuzzy}"
    assert not untranslated, f"untranslated in {domain}.po: {untranslated}"
    assert not wrong_forms, f"German has two plural forms: {wrong_forms}"


@pytest.mark.parametrize("domain", DOMAINS)
def test_translations_keep_placeholders_and_markup(domain):
    problems = []
    for entry in messages(domain):
        sources = [entry.msgid, entry.msgid_plural or entry.msgid]
        for index, text in enumerate(entry.msgstrs):
            source = sources[min(index, 1)]
            if sorted(set(PLACEHOLDER.findall(text))) != sorted(set(PLACEHOLDER.findall(source))):
                problems.append(f"placeholders of {entry.where}: {text!r}")
            if sorted(TAG.findall(text)) != sorted(TAG.findall(source)):
                problems.append(f"markup of {entry.where}: {text!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("domain", DOMAINS)
def test_compiled_catalog_is_the_source_catalog(domain):
    """The committed .mo is compilemessages' output of the committed .po (CI has no gettext)."""
    mo_path = CATALOG_DIR / f"{domain}.mo"
    assert mo_path.exists(), f"run compilemessages: {mo_path} is missing"
    compiled = read_mo(mo_path)
    expected = {}
    for entry in messages(domain):
        key = entry.msgid if entry.msgid_plural is None else f"{entry.msgid}\0{entry.msgid_plural}"
        if entry.msgctxt is not None:
            key = f"{entry.msgctxt}\x04{key}"
        expected[key] = "\0".join(entry.msgstrs)
    compiled.pop("", None)  # the header
    assert compiled == expected, "locale/de .mo is stale: run compilemessages -l de"


def _source_files(*suffixes):
    for directory, subdirectories, files in os.walk(ROOT):
        subdirectories[:] = sorted(name for name in subdirectories
                                   if name not in SKIPPED_DIRS and not name.startswith(".venv-"))
        for name in sorted(files):
            if name.endswith(suffixes):
                yield Path(directory) / name


# Where each gettext-family function takes (context, msgid, plural); None: it takes none.
FUNCTIONS = {
    "_": (None, 0, None), "gettext": (None, 0, None), "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None), "ngettext": (None, 0, 1), "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None), "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2), "npgettext_lazy": (0, 1, 2),
}
STRING = r"""u?(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""
ARGUMENT = rf"(?:{STRING})(?:\s*\+\s*{STRING})*"  # "a" + "b", as xgettext joins them
CALL = re.compile(rf"\b(n?p?gettext)\(\s*({ARGUMENT}(?:\s*,\s*{ARGUMENT})*)")
# A script's comments (xgettext skips them); strings are matched first, so "//" in one stays.
JS_COMMENT = re.compile(
    r"""("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)|//[^\n]*|/\*.*?\*/""", re.S,
)


def _key(name, arguments):
    """(context, msgid, plural) of a call of ``name`` with these literal arguments, or None."""
    positions = FUNCTIONS[name]
    if max(p for p in positions if p is not None) >= len(arguments):
        return None
    return tuple(None if p is None else arguments[p] for p in positions)


def _calls(text):
    """The keys of every gettext-family call with literal arguments in ``text`` (a script, or
    what Django's ``templatize`` makes of a template)."""
    for match in CALL.finditer(text):
        arguments = ["".join(ast.literal_eval(part.lstrip("u")) for part in re.findall(STRING, argument))
                     for argument in re.findall(ARGUMENT, match.group(2))]
        key = _key(match.group(1), arguments)
        if key:
            yield key


def _python_calls(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in FUNCTIONS:
            continue
        arguments = []
        for argument in node.args:
            if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
                break
            arguments.append(argument.value)
        key = _key(name, arguments)
        if key:
            yield key


def marked_strings(domain):
    """{(context, msgid, plural): file} of every string the sources mark for ``domain``."""
    found = {}
    if domain == "djangojs":
        for path in _source_files(".js"):
            text = JS_COMMENT.sub(lambda m: m.group(1) or " ", path.read_text(encoding="utf-8"))
            for key in _calls(text):
                found.setdefault(key, path.relative_to(ROOT))
        return found
    for path in _source_files(".html", ".txt"):
        text = path.read_text(encoding="utf-8", errors="replace")
        if "{%" not in text or "trans" not in text:
            continue
        for key in _calls(templatize(text, origin=str(path))):
            found.setdefault(key, path.relative_to(ROOT))
    for path in _source_files(".py"):
        for key in _python_calls(path):
            found.setdefault(key, path.relative_to(ROOT))
    return found


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_marked_string_is_in_the_catalog(domain):
    marked = marked_strings(domain)
    assert marked, f"found no marked strings for {domain}"
    known = {entry.key for entry in messages(domain)}
    missing = sorted(f"{where}: {key[1]!r}" for key, where in marked.items() if key not in known)
    assert not missing, (
        f"{len(missing)} marked string(s) are not in locale/de/LC_MESSAGES/{domain}.po; run "
        "makemessages, translate, compilemessages (README, \"Translations\"):\n" + "\n".join(missing)
    )


# ---- (b) pages in German --------------------------------------------------------------------------


def _html_lang(response):
    match = re.search(r"<html[^>]*\blang=\"([^\"]*)\"", response.content.decode())
    return match.group(1) if match else None


def test_sign_in_page_in_german_from_accept_language(client):
    response = client.get("/signin", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")
    assert response.status_code == 200
    assert response["Content-Language"] == "de"
    page = unescape(response.content.decode())
    assert "<title>Anmelden – Mozilla-Konten</title>" in page
    assert "<h1>Geben Sie Ihr Passwort ein</h1>" in page
    assert "Passwort vergessen?" in page
    assert 'aria-label="Passwort anzeigen"' in page
    assert "Enter your password" not in page


def test_index_page_in_german_from_the_lang_parameter(client):
    # The browser asks for English; ?lang=de (content-server links carry it) wins.
    response = client.get("/?lang=de", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert response["Content-Language"] == "de"
    page = unescape(response.content.decode())
    assert "<h1>Geben Sie Ihre E-Mail-Adresse ein</h1>" in page
    assert "Registrieren oder anmelden" in page
    assert "um mit Ihrem Mozilla-Konto fortzufahren" in page


def test_english_stays_the_default(client):
    response = client.get("/signin", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert response["Content-Language"] == "en"
    assert "<h1>Enter your password</h1>" in response.content.decode()
    assert _html_lang(response) == "en"


@pytest.mark.parametrize("path, accept_language", [
    ("/signin", "de-DE,de;q=0.9,en;q=0.5"),
    ("/?lang=de", "en-US,en;q=0.9"),
])
def test_html_lang_names_the_page_language(client, path, accept_language):
    # The scripts read <html lang> (static/js/i18n.js language()) and send it as the /v1 calls'
    # Accept-Language, which picks the language of the mails those calls send.
    response = client.get(path, HTTP_ACCEPT_LANGUAGE=accept_language)
    assert response["Content-Language"] == "de"
    assert _html_lang(response) == "de"


# ---- (c) the scripts' catalog in German -----------------------------------------------------------


def _script_catalog_has(response, msgid):
    assert response.status_code == 200
    return json.dumps(german(msgid, "djangojs")) in response.content.decode()


@pytest.mark.parametrize("query, accept_language", [
    ("", "de-DE,de;q=0.9"),
    ("?lang=de", "en-US,en;q=0.9"),
])
def test_javascript_catalog_in_german(client, query, accept_language):
    response = client.get(f"/jsi18n/{query}", HTTP_ACCEPT_LANGUAGE=accept_language)
    assert response["Content-Type"].startswith("text/javascript")
    assert _script_catalog_has(response, "Incorrect password.")
    assert _script_catalog_has(response, "to continue to %(service)s")
    assert "(n != 1)" in response.content.decode()  # German's plural rule


def test_javascript_catalog_in_english_has_no_german(client):
    response = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert not _script_catalog_has(response, "Incorrect password.")


def test_a_page_in_german_by_lang_loads_the_german_script_catalog(client):
    # The page's <script src> for the catalog, fetched as the browser would (its own
    # Accept-Language, the page's cookies), must give the page's language to the scripts too.
    page = client.get("/signin?lang=de", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    src = re.search(r'<script src="([^"]*jsi18n[^"]*)"', page.content.decode()).group(1)
    response = client.get(unescape(src), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert _script_catalog_has(response, "Incorrect password.")


# ---- (d) a mail in German -------------------------------------------------------------------------


def test_sign_up_code_mail_in_german():
    message = render_email("verifyShortCode", locale="de-DE,de;q=0.9,en;q=0.5",
                           context={"code": "123456"}, to="leser@example.com")
    assert message.headers["Content-Language"] == "de"
    assert message.language == "de"
    assert message.subject == "Ihr Code zur Kontobestätigung"
    body_line = ("Geben Sie diesen Code ein, um Ihre E-Mail-Adresse zu bestätigen und Ihr Konto zu "
                 "aktivieren. Er läuft in wenigen Minuten ab.")
    footer = "Diese automatische Nachricht zu Ihrem Mozilla-Konto wurde an leser@example.com gesendet."
    for body in (message.text, unescape(message.html)):
        assert body_line in body
        assert footer in body
        assert "Mozilla-Konten" in body
        assert "123456" in body
    assert '<html lang="de">' in message.html


def test_sign_in_code_mail_in_german_keeps_its_link():
    message = render_email("verifyLoginCode", locale="de", context={"code": "654321"},
                           to="leser@example.com")
    assert message.subject == "Ihr Bestätigungscode für die Anmeldung"
    html = unescape(message.html)
    assert "Jemand meldet sich bei Ihrem Konto an." in message.text
    match = re.search(r'Das waren nicht Sie\? <a href="([^"]+)">Ändern Sie sofort Ihr Passwort</a>', html)
    assert match and match.group(1).endswith("/settings/change_password?email=leser%40example.com")
    assert "Das waren nicht Sie? Ändern Sie sofort Ihr Passwort, um Ihr Konto zu schützen:\n" \
           + match.group(1) in message.text


@pytest.mark.parametrize("remaining, subject", [
    ("1", "1 Sicherungs-Authentifizierungscode übrig"),
    ("2", "2 Sicherungs-Authentifizierungscodes übrig"),
])
def test_plural_forms_of_a_german_mail(remaining, subject):
    message = render_email("lowRecoveryCodes", locale="de",
                           context={"numberRemaining": remaining, "uid": "ab" * 16},
                           to="leser@example.com")
    assert message.subject == subject
    assert f"Sie haben nur noch {subject.split(' übrig')[0]}." in message.text


def test_a_queued_mail_is_rendered_in_the_language_it_was_asked_in():
    # The worker renders the stored row: its locale is the Accept-Language of the request.
    row = OutboundEmail(template="verifyShortCode", to=["leser@example.com"],
                        locale="de-CH,de;q=0.8", context={"code": "123456"})
    message = render_outbound(row)
    assert message.subject == "Ihr Code zur Kontobestätigung"
    assert message.headers["Content-Language"] == "de"
