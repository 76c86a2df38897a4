"""Placing, changing and cancelling orders through orders.checkout.services.

The ``offers`` fixture: carrots (10 in stock, 2.40 €), apples (100 in stock but capped at 5
this cycle, 5.90 €) and bread (on demand, 4.80 €, 5.5 %).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from orders import pricing
from orders.checkout.services import (
    AlreadyOrdered,
    InsufficientStock,
    OrderError,
    cancel_order,
    check_quantities,
    next_order_number,
    place_order,
    record_payment,
    update_order,
)
from orders.models import (
    Offer,
    Order,
    OrderCycle,
    OrderEvent,
    OrderLine,
    OrderNumberSequence,
    Payment,
    PickupSlot,
)
from producers.models import Variant
from tests import factories
from tests.factories import place

D = Decimal
EMAIL = "voisin@example.org"


def ids(items):
    return {offer.pk: qty for offer, qty in items.items()}


def stock_of(offer) -> tuple[int, int]:
    """(units allocated in the cycle, units left in the producer's stock)."""
    offer = Offer.objects.select_related("variant").get(pk=offer.pk)
    return offer.allocated, offer.variant.stock_quantity


def snapshot():
    """Everything an order can write, to prove that a refused request wrote nothing."""
    return (
        list(Offer.objects.order_by("pk").values_list("pk", "allocated")),
        list(Variant.objects.order_by("pk").values_list("pk", "stock_quantity")),
        list(PickupSlot.objects.order_by("pk").values_list("pk", "booked")),
        Order.objects.count(),
        OrderLine.objects.count(),
        OrderEvent.objects.count(),
        Payment.objects.count(),
        list(OrderNumberSequence.objects.values_list("hub", "year", "last")),
    )


@pytest.fixture
def other_cycle(hub):
    return factories.OrderCycleFactory(hub=hub, name="Semaine 49")


@pytest.fixture
def order(cycle, slot, offers):
    return place(cycle, slot, {offers["carrots"]: 3, offers["apples"]: 2})


# Placing an order: stock, snapshot, totals.


def test_placing_an_order_takes_stock_from_the_cycle_and_the_producer(cycle, slot, offers):
    place(cycle, slot, {offers["carrots"]: 3, offers["apples"]: 2, offers["bread"]: 4})

    assert stock_of(offers["carrots"]) == (3, 7)
    assert stock_of(offers["apples"]) == (2, 98)
    # On demand: counted in the cycle, the producer's (unused) stock is left alone.
    assert stock_of(offers["bread"]) == (4, 0)


def test_order_lines_snapshot_names_prices_and_vat(cycle, slot, offers):
    order = place(cycle, slot, {offers["carrots"]: 3, offers["bread"]: 2})

    carrots, bread = order.lines.order_by("product_name")
    assert (carrots.product_name, carrots.variant_name) == ("Carottes", "botte 1 kg")
    assert carrots.producer_name == "Ferme du Mélantois"
    assert (carrots.unit_price, carrots.quantity, carrots.total) == (D("2.40"), 3, D("7.20"))
    assert carrots.vat_rate == D("5.5")
    assert (bread.unit_price, bread.quantity, bread.total) == (D("4.80"), 2, D("9.60"))
    assert carrots.offer == offers["carrots"]
    assert carrots.variant == offers["carrots"].variant
    assert carrots.producer == offers["carrots"].variant.product.producer


def test_order_totals_are_computed_by_the_server(cycle, slot, offers):
    cycle.fee_percent, cycle.fee_fixed, cycle.fee_vat_rate = D("5"), D("0.50"), "20.0"
    cycle.save()

    order = place(cycle, slot, {offers["carrots"]: 3, offers["apples"]: 2, offers["bread"]: 1})

    # goods 7.20 + 11.80 + 4.80 = 23.80; fee 5 % = 1.19, + 0.50 = 1.69; total 25.49
    order.refresh_from_db()
    assert order.goods_total == D("23.80")
    assert order.fee_total == D("1.69")
    assert order.total == D("25.49")
    expected = pricing.price_order(
        [pricing.LineInput(ln.unit_price, ln.vat_rate, ln.quantity) for ln in order.lines.all()],
        fee_percent=D("5"),
        fee_fixed=D("0.50"),
        fee_vat_rate=D("20.0"),
    )
    assert order.total == expected.total == order.goods_total + order.fee_total


def test_pay_at_pickup_order_is_placed_at_once(cycle, slot, offers, household):
    order = place(cycle, slot, {offers["carrots"]: 1}, email="", user=household)

    assert order.status == Order.Status.PLACED
    assert order.payment_method == Order.PaymentMethod.AT_PICKUP
    # An account's order is in the account's e-mail, whatever the form said.
    assert order.email == household.email
    assert order.user == household
    assert order.cycle_pickup == slot.cycle_pickup


def test_email_is_matched_without_case_or_spaces(cycle, slot, offers):
    order = place(cycle, slot, {offers["carrots"]: 1}, email="  Voisin@Example.ORG ")
    assert order.email == EMAIL


def test_on_demand_variants_are_unlimited(cycle, slot, offers):
    for n in range(3):
        place(cycle, slot, {offers["bread"]: 999}, email=f"foyer{n}@example.org")
    assert stock_of(offers["bread"]) == (2997, 0)


def test_on_demand_variant_still_obeys_the_cycle_cap(cycle, slot, offers):
    bread = offers["bread"]
    bread.stock_cap = 4
    bread.save()
    place(cycle, slot, {bread: 3})
    with pytest.raises(InsufficientStock) as error:
        place(cycle, slot, {bread: 2}, email="autre@example.org")
    assert error.value.available == {bread.pk: 1}


# Per-cycle cap and shortages: what is left, and nothing written.


def test_cycle_cap_limits_sales_even_with_stock_left(cycle, slot, offers):
    apples = offers["apples"]
    place(cycle, slot, {apples: 5})
    assert stock_of(apples) == (5, 95)

    with pytest.raises(InsufficientStock) as error:
        place(cycle, slot, {apples: 1}, email="autre@example.org")
    assert error.value.available == {apples.pk: 0}
    assert "sold out" in str(error.value) or "épuisé" in str(error.value)
    assert stock_of(apples) == (5, 95)


def test_shortage_says_what_is_left_and_writes_nothing(cycle, slot, offers):
    before = snapshot()

    with pytest.raises(InsufficientStock) as error:
        place(cycle, slot, {offers["carrots"]: 11})

    (shortage,) = error.value.shortages
    assert (shortage.offer_id, shortage.requested, shortage.available) == (
        offers["carrots"].pk,
        11,
        10,
    )
    assert "Carottes" in str(error.value)
    assert "10" in str(error.value)
    assert snapshot() == before
    assert not Order.objects.exists()


def test_one_short_line_refuses_the_whole_order(cycle, slot, offers):
    before = snapshot()

    with pytest.raises(InsufficientStock) as error:
        place(cycle, slot, {offers["carrots"]: 2, offers["apples"]: 6, offers["bread"]: 1})

    assert error.value.available == {offers["apples"].pk: 5}
    assert snapshot() == before
    assert stock_of(offers["carrots"]) == (0, 10)


def test_every_short_line_is_reported(cycle, slot, offers):
    with pytest.raises(InsufficientStock) as error:
        place(cycle, slot, {offers["carrots"]: 12, offers["apples"]: 9})
    assert error.value.available == {offers["carrots"].pk: 10, offers["apples"].pk: 5}


def test_a_variant_taken_off_sale_is_sold_out(cycle, slot, offers):
    variant = offers["carrots"].variant
    variant.is_active = False
    variant.save()
    with pytest.raises(InsufficientStock) as error:
        place(cycle, slot, {offers["carrots"]: 1})
    assert error.value.available == {offers["carrots"].pk: 0}


# Bad input (issue 3): each refused with a message, nothing written.


@pytest.mark.parametrize(
    "quantity",
    [
        "-1",
        -3,
        "1.5",
        "1,5",
        1.5,
        "0.5",
        "abc",
        "",
        "   ",
        None,
        "1e3",
        "0x10",
        "+-1",
        "1 000",
        "1000",
        1000,
        10**12,
        "999999999999999999999",
        # Quantities that look numeric but are not.
        "--1",
        "²",
        "9" * 5000,
    ],
)
def test_bad_quantities_are_refused_and_nothing_is_written(cycle, slot, offers, quantity):
    before = snapshot()
    with pytest.raises(OrderError) as error:
        place_order(
            cycle=cycle,
            slot=slot,
            items={offers["carrots"].pk: quantity},
            email=EMAIL,
            full_name="Alex",
        )
    assert str(error.value)
    assert not isinstance(error.value, InsufficientStock)
    assert snapshot() == before


def test_check_quantities_keeps_clean_whole_numbers():
    assert check_quantities({"3": " 2 ", 4: 0, "5": "999"}) == {3: 2, 4: 0, 5: 999}


def test_zero_quantity_alone_is_an_empty_basket(cycle, slot, offers):
    with pytest.raises(OrderError, match="empty|vide"):
        place(cycle, slot, {offers["carrots"]: 0})
    assert not Order.objects.exists()


def test_zero_quantity_next_to_others_is_left_out(cycle, slot, offers):
    order = place(cycle, slot, {offers["carrots"]: 0, offers["apples"]: 1})
    assert [line.offer_id for line in order.lines.all()] == [offers["apples"].pk]
    assert stock_of(offers["carrots"]) == (0, 10)


def test_offer_of_another_cycle_of_the_hub_is_refused(cycle, slot, offers, other_cycle):
    elsewhere = factories.OfferFactory(cycle=other_cycle, variant=offers["carrots"].variant)
    before = snapshot()
    with pytest.raises(OrderError):
        place(cycle, slot, {offers["apples"]: 1, elsewhere: 1})
    assert snapshot() == before


def test_offer_of_another_hub_is_refused(cycle, slot, offers):
    foreign = factories.OfferFactory()  # its own cycle of its own hub
    before = snapshot()
    with pytest.raises(OrderError):
        place(cycle, slot, {foreign: 1})
    assert snapshot() == before


@pytest.mark.parametrize("offer_id", [999_999, "abc", "", None, "price", "1.5"])
def test_tampered_offer_ids_are_refused(cycle, slot, offers, offer_id):
    before = snapshot()
    with pytest.raises(OrderError):
        place_order(cycle=cycle, slot=slot, items={offer_id: 1}, email=EMAIL, full_name="Alex")
    assert snapshot() == before


def test_closed_cycle_refuses_orders_even_if_no_scheduler_ran(cycle, slot, offers):
    before = snapshot()
    with (
        time_machine.travel(cycle.closes_at + timedelta(seconds=1), tick=False),
        pytest.raises(OrderError, match="closed|clos"),
    ):
        place(cycle, slot, {offers["carrots"]: 1})
    cycle.refresh_from_db()
    assert cycle.status == OrderCycle.Status.PUBLISHED  # nothing ran at closes_at
    assert snapshot() == before


def test_closed_cycle_refuses_changes_and_cancellation(cycle, slot, offers, order):
    before = snapshot()
    with time_machine.travel(cycle.closes_at, tick=False):
        with pytest.raises(OrderError):
            update_order(order=order, items=ids({offers["carrots"]: 1}))
        with pytest.raises(OrderError):
            cancel_order(order=order)
    assert snapshot() == before


def test_manager_may_still_cancel_after_close(cycle, slot, offers, order, manager):
    with time_machine.travel(cycle.closes_at + timedelta(days=1), tick=False):
        cancel_order(order=order, by=manager, force=True, reason="Ferme inondée")
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert stock_of(offers["carrots"]) == (0, 10)


def test_cycle_not_open_yet_refuses_orders(hub, offers, slot, cycle):
    cycle.opens_at = timezone.now() + timedelta(hours=1)
    cycle.save()
    with pytest.raises(OrderError, match="not open|pas encore"):
        place(cycle, slot, {offers["carrots"]: 1})
    assert not Order.objects.exists()


@pytest.mark.parametrize("status", [OrderCycle.Status.CANCELLED, OrderCycle.Status.DRAFT])
def test_cancelled_and_draft_cycles_refuse_orders(cycle, slot, offers, status):
    cycle.status = status
    cycle.save()
    before = snapshot()
    with pytest.raises(OrderError):
        place(cycle, slot, {offers["carrots"]: 1})
    assert snapshot() == before


def test_full_slot_is_refused_until_someone_cancels(cycle, slot, offers):
    slot.capacity = 1
    slot.save()
    first = place(cycle, slot, {offers["carrots"]: 1})
    before = snapshot()

    with pytest.raises(OrderError, match="full|complet"):
        place(cycle, slot, {offers["carrots"]: 1}, email="autre@example.org")
    assert snapshot() == before

    cancel_order(order=first)
    place(cycle, slot, {offers["carrots"]: 1}, email="autre@example.org")


def booked(slot) -> int:
    slot.refresh_from_db(fields=["booked"])
    return slot.booked


def test_slot_bookings_follow_placing_moving_and_cancelling(cycle, slot, offers):
    late = factories.PickupSlotFactory(
        cycle_pickup=slot.cycle_pickup, starts_at="19:30", ends_at="20:30", capacity=2
    )
    first = place(cycle, slot, {offers["carrots"]: 1})
    second = place(cycle, slot, {offers["bread"]: 1}, email="autre@example.org")
    assert (booked(slot), booked(late)) == (2, 0)

    update_order(order=first, items=ids({offers["carrots"]: 2}), slot=late)
    assert (booked(slot), booked(late)) == (1, 1)
    update_order(order=first, items=ids({offers["carrots"]: 1}))  # same slot: no move
    assert (booked(slot), booked(late)) == (1, 1)

    cancel_order(order=first)
    cancel_order(order=first)  # cancelling twice gives the place back once
    cancel_order(order=second)
    assert (booked(slot), booked(late)) == (0, 0)


def test_lowering_a_capacity_below_the_bookings_keeps_every_order(cycle, slot, offers):
    first = place(cycle, slot, {offers["carrots"]: 1})
    place(cycle, slot, {offers["bread"]: 1}, email="autre@example.org")
    slot.capacity = 1  # the manager makes the slot smaller afterwards
    slot.save()

    with pytest.raises(OrderError, match="full|complet"):
        place(cycle, slot, {offers["bread"]: 1}, email="troisieme@example.org")
    update_order(order=first, items=ids({offers["carrots"]: 2}), slot=slot)  # still fine
    cancel_order(order=first)
    assert booked(slot) == 1
    with pytest.raises(OrderError, match="full|complet"):  # 1 household for 1 place
        place(cycle, slot, {offers["bread"]: 1}, email="troisieme@example.org")


def test_saving_an_offer_or_slot_read_earlier_keeps_the_counts(cycle, slot, offers):
    # A manager's page (or the admin) read these before a household ordered.
    stale_offer = Offer.objects.get(pk=offers["carrots"].pk)
    stale_slot = PickupSlot.objects.get(pk=slot.pk)
    place(cycle, slot, {offers["carrots"]: 3})

    stale_offer.price = D("2.50")
    stale_offer.save()
    stale_slot.capacity = 40
    stale_slot.save()

    assert stock_of(offers["carrots"]) == (3, 7)
    assert booked(slot) == 1
    assert Offer.objects.get(pk=stale_offer.pk).price == D("2.50")
    assert PickupSlot.objects.get(pk=slot.pk).capacity == 40


def test_counters_keep_the_usual_ways_of_saving(cycle, slot):
    copy = PickupSlot.objects.get(pk=slot.pk)
    copy.pk = None  # the usual copy idiom still inserts a new row
    copy.save()
    assert PickupSlot.objects.count() == 2
    chosen = PickupSlot(
        pk=10_000, cycle_pickup=slot.cycle_pickup, starts_at="20:00", ends_at="21:00", booked=0
    )
    chosen.save()  # a new row with a chosen id is inserted, not an UPDATE of nothing
    assert PickupSlot.objects.filter(pk=10_000).exists()


def test_recounting_corrects_wrong_slot_bookings(cycle, slot, offers):
    from io import StringIO

    from django.core.management import call_command

    place(cycle, slot, {offers["carrots"]: 1})
    PickupSlot.objects.update(booked=7)  # gone wrong somehow
    out = StringIO()

    call_command("recount_slot_bookings", stdout=out)

    assert booked(slot) == 1
    assert "7 -> 1" in out.getvalue() and "1 slot(s) corrected" in out.getvalue()


def test_the_migration_counts_the_live_orders_of_each_slot(cycle, slot, offers):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("orders.migrations.0002_slot_booked")
    place(cycle, slot, {offers["carrots"]: 1})
    cancel_order(order=place(cycle, slot, {offers["bread"]: 1}, email="autre@example.org"))
    place(cycle, slot, {offers["bread"]: 1}, email="troisieme@example.org")
    PickupSlot.objects.update(booked=0)  # as before the migration

    migration.count_bookings(apps, None)

    assert booked(slot) == 2


def test_slot_of_another_cycle_is_refused(cycle, slot, offers, other_cycle, pickup_point):
    foreign_slot = factories.PickupSlotFactory(
        cycle_pickup=factories.CyclePickupPointFactory(cycle=other_cycle, pickup_point=pickup_point)
    )
    before = snapshot()
    with pytest.raises(OrderError):
        place(cycle, foreign_slot, {offers["carrots"]: 1})
    assert snapshot() == before


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"payment_method": "bitcoin"}, ""),
        ({"payment_method": Order.PaymentMethod.CARD}, ""),  # the hub has no Stripe keys
        ({"full_name": "  "}, ""),
        ({"email": ""}, ""),
    ],
)
def test_missing_or_tampered_checkout_fields_are_refused(cycle, slot, offers, kwargs, match):
    before = snapshot()
    with pytest.raises(OrderError):
        place(cycle, slot, {offers["carrots"]: 1}, **kwargs)
    assert snapshot() == before


