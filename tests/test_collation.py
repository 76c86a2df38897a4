"""One French collation everywhere: lists sorted by the database (SQLite and PostgreSQL)
put É and Œ among the E and O, as the lists sorted in Python do."""

from decimal import Decimal

import pytest
from django.db import connection

from foodhub.collation import FRENCH, french
from foodhub.text import french_sort_key
from orders.checkout import services
from orders.checkout.selectors import shop_filters, shop_offers
from orders.planning import cycles
from orders.printouts import documents
from pickup_points import documents as point_documents
from pickup_points.models import PickupPoint
from producers.models import Producer
from tests import factories

pytestmark = pytest.mark.django_db

NAMES = ["Zoé", "Élodie", "Œuvre", "Denis", "éric", "Olivier"]
FRENCH_ORDER = ["Denis", "Élodie", "éric", "Œuvre", "Olivier", "Zoé"]


def test_the_python_key_and_the_expected_order_agree():
    assert sorted(NAMES, key=french_sort_key) == FRENCH_ORDER


def test_the_database_sorts_names_in_french_order(db):
    for name in NAMES:
        factories.ProducerFactory(name=name)
    assert list(Producer.objects.order_by(french("name")).values_list("name", flat=True)) == (
        FRENCH_ORDER
    )
    # The default ordering too (forms' choices, the admin, related lists).
    assert list(Producer.objects.values_list("name", flat=True)) == FRENCH_ORDER


def test_the_collation_has_the_same_name_on_both_databases():
    query = "SELECT n FROM (SELECT %s AS n UNION ALL SELECT %s) AS t ORDER BY n COLLATE "
    with connection.cursor() as cursor:
        cursor.execute(query + connection.ops.quote_name(FRENCH), ["Zoé", "Élodie"])
        assert [row[0] for row in cursor.fetchall()] == ["Élodie", "Zoé"]


@pytest.fixture
def six_orders(cycle, slot, offers):
    """One order by each name, in the order of NAMES."""
    return [
        services.place_order(
            cycle=cycle,
            slot=slot,
            items={offers["bread"].pk: 1},
            email=f"p{n}@example.org",
            full_name=name,
            notify=False,
        )  # fmt: skip
        for n, name in enumerate(NAMES)
    ]


def test_the_distribution_list_is_in_french_order(six_orders, pickup_point, cycle):
    doc = point_documents.distribution_list(pickup_point, cycle)
    assert [row.order.full_name for row in doc.rows] == FRENCH_ORDER


def test_the_pick_list_is_in_french_order(six_orders, cycle, producer):
    (row,) = [
        row for row in documents.pick_list(cycle, producer, with_names=True) if row.per_household
    ]
    assert [name for _number, name, _point, _quantity in row.per_household] == FRENCH_ORDER


def test_the_packing_sheets_and_labels_are_in_french_order(six_orders, cycle):
    (group,) = documents.packing_sheets(cycle)
    assert [order.full_name for order in group.orders] == FRENCH_ORDER
    ordered = documents.packing_order(cycle)
    assert [o.full_name for o in sorted(six_orders, key=lambda o: ordered.index(o.pk))] == (
        FRENCH_ORDER
    )


def test_the_managers_order_list_is_in_french_order(six_orders, cycle):
    assert [order.full_name for order in cycles.cycle_orders(cycle)] == FRENCH_ORDER


def test_the_shops_producers_are_in_french_order(cycle, category, hub):
    for name in NAMES:
        producer = factories.ProducerFactory(name=name)
        hub.producers.add(producer)
        variant = factories.VariantFactory(
            product__producer=producer, product__category=category, price=Decimal("2.00")
        )
        factories.OfferFactory(cycle=cycle, variant=variant)
    assert [p.name for p in shop_filters(cycle)["producers"]] == FRENCH_ORDER
    grouped = shop_offers(cycle, group_by="producer")
    assert [offer.variant.product.producer.name for offer in grouped] == FRENCH_ORDER


def test_pickup_points_and_products_are_in_french_order(hub, producer, category):
    for name in NAMES:
        factories.PickupPointFactory(name=name).hubs.add(hub)
        factories.ProductFactory(producer=producer, category=category, name=name)
    assert [point.name for point in hub.pickup_points.all()] == FRENCH_ORDER
    assert list(PickupPoint.objects.values_list("name", flat=True)) == FRENCH_ORDER
    assert [product.name for product in producer.products.all()] == FRENCH_ORDER
