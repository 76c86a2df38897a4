"""Stock holds under real concurrency: many buyers at once, parallel edits, double clicks.

These run on PostgreSQL, where the row locks of orders.stock do the work
(``DATABASE_URL=postgres://... pytest tests/orders/test_concurrency.py``). Threads share
nothing but the database: each uses its own connection and closes it when done.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from foodhub.hubs.models import Hub
from orders.checkout.services import (
    AlreadyOrdered,
    InsufficientStock,
    OrderError,
    place_order,
    update_order,
)
from orders.models import Offer, Order, OrderCycle, OrderEvent, PickupSlot
from tests import factories

BUYERS = 50
UNITS = 10

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (set DATABASE_URL=postgres://...): row locks are what is tested",
)
# SQLite's test database is in memory with a shared cache: there a second writer gets
# "database table is locked" at once (shared-cache table locks ignore the busy timeout and
# the IMMEDIATE transaction mode), so racing threads fail instead of queueing. Writers do
# queue on a SQLite *file*: the checkout benchmark (tests/bench/bench_checkout.py) races 16
# threads on one and reports the units oversold.
SQLITE_IN_MEMORY = (
    "SQLite's in-memory shared-cache test database cannot queue concurrent writers "
    "(SQLITE_LOCKED ignores the busy timeout); `make bench` races on a SQLite file instead"
)


def in_parallel(count: int, work) -> list:
    """Run ``work(i)`` in ``count`` threads released at the same instant.

    Returns what each returned or raised, in order.
    """
    barrier = threading.Barrier(count)

    def run(i):
        try:
            barrier.wait(timeout=30)
            return work(i)
        except Exception as error:  # the outcome under test
            return error
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def racing_world(**cycle_fields):
    """An open cycle, ten slots with room for everyone, and a producer.

    Buyers spread over the slots: a slot's row lock (taken to check its capacity) would
    otherwise queue every buyer and hide the stock locks under test.
    """
    cycle = factories.OrderCycleFactory(**cycle_fields)
    pickup = factories.CyclePickupPointFactory(cycle=cycle)
    slots = [
        factories.PickupSlotFactory(
            cycle_pickup=pickup, starts_at=time(8 + n), ends_at=time(9 + n), capacity=1000
        )
        for n in range(10)
    ]
    producer = factories.ProducerFactory()
    return cycle, slots, producer


@pytest.fixture
def world(db):
    return racing_world(hub__order_prefix="LIL")


def offer_of(world, *, stock=UNITS, cap=None, on_demand=False):
    cycle, _slots, producer = world
    variant = factories.VariantFactory(
        product__producer=producer,
        product__name="Fraises gariguette",
        name="barquette 500 g",
        price=Decimal("4.50"),
        stock_mode="on_demand" if on_demand else "counted",
        stock_quantity=stock,
    )
    return factories.OfferFactory(cycle=cycle, variant=variant, stock_cap=cap)


def buy(world, offer, who, quantity=1, slot=0):
    cycle, slots, _producer = world
    return place_order(
        cycle=cycle,
        slot=slots[slot % len(slots)],
        items={offer.pk: quantity},
        email=f"acheteur{who}@example.org",
        full_name=f"Acheteur {who}",
    )


def assert_ten_sold_forty_told(results, offer):
    orders = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, InsufficientStock)]
    others = [r for r in results if not isinstance(r, Order | InsufficientStock)]
    assert others == [], others
    assert len(orders) == UNITS
    assert len(refused) == BUYERS - UNITS
    for error in refused:
        # Told clearly: which product, and that nothing is left.
        assert error.available == {offer.pk: 0}
        assert "Fraises gariguette" in str(error)
    offer = Offer.objects.select_related("variant").get(pk=offer.pk)
    assert offer.allocated == UNITS
    assert Order.objects.filter(cycle=offer.cycle, status__in=Order.LIVE_STATUSES).count() == UNITS
    assert sum(order.lines.get().quantity for order in orders) == UNITS
    assert len({order.number for order in orders}) == UNITS
    return offer


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_fifty_buyers_race_for_ten_units(world):
    offer = offer_of(world, stock=UNITS)

    results = in_parallel(BUYERS, lambda i: buy(world, offer, i, slot=i))

    offer = assert_ten_sold_forty_told(results, offer)
    assert offer.variant.stock_quantity == 0


@pytest.mark.django_db(transaction=True)
def test_fifty_buyers_race_for_ten_units_on_sqlite(world):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only; the test above runs this race on PostgreSQL")
    if connection.is_in_memory_db():
        pytest.skip(SQLITE_IN_MEMORY)
    offer = offer_of(world, stock=UNITS)
    results = in_parallel(BUYERS, lambda i: buy(world, offer, i, slot=i))
    assert assert_ten_sold_forty_told(results, offer).variant.stock_quantity == 0


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_fifty_buyers_race_for_a_capped_offer(world):
    offer = offer_of(world, stock=100, cap=UNITS)

    results = in_parallel(BUYERS, lambda i: buy(world, offer, i, slot=i))

    offer = assert_ten_sold_forty_told(results, offer)
    assert offer.variant.stock_quantity == 100 - UNITS


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_race_for_an_on_demand_offer_with_a_cap(world):
    offer = offer_of(world, stock=0, cap=UNITS, on_demand=True)
    results = in_parallel(BUYERS, lambda i: buy(world, offer, i, slot=i))
    offer = assert_ten_sold_forty_told(results, offer)
    assert offer.variant.stock_quantity == 0


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_buyers_of_several_units_never_oversell(world):
    # 30 buyers of 1, 2 or 3 units for 10 units: whoever gets there first, never more.
    offer = offer_of(world, stock=UNITS)

    results = in_parallel(30, lambda i: buy(world, offer, i, quantity=1 + i % 3, slot=i))

    sold = sum(r.lines.get().quantity for r in results if isinstance(r, Order))
    assert all(isinstance(r, Order | InsufficientStock) for r in results), results
    offer = Offer.objects.select_related("variant").get(pk=offer.pk)
    assert offer.allocated == sold <= UNITS
    assert offer.variant.stock_quantity == UNITS - sold
    # Whoever was refused was told what was left then, never a negative number.
    for error in (r for r in results if isinstance(r, InsufficientStock)):
        assert 0 <= error.available[offer.pk] < 3


def replay(quantity: int, details: list[str]) -> int:
    """Follow the "3→6 Fraises" history of edits from ``quantity``; each must start where
    the previous one ended (a lost update would start again from the old quantity)."""
    for detail in details:
        if detail:  # an edit that changed nothing leaves an empty detail
            before, after = detail.split(" ")[0].split("→")
            assert int(before) == quantity, details
            quantity = int(after)
    return quantity


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_parallel_edits_of_one_order_apply_one_after_the_other(world):
    offer = offer_of(world, stock=UNITS)
    order = buy(world, offer, "edit")
    quantity = 1

    for targets in ([3, 6], [6, 3], [2, 9], [9, 2], [4, 5]):
        seen = OrderEvent.objects.filter(order=order, kind="changed").count()
        results = in_parallel(
            2,
            lambda i, pk=offer.pk, targets=targets: update_order(
                order=order, items={pk: targets[i]}
            ),
        )
        assert all(isinstance(r, Order) for r in results), results

        line = order.lines.get()
        offer = Offer.objects.select_related("variant").get(pk=offer.pk)
        assert line.quantity in targets
        assert offer.allocated == line.quantity
        assert offer.variant.stock_quantity == UNITS - line.quantity
        details = list(
            OrderEvent.objects.filter(order=order, kind="changed")
            .order_by("pk")
            .values_list("detail", flat=True)[seen:]
        )
        assert len(details) == 2
        quantity = replay(quantity, details)
        assert quantity == line.quantity
        order.refresh_from_db()
        assert order.total == line.total == line.unit_price * line.quantity


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_parallel_double_submission_places_one_order(world):
    offer = offer_of(world, stock=UNITS)

    # Each click on its own slot, so that nothing but the order itself can clash.
    results = in_parallel(5, lambda i: buy(world, offer, "double", quantity=2, slot=i))

    orders = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, AlreadyOrdered)]
    assert len(orders) == 1, results
    assert len(refused) == 4, results
    assert {error.order.pk for error in refused} == {orders[0].pk}
    assert Order.objects.count() == 1
    offer = Offer.objects.select_related("variant").get(pk=offer.pk)
    assert offer.allocated == 2
    assert offer.variant.stock_quantity == UNITS - 2


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_parallel_orders_get_consecutive_numbers(world):
    # Different offers and slots: only the hub's number sequence is shared (and created by
    # the first of them).
    offers = [offer_of(world, stock=0, on_demand=True) for _ in range(20)]

    results = in_parallel(20, lambda i: buy(world, offers[i], i, slot=i))

    assert all(isinstance(r, Order) for r in results), results
    year = results[0].number.split("-")[1]
    assert sorted(r.number for r in results) == [f"LIL-{year}-{n:06d}" for n in range(1, 21)]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_thirty_households_race_for_the_five_places_of_a_slot(world):
    cycle, slots, _producer = world
    small = factories.PickupSlotFactory(
        cycle_pickup=slots[0].cycle_pickup, starts_at=time(20), ends_at=time(21), capacity=5
    )
    # One offer each: a shared offer's lock would queue the buyers before the slot.
    offers = [offer_of(world, on_demand=True, stock=0) for _ in range(30)]

    results = in_parallel(
        30,
        lambda i: place_order(
            cycle=cycle,
            slot=small,
            items={offers[i].pk: 1},
            email=f"foyer{i}@example.org",
            full_name=f"Foyer {i}",
        ),
    )

    orders = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, OrderError)]
    assert len(orders) == 5 and len(refused) == 25, results
    assert all("complet" in str(error) or "full" in str(error) for error in refused)
    small.refresh_from_db()
    assert small.booked == small.orders.live().count() == 5
    assert (
        sum(Offer.objects.filter(pk__in=[o.pk for o in offers]).values_list("allocated", flat=True))
        == 5
    )  # the refused took nothing


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_slot_moves_both_ways_and_new_orders_at_once_never_deadlock(world):
    # Moves lock offers then both slots in pk order, like new orders: whatever runs
    # together, everyone waits in the same order, and PostgreSQL never has to kill one.
    # One offer each, so that only the slots are shared and their locks meet.
    offers = [offer_of(world, stock=1000) for _ in range(20)]
    movers = [buy(world, offers[i], f"mover{i}", slot=i % 2) for i in range(10)]
    _cycle, slots, _producer = world

    def work(i):
        if i < len(movers):
            order = movers[i]
            there = slots[1] if order.slot_id == slots[0].pk else slots[0]
            return update_order(order=order, items={offers[i].pk: 2}, slot=there)
        return buy(world, offers[i], f"new{i}", slot=i % 2)

    results = in_parallel(20, work)

    assert [r for r in results if isinstance(r, Exception)] == []
    for slot in PickupSlot.objects.filter(pk__in=[slots[0].pk, slots[1].pk]):
        assert slot.booked == slot.orders.live().count() == 10
    allocated = Offer.objects.filter(pk__in=[o.pk for o in offers]).values_list(
        "allocated", flat=True
    )
    assert sum(allocated) == 10 * 2 + 10


def while_held(hold, other, *, seconds=2):
    """Run ``hold()`` in a transaction kept open, then ``other()`` in a second connection
    with a lock timeout; return what ``other`` returned or raised."""
    held, done = threading.Event(), threading.Event()

    def first(_i):
        with transaction.atomic():
            hold()
            held.set()
            done.wait(timeout=30)

    def second(_i):
        held.wait(timeout=30)
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL lock_timeout = '{seconds}s'")
                return other()
        finally:
            done.set()

    return in_parallel(2, lambda i: (first, second)[i](i))[1]


@postgres_only
@pytest.mark.parametrize("blocked", ["other order", "cycle", "hub"])
@pytest.mark.django_db(transaction=True)
def test_an_edit_in_progress_does_not_lock_the_cycle_or_hub(world, blocked):
    # Another household's order on another offer: only stock of a shared offer may wait.
    offer, their_offer = offer_of(world, stock=UNITS), offer_of(world, stock=UNITS)
    mine, theirs = buy(world, offer, "mine"), buy(world, their_offer, "theirs", slot=1)
    cycle = mine.cycle

    def other():
        if blocked == "other order":
            return update_order(order=theirs, items={their_offer.pk: 2})
        if blocked == "cycle":
            return OrderCycle.objects.filter(pk=cycle.pk).update(message="Livraison en retard")
        return Hub.objects.filter(pk=cycle.hub_id).update(name="Drive fermier de Lille")

    result = while_held(lambda: update_order(order=mine, items={offer.pk: 3}), other)

    assert not isinstance(result, Exception), result


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_edit_in_progress_leaves_other_hubs_alone(world):
    # The control of the test above: the harness does report success when nothing blocks.
    offer = offer_of(world, stock=UNITS)
    mine = buy(world, offer, "mine")
    elsewhere = factories.HubFactory()

    result = while_held(
        lambda: update_order(order=mine, items={offer.pk: 3}),
        lambda: Hub.objects.filter(pk=elsewhere.pk).update(name="Drive de Roubaix"),
    )

    assert result == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_cancelling_a_cycle_waits_for_an_order_being_placed(world):
    # Otherwise the order, placed while the cancellation runs, would stay live in a
    # cancelled cycle.
    from orders.planning.cycles import cancel_cycle

    cycle, _slots, _producer = world
    offer = offer_of(world)
    manager = factories.UserFactory()

    result = while_held(
        lambda: buy(world, offer, "late"),
        lambda: cancel_cycle(cycle=cycle, by=manager, reason="Tempête"),
        seconds=1,
    )

    assert isinstance(result, Exception) and "lock" in str(result).lower(), result
    cycle.refresh_from_db()
    assert cycle.status == OrderCycle.Status.PUBLISHED


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("other", ["order", "message"])
def test_the_hold_an_order_keeps_on_its_cycle_blocks_neither_orders_nor_edits(world, other):
    # Only the hub's order-number row makes orders wait for each other (for a moment).
    from orders.checkout.services import _cycle_for_ordering

    cycle, _slots, _producer = world
    offer = offer_of(world)

    result = while_held(
        lambda: _cycle_for_ordering(cycle.pk),
        lambda: (
            buy(world, offer, "second", slot=1)
            if other == "order"
            else OrderCycle.objects.filter(pk=cycle.pk).update(message="Retard de livraison")
        ),
    )

    assert not isinstance(result, Exception), result


def _ready_draft(hub, *, opens_in, closes_in):
    """A draft of ``hub`` with an offer and a slot: only its dates may stop its publication."""
    now = timezone.now()
    draft = factories.OrderCycleFactory(
        hub=hub, status=OrderCycle.Status.DRAFT, opens_at=now + timedelta(days=opens_in),
        closes_at=now + timedelta(days=closes_in),
    )  # fmt: skip
    factories.OfferFactory(cycle=draft, variant=factories.VariantFactory())
    pickup = factories.CyclePickupPointFactory(cycle=draft)
    factories.PickupSlotFactory(cycle_pickup=pickup)
    return draft


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first_move", ["publish", "move dates"])
def test_two_managers_cannot_both_make_overlapping_cycles_published(first_move):
    """Each checks for an overlap, then publishes: without a lock both would find none
    (neither sees the other's uncommitted change) and both succeed. The hub's row, locked
    by every such use case before its check, makes the second wait, then see the first."""
    from orders.planning.cycles import CycleError, publish_cycle, update_cycle

    hub, manager = factories.HubFactory(), factories.UserFactory()
    second = _ready_draft(hub, opens_in=2, closes_in=5)
    if first_move == "publish":
        first = _ready_draft(hub, opens_in=1, closes_in=4)
    else:  # published, a week after the other: its dates are then moved onto it
        first = publish_cycle(cycle=_ready_draft(hub, opens_in=9, closes_in=12), by=manager)
    held = threading.Event()

    def hold(_i):
        with transaction.atomic():
            if first_move == "publish":
                publish_cycle(cycle=first, by=manager)
            else:
                update_cycle(cycle=first, by=manager, opens_at=second.opens_at,
                             closes_at=second.closes_at)  # fmt: skip
            held.set()
            threading.Event().wait(timeout=1)  # the other would finish, had it not to wait

    def race(_i):
        held.wait(timeout=30)
        return publish_cycle(cycle=second, by=manager)

    results = in_parallel(2, lambda i: (hold, race)[i](i))

    assert results[0] is None
    # Refused, naming the cycle the first manager published (in French: the default).
    assert isinstance(results[1], CycleError) and first.name in str(results[1]), results[1]
    assert OrderCycle.objects.filter(hub=hub, status=OrderCycle.Status.PUBLISHED).count() == 1
