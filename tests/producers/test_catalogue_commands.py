"""The import_catalogue and export_catalogue management commands."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from producers.catalogue_csv import COLUMNS, export_catalogue
from producers.models import Product, Variant
from tests import factories

HEADER = ";".join(COLUMNS)
# A file made by hand: every column but the stock the export showed.
HAND_HEADER = ";".join(column for column in COLUMNS if column != "stock_at_export")


pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def csv_file(tmp_path):
    def write(text: str):
        path = tmp_path / "catalogue.csv"
        path.write_bytes(text.encode())
        return path

    return write


def run(*args):
    stdout, stderr = StringIO(), StringIO()
    call_command(*args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_import_command_imports_the_file_and_prints_a_summary(producer, category, csv_file):
    path = csv_file(
        f"{HAND_HEADER}\n"
        "Carottes;;Légumes;;oui;1 kg;kg;1;2,50;5,5;compté;20;CAR-1;oui\n"
        "Carottes;;Légumes;;oui;Botte;botte;1;1,80;5,5;à la demande;;;oui\n"
    )

    stdout, stderr = run("import_catalogue", producer.slug, str(path))

    assert stdout == (
        "Catalogue imported. Products: 1 created, 0 updated. Variants: 2 created, 0 updated.\n"
    )
    assert stderr == ""
    assert Variant.objects.get(sku="CAR-1").price == Decimal("2.50")
    assert Variant.objects.filter(product__producer=producer).count() == 2


def test_import_command_lists_every_error_and_fails(producer, category, csv_file):
    path = csv_file(
        f"{HAND_HEADER}\n"
        "Carottes;;Légumes;;oui;1 kg;kg;1;0;5,5;compté;20;;oui\n"
        "Poireaux;;Légumes;;oui;Botte;boite;1;1,80;5,5;compté;3;;oui\n"
        "Radis;;Légumes;;oui;Botte;botte;1;1,20;5,5;compté;3;;oui\n"
    )

    with pytest.raises(CommandError, match=r"^2 errors; nothing was imported\.$"):
        run("import_catalogue", producer.slug, str(path))

    assert not Product.objects.exists()


def test_import_command_prints_the_errors_to_stderr(producer, category, csv_file):
    path = csv_file(
        f"{HAND_HEADER}\n"
        "Carottes;;Légumes;;oui;1 kg;kg;1;0;5,5;compté;20;;oui\n"
        "Poireaux;;Légumes;;oui;Botte;boite;1;1,80;5,5;compté;3;;oui\n"
    )
    stderr = StringIO()

    with pytest.raises(CommandError):
        call_command("import_catalogue", producer.slug, str(path), stderr=stderr)

    assert stderr.getvalue() == (
        "Line 2: “price” must be more than 0, not “0”.\n"
        "Line 3: unknown unit “boite”. Use one of: piece, kg, g, l, cl, bunch.\n"
    )


def test_import_command_refuses_an_unknown_producer(db, csv_file):
    path = csv_file(f"{HEADER}\n")

    with pytest.raises(CommandError, match="^No producer with the short name “nobody”.$"):
        run("import_catalogue", "nobody", str(path))


def test_import_command_reports_a_missing_file(producer, tmp_path):
    with pytest.raises(CommandError, match=r"^Cannot read .*missing\.csv: No such file"):
        run("import_catalogue", producer.slug, str(tmp_path / "missing.csv"))


@pytest.fixture
def catalogue(producer, category):
    return factories.VariantFactory(
        product__producer=producer,
        product__name="Œufs",
        product__category=category,
        name="Boîte de 6",
        price=Decimal("2.40"),
        sku="OEUF-6",
    )


def test_export_command_writes_to_stdout_without_bom(producer, catalogue):
    stdout, _ = run("export_catalogue", producer.slug, "--language", "fr")

    assert stdout == export_catalogue(producer=producer, language="fr")
    assert stdout.startswith(HEADER + "\r\n")
    assert "Œufs;;Légumes;;yes;Boîte de 6;kg;1;2,40;5,5;counted;10;OEUF-6;yes;10\r\n" in stdout


def test_export_command_writes_in_the_active_language_by_default(producer, catalogue):
    stdout, _ = run("export_catalogue", producer.slug)  # English here (the fixture)

    assert stdout.startswith(",".join(COLUMNS) + "\r\n")
    assert "Œufs,,Légumes,,yes,Boîte de 6,kg,1,2.40,5.5,counted,10,OEUF-6,yes,10\r\n" in stdout


def test_export_command_writes_a_file_in_utf8_with_bom_for_excel(producer, catalogue, tmp_path):
    path = tmp_path / "export.csv"

    stdout, _ = run("export_catalogue", producer.slug, "--output", str(path), "--language", "fr")

    assert stdout == f"Catalogue written to {path}.\n"
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf" + HEADER.encode() + b"\r\n")
    assert data[3:].decode("utf-8") == export_catalogue(producer=producer, language="fr")


def test_exported_file_imports_back_unchanged(producer, catalogue, tmp_path):
    path = tmp_path / "export.csv"
    run("export_catalogue", producer.slug, "-o", str(path))

    stdout, _ = run("import_catalogue", producer.slug, str(path))

    assert stdout == (
        "Catalogue imported. Products: 0 created, 0 updated. Variants: 0 created, 0 updated.\n"
    )


def test_export_command_refuses_an_unknown_producer(db):
    with pytest.raises(CommandError, match="^No producer with the short name “nobody”.$"):
        run("export_catalogue", "nobody")