# One live order per household and cycle.


def test_double_submission_gives_one_order(cycle, slot, offers):
    first = place(cycle, slot, {offers["carrots"]: 2})

    with pytest.raises(AlreadyOrdered) as error:
        place(cycle, slot, {offers["carrots"]: 2}, email=EMAIL.upper())

    assert error.value.order == first
    # Whoever typed the address may not be the household: the message names no order.
    assert first.number not in str(error.value)
    assert Order.objects.count() == 1
    assert stock_of(offers["carrots"]) == (2, 8)


def test_a_new_order_is_allowed_after_cancelling(cycle, slot, offers):
    first = place(cycle, slot, {offers["carrots"]: 2})
    cancel_order(order=first)

    second = place(cycle, slot, {offers["carrots"]: 4})

    assert second.pk != first.pk
    assert Order.objects.filter(status__in=Order.LIVE_STATUSES).get() == second
    assert Order.objects.count() == 2
    assert stock_of(offers["carrots"]) == (4, 6)


def test_same_household_may_order_in_another_cycle(cycle, slot, offers, other_cycle):
    place(cycle, slot, {offers["carrots"]: 1})
    other_slot = factories.PickupSlotFactory(cycle_pickup__cycle=other_cycle)
    other_offer = factories.OfferFactory(cycle=other_cycle, variant=offers["carrots"].variant)
    place(other_cycle, other_slot, {other_offer: 1})
    assert Order.objects.filter(email=EMAIL).count() == 2
    # Both cycles draw from the same producer stock.
    assert stock_of(offers["carrots"]) == (1, 8)


