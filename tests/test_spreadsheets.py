"""The one CSV writer (foodhub/spreadsheets.py): the convention every export follows."""

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from django.utils import translation

from foodhub import spreadsheets


@pytest.mark.parametrize(
    ("language", "header", "names", "expected"),
    [
        ("fr", ["produit", "prix"], ["Pommes", "Avoir"],
         "\ufeffproduit;prix\r\nPommes;2,50\r\nAvoir;-2,50\r\n"),
        ("en", ["product", "price"], ["Apples, red", "Credit"],
         '\ufeffproduct,price\r\n"Apples, red",2.50\r\nCredit,-2.50\r\n'),
    ],
    ids=["french: semicolons and decimal commas", "english: commas and decimal points"],
)  # fmt: skip
def test_files_use_the_separators_of_their_language(language, header, names, expected):
    rows = [[names[0], Decimal("2.50")], [names[1], Decimal("-2.50")]]

    assert spreadsheets.csv_bytes(header, rows, language=language) == expected.encode()


def test_the_active_language_chooses_by_default():
    with translation.override("en"):
        assert spreadsheets.csv_text(["a", "b"], [[1, Decimal("0.5")]]) == "a,b\r\n1,0.5\r\n"
    with translation.override("fr"):
        assert spreadsheets.csv_text(["a", "b"], [[1, Decimal("0.5")]]) == "a;b\r\n1;0,5\r\n"


def test_dates_are_paris_wall_clock_time_in_one_format():
    # 23:30 UTC on 30 November is 00:30 on 1 December in Paris (winter time, UTC+1).
    late = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    summer = datetime(2026, 7, 14, 10, 0, tzinfo=UTC)  # UTC+2

    text = spreadsheets.csv_text(
        ["at", "summer", "day", "time"], [[late, summer, date(2026, 12, 1), time(18, 5)]],
        language="fr",
    )  # fmt: skip

    assert text.splitlines()[1] == "2026-12-01 00:30;2026-07-14 12:00;2026-12-01;18:05"


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+33 6 12", "-5 kg", "@SUM(A1)", "\tcmd", "\rcmd", '=HYPERLINK("http://x")'],
)
def test_text_that_a_spreadsheet_would_run_is_made_inert(text):
    written = spreadsheets.cell(text)

    assert written == "'" + text
    assert spreadsheets.uninert(written) == text


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (Decimal("-2.50"), "-2,50"),
        (-3, "-3"),
        ("Pommes", "Pommes"),
        ("'quoted", "'quoted"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
    ],
)
def test_numbers_and_ordinary_text_are_written_as_they_are(value, written):
    assert spreadsheets.cell(value, ",") == written
    assert spreadsheets.uninert(written) == written


def test_header_cells_are_neutralised_too():
    assert spreadsheets.csv_text(["=evil"], [], language="en") == "'=evil\r\n"


@pytest.mark.parametrize("value", [1.5, True, Decimal("NaN"), Decimal("Infinity"), object()])
def test_values_without_an_agreed_spelling_are_refused(value):
    with pytest.raises((TypeError, ValueError)):
        spreadsheets.cell(value)


def test_every_row_has_the_header_s_number_of_cells():
    with pytest.raises(ValueError, match="one kind of row"):
        spreadsheets.csv_text(["a", "b"], [["x", "y"], ["subtotal"]])


def test_a_naive_datetime_is_refused():
    with pytest.raises(ValueError):
        spreadsheets.cell(datetime(2026, 1, 1, 12, 0))


def test_download_response():
    response = spreadsheets.csv_response(b"\xef\xbb\xbfa\r\n", "report.csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="report.csv"'
