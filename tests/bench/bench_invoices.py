"""Issuing a cycle's invoices: each order's invoice numbered, frozen, and its Factur-X PDF
(PDF/A-3 with its EN 16931 XML), as the worker does it, chunk by chunk, in a fresh process.

BENCH invoices_issue_s          issuing the cycle's invoices with their PDFs (the worker's
                                ``issue_cycle_invoices``)
BENCH invoices_peak_mb          that process's peak memory (goal <= 400 MB)
BENCH invoices_weasyprint_s     the floor: the same invoices' HTML through WeasyPrint
                                alone, one plain PDF each (fonts shared, as the invoices
                                do), in a fresh process
BENCH invoices_issue_vs_weasyprint  the first against the floor (goal <= 1.2 x)

``BENCH_INVOICES`` orders (default 1,000; each invoice is one page, about 0.1 s of
WeasyPrint here). With fewer, the line says how many: ``invoices_issue_s`` is then for
that count, not 1,000.
"""

import os
import sys
import time
from datetime import timedelta
from decimal import Decimal

from tests.bench._setup import (
    child_figures,
    household_order,
    in_fresh_process,
    migrate,
    pickup_slot,
    report,
)

MODULE = "tests.bench.bench_invoices"

ORDERS = int(os.environ.get("BENCH_INVOICES", "1000"))
SEPARATOR = "\n<!-- next invoice -->\n"


def build_cycle():
    """A closed cycle of ``ORDERS`` households' orders of 3 lines each (two rates, a
    product weighed), its hub's legal identity complete, its adjustments final."""
    from django.utils import timezone

    from foodhub.hubs.models import Hub
    from orders.models import Offer, Order, OrderCycle, OrderLine
    from producers.models import Category, Producer, Product, Variant

    hub = Hub.objects.create(
        name="Drive des factures", slug="factures", order_prefix="FAC",
        legal_name="SCIC Drive des factures", legal_street="12 rue des Arts",
        legal_postcode="59000", legal_city="Lille", siret="73282932000074",
        vat_number="FR44732829320",
    )  # fmt: skip
    category = Category.objects.create(name="Épicerie", slug="epicerie-banc")
    producer = Producer.objects.create(name="Ferme des factures", slug="ferme-factures")
    hub.producers.add(producer)
    specs = [
        ("Carottes", "botte", "2.40", "5.5", None),
        ("Jus de pomme", "1 l", "3.90", "20", None),
        ("Poulet fermier", "pièce", "18.00", "5.5", "12.00"),
    ]
    variants = []
    for name, variant, price, rate, per_kg in specs:
        product = Product.objects.create(producer=producer, name=name, category=category)
        variants.append(
            Variant.objects.create(
                product=product,
                name=variant,
                price=Decimal(price),
                vat_rate=rate,
                stock_quantity=100_000,
                unit="kg" if per_kg else "piece",
                quantity_per_unit=Decimal("1.5") if per_kg else Decimal("1"),
                sold_by_weight=bool(per_kg),
                price_per_kg=Decimal(per_kg) if per_kg else None,
            )  # fmt: skip
        )
    now = timezone.now()
    cycle = OrderCycle.objects.create(
        hub=hub, name="Semaine des factures", opens_at=now - timedelta(days=4),
        closes_at=now - timedelta(days=1), closed_at=now - timedelta(days=1),
        adjustments_final_at=now, status=OrderCycle.Status.PUBLISHED,
        fee_percent=Decimal("5"), fee_fixed=Decimal("0.50"),
    )  # fmt: skip
    offers = Offer.objects.bulk_create(
        [Offer.at_catalogue_price(cycle=cycle, variant=variant) for variant in variants]
    )
    slot = pickup_slot(cycle, slug="tiers-factures", day=now.date(), capacity=ORDERS)
    orders = [
        household_order(
            cycle,
            slot,
            n,
            number=f"FAC-2026-{n:06d}",
            goods_total=Decimal("24.30"),
            fee_total=Decimal("1.72"),
            total=Decimal("26.02"),
        )  # fmt: skip
        for n in range(ORDERS)
    ]
    orders = Order.objects.bulk_create(orders)
    OrderLine.objects.bulk_create(
        [
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
                vat_rate=offer.variant.vat_rate,
                total=offer.price,
                price_per_kg=offer.price_per_kg,
                estimated_weight=offer.variant.weight_per_unit,
                actual_weight=Decimal("1.612") if offer.price_per_kg else None,
            )  # fmt: skip
            for order in orders
            for offer in offers
        ],
        batch_size=2000,
    )
    return cycle


def child(kind: str, arg: str) -> None:
    """Run in a fresh interpreter: one measurement, printed as 'seconds peak_mb'."""
    start = time.perf_counter()
    if kind == "issue":
        from orders.billing.invoices import issue_cycle_invoices

        issue_cycle_invoices(int(arg))
    else:
        from weasyprint import HTML
        from weasyprint.text.fonts import FontConfiguration

        # WeasyPrint at its best: the fonts looked up once, as the invoices do.
        fonts = FontConfiguration()
        with open(arg, encoding="utf-8") as pages:
            for html in pages.read().split(SEPARATOR):
                HTML(string=html).write_pdf(font_config=fonts)
    child_figures(start)


def main():
    migrate()
    from orders.billing.invoices_documents import document_html
    from orders.models import Invoice, OrderCycle

    cycle = build_cycle()
    seconds, peak = in_fresh_process(MODULE, "issue", str(cycle.pk))
    issued = Invoice.objects.filter(cycle=cycle)
    assert issued.count() == ORDERS and not issued.filter(pdf="").exists()
    assert OrderCycle.objects.get(pk=cycle.pk).invoices_issued_at is not None
    counted = "" if ORDERS == 1000 else f" (for {ORDERS} invoices, not 1,000)"
    print(f"bench_invoices: {ORDERS} invoices issued{counted}", file=sys.stderr)
    report("invoices_issue_s", seconds, f"s{counted}")
    report("invoices_peak_mb", peak, "MB")

    path = os.path.join(
        os.path.dirname(os.environ["DATABASE_URL"].split("///", 1)[-1]), "invoices.html"
    )
    with open(path, "w", encoding="utf-8") as out:
        out.write(SEPARATOR.join(document_html(invoice) for invoice in issued.order_by("pk")))
    floor, _peak = in_fresh_process(MODULE, "raw", path)
    report("invoices_weasyprint_s", floor, f"s{counted}")
    report("invoices_issue_vs_weasyprint", seconds / floor, "x")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
