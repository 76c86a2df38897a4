"""Checkout figures: pay-at-pickup orders placed by 16 concurrent clients.

BENCH checkout_orders_per_s  orders per second placed through services.place_order by 16
                             processes (each its own DB connection), 3 lines per order; the
                             confirmation e-mail is queued for the worker, as in production
BENCH oversold_units         units sold beyond stock or cap when the same 16 clients want
                             far more than there is (must be 0)

On PostgreSQL when BENCH_POSTGRES_URL points at a server (`make bench` sets it; in a
scratch database created there and dropped at the end), else on a scratch SQLite file
(writers queue on its lock).
"""

import os
import sys
import time
import uuid
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

CLIENTS = 16
ORDERS_PER_CLIENT = 40
OFFERS = 120
SLOTS = 8
# The scarce part: 3 offers with little stock, demand 4× what there is.
SCARCE = [("counted", 40, None), ("counted", 100, 25), ("on_demand", 0, 30)]
WANTS_PER_CLIENT = 6


def scratch_postgres() -> str | None:
    """Create a throwaway database on the server of BENCH_POSTGRES_URL; return its name."""
    url = os.environ.get("BENCH_POSTGRES_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    import psycopg

    name = f"foodhub_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    os.environ["BENCH_DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    return name


def drop_postgres(url: str, name: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


ORIGINAL_URL = os.environ.get("BENCH_POSTGRES_URL", "")
SCRATCH_DB = scratch_postgres()

from tests.bench._setup import migrate, open_cycle, report  # noqa: E402


def build_world():
    from datetime import time as clock
    from datetime import timedelta

    from django.utils import timezone

    from foodhub.hubs.models import Hub
    from orders.models import CyclePickupPoint, Offer, PickupSlot
    from pickup_points.models import PickupPoint
    from producers.models import Category, Producer, Product, Variant

    now = timezone.now()
    hub = Hub.objects.create(
        name="Drive du banc d'essai", slug="bench-checkout", order_prefix="BEN"
    )
    cycle = open_cycle(
        hub, "Semaine de charge", closes_in=timedelta(days=1), fee_fixed=Decimal("0.50")
    )
    point = PickupPoint.objects.create(
        name="Tiers-lieu", slug="bench-tiers-lieu", address="1 rue du Test, Lille"
    )
    pickup = CyclePickupPoint.objects.create(
        cycle=cycle, pickup_point=point, pickup_date=timezone.localdate(now) + timedelta(days=2)
    )
    slots = [
        PickupSlot.objects.create(
            cycle_pickup=pickup, starts_at=clock(8 + n), ends_at=clock(9 + n), capacity=10_000
        )
        for n in range(SLOTS)
    ]
    category = Category.objects.create(name="Banc d'essai", slug="bench-checkout")
    producer = Producer.objects.create(name="Ferme du banc", slug="bench-checkout")

    def offer(n, stock_mode, stock, cap):
        product = Product.objects.create(
            producer=producer, name=f"Produit {n:03d}", category=category
        )
        variant = Variant.objects.create(
            product=product,
            name="1 kg",
            unit="kg",
            price=Decimal("2.35") + n % 7,
            stock_mode=stock_mode,
            stock_quantity=stock,
        )
        return Offer.objects.create(
            cycle=cycle, variant=variant, price=variant.price, stock_cap=cap
        )

    plenty = [offer(n, "counted", 1_000_000, None) for n in range(OFFERS)]
    scarce = [offer(OFFERS + n, *spec) for n, spec in enumerate(SCARCE)]
    return cycle, slots, plenty, scarce


def run_clients(work) -> tuple[float, list[str]]:
    """Run ``work(client)`` in CLIENTS processes started together; (seconds, errors).

    Processes, like the web server's workers, not threads: 16 threads in one interpreter
    would measure Python's global lock rather than the checkout.
    """
    import multiprocessing

    from django.db import connections
    from huey.contrib.djhuey import HUEY

    context = multiprocessing.get_context("fork")
    # A forked child must not share the parent's connections (database, and the queue's).
    connections.close_all()
    HUEY.storage.close()
    barrier = context.Barrier(CLIENTS + 1)
    errors = context.Queue()

    def client(n):
        try:
            barrier.wait()
            work(n)
        except BaseException as error:
            errors.put(repr(error))
        finally:
            connections.close_all()
            HUEY.storage.close()

    processes = [context.Process(target=client, args=(n,)) for n in range(CLIENTS)]
    for process in processes:
        process.start()
    barrier.wait()
    start = time.perf_counter()
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - start
    collected = []
    while not errors.empty():
        collected.append(errors.get())
    return elapsed, collected


def main():
    from django.db import connection

    migrate()
    vendor = connection.vendor
    if vendor != "postgresql":
        print(
            "bench_checkout: running on SQLite (a scratch file): "
            "set BENCH_POSTGRES_URL=postgres://... for the PostgreSQL figure",
            file=sys.stderr,
        )

    from orders.checkout.services import InsufficientStock, place_order
    from orders.models import Offer, Order

    cycle, slots, plenty, scarce = build_world()

    def buy(client, n, items):
        return place_order(
            cycle=cycle,
            slot=slots[(client + n) % SLOTS],
            items=items,
            email=f"client{client}-{n}@example.org",
            full_name=f"Client {client}-{n}",
        )

    # 1. Throughput: every order gets what it asks for.
    def shop(client):
        for n in range(ORDERS_PER_CLIENT):
            first = (client * ORDERS_PER_CLIENT + n) * 7
            lines = {plenty[(first + k * 11) % OFFERS].pk: 1 + k for k in range(3)}
            buy(client, n, lines)

    shop(CLIENTS)  # warm up templates, connections and the order number sequence
    elapsed, errors = run_clients(shop)
    placed = Order.objects.filter(cycle=cycle).count() - 1
    for error in errors:
        print(f"bench_checkout: client failed: {error!r}", file=sys.stderr)
    report("checkout_orders_per_s", placed / elapsed, "orders/s")
    from huey.contrib.djhuey import HUEY

    print(
        f"bench_checkout: {HUEY.pending_count()} confirmation e-mails queued for the worker "
        f"({placed + 1} orders placed)",
        file=sys.stderr,
    )

    # 2. Overselling: far more wanted than there is, one unit at a time.
    import multiprocessing

    refused = multiprocessing.get_context("fork").Value("i", 0)

    def rush(client):
        for n in range(WANTS_PER_CLIENT):
            offer = scarce[(client + n) % len(scarce)]
            try:
                buy(client, 1000 + n, {offer.pk: 2})
            except InsufficientStock:
                with refused.get_lock():
                    refused.value += 1

    _elapsed, errors = run_clients(rush)
    for error in errors:
        print(f"bench_checkout: client failed: {error!r}", file=sys.stderr)
    oversold = 0
    for offer, (stock_mode, stock, cap) in zip(scarce, SCARCE, strict=True):
        offer = Offer.objects.select_related("variant").get(pk=offer.pk)
        sold = sum(
            offer.lines.filter(order__status__in=Order.LIVE_STATUSES).values_list(
                "quantity", flat=True
            )
        )
        limits = [limit for limit in (cap, stock if stock_mode == "counted" else None) if limit]
        oversold += max(sold - min(limits), 0) + max(-offer.variant.stock_quantity, 0)
        if offer.allocated != sold or (
            stock_mode == "counted" and offer.variant.stock_quantity != stock - sold
        ):
            print(f"bench_checkout: stock books do not balance for {offer}", file=sys.stderr)
            oversold += abs(offer.allocated - sold)
    print(
        f"bench_checkout: {refused.value} of {CLIENTS * WANTS_PER_CLIENT} scarce orders refused "
        f"(InsufficientStock) on {vendor}",
        file=sys.stderr,
    )
    report("oversold_units", oversold, "units")


if __name__ == "__main__":
    try:
        main()
    finally:
        if SCRATCH_DB:
            drop_postgres(ORIGINAL_URL, SCRATCH_DB)
