"""Every string of a message goes through Django's translation machinery: a catalog translates it."""
import struct
from array import array

import pytest

from emails import catalog
from emails.services import render_email

UID = "0123456789abcdef0123456789abcdef"
FRENCH = {
    "": "Content-Type: text/plain; charset=UTF-8\nPlural-Forms: nplurals=2; plural=(n > 1);\n",
    "Confirm your sign-in": "Confirmez votre connexion",
    "Someone is signing in to your account. If it's you, confirm the sign-in to continue.":
        "Quelqu'un se connecte à votre compte. Si c'est vous, confirmez la connexion.",
    "Confirm sign-in": "Confirmer la connexion",
    "Mozilla accounts": "Comptes Mozilla",
}


def write_mo(path, messages):
    """A GNU .mo catalog (the format msgfmt writes), so the test needs no gettext tools."""
    keys = sorted(messages)
    ids = strs = b""
    entries = []
    for key in keys:
        msgid, msgstr = key.encode(), messages[key].encode()
        entries.append((len(ids), len(msgid), len(strs), len(msgstr)))
        ids += msgid + b"\0"
        strs += msgstr + b"\0"
    key_start = 7 * 4 + 16 * len(keys)
    value_start = key_start + len(ids)
    key_offsets, value_offsets = [], []
    for id_offset, id_length, str_offset, str_length in entries:
        key_offsets += [id_length, id_offset + key_start]
        value_offsets += [str_length, str_offset + value_start]
    header = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + 8 * len(keys), 0, 0)
    path.parent.mkdir(parents=True)
    path.write_bytes(header + array("i", key_offsets).tobytes() + array("i", value_offsets).tobytes()
                     + ids + strs)


@pytest.fixture
def french(settings, tmp_path, monkeypatch):
    write_mo(tmp_path / "fr" / "LC_MESSAGES" / "django.mo", FRENCH)
    settings.LOCALE_PATHS = [tmp_path]  # resets Django's loaded catalogs
    monkeypatch.setattr(catalog, "supported_languages", lambda: ["en", "fr"])


@pytest.mark.usefixtures("french")
def test_a_translated_catalog_translates_subject_body_and_layout():
    message = render_email("verifyLogin", locale="fr-CA,fr;q=0.9,en;q=0.5",
                           context={"uid": UID, "code": "ab" * 16}, to="lecteur@example.com")
    assert message.headers["Content-Language"] == "fr"
    assert message.subject == "Confirmez votre connexion"
    for body in (message.text, message.html.replace("&#x27;", "'")):
        assert "Quelqu'un se connecte à votre compte" in body
        assert "Confirmer la connexion" in body
        assert "Comptes Mozilla" in body


@pytest.mark.usefixtures("french")
def test_english_stays_english_next_to_a_translation():
    message = render_email("verifyLogin", locale="en-US",
                           context={"uid": UID, "code": "ab" * 16}, to="reader@example.com")
    assert message.headers["Content-Language"] == "en"
    assert message.subject == "Confirm your sign-in"


def test_english_and_the_shipped_german_catalog_are_supported():
    # locale/de/LC_MESSAGES/django.mo (LOCALE_PATHS) is the mails' German catalog.
    assert catalog.supported_languages() == ["en", "de"]


def test_a_catalog_for_an_undeclared_language_is_not_used(settings, tmp_path):
    write_mo(tmp_path / "fr" / "LC_MESSAGES" / "django.mo", FRENCH)
    settings.LOCALE_PATHS = [tmp_path]
    assert catalog.supported_languages() == ["en"]  # fr is not in settings.LANGUAGES
    settings.LANGUAGES = [("en", "English"), ("fr", "Français")]
    assert catalog.supported_languages() == ["en", "fr"]
