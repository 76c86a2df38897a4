"""French is the default language: every message has a French translation, compiled."""

import gettext
import re
from pathlib import Path

from django.utils import translation

LOCALE = Path(__file__).resolve().parent.parent / "locale"
PO = LOCALE / "fr" / "LC_MESSAGES" / "django.po"
MO = LOCALE / "fr" / "LC_MESSAGES" / "django.mo"


def _entries():
    """(msgid, [msgstr...], flags) for each entry of the French catalogue except the header."""
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        flags = " ".join(line for line in lines if line.startswith("#,"))
        fields, current = {}, None
        for line in lines:
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                current = match.group(1)
                fields[current] = match.group(2)
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
        if fields.get("msgid"):
            strs = [v for k, v in fields.items() if k.startswith("msgstr")]
            yield fields["msgid"], strs, flags


def test_every_message_has_a_french_translation():
    entries = list(_entries())
    assert len(entries) > 100
    untranslated = [msgid for msgid, strs, _ in entries if not all(strs)]
    fuzzy = [msgid for msgid, _, flags in entries if "fuzzy" in flags]
    assert untranslated == []
    assert fuzzy == []


def test_the_compiled_catalogue_is_up_to_date():
    with MO.open("rb") as file:
        compiled = gettext.GNUTranslations(file)
    stale = [
        msgid
        for msgid, strs, _ in _entries()
        if "\\" not in msgid + strs[0] and len(strs) == 1 and compiled.gettext(msgid) != strs[0]
    ]
    assert stale == [], "run `make messages` to compile the .po files"


def test_pages_switch_language():
    with translation.override("fr"):
        assert translation.gettext("My spaces") == "Mes espaces"
    with translation.override("en"):
        assert translation.gettext("My spaces") == "My spaces"
