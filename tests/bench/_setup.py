"""Shared set-up for the benchmarks: Django on a scratch database, never a real one."""

import os
import statistics
import tempfile
import time

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


def random_lines(orders, offers, rng, per_order: int) -> list:
    """Order lines for generated orders: ``per_order`` random offers each, 1 to 3 units."""
    from decimal import Decimal

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
