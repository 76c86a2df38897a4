"""For any sequence of place / edit / cancel by a few households, stock and money add up.

A Hypothesis state machine plays households against four small offers and compares the
database, after every step, with a plain model of what should be:

- offer.allocated == the units held by live orders, never above the cycle cap;
- a counted variant's stock + the units held by live orders == its initial stock, never < 0;
- each slot's bookings == its live orders, never more than its capacity;
- every order's totals are the sum of its parts (and what orders.pricing says);
- a request is refused exactly when the model says so, and then changes nothing.

Each example builds its own data inside a transaction that is rolled back at teardown, so
examples do not see each other (and the test stays compatible with pytest-django).
"""

from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Count, Q, Sum
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from orders import pricing
from orders.checkout.services import (
    AlreadyOrdered,
    InsufficientStock,
    OrderError,
    cancel_order,
    place_order,
    update_order,
)
from orders.models import Offer, Order, PickupSlot
from producers.models import Variant
from tests import factories

D = Decimal
HOUSEHOLDS = [f"foyer{n}@example.org" for n in range(4)]
# (name, counted stock or None for on demand, cycle cap or None, price, VAT rate)
OFFERS = [
    ("carottes", 6, None, "2.40", "5.5"),
    ("pommes", 20, 4, "5.90", "5.5"),
    ("pain", None, 5, "4.80", "10.0"),
    ("cidre", 3, 10, "7.35", "20.0"),
]

households = st.integers(min_value=0, max_value=len(HOUSEHOLDS) - 1)
# Mostly small baskets, with an empty line half the time, so that most requests succeed
# and stock runs out only now and then.
quantities = st.one_of(st.just(0), st.integers(min_value=1, max_value=3))
baskets = st.lists(quantities, min_size=len(OFFERS), max_size=len(OFFERS))
# A roomy slot and a small one (room for 2 households), to fill and free.
CAPACITIES = [1000, 2]
slots = st.integers(min_value=0, max_value=len(CAPACITIES) - 1)


