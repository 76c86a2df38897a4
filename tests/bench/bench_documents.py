"""Document figures, on generated data.

BENCH distribution_list_s    the distribution list PDF of a pickup point with 200 households
BENCH packing_sheets_s       packing sheets of a cycle with 1,000 orders, built as the
                             worker does (in chunks, merged), in a fresh process
BENCH packing_sheets_peak_mb that process's peak memory (goal <= 500 MB)
BENCH weasyprint_raw_s       the same 1,000 orders' HTML rendered by WeasyPrint alone, in one
                             go, in a fresh process (packing_sheets_s / this: our overhead,
                             goal <= 1.2x)
BENCH weasyprint_raw_peak_mb that process's peak memory
"""

import os
import random
import sys
import time
from decimal import Decimal

from tests.bench._setup import (
    child_figures,
    in_fresh_process,
    migrate,
    offer_at_their_price,
    random_lines,
    report,
)  # fmt: skip

MODULE = "tests.bench.bench_documents"

ORDERS = 1_000
AT_FIRST_POINT = 200
POINTS = 8
PRODUCERS = 60
LINES_PER_ORDER = 4

FIRST_NAMES = [
    "Zoé",
    "Élodie",
    "Émile",
    "Anaïs",
    "Bruno",
    "Çédric",
    "Léa",
    "Noël",
    "Maëlle",
    "Jérôme",
]
LAST_NAMES = ["Lefèvre", "Dupont", "Ängström", "Petit", "Œuvray", "N'Diaye", "Martin", "Bérénice"]


def build_world():
    from datetime import time as clock
    from datetime import timedelta

    from django.utils import timezone

    from foodhub.hubs.models import Hub
    from orders.models import CyclePickupPoint, Order, OrderCycle, OrderLine, PickupSlot
    from pickup_points.models import PickupPoint
    from producers.models import Category, Producer, Product, Variant

    rng = random.Random(48)
    now = timezone.now()
    hub = Hub.objects.create(name="Drive du banc d'essai", slug="bench-docs", order_prefix="DOC")
    cycle = OrderCycle.objects.create(
        hub=hub, name="Semaine de test", opens_at=now - timedelta(days=7),
        closes_at=now - timedelta(hours=1), status=OrderCycle.Status.PUBLISHED,
    )  # fmt: skip
    category = Category.objects.create(name="Banc", slug="bench-docs")
    producers = Producer.objects.bulk_create(
        Producer(name=f"Ferme n°{n} de l’Église", slug=f"bench-docs-{n}") for n in range(PRODUCERS)
    )
    products = Product.objects.bulk_create(
        Product(producer=p, name=f"Légume d’hiver n°{n} de {p.name}", category=category)
        for p in producers
        for n in range(3)
    )
    variants = Variant.objects.bulk_create(
        Variant(
            product=product, name="1 kg", unit="kg", price=Decimal("2.35"), stock_quantity=10**6
        )
        for product in products
    )
    offers = offer_at_their_price(cycle, variants)
    slots = []
    for n in range(POINTS):
        point = PickupPoint.objects.create(
            name=f"Tiers-lieu n°{n} « Les Ateliers »", slug=f"bench-docs-{n}", address="Lille"
        )
        pickup = CyclePickupPoint.objects.create(
            cycle=cycle, pickup_point=point, pickup_date=timezone.localdate(now) + timedelta(days=2)
        )
        slots.append(
            [
                PickupSlot.objects.create(
                    cycle_pickup=pickup, starts_at=clock(17 + s), ends_at=clock(18 + s),
                    capacity=1000,
                )
                for s in range(2)
            ]
        )  # fmt: skip
    orders = []
    for n in range(ORDERS):
        point = 0 if n < AT_FIRST_POINT else 1 + n % (POINTS - 1)
        slot = slots[point][n % 2]
        orders.append(
            Order(
                cycle=cycle, number=f"DOC-2026-{n + 1:06d}", email=f"foyer{n}@example.org",
                full_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}-{n}",
                cycle_pickup_id=slot.cycle_pickup_id, slot=slot, total=Decimal("23.50"),
                note="Sonner deux fois" if n % 10 == 0 else "",
            )
        )  # fmt: skip
    orders = Order.objects.bulk_create(orders)
    OrderLine.objects.bulk_create(
        random_lines(orders, offers, rng, LINES_PER_ORDER), batch_size=2000
    )
    return cycle, slots[0][0].cycle_pickup.pickup_point


def child(kind: str, arg: str) -> None:
    """Run in a fresh interpreter: one measurement, printed as 'seconds peak_mb'."""
    start = time.perf_counter()
    if kind == "built":
        from orders.printouts.documents import build_document

        build_document(int(arg))
    else:
        from weasyprint import HTML

        with open(arg, encoding="utf-8") as html:
            HTML(string=html.read()).write_pdf()
    child_figures(start)


def main():
    migrate()
    from orders.models import CycleDocument
    from orders.printouts import documents
    from pickup_points.documents import distribution_list_pdf

    cycle, point = build_world()

    start = time.perf_counter()
    distribution_list_pdf(point, cycle)
    report("distribution_list_s", time.perf_counter() - start, "s")

    document = CycleDocument.objects.create(cycle=cycle, kind=CycleDocument.Kind.PACKING_SHEETS)
    seconds, peak = in_fresh_process(MODULE, "built", str(document.pk))
    document.refresh_from_db()
    assert document.status == CycleDocument.Status.DONE, document.error
    pages = len(__import__("pypdf").PdfReader(document.file.open("rb")).pages)
    print(f"bench_documents: {document.orders} orders, {pages} pages", file=sys.stderr)
    report("packing_sheets_s", seconds, "s")
    report("packing_sheets_peak_mb", peak, "MB")
    built_seconds = seconds

    html = documents.render_html(
        "documents/packing_sheets.html",
        {
            "cycle": cycle,
            "header": documents.header(cycle),
            "groups": documents.packing_sheets(cycle),
            "numbered": True,
        },
    )
    path = os.path.join(os.path.dirname(os.environ["DATABASE_URL"].split("///", 1)[-1]), "raw.html")
    with open(path, "w", encoding="utf-8") as out:
        out.write(html)
    seconds, peak = in_fresh_process(MODULE, "raw", path)
    report("weasyprint_raw_s", seconds, "s")
    report("weasyprint_raw_peak_mb", peak, "MB")
    # The same HTML in one piece through WeasyPrint alone is the floor on this machine.
    report("packing_sheets_vs_raw", built_seconds / seconds, "x")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