# Order numbers.


def test_order_numbers_are_sequential_per_hub(hub, cycle, slot, offers, other_cycle):
    hub.order_prefix = "LIL"
    hub.save()
    year = timezone.localdate().year

    numbers = [
        place(cycle, slot, {offers["bread"]: 1}, email=f"foyer{n}@example.org").number
        for n in range(3)
    ]
    other_slot = factories.PickupSlotFactory(cycle_pickup__cycle=other_cycle)
    bread = factories.OfferFactory(cycle=other_cycle, variant=offers["bread"].variant)
    numbers.append(place(other_cycle, other_slot, {bread: 1}).number)

    assert numbers == [f"LIL-{year}-{n:06d}" for n in (1, 2, 3, 4)]

    roubaix = factories.HubFactory(order_prefix="RBX")
    foreign = factories.OfferFactory(cycle__hub=roubaix)
    foreign_slot = factories.PickupSlotFactory(cycle_pickup__cycle=foreign.cycle)
    assert place(foreign.cycle, foreign_slot, {foreign: 1}).number == f"RBX-{year}-000001"


def test_order_numbers_restart_each_year(hub, cycle):
    hub.order_prefix = "LIL"
    hub.save()
    first = next_order_number(cycle, now=timezone.now().replace(year=2030))
    second = next_order_number(cycle, now=timezone.now().replace(year=2030))
    assert (first, second) == ("LIL-2030-000001", "LIL-2030-000002")
    assert next_order_number(cycle, now=timezone.now().replace(year=2031)) == "LIL-2031-000001"


