"""Closing a big cycle, as the worker's tick does, on generated data.

A cycle with 10,000 orders (4 lines each) from 60 producers and 8 pickup points is closed
by ``orders.worker.scheduler.close_cycle`` in a fresh process, then every e-mail it owes is sent
(to the locmem backend): 60 producers with their pick list PDF, 10,000 households.

BENCH close_cycle_s        from the claim to the last e-mail sent (goal <= 15 s)
BENCH close_cycle_peak_mb  that process's peak memory (goal <= 300 MB)
BENCH close_emails         e-mails sent (a check, not a speed)
"""

import os
import random
import resource
import subprocess
import sys
import time
from datetime import time as clock
from datetime import timedelta
from decimal import Decimal

from tests.bench._setup import migrate, offer_at_their_price, random_lines, report

ORDERS = 10_000
PRODUCERS = 60
POINTS = 8
LINES_PER_ORDER = 4


def build_world() -> int:
    from django.utils import timezone

    from foodhub.accounts.models import User
    from foodhub.hubs.models import Hub, HubMembership
    from orders.models import CyclePickupPoint, Order, OrderCycle, OrderLine, PickupSlot
    from pickup_points.models import PickupPoint
    from producers.models import Category, Producer, Product, Variant

    rng = random.Random(5)
    now = timezone.now()
    hub = Hub.objects.create(name="Drive du banc d'essai", slug="bench-close", order_prefix="BCL")
    manager = User.objects.create(email="gestion@bench.example.org", full_name="Gestion")
    HubMembership.objects.create(hub=hub, user=manager)
    cycle = OrderCycle.objects.create(
        hub=hub, name="Semaine de test", opens_at=now - timedelta(days=7),
        closes_at=now - timedelta(minutes=1), status=OrderCycle.Status.PUBLISHED,
        opened_at=now - timedelta(days=7),
    )  # fmt: skip
    category = Category.objects.create(name="Banc", slug="bench-close")
    producers = Producer.objects.bulk_create(
        Producer(name=f"Ferme n°{n}", slug=f"bench-close-{n}", email=f"ferme{n}@example.org")
        for n in range(PRODUCERS)
    )
    products = Product.objects.bulk_create(
        Product(producer=p, name=f"Légume d’hiver n°{n}", category=category)
        for p in producers
        for n in range(3)
    )
    variants = Variant.objects.bulk_create(
        Variant(product=product, name="1 kg", unit="kg", price=Decimal("2.35"),
                stock_quantity=10**6)
        for product in products
    )  # fmt: skip
    offers = offer_at_their_price(cycle, variants)
    slots = []
    for n in range(POINTS):
        point = PickupPoint.objects.create(
            name=f"Tiers-lieu n°{n}", slug=f"bench-close-{n}", address="1 rue de Lille"
        )
        point.hubs.add(hub)
        pickup = CyclePickupPoint.objects.create(
            cycle=cycle, pickup_point=point, pickup_date=timezone.localdate(now) + timedelta(days=2)
        )
        slots.extend(
            PickupSlot.objects.create(cycle_pickup=pickup, starts_at=clock(17 + s),
                                      ends_at=clock(18 + s), capacity=1000)
            for s in range(2)
        )  # fmt: skip
    orders = Order.objects.bulk_create(
        (
            Order(
                cycle=cycle, number=f"BCL-2026-{n + 1:06d}", email=f"foyer{n}@example.org",
                full_name=f"Foyer n°{n}", cycle_pickup_id=slots[n % len(slots)].cycle_pickup_id,
                slot=slots[n % len(slots)], total=Decimal("23.50"),
                goods_total=Decimal("23.50"),
            )
            for n in range(ORDERS)
        ),
        batch_size=2000,
    )  # fmt: skip
    OrderLine.objects.bulk_create(
        random_lines(orders, offers, rng, LINES_PER_ORDER), batch_size=5000
    )
    return cycle.pk


def child(cycle_pk: int) -> None:
    """In a fresh interpreter: close the cycle and send its e-mails; print 'seconds peak_mb
    sent'."""
    from django.core import mail

    from orders import outbox
    from orders.worker import scheduler

    mail.outbox = []
    start = time.perf_counter()
    assert scheduler.close_cycle(cycle_pk)
    outbox.send_due()
    elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{elapsed:.3f} {peak_mb:.1f} {len(mail.outbox)}")


def main():
    migrate()
    cycle_pk = build_world()
    env = {**os.environ, "BENCH_DATABASE_URL": os.environ["DATABASE_URL"]}
    out = subprocess.run(
        [sys.executable, "-m", "tests.bench.bench_close_cycle", "--child", str(cycle_pk)],
        env=env, check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    seconds, peak, sent = float(out[-3]), float(out[-2]), int(out[-1])
    expected = ORDERS + PRODUCERS
    if sent != expected:
        sys.exit(f"bench_close_cycle: {sent} e-mails sent, {expected} expected")
    report("close_cycle_s", seconds, "s")
    report("close_cycle_peak_mb", peak, "MB")
    report("close_emails", sent, "e-mails")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(int(sys.argv[2]))
    else:
        main()
