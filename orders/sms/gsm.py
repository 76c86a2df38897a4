"""How long a text is in SMS terms, and a text fitted to the GSM-7 alphabet.

An SMS carries 160 characters of the GSM 03.38 alphabet (GSM-7), a few of which (``€``,
``[``, ``{``...) take two; one character outside it (``ê``, ``ç``, ``’``, an emoji) makes
the whole SMS UCS-2, 70 characters. Longer texts are cut into parts of 153 (GSM-7) or 67
(UCS-2) characters, each billed as one SMS.

``fit`` turns typography into its GSM-7 look-alike (non-breaking spaces, curly quotes,
dashes, ellipses) and, when a character still falls outside, writes the accented letters
GSM-7 lacks without their accent ("fête" -> "fete"), as providers' "smart encoding" does:
one SMS rather than three. Our own texts are written in GSM-7 (a test checks).
"""

import math
import unicodedata

BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENDED = set("^{}\\[~]|€\f")  # two characters each (an escape, then the character)

SINGLE = {"gsm7": 160, "ucs2": 70}
PART = {"gsm7": 153, "ucs2": 67}

LOOK_ALIKES = {
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ",
    "\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"',
    "«": '"', "»": '"', "\u2013": "-", "\u2014": "-", "\u2011": "-", "\u2026": "...",
    "œ": "oe", "Œ": "OE", "ç": "c",
}  # fmt: skip


def is_gsm7(text: str) -> bool:
    return all(char in BASIC or char in EXTENDED for char in text)


def encoding(text: str) -> str:
    """The encoding the text needs: "gsm7" or "ucs2"."""
    return "gsm7" if is_gsm7(text) else "ucs2"


def length(text: str) -> int:
    """How many characters the text takes in its encoding (UTF-16 units in UCS-2)."""
    if is_gsm7(text):
        return sum(2 if char in EXTENDED else 1 for char in text)
    return len(text.encode("utf-16-le")) // 2


def parts(text: str) -> int:
    """How many SMS the text is billed as."""
    kind, size = encoding(text), length(text)
    if size <= SINGLE[kind]:
        return 1
    return math.ceil(size / PART[kind])


def fit(text: str) -> str:
    """``text`` in GSM-7 where it can be: look-alikes for typography, then accents GSM-7
    lacks removed. A character without a GSM-7 form (Arabic, an emoji) stays: the SMS is
    then UCS-2, but says the name right."""
    text = "".join(LOOK_ALIKES.get(char, char) for char in text)
    if is_gsm7(text):
        return text
    return "".join(_plain(char) for char in text)


def _plain(char: str) -> str:
    if char in BASIC or char in EXTENDED:
        return char
    plain = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return plain if plain and is_gsm7(plain) else char