def test_refused_order_does_not_use_a_number(hub, cycle, slot, offers):
    hub.order_prefix = "LIL"
    hub.save()
    with pytest.raises(InsufficientStock):
        place(cycle, slot, {offers["carrots"]: 50})
    order = place(cycle, slot, {offers["carrots"]: 1})
    assert order.number.endswith("-000001")


# Snapshot: later price changes do not touch placed orders.


def test_changing_the_offer_price_later_does_not_change_the_order(cycle, slot, offers, order):
    carrots = offers["carrots"]
    carrots.price = D("9.99")
    carrots.save()
    variant = carrots.variant
    variant.price, variant.vat_rate = D("8.88"), "20.0"
    variant.save()
    variant.product.name = "Carottes nouvelles"
    variant.product.save()

    order.refresh_from_db()
    line = order.lines.get(offer=carrots)
    assert (line.unit_price, line.vat_rate, line.total) == (D("2.40"), D("5.5"), D("7.20"))
    assert line.product_name == "Carottes"
    assert order.total == D("7.20") + D("11.80")

    # Changing the quantity keeps the price the household agreed to; a new item is at
    # today's price.
    order = update_order(
        order=order, items=ids({carrots: 4, offers["apples"]: 2, offers["bread"]: 1})
    )
    line = order.lines.get(offer=carrots)
    assert (line.unit_price, line.total) == (D("2.40"), D("9.60"))
    order.refresh_from_db()
    assert order.total == D("9.60") + D("11.80") + D("4.80")


