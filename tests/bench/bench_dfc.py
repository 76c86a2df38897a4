"""The DFC catalogue of a producer with 2,000 variants (generated), served as JSON-LD.

BENCH dfc_catalogue_ms           median time of the whole response (target: <= 300 ms)
BENCH dfc_catalogue_sql_floor_ms its SQL alone, through the driver
BENCH dfc_catalogue_page_vs_sql  the response against that floor
"""

from tests.bench._setup import kilo_variants, median_seconds, migrate, report, report_sql_floor

VARIANTS = 2_000
VARIANTS_PER_PRODUCT = 4
RUNS = 9


def main():
    migrate()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from producers.models import Category, Producer, Product, Variant

    category = Category.objects.create(name="Légumes (bench)", slug="legumes")
    producer = Producer.objects.create(
        name="Ferme du banc d'essai", slug="bench", dfc_catalogue_public=True
    )
    products = Product.objects.bulk_create(
        Product(producer=producer, name=f"Produit {i:04d}", category=category)
        for i in range(VARIANTS // VARIANTS_PER_PRODUCT)
    )
    Variant.objects.bulk_create(kilo_variants(products, VARIANTS_PER_PRODUCT, stock=10, sku=True))

    client = Client()
    url = reverse("producers:dfc_catalogue", args=[producer.slug])
    response = client.get(url)
    assert response.status_code == 200
    assert response.content.count(b'"dfc-b:SuppliedProduct"') == VARIANTS

    page_ms = median_seconds(lambda: client.get(url), runs=RUNS) * 1000
    report("dfc_catalogue_ms", page_ms, "ms")
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    report_sql_floor("dfc_catalogue", page_ms, captured.captured_queries, runs=RUNS)


if __name__ == "__main__":
    main()
