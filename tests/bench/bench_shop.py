"""Shop figures for a cycle with 10,000 offers from 60 producers (generated).

BENCH shop_page_ms       median server time of the shop's first page (target ≤ 50 ms)
BENCH shop_search_ms     median server time of a search in the shop
BENCH shop_page_queries  SQL queries of a shop page (target: a constant ≤ 12)
"""

from datetime import timedelta

from tests.bench._setup import (
    kilo_variants,
    median_seconds,
    migrate,
    open_cycle,
    report,
    report_sql_floor,
)

PRODUCERS = 60
OFFERS = 10_000
VARIANTS_PER_PRODUCT = 2


def build_cycle():
    from django.utils import timezone

    from foodhub.hubs.models import Hub
    from orders.models import CyclePickupPoint, Offer, PickupSlot
    from pickup_points.models import PickupPoint
    from producers.models import Category, Label, Producer, Product, Variant
    from producers.services import refresh_search_texts

    hub = Hub.objects.create(name="Drive du banc d'essai", slug="banc", order_prefix="BNC")
    categories = Category.objects.bulk_create(
        Category(name=f"Rayon {i}", slug=f"rayon-{i}", position=i) for i in range(12)
    )
    label = Label.objects.create(name="AB (banc)", slug="ab-banc")
    producers = Producer.objects.bulk_create(
        Producer(name=f"Ferme {i:02d}", slug=f"ferme-banc-{i}", city="Lille")
        for i in range(PRODUCERS)
    )
    hub.producers.add(*producers)
    per_producer = OFFERS // VARIANTS_PER_PRODUCT // PRODUCERS + 1
    products = Product.objects.bulk_create(
        Product(
            producer=producer,
            name=f"Produit {p:03d} de {producer.name}",
            category=categories[p % len(categories)],
        )
        for producer in producers
        for p in range(per_producer)
    )
    Product.labels.through.objects.bulk_create(
        Product.labels.through(product_id=product.pk, label_id=label.pk)
        for product in products[::3]
    )
    variants = kilo_variants(products, VARIANTS_PER_PRODUCT, stock=20)
    variants = Variant.objects.bulk_create(variants)[:OFFERS]
    # Rows made in bulk skip the services that keep the shop's search text: as the demo
    # data and the catalogue import do, it is refreshed once for them all.
    refresh_search_texts(Variant.objects.filter(product__producer__in=producers))
    now = timezone.now()
    cycle = open_cycle(hub, "Semaine du banc", closes_in=timedelta(days=5))
    Offer.objects.bulk_create(
        Offer(cycle=cycle, variant=v, price=v.price, stock_cap=5 if v.pk % 9 == 0 else None)
        for v in variants
    )
    point = PickupPoint.objects.create(name="Tiers-lieu du banc", slug="banc", address="Lille")
    cycle_pickup = CyclePickupPoint.objects.create(
        cycle=cycle, pickup_point=point, pickup_date=(now + timedelta(days=7)).date()
    )
    PickupSlot.objects.create(
        cycle_pickup=cycle_pickup, starts_at="17:00", ends_at="19:00", capacity=100
    )
    return hub, cycle


def main():
    migrate()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from orders.models import Offer

    hub, cycle = build_cycle()
    assert Offer.objects.filter(cycle=cycle).count() == OFFERS
    client = Client()
    url = reverse("hub_public", args=[hub.slug])
    # A household with something in its basket: the summary is part of every page.
    offer = Offer.objects.filter(cycle=cycle).order_by("pk").first()
    client.post(reverse("basket_set", args=[hub.slug, offer.pk]), {"quantity": 2})

    def get(params=None):
        response = client.get(url, params or {})
        assert response.status_code == 200
        assert b'class="offer"' in response.content

    get()  # warm up templates and connections
    page_ms = median_seconds(get, runs=30) * 1000
    report("shop_page_ms", page_ms, "ms")
    report(
        "shop_search_ms",
        median_seconds(lambda: get({"q": "Produit 01", "group": "category"}), runs=15) * 1000,
        "ms",
    )
    with CaptureQueriesContext(connection) as queries:
        get()
    report("shop_page_queries", len(queries), "queries")

    report_sql_floor("shop", page_ms, queries.captured_queries, runs=30)


if __name__ == "__main__":
    main()