# Changing an order.


def test_update_moves_stock_both_ways(cycle, slot, offers, order):
    carrots, apples, bread = offers["carrots"], offers["apples"], offers["bread"]

    update_order(order=order, items=ids({carrots: 5, apples: 2}))
    assert stock_of(carrots) == (5, 5)

    update_order(order=order, items=ids({carrots: 1, apples: 0, bread: 2}))
    assert stock_of(carrots) == (1, 9)
    assert stock_of(apples) == (0, 100)
    assert stock_of(bread) == (2, 0)

    order.refresh_from_db()
    assert {line.offer_id: line.quantity for line in order.lines.all()} == {
        carrots.pk: 1,
        bread.pk: 2,
    }
    assert order.goods_total == D("2.40") + D("9.60")
    assert order.total == order.goods_total + order.fee_total


def test_items_left_out_of_an_update_are_removed(cycle, slot, offers, order):
    update_order(order=order, items=ids({offers["carrots"]: 3}))
    assert stock_of(offers["apples"]) == (0, 100)
    assert list(order.lines.values_list("offer_id", flat=True)) == [offers["carrots"].pk]


def test_update_shortage_changes_nothing(cycle, slot, offers, order):
    place(cycle, slot, {offers["carrots"]: 6}, email="autre@example.org")
    before = snapshot()

    with pytest.raises(InsufficientStock) as error:
        update_order(order=order, items=ids({offers["carrots"]: 5, offers["apples"]: 2}))

    # 10 − 3 (this order) − 6 (the other) = 1 more can be taken.
    assert error.value.available == {offers["carrots"].pk: 1}
    assert snapshot() == before
    assert order.lines.get(offer=offers["carrots"]).quantity == 3


