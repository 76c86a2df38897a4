"""The weighing page of a closed cycle with 1,000 lines sold by weight (generated).

BENCH weigh_page_ms        median server time of the whole page (target ≤ 100 ms)
BENCH weigh_page_queries   its SQL queries (a constant)
BENCH weigh_line_ms        median server time of one weight saved (htmx)
BENCH weigh_sql_floor_ms   the page's SQL, as sent, through the driver alone
BENCH weigh_page_vs_sql    the page against that floor
"""

from datetime import timedelta
from decimal import Decimal

from tests.bench._setup import (
    household_order,
    median_seconds,
    migrate,
    pickup_slot,
    report,
    report_sql_floor,
)

ORDERS = 500
WEIGHED_PER_ORDER = 2  # 1,000 lines to weigh


def build_cycle():
    from django.utils import timezone

    from foodhub.accounts.models import User
    from foodhub.hubs.models import Hub, HubMembership
    from orders.models import Offer, Order, OrderCycle, OrderLine
    from producers.models import Category, Producer, Product, Variant

    hub = Hub.objects.create(name="Drive de la pesée", slug="pesee", order_prefix="PES")
    manager = User.objects.create_user(email="pesee@example.org", password="banc-pesee")
    HubMembership.objects.create(hub=hub, user=manager)
    category = Category.objects.create(name="Volailles", slug="volailles-banc")
    producer = Producer.objects.create(name="Ferme de la pesée", slug="ferme-pesee")
    hub.producers.add(producer)
    variants = [
        Variant.objects.create(
            product=Product.objects.create(producer=producer, name=name, category=category),
            name="pièce",
            unit="kg",
            quantity_per_unit=Decimal(kg),
            sold_by_weight=True,
            price_per_kg=Decimal(per_kg),
            price=Decimal("1"),
            stock_quantity=10_000,
        )  # fmt: skip
        for name, kg, per_kg in (
            ("Poulet fermier", "1.5", "12.00"),
            ("Rôti de porc", "0.8", "16.90"),
        )
    ]
    now = timezone.now()
    cycle = OrderCycle.objects.create(
        hub=hub, name="Semaine de la pesée", opens_at=now - timedelta(days=4),
        closes_at=now - timedelta(hours=2), status=OrderCycle.Status.PUBLISHED,
    )  # fmt: skip
    offers = [Offer.at_catalogue_price(cycle=cycle, variant=variant) for variant in variants]
    Offer.objects.bulk_create(offers)
    day = (now + timedelta(days=1)).date()
    slot = pickup_slot(cycle, slug="pesee", day=day, capacity=ORDERS)
    orders = [household_order(cycle, slot, n, number=f"PES-2026-{n:06d}") for n in range(ORDERS)]
    Order.objects.bulk_create(orders)
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            offer=offer,
            variant=offer.variant,
            producer=producer,
            quantity=1,
            producer_name=producer.name,
            product_name=offer.variant.product.name,
            variant_name=offer.variant.name,
            unit_price=offer.price,
            vat_rate=Decimal("5.5"),
            total=offer.price,
            price_per_kg=offer.price_per_kg,
            estimated_weight=offer.variant.weight_per_unit,
        )  # fmt: skip
        for order in orders
        for offer in offers[:WEIGHED_PER_ORDER]
    )
    return hub, cycle, manager


def main():
    migrate()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from orders.models import OrderLine

    hub, cycle, manager = build_cycle()
    lines = OrderLine.objects.filter(order__cycle=cycle)
    assert lines.count() == ORDERS * WEIGHED_PER_ORDER
    client = Client()
    client.force_login(manager)
    url = reverse("weighing:hub", args=[hub.slug, cycle.pk])

    def get():
        response = client.get(url)
        assert response.status_code == 200
        assert response.content.count(b'name="weight"') == ORDERS * WEIGHED_PER_ORDER

    get()  # warm up templates and connections
    page_ms = median_seconds(get, runs=15) * 1000
    report("weigh_page_ms", page_ms, "ms")
    with CaptureQueriesContext(connection) as queries:
        get()
    report("weigh_page_queries", len(queries), "queries")

    report_sql_floor("weigh", page_ms, queries.captured_queries, runs=15)

    pks = iter(lines.values_list("pk", flat=True))

    def weigh():
        response = client.post(
            f"{url}{next(pks)}/", {"weight": "1,612"}, headers={"HX-Request": "true"}
        )
        assert response.status_code == 200, response.content[:300]

    report("weigh_line_ms", median_seconds(weigh, runs=30) * 1000, "ms")


if __name__ == "__main__":
    main()