class Ordering(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        cycle = factories.OrderCycleFactory(
            fee_percent=D("7.5"), fee_fixed=D("0.40"), fee_vat_rate="20.0"
        )
        self.cycle = cycle
        roomy = factories.PickupSlotFactory(cycle_pickup__cycle=cycle, capacity=CAPACITIES[0])
        self.slots = [roomy] + [
            factories.PickupSlotFactory(
                cycle_pickup=roomy.cycle_pickup,
                starts_at=f"{18 + n}:00",
                ends_at=f"{19 + n}:00",
                capacity=capacity,
            )
            for n, capacity in enumerate(CAPACITIES[1:])
        ]
        producer = factories.ProducerFactory()
        self.offers = []
        self.initial = {}
        self.cap = {}
        for name, stock, cap, price, vat in OFFERS:
            variant = factories.VariantFactory(
                product__producer=producer,
                product__name=name,
                price=D(price),
                vat_rate=vat,
                stock_mode="counted" if stock is not None else "on_demand",
                stock_quantity=stock or 0,
            )
            offer = factories.OfferFactory(cycle=cycle, variant=variant, stock_cap=cap)
            self.offers.append(offer)
            self.initial[offer.pk] = stock
            self.cap[offer.pk] = cap
        # The model: each household's live basket {offer id: quantity}, and its order.
        self.live: dict[int, dict[int, int]] = {}
        self.slot_of: dict[int, int] = {}  # the slot of each live order
        self.orders: dict[int, Order] = {}

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # The model's view of what is left.

    def held(self, offer_id: int, *, besides: int | None = None) -> int:
        return sum(basket.get(offer_id, 0) for who, basket in self.live.items() if who != besides)

    def left(self, offer_id: int, *, besides: int | None = None) -> int | None:
        """Units a household may hold of an offer, counting what it already holds."""
        limits = [
            limit - self.held(offer_id, besides=besides)
            for limit in (self.initial[offer_id], self.cap[offer_id])
            if limit is not None
        ]
        return min(limits) if limits else None

    def basket(self, quantities) -> dict[int, int]:
        return {offer.pk: qty for offer, qty in zip(self.offers, quantities, strict=True)}

    def expected_shortages(self, wanted, *, who) -> dict[int, int]:
        """{offer id: what the error should say is left} for each line that cannot be had."""
        mine = self.live.get(who, {})
        shortages = {}
        for offer_id, qty in wanted.items():
            left = self.left(offer_id, besides=who)
            if left is not None and qty > left:
                shortages[offer_id] = left - mine.get(offer_id, 0)
        return shortages

    def full(self, where: int, *, who) -> bool:
        """Whether the slot has no room for ``who`` (who keeps its own place)."""
        others = [w for w, slot in self.slot_of.items() if slot == where and w != who]
        return len(others) >= CAPACITIES[where]

    # Steps.

    @rule(who=households, quantities=baskets, where=slots)
    def place(self, who, quantities, where):
        wanted = {k: v for k, v in self.basket(quantities).items() if v}
        try:
            order = place_order(
                cycle=self.cycle,
                slot=self.slots[where],
                items=self.basket(quantities),
                email=HOUSEHOLDS[who],
                full_name=f"Foyer {who}",
            )
        except AlreadyOrdered as error:
            assert who in self.live and wanted
            assert error.order.pk == self.orders[who].pk
            return
        except InsufficientStock as error:
            assert who not in self.live
            assert error.available == self.expected_shortages(wanted, who=who)
            return
        except OrderError:
            # An empty basket (checked before anything else), or a full slot.
            assert not wanted or (who not in self.live and self.full(where, who=who))
            return
        assert who not in self.live, "a second live order for the same household"
        assert wanted and not self.expected_shortages(wanted, who=who)
        assert not self.full(where, who=who)
        self.live[who] = wanted
        self.slot_of[who] = where
        self.orders[who] = order

    @rule(who=households, quantities=baskets, where=st.one_of(st.none(), slots))
    def edit(self, who, quantities, where):
        if who not in self.orders:
            return
        wanted = {k: v for k, v in self.basket(quantities).items() if v}
        moving = where is not None and who in self.live and where != self.slot_of[who]
        try:
            update_order(
                order=self.orders[who],
                items=self.basket(quantities),
                slot=None if where is None else self.slots[where],
            )
        except InsufficientStock as error:
            assert who in self.live
            assert error.available == self.expected_shortages(wanted, who=who)
            return
        except OrderError:
            assert who not in self.live or not wanted or (moving and self.full(where, who=who))
            return
        assert who in self.live and wanted
        assert not self.expected_shortages(wanted, who=who)
        assert not (moving and self.full(where, who=who))
        self.live[who] = wanted
        if where is not None:
            self.slot_of[who] = where

    @rule(who=households)
    def cancel(self, who):
        if who not in self.orders:
            return
        order = cancel_order(order=self.orders[who])
        assert order.status == Order.Status.CANCELLED
        self.live.pop(who, None)
        self.slot_of.pop(who, None)

    # What must hold after every step.

    # Each invariant reads the database in one query or two: they run after every step.

    @invariant()
    def stock_adds_up(self):
        offers = (
            Offer.objects.filter(cycle=self.cycle)
            .select_related("variant")
            .annotate(
                live_lines=Sum(
                    "lines__quantity",
                    filter=Q(lines__order__status__in=Order.LIVE_STATUSES),
                    default=0,
                )
            )
        )
        for offer in offers:
            held = self.held(offer.pk)
            live_lines = offer.live_lines
            assert offer.allocated == live_lines == held
            if self.cap[offer.pk] is not None:
                assert offer.allocated <= self.cap[offer.pk]
            initial = self.initial[offer.pk]
            if initial is not None:
                assert offer.variant.stock_quantity >= 0
                assert offer.variant.stock_quantity + live_lines == initial
            else:
                assert offer.variant.stock_quantity == 0  # on demand: untouched
        assert Variant.objects.filter(stock_quantity__lt=0).count() == 0

    @invariant()
    def slots_add_up(self):
        found = PickupSlot.objects.annotate(
            live=Count("orders", filter=Q(orders__status__in=Order.LIVE_STATUSES))
        ).in_bulk([slot.pk for slot in self.slots])
        for where, slot in enumerate(self.slots):
            slot = found[slot.pk]
            live = slot.live
            expected = sum(1 for w in self.slot_of.values() if w == where)
            assert slot.booked == live == expected
            assert slot.booked <= slot.capacity

    @invariant()
    def orders_add_up(self):
        orders = Order.objects.filter(cycle=self.cycle).prefetch_related("lines")
        live = {order.email: order for order in orders if order.is_live}
        assert sorted(live) == sorted(HOUSEHOLDS[who] for who in self.live)
        for order in orders:
            lines = list(order.lines.all())
            for line in lines:
                assert line.quantity > 0
                assert line.total == line.unit_price * line.quantity
            if order.is_live:
                who = HOUSEHOLDS.index(order.email)
                assert {line.offer_id: line.quantity for line in lines} == self.live[who]
            assert order.goods_total == sum((line.total for line in lines), D("0"))
            assert order.total == order.goods_total + order.fee_total
            amounts = pricing.price_order(
                [pricing.LineInput(ln.unit_price, ln.vat_rate, ln.quantity) for ln in lines],
                fee_percent=self.cycle.fee_percent,
                fee_fixed=self.cycle.fee_fixed,
                fee_vat_rate=self.cycle.fee_vat_rate_decimal,
            )
            assert (order.goods_total, order.fee_total, order.total) == (
                amounts.goods_total,
                amounts.fee_total,
                amounts.total,
            )


@pytest.mark.django_db
def test_any_sequence_of_place_edit_cancel_keeps_stock_and_totals_right():
    run_state_machine_as_test(
        Ordering,
        # Half the profile's examples (tests/conftest.py): 50 in CI, 15 by default.
        settings=settings(
            max_examples=settings().max_examples // 2, stateful_step_count=25, deadline=None
        ),
    )