@pytest.mark.parametrize("quantity", ["-1", "1.5", "abc", "1000", 10**9])
def test_update_with_bad_quantities_changes_nothing(cycle, slot, offers, order, quantity):
    before = snapshot()
    with pytest.raises(OrderError):
        update_order(order=order, items={offers["carrots"].pk: quantity})
    assert snapshot() == before


def test_update_to_nothing_is_refused(cycle, slot, offers, order):
    before = snapshot()
    with pytest.raises(OrderError, match="cancel|annul"):
        update_order(order=order, items=ids({offers["carrots"]: 0, offers["apples"]: 0}))
    assert snapshot() == before


def test_update_with_an_offer_of_another_cycle_is_refused(offers, order, other_cycle):
    elsewhere = factories.OfferFactory(cycle=other_cycle)
    before = snapshot()
    with pytest.raises(OrderError):
        update_order(order=order, items=ids({offers["carrots"]: 3, elsewhere: 1}))
    assert snapshot() == before


def test_update_changes_the_slot_when_it_has_room(cycle, slot, offers, order, pickup_point):
    late = factories.PickupSlotFactory(
        cycle_pickup=slot.cycle_pickup, starts_at="19:30", ends_at="20:30", capacity=1
    )
    update_order(order=order, items=ids({offers["carrots"]: 3}), slot=late, note=" Porte B ")
    order.refresh_from_db()
    assert (order.slot, order.cycle_pickup, order.note) == (late, slot.cycle_pickup, "Porte B")

    # Now full, for someone else.
    other = place(cycle, slot, {offers["bread"]: 1}, email="autre@example.org")
    with pytest.raises(OrderError, match="full|complet"):
        update_order(order=other, items=ids({offers["bread"]: 1}), slot=late)
    # Keeping one's own slot is always possible, even when it is full.
    update_order(order=order, items=ids({offers["carrots"]: 2}), slot=late)


