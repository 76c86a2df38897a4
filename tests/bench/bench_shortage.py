"""A shortage spread over 500 orders of a closed cycle (generated): recorded, then applied
in one transaction (500 lines changed, 500 balance entries, 500 e-mails owed, the packing
sheets built before marked out of date and queued to be built again).

BENCH shortage_apply_s          median time of recording and applying one (target ≤ 2 s)
BENCH shortage_apply_queries    its SQL statements
BENCH shortage_apply_floor_s    the same rows written in bulk, nothing read or checked first
                                (one UPDATE of the lines, one INSERT of the entries, one
                                UPDATE of the balances, one INSERT of the e-mails)
BENCH shortage_apply_vs_floor   the use case against that floor
"""

import time
from datetime import timedelta
from decimal import Decimal

from tests.bench._setup import household_order, migrate, pickup_slot, report

ORDERS = 500
UNITS = 4  # each household ordered 4 loaves
# Each run shares a different quantity in proportion: every line changes every time.
DELIVERED = [1000, 1500, 500, 1000, 1500]


def build_cycle():
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from foodhub.accounts.models import User
    from foodhub.hubs.models import Hub, HubMembership
    from orders.models import (
        CycleDocument,
        Offer,
        Order,
        OrderCycle,
        OrderLine,
    )
    from orders.printouts import documents
    from producers.models import Category, Producer, Product, Variant

    hub = Hub.objects.create(name="Drive du manquant", slug="manquant", order_prefix="MAN")
    manager = User.objects.create_user(email="manquant@example.org", password="banc-manquant")
    HubMembership.objects.create(hub=hub, user=manager)
    category = Category.objects.create(name="Pains", slug="pains-banc")
    producer = Producer.objects.create(name="Fournil du manquant", slug="fournil-manquant")
    hub.producers.add(producer)
    product = Product.objects.create(producer=producer, name="Pain de campagne", category=category)
    variant = Variant.objects.create(
        product=product, name="1 kg", unit="piece", price=Decimal("4.80"), stock_mode="on_demand"
    )
    now = timezone.now()
    cycle = OrderCycle.objects.create(
        hub=hub, name="Semaine du manquant", opens_at=now - timedelta(days=4),
        closes_at=now - timedelta(hours=2), status=OrderCycle.Status.PUBLISHED,
    )  # fmt: skip
    offer = Offer.objects.create(cycle=cycle, variant=variant, price=variant.price)
    slot = pickup_slot(cycle, slug="manquant", day=(now + timedelta(days=1)).date(),
                       capacity=ORDERS)  # fmt: skip
    orders = [
        household_order(
            cycle, slot, n, number=f"MAN-2026-{n:06d}", language="fr" if n % 3 else "en",
            placed_at=now - timedelta(days=3, minutes=ORDERS - n),
            total=UNITS * variant.price, goods_total=UNITS * variant.price,
        )
        for n in range(ORDERS)
    ]  # fmt: skip
    Order.objects.bulk_create(orders)
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order, offer=offer, variant=variant, producer=producer, quantity=UNITS,
            producer_name=producer.name, product_name=product.name, variant_name=variant.name,
            unit_price=variant.price, vat_rate=Decimal("5.5"), total=UNITS * variant.price,
        )
        for order in orders
    )  # fmt: skip
    # The packing sheets were built after the close.
    built = CycleDocument.objects.create(
        cycle=cycle, kind=CycleDocument.Kind.PACKING_SHEETS, status=CycleDocument.Status.DONE,
        source=documents.orders_state(cycle), finished_at=now, orders=ORDERS,
    )  # fmt: skip
    built.file.save("sheets.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    return cycle, offer, manager, built


def floor_seconds(cycle, offer, manager) -> float:
    """The same rows written in bulk, nothing read or checked first, rolled back: the
    least an apply can cost on this database."""
    from django.db import transaction
    from django.db.models import F

    from orders.models import BalanceEntry, Customer, OrderLine, OutgoingEmail

    class Rollback(Exception):
        pass

    start = time.perf_counter()
    try:
        with transaction.atomic():
            OrderLine.objects.filter(offer=offer).update(delivered_quantity=2)
            customers = dict(cycle.orders.values_list("pk", "customer_id"))
            BalanceEntry.objects.bulk_create(
                (BalanceEntry(customer_id=customer, kind="shortage", amount=Decimal("9.60"),
                              order_id=pk, key=f"floor:{pk}", by=manager)
                 for pk, customer in customers.items()),
                batch_size=500,
            )  # fmt: skip
            Customer.objects.filter(pk__in=customers.values()).update(
                balance=F("balance") + Decimal("9.60")
            )
            OutgoingEmail.objects.bulk_create(
                OutgoingEmail(key=f"floor:{pk}", kind="x", to="a@example.org", params={})
                for pk in customers
            )
            raise Rollback
    except Rollback:
        pass
    return time.perf_counter() - start


def main():
    migrate()
    import statistics

    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from orders import ledger
    from orders.billing import shortages
    from orders.models import BalanceEntry, OutgoingEmail
    from orders.printouts import documents

    cycle, offer, manager, built = build_cycle()
    timings, statements = [], 0
    for n, delivered in enumerate(DELIVERED):
        reset_queries()
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            shortage = shortages.record_shortage(
                cycle=cycle, offer=offer, delivered=delivered, strategy="proportional", by=manager
            )
            applied = shortages.apply_shortage(shortage=shortage, by=manager)
        timings.append(time.perf_counter() - start)
        statements = len(queries)
        assert len(applied.plan.households) == ORDERS
        assert BalanceEntry.objects.count() == ORDERS * (n + 1)
        assert (
            OutgoingEmail.objects.filter(key__startswith=f"shortage:{shortage.pk}:").count()
            == ORDERS
        )
    assert documents.current_document(cycle, built.kind) is None  # out of date
    assert cycle.documents.exclude(pk=built.pk).exists()  # queued to be built again
    assert ledger.recount() == []
    apply_s = statistics.median(timings)
    print(f"BENCH shortage_apply_s {apply_s:.2f} s", flush=True)
    report("shortage_apply_queries", statements, "queries")
    floor_s = statistics.median(floor_seconds(cycle, offer, manager) for _ in range(5))
    print(f"BENCH shortage_apply_floor_s {floor_s:.2f} s", flush=True)
    report("shortage_apply_vs_floor", apply_s / floor_s, "x")


if __name__ == "__main__":
    main()
