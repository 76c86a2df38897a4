"""The import and export pages (the CSV rules themselves are tested in test_catalogue_csv)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from producers.catalogue_csv import COLUMNS
from producers.models import Product, Variant
from tests.factories import VariantFactory

pytestmark = pytest.mark.django_db

GOOD = (
    "product;category;variant;unit;quantity;price;vat_rate;stock_mode;stock;sku\n"
    "Carottes;legumes;botte;bunch;1;1,80;5,5;counted;20;CAR-B\n"
    "Carottes;legumes;sac 2 kg;kg;2;3,20;5,5;counted;10;CAR-2K\n"
)


def _upload(client, producer, text: str):
    file = SimpleUploadedFile("catalogue.csv", text.encode("utf-8-sig"), "text/csv")
    return client.post(reverse("producers:import", args=[producer.slug]), {"file": file})


def test_import_page_creates_the_catalogue(client, producer, producer_member, category):
    client.force_login(producer_member)
    response = _upload(client, producer, GOOD)
    assert response.status_code == 302
    assert response.url == reverse("producers:catalogue", args=[producer.slug])
    assert Product.objects.get(producer=producer).name == "Carottes"
    assert Variant.objects.filter(product__producer=producer).count() == 2


def test_import_page_lists_every_bad_row_and_writes_nothing(
    client, producer, producer_member, category
):
    client.force_login(producer_member)
    bad = (
        GOOD
        + "Poireaux;legumes;1 kg;barrel;1;2,00;5,5;counted;5;\n"
        + "Navets;legumes;1 kg;kg;1;-3;5,5;counted;5;\n"
    )
    response = _upload(client, producer, bad)
    assert response.status_code == 400
    errors = [e.line for e in response.context["errors"]]
    assert errors == [4, 5]
    html = response.content.decode()
    assert html.count("<li>", html.index("import-errors")) >= 2
    assert not Product.objects.exists()


def test_import_page_refuses_a_missing_file(client, producer, producer_member):
    client.force_login(producer_member)
    response = client.post(reverse("producers:import", args=[producer.slug]), {})
    assert response.status_code == 400
    assert response.context["form"].errors["file"]


def test_export_downloads_the_catalogue_as_csv(client, producer, producer_member):
    VariantFactory(product__producer=producer, product__name="Miel de colza", name="pot 500 g")
    client.force_login(producer_member)
    response = client.get(reverse("producers:export", args=[producer.slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # so that Excel reads the accents
    header, row = text.lstrip("\ufeff").splitlines()[:2]
    assert header.split(";") == COLUMNS  # in French: ";" and decimal commas
    assert row.startswith("Miel de colza;")


def test_the_page_says_which_stock_changed_since_the_export(
    client, producer, producer_member, category
):
    variant = VariantFactory(
        product__producer=producer, product__name="Carottes", product__category=category,
        name="botte", stock_quantity=10,
    )  # fmt: skip
    client.force_login(producer_member)
    exported = client.get(reverse("producers:export", args=[producer.slug]))
    text = exported.content.decode("utf-8-sig").replace(";counted;10;", ";counted;15;")
    Variant.objects.filter(pk=variant.pk).update(stock_quantity=7)  # 3 ordered since

    response = _upload(client, producer, text)

    assert response.status_code == 302
    variant.refresh_from_db()
    assert variant.stock_quantity == 12
    page = client.get(response.url).content.decode()
    assert "Ligne 2 : le stock est passé de 10 à 7 depuis l’export" in page.replace("\xa0", " ")


def test_a_nul_byte_gets_a_message_not_a_server_error(client, producer, producer_member, category):
    client.force_login(producer_member)

    response = _upload(client, producer, GOOD.replace("CAR-B", "CAR\x00B"))

    assert response.status_code == 400
    assert "caractère NUL" in response.content.decode()
    assert not Product.objects.exists()