def test_update_to_a_slot_of_another_cycle_is_refused(offers, order, other_cycle):
    foreign_slot = factories.PickupSlotFactory(cycle_pickup__cycle=other_cycle)
    before = snapshot()
    with pytest.raises(OrderError):
        update_order(order=order, items=ids({offers["carrots"]: 4}), slot=foreign_slot)
    assert snapshot() == before


def test_cancelled_order_cannot_be_changed(offers, order):
    cancel_order(order=order)
    before = snapshot()
    with pytest.raises(OrderError):
        update_order(order=order, items=ids({offers["carrots"]: 1}))
    assert snapshot() == before


# Cancelling: kept, stock back.


def test_cancelling_gives_the_stock_back_and_keeps_the_order(offers, order, household):
    cancel_order(order=order, by=household, reason="En vacances")

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert order.cancelled_at is not None
    assert order.lines.count() == 2  # what was ordered stays readable
    assert stock_of(offers["carrots"]) == (0, 10)
    assert stock_of(offers["apples"]) == (0, 100)
    event = order.events.last()
    assert (event.kind, event.by, event.detail) == ("cancelled", household, "En vacances")


def test_cancelling_twice_gives_the_stock_back_once(offers, order):
    place(order.cycle, order.slot, {offers["carrots"]: 4}, email="autre@example.org")
    cancel_order(order=order)
    cancel_order(order=order)
    assert stock_of(offers["carrots"]) == (4, 6)
    assert order.events.filter(kind="cancelled").count() == 1


