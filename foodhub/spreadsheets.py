"""The one CSV writer of the project: every file offered to a spreadsheet goes through it.

The convention (README, "CSV files"):

- the reader's language sets the format: in French, ``;`` between cells and decimal
  commas (``2,50``), as French spreadsheets expect; in English, ``,`` and decimal points;
- a header row, then rows of one kind, each with as many cells as the header;
- cells are typed: numbers (``Decimal``, ``int``) are written as numbers, dates and times
  as Europe/Paris wall-clock time in one format (``2026-11-30``, ``2026-11-30 18:05``);
- text that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return, as OWASP lists them) is made inert by a leading
  apostrophe. Numbers are not text: ``-2,50`` stays a number;
- UTF-8 with a byte order mark, without which Excel shows accents wrongly.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import get_language

MIME_TYPE = "text/csv"  # for e-mail attachments, which add the charset themselves
CONTENT_TYPE = f"{MIME_TYPE}; charset=utf-8"
BOM = "\ufeff"
DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%d %H:%M"
TIME_FORMAT = "%H:%M"
# What makes a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
INERT_PREFIX = "'"

Cell = str | Promise | Decimal | int | date | datetime | time | None


def dialect(language: str | None = None) -> tuple[str, str]:
    """(cell separator, decimal separator) for readers of ``language`` (default: the
    active one)."""
    language = language or get_language() or "fr"
    if language.split("-")[0] == "fr":
        return ";", ","
    return ",", "."


def csv_text(
    header: Sequence[str | Promise],
    rows: Iterable[Sequence[Cell]],
    *,
    language: str | None = None,
) -> str:
    """The file as text, without the byte order mark (for standard output)."""
    delimiter, decimal_separator = dialect(language)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([_text(title) for title in header])
    for number, row in enumerate(rows, start=1):
        if len(row) != len(header):
            raise ValueError(
                f"row {number} has {len(row)} cells for {len(header)} columns: "
                "a file holds one kind of row"
            )
        writer.writerow([cell(value, decimal_separator) for value in row])
    return buffer.getvalue()


def csv_bytes(
    header: Sequence[str | Promise],
    rows: Iterable[Sequence[Cell]],
    *,
    language: str | None = None,
) -> bytes:
    """The file for a spreadsheet: UTF-8 with a byte order mark."""
    return (BOM + csv_text(header, rows, language=language)).encode()


def csv_response(content: bytes, filename: str) -> HttpResponse:
    """A download of ``content`` (from ``csv_bytes``) as ``filename``."""
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def cell(value: Cell, decimal_separator: str = ",") -> str:
    """One cell as written in the file."""
    if value is None:
        return ""
    if isinstance(value, bool):
        # A bool is an int to Python; in a file it would read 1 or 0. Say what it means.
        raise TypeError("write a yes/no cell as words, not as a bool")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a number a spreadsheet can hold")
        return format(value, "f").replace(".", decimal_separator)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime(DATETIME_FORMAT)
    if isinstance(value, date):
        return value.strftime(DATE_FORMAT)
    if isinstance(value, time):
        return value.strftime(TIME_FORMAT)
    if isinstance(value, str | Promise):
        return _text(value)
    # Floats lose cents; anything else has no agreed spelling.
    raise TypeError(f"no CSV spelling for {type(value).__name__}")


def _text(value: str | Promise) -> str:
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return INERT_PREFIX + text
    return text


def uninert(text: str) -> str:
    """Undo ``cell`` on a text read back from one of our files (the catalogue import)."""
    if text.startswith(INERT_PREFIX) and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text
