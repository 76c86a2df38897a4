"""A catalogue import racing checkouts, on PostgreSQL: the import applies the producer's
stock changes to the stock of the moment it writes, so nothing sold meanwhile is put
back on sale, and nothing is oversold (``DATABASE_URL=postgres://... pytest``)."""

import csv
import io
from decimal import Decimal

import pytest

from orders.checkout.services import place_order
from orders.models import Offer, Order
from producers.catalogue_csv import export_catalogue, import_catalogue
from producers.models import Variant
from tests import factories
from tests.orders.test_concurrency import in_parallel, postgres_only, racing_world

BUYERS = 40


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_import_racing_checkouts_sells_nothing_twice(category):
    cycle, slots, producer = racing_world()

    def variant(name, stock):
        return factories.VariantFactory(
            product__producer=producer, product__name=name, product__category=category,
            name="botte", price=Decimal("2.00"), stock_quantity=stock,
        )  # fmt: skip

    more, fewer = variant("Carottes", 100), variant("Navets", 100)
    for n in range(100):  # a catalogue big enough for the import to take a while
        variant(f"Produit {n:03}", 5)
    offers = [factories.OfferFactory(cycle=cycle, variant=v) for v in (more, fewer)]
    # The producer exports, then types 150 carrots (+50) and 60 turnips (-40).
    reader = csv.DictReader(
        io.StringIO(export_catalogue(producer=producer, language="fr")), delimiter=";"
    )
    rows = list(reader)
    for row in rows:
        row["stock"] = {"Carottes": "150", "Navets": "60"}.get(row["product"], row["stock"])
    output = io.StringIO()
    writer = csv.DictWriter(output, fieldnames=reader.fieldnames, delimiter=";")
    writer.writeheader()
    writer.writerows(rows)
    data = output.getvalue().encode()

    def work(i):
        if i == 0:
            return import_catalogue(producer=producer, data=data)
        return place_order(
            cycle=cycle, slot=slots[i % len(slots)], items={offer.pk: 1 for offer in offers},
            email=f"acheteur{i}@example.org", full_name=f"Acheteur {i}", notify=False,
        )  # fmt: skip

    results = in_parallel(BUYERS + 1, work)

    failures = [r for r in results if isinstance(r, Exception)]
    assert failures == []
    assert Order.objects.filter(cycle=cycle, status__in=Order.LIVE_STATUSES).count() == BUYERS
    assert [Offer.objects.get(pk=offer.pk).allocated for offer in offers] == [BUYERS, BUYERS]
    # Whatever the order in which they ran: the change typed, minus every unit sold.
    more.refresh_from_db()
    fewer.refresh_from_db()
    assert (more.stock_quantity, fewer.stock_quantity) == (150 - BUYERS, 60 - BUYERS)
    assert Variant.objects.filter(stock_quantity__lt=0).count() == 0
