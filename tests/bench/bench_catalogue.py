"""Catalogue figures for a producer with 2,000 variants (generated).

BENCH catalogue_list_ms            median time of the catalogue list page (first page)
BENCH catalogue_import_rows_per_s  rows per second of a first CSV import of 2,000 variants
BENCH catalogue_reimport_rows_per_s  the same file imported again with every price changed
"""

import time

from tests.bench._setup import kilo_variants, median_seconds, migrate, report

VARIANTS = 2_000
VARIANTS_PER_PRODUCT = 4


def build_catalogue(producer, category, label):
    from producers.models import Product, Variant

    products = Product.objects.bulk_create(
        Product(producer=producer, name=f"Produit {i:04d}", category=category)
        for i in range(VARIANTS // VARIANTS_PER_PRODUCT)
    )
    Product.labels.through.objects.bulk_create(
        Product.labels.through(product_id=p.pk, label_id=label.pk) for p in products
    )
    Variant.objects.bulk_create(kilo_variants(products, VARIANTS_PER_PRODUCT, stock=10, sku=True))


def csv_file(rows: int, price: str) -> bytes:
    lines = ["product;category;labels;variant;unit;quantity;price;vat_rate;stock_mode;stock;sku"]
    for i in range(rows):
        product = f"Légume {i // VARIANTS_PER_PRODUCT:04d}"
        n = i % VARIANTS_PER_PRODUCT + 1
        lines.append(
            f"{product};legumes-bench;ab-bench;{n} kg;kg;{n};{price};5,5;counted;12;IMP-{i}"
        )
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def main():
    migrate()
    from django.test import Client
    from django.urls import reverse

    from foodhub.accounts.models import User
    from producers.catalogue_csv import import_catalogue
    from producers.models import Category, Label, Producer, ProducerMembership, Variant

    category = Category.objects.create(name="Légumes (bench)", slug="legumes-bench")
    label = Label.objects.create(name="AB (bench)", slug="ab-bench")
    producer = Producer.objects.create(name="Ferme du banc d'essai", slug="bench")
    user = User.objects.create_user(email="bench@example.org", password="x")
    ProducerMembership.objects.create(producer=producer, user=user)
    build_catalogue(producer, category, label)
    assert Variant.objects.filter(product__producer=producer).count() == VARIANTS

    client = Client()
    client.force_login(user)
    url = reverse("producers:catalogue", args=[producer.slug])

    def get_list():
        response = client.get(url)
        assert response.status_code == 200

    get_list()  # warm up templates and connections
    report("catalogue_list_ms", median_seconds(get_list, runs=30) * 1000, "ms")

    importer = Producer.objects.create(name="Ferme de l'import", slug="bench-import")

    def timed_import(price):
        data = csv_file(VARIANTS, price)
        start = time.perf_counter()
        result = import_catalogue(producer=importer, data=data)
        return result, time.perf_counter() - start

    result, elapsed = timed_import("3,20")
    assert result.variants_created == VARIANTS, result
    report("catalogue_import_rows_per_s", VARIANTS / elapsed, "rows/s")
    result, elapsed = timed_import("3,40")  # every price changed
    assert result.variants_updated == VARIANTS, result
    report("catalogue_reimport_rows_per_s", VARIANTS / elapsed, "rows/s")


if __name__ == "__main__":
    main()
