"""Every visible string has a Persian translation (Persian is the first language, English the source)."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "planapp/translations/fa/LC_MESSAGES/messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
METHODS = [("planapp/**.py", "python"), ("templates/**.html", "jinja2")]


def load_po():
    with PO.open("rb") as handle:
        return read_po(handle, locale="fa")


def source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS, options_map={"templates/**.html": {}}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_source_string_is_translated_to_persian():
    catalog = load_po()
    translated = {m.id for m in catalog if m.id and m.string and "fuzzy" not in m.flags}
    missing = sorted(source_messages() - translated)
    assert missing == [], "untranslated (run `make translations` and translate them in messages.po)"


def test_translations_keep_their_placeholders():
    catalog = load_po()
    for message in catalog:
        if message.id and message.string:
            placeholders = re.compile(r"%\(\w+\)s")
            assert set(placeholders.findall(message.id)) == set(placeholders.findall(message.string)), message.id


def test_compiled_catalog_matches_the_po_file():
    catalog = load_po()
    with MO.open("rb") as handle:
        compiled = read_mo(handle)
    assert {m.id: m.string for m in catalog if m.id and m.string} == {
        m.id: m.string for m in compiled if m.id and m.string
    }, "messages.mo is stale: run make (it compiles the catalog)"
