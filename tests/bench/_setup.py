"""Shared set-up for the benchmarks: Django on a scratch database, never a real one."""

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal

_DB_DIR = tempfile.mkdtemp(prefix="foodhub-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.bench.settings")
# Never the database of DATABASE_URL (it may be a real one): a scratch SQLite file, or the
# scratch database a bench created and named in BENCH_DATABASE_URL.
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", f"sqlite:///{_DB_DIR}/bench.sqlite3"
)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402


def migrate():
    call_command("migrate", verbosity=0, interactive=False)


def report(name: str, value: float, unit: str) -> None:
    print(f"BENCH {name} {value:.1f} {unit}", flush=True)


def median_seconds(fn, *, runs: int) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def report_sql_floor(prefix: str, page_ms: float, captured_queries, *, runs: int) -> None:
    """The floor of a page: the SQL it sent (``CaptureQueriesContext.captured_queries``),
    as sent, through the driver alone (a French collation included: it is registered on
    the connection); ``<prefix>_sql_floor_ms`` and the page against it,
    ``<prefix>_page_vs_sql``."""
    from django.db import connection

    statements = [query["sql"] for query in captured_queries]
    raw = connection.connection

    def sql_only():
        for sql in statements:
            raw.execute(sql).fetchall()

    floor_ms = median_seconds(sql_only, runs=runs) * 1000
    report(f"{prefix}_sql_floor_ms", floor_ms, "ms")
    report(f"{prefix}_page_vs_sql", page_ms / floor_ms, "x")


def kilo_variants(products, per_product: int, *, stock: int, sku: bool = False) -> list:
    """Unsaved variants of 1, 2... kg of each product at 2.50 € a kilo, for ``bulk_create``."""
    from producers.models import Variant

    return [
        Variant(
            product=product,
            name=f"{n + 1} kg",
            unit="kg",
            quantity_per_unit=Decimal(n + 1),
            price=Decimal("2.50") * (n + 1),
            stock_quantity=stock,
            sku=f"P{product.pk}-{n}" if sku else "",
        )
        for product in products
        for n in range(per_product)
    ]


def open_cycle(hub, name: str, *, closes_in: timedelta, **fields):
    """A published cycle of ``hub``, opened yesterday, with a 5 % hub fee."""
    from django.utils import timezone

    from orders.models import OrderCycle

    now = timezone.now()
    return OrderCycle.objects.create(
        hub=hub, name=name, opens_at=now - timedelta(days=1), closes_at=now + closes_in,
        status=OrderCycle.Status.PUBLISHED, fee_percent=Decimal("5"), **fields,
    )  # fmt: skip


def offer_at_their_price(cycle, variants) -> list:
    """Every variant offered in ``cycle`` at its catalogue price."""
    from orders.models import Offer

    return Offer.objects.bulk_create(
        Offer.at_catalogue_price(cycle=cycle, variant=variant) for variant in variants
    )


def random_lines(orders, offers, rng, per_order: int) -> list:
    """Order lines for generated orders: ``per_order`` random offers each, 1 to 3 units."""
    from orders.models import OrderLine

    lines = []
    for order in orders:
        for offer in rng.sample(offers, per_order):
            v = offer.variant
            lines.append(
                OrderLine(
                    order=order, offer=offer, variant=v, producer_id=v.product.producer_id,
                    quantity=rng.randint(1, 3), producer_name=v.product.producer.name,
                    product_name=v.product.name, variant_name=v.name, unit_price=v.price,
                    vat_rate=Decimal("5.5"), total=v.price,
                )
            )  # fmt: skip
    return lines


def pickup_slot(cycle, *, slug: str, day, capacity: int):
    """A pickup point ``slug`` for ``cycle`` on ``day``, with one slot of ``capacity``."""
    from orders.models import CyclePickupPoint, PickupSlot
    from pickup_points.models import PickupPoint

    point = PickupPoint.objects.create(name=f"Tiers-lieu {slug}", slug=slug, address="Lille")
    pickup = CyclePickupPoint.objects.create(cycle=cycle, pickup_point=point, pickup_date=day)
    return PickupSlot.objects.create(
        cycle_pickup=pickup, starts_at="17:00", ends_at="19:00", capacity=capacity
    )


def household_order(cycle, slot, n: int, *, number: str, **fields):
    """The (unsaved, placed) order of household ``n`` (foyer<n>@example.org), with its
    customer record: for ``bulk_create``."""
    from orders.customers import customer_for
    from orders.models import Order

    email, name = f"foyer{n}@example.org", f"Foyer {n:04d}"
    return Order(
        cycle=cycle, number=number, email=email, full_name=name,
        customer=customer_for(hub_id=cycle.hub_id, email=email, full_name=name),
        cycle_pickup_id=slot.cycle_pickup_id, slot=slot, status=Order.Status.PLACED, **fields,
    )  # fmt: skip


def child_figures(start: float) -> None:
    """In a bench's child process: print the seconds since ``start`` and the peak memory."""
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{time.perf_counter() - start:.3f} {peak_mb:.1f}")


def in_fresh_process(module: str, kind: str, arg: str) -> tuple[float, float]:
    """Run ``python -m <module> --child <kind> <arg>`` on the same database: its seconds and
    peak memory (MB), as its ``child_figures`` printed them."""
    env = {**os.environ, "BENCH_DATABASE_URL": os.environ["DATABASE_URL"]}
    out = subprocess.run(
        [sys.executable, "-m", module, "--child", kind, arg],
        env=env, check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    return float(out[-2]), float(out[-1])
