"""French is the default language: every message has a French translation, compiled."""

import gettext
import re
from pathlib import Path

from django.utils import translation

LOCALE = Path(__file__).resolve().parent.parent / "locale"
PO = LOCALE / "fr" / "LC_MESSAGES" / "django.po"
MO = LOCALE / "fr" / "LC_MESSAGES" / "django.mo"


def _entries():
    """(msgid, [msgstr...], flags) for each entry of the French catalogue except the header;
    an entry with a context has the msgid gettext files it under: "context\x04msgid"."""
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        flags = " ".join(line for line in lines if line.startswith("#,"))
        fields, current = {}, None
        for line in lines:
            match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                current = match.group(1)
                fields[current] = match.group(2)
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
        if fields.get("msgid"):
            strs = [v for k, v in fields.items() if k.startswith("msgstr")]
            # A message with a context ("order cycle" for "open") is looked up with it.
            context = fields.get("msgctxt")
            yield (f"{context}\x04" if context else "") + fields["msgid"], strs, flags


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


# Templates: no user-facing text left out of {% translate %} / {% blocktranslate %}.

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# Words that are the same in every language: names, formats, and each language's own name
# in the language switcher.
SAME_IN_EVERY_LANGUAGE = {
    "foodhub", "pdf", "csv", "json", "ical", "qr", "stripe", "openstreetmap", "webcal",
    "https", "http", "siret", "png", "svg", "français", "english",
}  # fmt: skip
LABEL_ATTRIBUTES = re.compile(r'\b(alt|title|placeholder|aria-label)\s*=\s*"([^"]*)"', re.I)


def untranslated_text(source: str) -> list[str]:
    """The words of ``source`` (a template) that readers see but that no translation tag
    covers: text between tags, and labelling attributes (alt, title, placeholder,
    aria-label). Tags, variables, comments, styles, scripts and the names of CSS classes
    given through blocks (``{% block body_class %}``) are left out."""
    from django.template.base import Lexer, TokenType

    parts, skipping, blocks = [], 0, []
    for token in Lexer(source).tokenize():
        words = token.contents.split()
        name = words[0] if words else ""
        if token.token_type == TokenType.BLOCK:
            if name in ("blocktranslate", "blocktrans", "comment"):
                skipping += 1
            elif name in ("endblocktranslate", "endblocktrans", "endcomment"):
                skipping -= 1
            elif name == "block":
                blocks.append(words[1])
            elif name == "endblock" and blocks:
                blocks.pop()
            parts.append("\0")
        elif (
            token.token_type != TokenType.TEXT
            or skipping
            or (blocks and blocks[-1].endswith("class"))
        ):
            parts.append("\0")
        else:
            parts.append(token.contents)
    text = re.sub(r"<(style|script)\b.*?</\1>|<!--.*?-->", " ", "".join(parts), flags=re.S | re.I)
    found = [
        f'{attribute}="{value}"'
        for attribute, value in LABEL_ATTRIBUTES.findall(text)
        if re.search(r"[^\W\d_]{2,}", value)
    ]
    text = re.sub(r"&[a-z]+;|&#\d+;", " ", re.sub(r"<[^>]*>", " ", text, flags=re.S))
    found += [
        word
        for word in re.findall(r"[^\W\d_][\w'’-]+", text)
        if word.lower() not in SAME_IN_EVERY_LANGUAGE
    ]
    return found


def test_every_template_string_is_marked_for_translation():
    """Pages, and the plain-text e-mails too."""
    paths = sorted([*TEMPLATES.rglob("*.html"), *TEMPLATES.rglob("*.txt")])
    assert any(path.suffix == ".txt" for path in paths)
    found = {
        str(path.relative_to(TEMPLATES)): words
        for path in paths
        if (words := untranslated_text(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_the_template_check_sees_forgotten_text():
    assert untranslated_text("<p>{% translate 'Bonjour' %}</p>") == []
    assert untranslated_text("{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}") == []
    assert untranslated_text('<a href="{% url "home" %}" class="button">Home</a>') == ["Home"]
    assert untranslated_text('<img src="x.png" alt="A farm">') == ['alt="A farm"']
    assert untranslated_text('<input aria-label="{% translate "Search" %}">') == []
    assert untranslated_text("{% block body_class %}narrow{% endblock %}<p>PDF</p>") == []
    assert untranslated_text("Bonjour {{ name }},\n\n{% translate 'Merci' %}") == ["Bonjour"]