def test_on_demand_stock_is_given_back_to_the_cycle_only(cycle, slot, offers):
    order = place(cycle, slot, {offers["bread"]: 3})
    cancel_order(order=order)
    assert stock_of(offers["bread"]) == (0, 0)


# History and e-mails.


def test_order_history_records_who_did_what(cycle, slot, offers, household, manager):
    order = place(cycle, slot, {offers["carrots"]: 1}, user=household)
    update_order(order=order, items=ids({offers["carrots"]: 2}), by=household)
    record_payment(order=order, method="cash", amount="4,80", by=manager)
    cancel_order(order=order, by=manager)

    events = list(order.events.values_list("kind", "by"))
    assert events == [
        ("placed", household.pk),
        ("changed", household.pk),
        ("payment", manager.pk),
        ("cancelled", manager.pk),
    ]
    assert "1→2" in order.events.get(kind="changed").detail


def test_emails_leave_once_after_commit(
    cycle, slot, offers, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order = place(cycle, slot, {offers["carrots"]: 2})
        assert mailoutbox == []  # not before the commit
    assert len(callbacks) == 1
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [EMAIL]
    assert order.number in mailoutbox[0].subject

    with django_capture_on_commit_callbacks(execute=True):
        update_order(order=order, items=ids({offers["carrots"]: 3}))
    assert len(mailoutbox) == 2
    assert order.number in mailoutbox[1].subject

    with django_capture_on_commit_callbacks(execute=True):
        cancel_order(order=order)
        cancel_order(order=order)  # a second click sends nothing more
    assert len(mailoutbox) == 3
    assert order.number in mailoutbox[2].subject
    assert len({message.subject for message in mailoutbox}) == 3


def test_refused_order_sends_no_email(
    cycle, slot, offers, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(InsufficientStock),
    ):
        place(cycle, slot, {offers["carrots"]: 11})
    assert callbacks == []
    assert mailoutbox == []


# Payments recorded by a manager.


def test_record_payment_at_pickup(order, manager):
    payment = record_payment(order=order, method="cheque", amount=" 19,00 ", by=manager)
    assert (payment.amount, payment.status, payment.recorded_by) == (
        D("19.00"),
        Payment.Status.SUCCEEDED,
        manager,
    )
    assert order.events.filter(kind="payment").count() == 1


@pytest.mark.parametrize(
    "amount",
    [
        "0",
        "0,00",
        "0.004",
        "-5",
        "-0,01",
        "abc",
        "",
        "  ",
        None,
        "12,5,0",
        "1.234,50",
        "Infinity",
        "-Infinity",
        "sNaN",
        "1e999999",
        "100000.01",
        D("-1"),
    ],
)
def test_record_payment_refuses_bad_amounts(order, manager, amount):
    with pytest.raises(OrderError):
        record_payment(order=order, method="cash", amount=amount, by=manager)
    assert not Payment.objects.exists()


@pytest.mark.parametrize("amount", ["NaN", "nan", "-NaN"])
def test_record_payment_refuses_not_a_number(order, manager, amount):
    with pytest.raises(OrderError):
        record_payment(order=order, method="cash", amount=amount, by=manager)
    assert not Payment.objects.exists()


@pytest.mark.parametrize("method", ["card", "bitcoin", ""])
def test_record_payment_refuses_other_methods(order, manager, method):
    with pytest.raises(OrderError):
        record_payment(order=order, method=method, amount="5", by=manager)
    assert not Payment.objects.exists()


def test_record_payment_refuses_a_cancelled_order(order, manager):
    cancel_order(order=order)
    with pytest.raises(OrderError):
        record_payment(order=order, method="cash", amount="5", by=manager)
    assert not Payment.objects.exists()
