"""One format per kind of date, in both languages: a day ("mardi 24 novembre 2026" /
"Tuesday 24 November 2026"), a time ("18:00"), a moment (both). Templates and e-mails go
through the ``day``, ``clock`` and ``moment`` filters, never a format of their own (which
in English gave "11/24/2026", "Nov. 24, 2026" and "Tue 24/11" side by side)."""

import re
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone, translation

from producers.templatetags.money import clock, day, moment

ROOT = Path(settings.BASE_DIR)
# A template filter |date or |time, with or without a format of its own.
RAW_FILTER = re.compile(r"\|\s*(date|time)\b(\s*:\s*(\"[^\"]*\"|'[^']*'))?")
# Formats for machines, not people: <time datetime="2026-11-24">.
MACHINE_FORMATS = {'"c"', "'c'", '"Y-m-d"', "'Y-m-d'"}
# Python building date text for people by itself.
RAW_PYTHON = re.compile(r"dateformat\.format\(|date_format\(|strftime\(\"%d/%m|\"l j F")


def _raw_filters() -> list[str]:
    found = []
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.suffix not in (".html", ".txt"):
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for match in RAW_FILTER.finditer(line):
                if match.group(3) not in MACHINE_FORMATS:
                    found.append(f"{path.relative_to(ROOT)}:{number}: {match.group(0)}")
    return found


def test_templates_show_dates_only_through_the_shared_filters():
    assert _raw_filters() == []


def test_the_check_finds_a_format_of_its_own():
    line = '{{ cycle.closes_at|date:"SHORT_DATETIME_FORMAT" }} {{ slot.starts_at|time:"H:i" }}'
    assert [m.group(1) for m in RAW_FILTER.finditer(line)] == ["date", "time"]
    assert not list(RAW_FILTER.finditer("{{ pickup.pickup_date|day }} {{ at|moment }}"))


def test_python_code_formats_dates_for_people_through_the_same_functions():
    found = []
    for app in ("foodhub", "orders", "producers", "pickup_points"):
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts or path.name == "money.py":
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if RAW_PYTHON.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


@pytest.mark.parametrize(
    "language, expected",
    [
        ("fr", ("mardi 24 novembre 2026", "mardi 1er décembre 2026", "18:05",
                "mardi 24 novembre 2026 à 18:05")),
        ("en", ("Tuesday 24 November 2026", "Tuesday 1 December 2026", "18:05",
                "Tuesday 24 November 2026, 18:05")),
    ],
)  # fmt: skip
def test_one_format_per_kind_in_each_language(language, expected):
    paris = timezone.get_default_timezone()
    at = datetime(2026, 11, 24, 18, 5, tzinfo=paris)
    with translation.override(language):
        shown = (day(date(2026, 11, 24)), day(date(2026, 12, 1)), clock(time(18, 5)), moment(at))
    assert shown == expected
    # A moment is shown in Paris time, whatever the zone it comes in.
    with translation.override(language):
        assert moment(at.astimezone(UTC)) == expected[3]
