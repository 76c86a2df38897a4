"""Weekly baskets: the household's use cases, placing them when a cycle opens, charging a
saved card at close, saving the card (SetupIntent webhook), and the pages.

The ``offers`` fixture: carrots (10 in stock, 2.40 €), apples (capped at 5 this cycle,
5.90 €) and bread (on demand, 4.80 €), in ``cycle``, open now (since two days). ``slot`` is
17:00–19:30 at ``pickup_point``, for 50 households.
"""

import json
from datetime import time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.urls import clear_url_caches, reverse
from django.utils import timezone, translation

from orders import clock, outbox
from orders.checkout import services
from orders.models import (
    Customer,
    Order,
    OrderEvent,
    OutgoingEmail,
    Payment,
    PaymentAnomaly,
    PickupSlot,
    StripeEvent,
    WeeklyBasket,
    WeeklyBasketRun,
)
from orders.money import payments, stripe_api
from orders.sms.services import set_sms_choices
from orders.stock import Shortage
from orders.weekly_baskets import weekly
from producers.models import Variant
from tests import factories
from tests.orders.test_stripe_payments import WEBHOOK_SECRET, FakeStripe, NoNetwork, _event, _post

pytestmark = pytest.mark.django_db

D = Decimal
Run = WeeklyBasketRun.Status


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    monkeypatch.setattr(stripe_api, "HTTP_CLIENT", NoNetwork())


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are checked in English (the French ones elsewhere): English is made the
    default, so pages, addresses and the worker's e-mails are English."""
    clear_url_caches()  # addresses are cached per language, with or without a prefix
    settings.LANGUAGE_CODE = "en"
    translation.activate("en")
    yield
    clear_url_caches()


def make_basket(household, hub, pickup_point, lines, **kwargs):
    kwargs.setdefault("slot_starts_at", time(17, 0))
    return weekly.create_basket(
        user=household,
        hub=hub,
        pickup_point=pickup_point,
        lines={offer.variant: qty for offer, qty in lines.items()},
        **kwargs,
    )


def household_order(household, cycle, slot, items, **kwargs):
    """An order the household (Camille Foyer) placed, logged in: ``items`` maps offers to
    quantities."""
    return factories.place(
        cycle, slot, items, email=household.email, full_name="Camille Foyer", user=household,
        **kwargs,
    )  # fmt: skip


def pay_by_saved_card(hub, basket, card):
    """The hub takes cards, and the basket pays with the card saved as ``card`` (its
    payment method's id)."""
    hub.accepts_card_payments = True
    hub.save()
    WeeklyBasket.objects.filter(pk=basket.pk).update(
        payment_method="card", stripe_customer_id="cus_1", stripe_payment_method_id=card
    )


def owed(kind="weekly_basket_placed"):
    return list(OutgoingEmail.objects.filter(kind=kind).order_by("pk"))


def send_owed():
    outbox.send_due()
    return mail.outbox


@pytest.fixture
def basket(household, hub, pickup_point, offers, slot):
    return make_basket(household, hub, pickup_point, {offers["carrots"]: 2, offers["bread"]: 1})


# Setting a basket up


def test_a_basket_is_created_with_its_lines(basket, household, hub, pickup_point, offers):
    assert basket.user == household
    assert basket.status == WeeklyBasket.Status.ACTIVE
    assert basket.full_name == "Camille Foyer"
    assert dict(basket.lines.values_list("variant", "quantity")) == {
        offers["carrots"].variant_id: 2,
        offers["bread"].variant_id: 1,
    }


@pytest.mark.parametrize(
    "lines, message",
    [
        ({}, "at least one product"),
        ({"carrots": -1}, "cannot be negative"),
        ({"carrots": 1000}, "999"),
        ({"carrots": "deux"}, "whole number"),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_written(
    household, hub, pickup_point, offers, lines, message
):
    with pytest.raises(weekly.WeeklyBasketError, match=message):
        weekly.create_basket(
            user=household,
            hub=hub,
            pickup_point=pickup_point,
            lines={offers[name].variant: qty for name, qty in lines.items()},
        )
    assert not WeeklyBasket.objects.exists()


def test_products_not_sold_at_the_hub_and_foreign_points_are_refused(
    household, hub, pickup_point, offers, other_producer
):
    def create(**terms):
        terms = {"pickup_point": pickup_point, "lines": {offers["carrots"].variant: 1}, **terms}
        return weekly.create_basket(user=household, hub=hub, **terms)

    elsewhere = factories.VariantFactory(product__producer=other_producer)
    with pytest.raises(weekly.WeeklyBasketError, match="not sold at this hub"):
        create(lines={elsewhere: 1})
    with pytest.raises(weekly.WeeklyBasketError, match="pickup point"):
        create(pickup_point=factories.PickupPointFactory())
    with pytest.raises(weekly.WeeklyBasketError, match="card payments"):
        create(payment_method=Order.PaymentMethod.CARD)
    assert not WeeklyBasket.objects.exists()


def test_one_live_basket_per_household_and_hub(basket, household, hub, pickup_point, offers):
    with pytest.raises(weekly.WeeklyBasketError, match="already have a weekly basket"):
        make_basket(household, hub, pickup_point, {offers["apples"]: 1})
    assert WeeklyBasket.objects.count() == 1

    weekly.cancel(basket, household)
    again = make_basket(household, hub, pickup_point, {offers["apples"]: 1})
    assert again.status == WeeklyBasket.Status.ACTIVE


def test_basket_from_an_order_copies_its_lines_pickup_and_slot(
    household, cycle, slot, offers, pickup_point
):
    order = household_order(
        household, cycle, slot, {offers["carrots"]: 3, offers["apples"]: 1}, phone="0612345678"
    )
    basket = weekly.basket_from_order(order, household)

    assert basket.created_from == order
    assert basket.pickup_point == pickup_point
    assert basket.slot_starts_at == time(17, 0)
    assert basket.payment_method == Order.PaymentMethod.AT_PICKUP
    assert basket.phone == "0612345678"
    assert dict(basket.lines.values_list("variant", "quantity")) == {
        offers["carrots"].variant_id: 3,
        offers["apples"].variant_id: 1,
    }


def test_only_the_orders_household_may_repeat_it(household, cycle, slot, offers):
    order = household_order(household, cycle, slot, {offers["carrots"]: 1})
    stranger = factories.UserFactory()
    with pytest.raises(weekly.WeeklyBasketError):
        weekly.basket_from_order(order, stranger)
    services.cancel_order(order=order)
    order.refresh_from_db()
    with pytest.raises(weekly.WeeklyBasketError, match="cancelled"):
        weekly.basket_from_order(order, household)
    assert not WeeklyBasket.objects.exists()


def test_only_the_household_may_change_its_basket(basket, offers):
    stranger = factories.UserFactory()
    for action in (
        lambda: weekly.set_lines(basket, {offers["apples"].variant: 1}, stranger),
        lambda: weekly.skip_week(basket, stranger),
        lambda: weekly.pause(basket, stranger, timezone.localdate() + timedelta(days=9)),
        lambda: weekly.resume(basket, stranger),
        lambda: weekly.cancel(basket, stranger),
    ):
        with pytest.raises(weekly.WeeklyBasketError, match="not yours"):
            action()
    basket.refresh_from_db()
    assert basket.status == WeeklyBasket.Status.ACTIVE
    assert basket.lines.count() == 2
    assert not basket.skips.exists()


def test_set_lines_replaces_them(basket, household, offers):
    weekly.set_lines(basket, {offers["apples"].variant.pk: "4"}, household)
    assert dict(basket.lines.values_list("variant", "quantity")) == {offers["apples"].variant_id: 4}
    with pytest.raises(weekly.WeeklyBasketError):
        weekly.set_lines(basket, {offers["apples"].variant.pk: 0}, household)
    assert basket.lines.count() == 1


def test_pause_must_end_in_the_future(basket, household):
    today = timezone.localdate()
    for until in (today, today - timedelta(days=3)):
        with pytest.raises(weekly.WeeklyBasketError, match="after today"):
            weekly.pause(basket, household, until)
    basket.refresh_from_db()
    assert basket.status == WeeklyBasket.Status.ACTIVE

    weekly.pause(basket, household, today + timedelta(days=10))
    basket.refresh_from_db()
    assert basket.status == WeeklyBasket.Status.PAUSED
    assert weekly.is_paused(basket)
    weekly.resume(basket, household)
    basket.refresh_from_db()
    assert basket.status == WeeklyBasket.Status.ACTIVE
    assert basket.paused_until is None


def test_a_cancelled_basket_cannot_be_changed(basket, household, offers):
    weekly.cancel(basket, household)
    with pytest.raises(weekly.WeeklyBasketError, match="was cancelled"):
        weekly.set_lines(basket, {offers["apples"].variant: 1}, household)


def test_skip_next_week_is_the_week_of_the_next_cycle_not_yet_opened(
    basket, household, hub, cycle, pickup_point, offers
):
    cycle.opened_at = timezone.now()
    cycle.save()
    later = factories.coming_cycle(hub, pickup_point, [offers["carrots"].variant], days=9)

    week = weekly.skip_week(basket, household)

    assert week == weekly.week_of(later)
    assert week.weekday() == 0
    assert list(basket.skips.values_list("week", flat=True)) == [week]
    weekly.skip_week(basket, household)  # twice: still one
    assert basket.skips.count() == 1
    assert weekly.unskip_week(basket, household) == week
    assert not basket.skips.exists()


def test_without_a_coming_cycle_next_week_is_next_monday(basket, cycle):
    cycle.opened_at = timezone.now()
    cycle.save()
    monday = clock.monday_of(timezone.localdate()) + timedelta(weeks=1)
    assert weekly.next_week(basket) == monday


# Placing the baskets when a cycle opens


def test_a_full_basket_is_placed_as_a_normal_order(basket, household, cycle, slot, offers):
    counts = weekly.place_baskets(cycle)

    assert counts[Run.PLACED] == 1
    run = WeeklyBasketRun.objects.get()
    order = run.order
    assert run.status == Run.PLACED
    assert run.problems == []
    assert order.weekly_basket == basket
    assert order.user == household
    assert order.email == household.email
    assert order.status == Order.Status.PLACED
    assert order.slot == slot
    assert order.total == D("9.60")
    assert {line.offer_id: line.quantity for line in order.lines.all()} == {
        offers["carrots"].pk: 2,
        offers["bread"].pk: 1,
    }
    offers["carrots"].refresh_from_db()
    assert offers["carrots"].allocated == 2
    slot.refresh_from_db()
    assert slot.booked == 1
    [email] = owed()
    assert email.key == f"basket:{run.pk}"
    assert email.to == household.email

    [message] = send_owed()
    assert message.to == [household.email]
    assert message.subject == "Your weekly basket at Drive fermier de Lille is ordered"
    assert "2 × Carottes — botte 1 kg" in message.body
    assert order.get_secret_url() in message.body
    assert order.number in message.body


def test_what_is_short_or_unavailable_is_left_out_and_said_exactly(
    household, hub, cycle, slot, offers, producer, pickup_point
):
    not_offered = factories.VariantFactory(product__producer=producer, product__name="Miel")
    off_sale = factories.VariantFactory(product__producer=producer, product__name="Poireaux")
    sold_out = factories.VariantFactory(
        product__producer=producer, product__name="Oignons", stock_quantity=0
    )
    factories.OfferFactory(cycle=cycle, variant=off_sale)
    factories.OfferFactory(cycle=cycle, variant=sold_out)
    basket = weekly.create_basket(
        user=household,
        hub=hub,
        pickup_point=pickup_point,
        lines={
            offers["carrots"].variant: 12,  # 10 in stock
            offers["apples"].variant: 2,
            not_offered: 1,
            off_sale: 3,
            sold_out: 2,
        },
    )
    Variant.objects.filter(pk=off_sale.pk).update(is_active=False)

    counts = weekly.place_baskets(cycle)

    assert counts[Run.PARTIAL] == 1
    run = WeeklyBasketRun.objects.get(basket=basket)
    assert run.status == Run.PARTIAL
    assert sorted(run.problems, key=lambda p: p["name"]) == [
        {"name": "Carottes — botte 1 kg", "wanted": 12, "placed": 10, "reason": "short"},
        {"name": "Miel — 1 kg", "wanted": 1, "placed": 0, "reason": "not_offered"},
        {"name": "Oignons — 1 kg", "wanted": 2, "placed": 0, "reason": "sold_out"},
        {"name": "Poireaux — 1 kg", "wanted": 3, "placed": 0, "reason": "off_sale"},
    ]
    assert {line.offer_id: line.quantity for line in run.order.lines.all()} == {
        offers["carrots"].pk: 10,
        offers["apples"].pk: 2,
    }
    [message] = send_owed()
    assert "with items left out" in message.subject
    assert "- Carottes — botte 1 kg: 12 wanted, 10 ordered (not enough left)" in message.body
    assert "- Miel — 1 kg: 1 wanted, 0 ordered (not on sale this week)" in message.body
    assert "- Oignons — 1 kg: 2 wanted, 0 ordered (sold out)" in message.body
    assert "- Poireaux — 1 kg: 3 wanted, 0 ordered (no longer sold)" in message.body
    assert "- 10 × Carottes — botte 1 kg" in message.body


def test_nothing_available_is_not_placed_and_the_household_is_told(
    household, hub, cycle, slot, producer, pickup_point
):
    variant = factories.VariantFactory(product__producer=producer, product__name="Miel")
    basket = weekly.create_basket(
        user=household, hub=hub, pickup_point=pickup_point, lines={variant: 2}
    )

    counts = weekly.place_baskets(cycle)

    assert counts[Run.NOT_PLACED] == 1
    run = WeeklyBasketRun.objects.get(basket=basket)
    assert run.status == Run.NOT_PLACED
    assert run.reason == "nothing_available"
    assert run.order is None
    assert not Order.objects.exists()
    [message] = send_owed()
    assert "could not be ordered" in message.subject
    assert "None of the basket's products is available this week." in message.body
    assert "- Miel — 1 kg: 2 wanted, 0 ordered (not on sale this week)" in message.body
    assert "http://" in message.body and "/lille/" in message.body  # the shop


def test_a_skipped_week_gives_a_skipped_run_and_no_order(basket, household, cycle, slot):
    assert weekly.skip_week(basket, household) == weekly.week_of(cycle)

    counts = weekly.place_baskets(cycle)

    assert counts[Run.SKIPPED] == 1
    assert WeeklyBasketRun.objects.get().status == Run.SKIPPED
    assert not Order.objects.exists()
    assert owed() == []


def test_a_paused_basket_waits_until_its_date_then_comes_back(
    basket, household, hub, cycle, slot, offers, pickup_point
):
    later = factories.coming_cycle(hub, pickup_point, [offers["carrots"].variant], days=6)
    weekly.pause(basket, household, timezone.localdate(later.opens_at))

    assert weekly.place_baskets(cycle)[Run.PLACED] == 0
    assert not WeeklyBasketRun.objects.exists()

    with time_machine.travel(later.opens_at + timedelta(minutes=1)):
        counts = weekly.place_baskets(later)

    assert counts[Run.PARTIAL] == 1  # the bread is not offered in the later cycle
    run = WeeklyBasketRun.objects.get()
    assert run.cycle == later
    assert run.problems == [
        {"name": "Pain de campagne — 1 kg", "wanted": 1, "placed": 0, "reason": "not_offered"}
    ]


def test_a_basket_paused_beyond_the_cycle_is_left_alone(basket, household, cycle, slot):
    weekly.pause(basket, household, timezone.localdate() + timedelta(days=1))
    assert weekly.place_baskets(cycle) == dict.fromkeys(Run.values, 0)
    assert not Order.objects.exists()


def test_a_cancelled_basket_is_ignored(basket, household, cycle, slot):
    weekly.cancel(basket, household)
    assert weekly.place_baskets(cycle) == dict.fromkeys(Run.values, 0)
    assert not WeeklyBasketRun.objects.exists()
    assert not Order.objects.exists()


def test_a_basket_cancelled_or_skipped_while_being_placed_is_not_placed(
    basket, household, cycle, slot
):
    # The tick read the basket as active, then the household cancelled it.
    WeeklyBasket.objects.filter(pk=basket.pk).update(status=WeeklyBasket.Status.CANCELLED)
    assert weekly._run(basket, cycle, skipped=False, now=timezone.now()) == ""
    assert not WeeklyBasketRun.objects.exists() and not Order.objects.exists()
    # Or skipped this week at that very moment.
    WeeklyBasket.objects.filter(pk=basket.pk).update(status=WeeklyBasket.Status.ACTIVE)
    basket.skips.create(week=weekly.week_of(cycle))
    assert weekly._run(basket, cycle, skipped=False, now=timezone.now()) == Run.SKIPPED
    assert not Order.objects.exists()


def test_placing_twice_places_once_and_owes_one_email(basket, cycle, slot, offers):
    first = weekly.place_baskets(cycle)
    second = weekly.place_baskets(cycle)

    assert first[Run.PLACED] == 1
    assert second == dict.fromkeys(Run.values, 0)
    assert Order.objects.count() == 1
    assert WeeklyBasketRun.objects.count() == 1
    assert len(owed()) == 1
    offers["carrots"].refresh_from_db()
    assert offers["carrots"].allocated == 2


def test_a_run_another_worker_holds_is_skipped(basket, cycle, slot):
    WeeklyBasketRun.objects.create(basket=basket, cycle=cycle, status=Run.PENDING)
    assert weekly.place_baskets(cycle) == dict.fromkeys(Run.values, 0)
    assert not Order.objects.exists()


def test_a_worker_that_finds_the_run_taken_after_reading_the_baskets_moves_on(basket, cycle, slot):
    # Two workers read the same baskets; the second one's run hits the unique constraint.
    WeeklyBasketRun.objects.create(basket=basket, cycle=cycle, status=Run.PENDING)
    assert weekly._run(basket, cycle, skipped=False, now=timezone.now()) == ""
    assert not Order.objects.exists()
    assert WeeklyBasketRun.objects.get().status == Run.PENDING


def test_a_household_that_already_ordered_is_not_placed_again(
    basket, household, cycle, slot, offers
):
    mine = household_order(household, cycle, slot, {offers["apples"]: 1}, notify=False)

    counts = weekly.place_baskets(cycle)

    assert counts[Run.NOT_PLACED] == 1
    run = WeeklyBasketRun.objects.get()
    assert run.reason == "already_ordered"
    assert list(Order.objects.all()) == [mine]
    [message] = send_owed()
    assert "The household had already ordered in this cycle." in message.body


def test_a_basket_created_after_the_cycle_opened_waits_for_the_next(
    household, hub, cycle, slot, offers, pickup_point
):
    cycle.opened_at = timezone.now() - timedelta(hours=1)
    cycle.save()
    make_basket(household, hub, pickup_point, {offers["carrots"]: 1})
    assert weekly.place_baskets(cycle)[Run.PLACED] == 0
    assert not WeeklyBasketRun.objects.exists()


def test_stock_taken_meanwhile_is_retried_with_what_is_left(
    basket, cycle, slot, offers, monkeypatch
):
    real_place_order = services.place_order
    calls = []

    def someone_else_buys_first(**kwargs):
        if not calls:  # between our reading of the stock and our order
            Variant.objects.filter(pk=offers["carrots"].variant_id).update(stock_quantity=1)
        calls.append(kwargs["items"])
        return real_place_order(**kwargs)

    monkeypatch.setattr(weekly.services, "place_order", someone_else_buys_first)

    weekly.place_baskets(cycle)

    assert calls == [
        {offers["carrots"].pk: 2, offers["bread"].pk: 1},
        {offers["carrots"].pk: 1, offers["bread"].pk: 1},
    ]
    run = WeeklyBasketRun.objects.get()
    assert run.status == Run.PARTIAL
    assert run.problems == [
        {"name": "Carottes — botte 1 kg", "wanted": 2, "placed": 1, "reason": "short"}
    ]


def test_stock_that_keeps_moving_gives_up_with_a_reason(basket, cycle, slot, offers, monkeypatch):
    def always_short(**kwargs):
        offer_id = offers["carrots"].pk
        raise services.InsufficientStock(
            [Shortage(offer_id, "Carottes", 2, kwargs["items"][offer_id])]
            if offer_id in kwargs["items"]
            else []
        )

    monkeypatch.setattr(weekly.services, "place_order", always_short)

    weekly.place_baskets(cycle)

    run = WeeklyBasketRun.objects.get()
    assert run.status == Run.NOT_PLACED
    assert run.reason == "stock_moving"
    assert not Order.objects.exists()


def test_the_slot_is_the_preferred_one_else_the_nearest_with_room(
    household, hub, cycle, slot, offers, pickup_point
):
    cycle_pickup = slot.cycle_pickup
    early = factories.PickupSlotFactory(
        cycle_pickup=cycle_pickup, starts_at=time(10, 0), ends_at=time(12, 0)
    )
    evening = factories.PickupSlotFactory(
        cycle_pickup=cycle_pickup, starts_at=time(19, 0), ends_at=time(20, 0), capacity=1
    )
    PickupSlot.objects.filter(pk=evening.pk).update(booked=1)  # full
    basket = make_basket(
        household, hub, pickup_point, {offers["bread"]: 1}, slot_starts_at=time(19, 0)
    )

    weekly.place_baskets(cycle)

    assert basket.orders.get().slot == slot  # 17:00 is nearer to 19:00 than 10:00
    assert early.pk != slot.pk


def test_a_point_not_served_or_full_is_not_placed_with_the_reason(
    household, hub, cycle, slot, offers, pickup_point
):
    other_point = factories.PickupPointFactory(name="Le Bocal")
    other_point.hubs.add(hub)
    away = make_basket(household, hub, other_point, {offers["bread"]: 1})
    neighbour = factories.UserFactory()
    full = make_basket(neighbour, hub, pickup_point, {offers["bread"]: 1})
    PickupSlot.objects.filter(pk=slot.pk).update(booked=50)

    weekly.place_baskets(cycle)

    assert WeeklyBasketRun.objects.get(basket=away).reason == "not_served"
    assert WeeklyBasketRun.objects.get(basket=full).reason == "slots_full"
    assert not Order.objects.exists()
    bodies = [message.body for message in send_owed()]
    assert any("The pickup point is not served by this cycle." in body for body in bodies)
    assert any("Every pickup slot at the pickup point is full." in body for body in bodies)


def test_a_card_basket_is_placed_without_waiting_for_a_browser_payment(
    basket, hub, cycle, slot, settings
):
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
    pay_by_saved_card(hub, basket, "pm_1")

    weekly.place_baskets(cycle)

    order = Order.objects.get()
    assert order.payment_method == Order.PaymentMethod.CARD
    assert order.status == Order.Status.PLACED
    assert not order.payments.exists()


def test_a_card_basket_without_a_saved_card_is_paid_at_pickup(basket, hub, cycle, slot, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
    hub.accepts_card_payments = True
    hub.save()
    WeeklyBasket.objects.filter(pk=basket.pk).update(payment_method="card")

    weekly.place_baskets(cycle)

    assert Order.objects.get().payment_method == Order.PaymentMethod.AT_PICKUP
    assert owed()[0].params["card_not_used"] is True
    [message] = send_owed()
    assert "Your card could not be used for this order" in message.body


def test_one_basket_that_crashes_does_not_stop_the_others(
    basket, hub, cycle, slot, offers, pickup_point, monkeypatch
):
    neighbour = factories.UserFactory()
    other = make_basket(neighbour, hub, pickup_point, {offers["bread"]: 1})
    real_place = weekly._place

    def boom(b, *args, **kwargs):
        if b.pk == basket.pk:
            raise RuntimeError("bug")
        return real_place(b, *args, **kwargs)

    monkeypatch.setattr(weekly, "_place", boom)

    counts = weekly.place_baskets(cycle)

    assert counts[Run.NOT_PLACED] == 1
    assert counts[Run.PLACED] == 1
    assert WeeklyBasketRun.objects.get(basket=basket).reason == "error"
    assert other.orders.count() == 1
    assert len(owed()) == 2


def test_placing_many_baskets_is_bounded_per_basket(
    hub, cycle, slot, offers, pickup_point, django_assert_max_num_queries
):
    for _n in range(20):
        make_basket(factories.UserFactory(), hub, pickup_point, {offers["bread"]: 1})
    # 29 a basket: each of these households' first order also makes its customer record
    # (two queries, orders.customers); 28 before customers existed.
    with django_assert_max_num_queries(10 + 20 * 29):
        counts = weekly.place_baskets(cycle)
    assert counts[Run.PLACED] == 20


# The edited order keeps its basket, and is never asked for a card payment before close


def test_a_card_basket_order_edited_before_close_asks_for_no_payment(
    basket, card_basket_order, offers, fake_weekly_stripe, django_capture_on_commit_callbacks
):
    order = card_basket_order
    with django_capture_on_commit_callbacks(execute=True):
        services.update_order(order=order, items={offers["carrots"].pk: 3})

    assert fake_weekly_stripe.posts("/v1/payment_intents") == []
    order.refresh_from_db()
    assert order.weekly_basket_id == basket.pk


# Charging the saved card at close


class WeeklyFakeStripe(FakeStripe):
    """The fake Stripe, plus customers, SetupIntents, payment methods and off-session
    charges: the payment method's id says what the bank does (``pm_ok`` pays)."""

    def request(self, method, url, headers, post_data=None):
        body, status, response_headers = super().request(method, url, headers, post_data)
        if status == 400 and json.loads(body)["error"].get("type") == "card_error":
            status = 402
        return body, status, response_headers

    def _route(self, method, path, params):
        segments = path.strip("/").split("/")[1:]
        if segments == ["customers"] and method == "post":
            return {"id": f"cus_{next(self.ids)}", "object": "customer", "email": params["email"]}
        if segments == ["setup_intents"] and method == "post":
            intent_id = f"seti_{next(self.ids)}"
            intent = {
                "id": intent_id,
                "object": "setup_intent",
                "status": "requires_payment_method",
                "client_secret": f"{intent_id}_secret_{next(self.ids)}",
                "customer": params["customer"],
                "usage": params["usage"],
                "payment_method": None,
                "metadata": {"weekly_basket": params["metadata[weekly_basket]"]},
            }
            self.intents[intent_id] = intent
            return intent
        if segments[0] == "setup_intents" and len(segments) == 2:
            return self.intents[segments[1]]
        if segments[0] == "payment_methods" and len(segments) == 2:
            return {
                "id": segments[1],
                "object": "payment_method",
                "type": "card",
                "card": {"brand": "visa", "last4": "4242", "exp_month": 4, "exp_year": 2031},
            }
        if segments == ["payment_intents"] and params.get("confirm") == "true":
            intent = super()._route(method, path, params)
            intent.update(customer=params["customer"], payment_method=params["payment_method"])
            outcome = params["payment_method"]
            if outcome == "pm_ok":
                intent.update(status="succeeded", amount_received=intent["amount"])
            elif outcome == "pm_requires_action":
                intent.update(status="requires_action")
            elif outcome == "pm_gone":
                return {
                    "error": {
                        "type": "invalid_request_error",
                        "code": "resource_missing",
                        "message": "No such PaymentMethod: 'pm_gone'",
                    }
                }
            else:
                code = "authentication_required" if outcome == "pm_auth" else "card_declined"
                intent.update(status="requires_payment_method")
                return {
                    "error": {
                        "type": "card_error",
                        "code": code,
                        "message": "Your card was declined.",
                        "payment_intent": intent,
                    }
                }
            return intent
        return super()._route(method, path, params)


@pytest.fixture
def fake_weekly_stripe(monkeypatch, settings, db):
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    fake = WeeklyFakeStripe()  # fails the test if Stripe is called inside a transaction
    monkeypatch.setattr(stripe_api, "HTTP_CLIENT", fake)
    yield fake
    assert fake.inside_transaction == []


@pytest.fixture
def card_basket_order(basket, hub, cycle, slot, fake_weekly_stripe):
    """The basket's order in ``cycle``, 9,60 €, to be charged on the saved card ``pm_ok``."""
    pay_by_saved_card(hub, basket, "pm_ok")
    weekly.place_baskets(cycle)
    return Order.objects.get()


def set_card(order, payment_method_id):
    WeeklyBasket.objects.filter(pk=order.weekly_basket_id).update(
        stripe_payment_method_id=payment_method_id
    )


def test_the_saved_card_is_charged_off_session_at_close(
    card_basket_order, fake_weekly_stripe, cycle
):
    assert list(weekly.orders_to_charge(cycle)) == [card_basket_order]
    assert weekly.charge_at_close(card_basket_order) is True

    [create] = fake_weekly_stripe.posts("/v1/payment_intents")
    params = create["params"]
    assert params["amount"] == "960"
    assert params["confirm"] == "true"
    assert params["off_session"] == "true"
    assert params["customer"] == "cus_1"
    assert params["payment_method"] == "pm_ok"
    assert create["headers"]["Idempotency-Key"].startswith(f"foodhub-{card_basket_order.pk}-")
    payment = card_basket_order.payments.get()
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.amount == D("9.60")
    assert services.paid_amount(card_basket_order) == D("9.60")


def test_stripe_is_never_called_inside_a_transaction(
    card_basket_order, fake_weekly_stripe, monkeypatch
):
    """On SQLite a transaction holds the write lock of the whole database: a slow Stripe
    must not hold up every other hub's checkout."""
    from django.db import connection

    outside = len(connection.atomic_blocks)  # the test's own transaction
    depths = []
    request = fake_weekly_stripe.request

    def watched(*args, **kwargs):
        depths.append(len(connection.atomic_blocks))
        return request(*args, **kwargs)

    monkeypatch.setattr(fake_weekly_stripe, "request", watched)
    assert weekly.charge_at_close(card_basket_order) is True
    assert depths and set(depths) == {outside}


def test_charging_twice_charges_once(card_basket_order, fake_weekly_stripe):
    assert weekly.charge_at_close(card_basket_order) is True
    assert weekly.charge_at_close(card_basket_order) is True

    assert len(fake_weekly_stripe.posts("/v1/payment_intents")) == 1
    assert card_basket_order.payments.count() == 1


def test_a_charge_whose_row_was_lost_is_found_again_by_its_key(
    card_basket_order, fake_weekly_stripe
):
    weekly.charge_at_close(card_basket_order)
    card_basket_order.payments.all().delete()  # as if we had crashed before writing it

    assert weekly.charge_at_close(card_basket_order) is True

    assert len(fake_weekly_stripe.intents) == 1
    assert card_basket_order.payments.get().status == Payment.Status.SUCCEEDED


def test_the_webhook_after_the_charge_does_not_count_it_twice(
    client, card_basket_order, fake_weekly_stripe
):
    weekly.charge_at_close(card_basket_order)
    [intent_id] = fake_weekly_stripe.intents

    response = _post(
        client, _event("payment_intent.succeeded", fake_weekly_stripe.intents[intent_id])
    )

    assert response.status_code == 200
    assert card_basket_order.payments.count() == 1
    assert services.paid_amount(card_basket_order) == D("9.60")
    assert card_basket_order.events.filter(kind=OrderEvent.Kind.PAYMENT).count() == 1


@pytest.mark.parametrize("card", ["pm_declined", "pm_auth", "pm_requires_action", "pm_gone"])
def test_a_refused_card_switches_to_pay_at_pickup_and_tells_the_household_once(
    card_basket_order, fake_weekly_stripe, household, card
):
    set_card(card_basket_order, card)

    assert weekly.charge_at_close(card_basket_order) is False
    assert weekly.charge_at_close(card_basket_order) is False

    assert len(fake_weekly_stripe.posts("/v1/payment_intents")) == 1
    card_basket_order.refresh_from_db()
    assert card_basket_order.payment_method == Order.PaymentMethod.AT_PICKUP
    assert card_basket_order.is_live
    if card == "pm_gone":  # Stripe made no PaymentIntent
        assert not card_basket_order.payments.exists()
    else:
        payment = card_basket_order.payments.get()
        assert payment.status == Payment.Status.FAILED
    assert services.paid_amount(card_basket_order) == D("0.00")
    [email] = owed("weekly_basket_card_failed")
    assert email.key == f"charge-failed:{card_basket_order.pk}"
    assert email.to == household.email
    [message] = [m for m in send_owed() if card_basket_order.number in m.subject]
    assert "card was refused" in message.subject
    assert "please pay it at pickup" in message.body
    # A volunteer can now record the cash received.
    services.record_payment(order=card_basket_order, method="cash", amount="9.60", by=None)
    if card == "pm_requires_action":
        assert fake_weekly_stripe.intents[payment.stripe_payment_intent]["status"] == "canceled"


def test_a_payment_left_open_on_the_pay_page_is_cancelled_then_the_card_charged(
    card_basket_order, fake_weekly_stripe
):
    left_open, _secret = payments.start_card_payment(card_basket_order)

    assert weekly.charge_at_close(card_basket_order) is True

    left_open.refresh_from_db()
    assert left_open.status == Payment.Status.CANCELLED
    assert fake_weekly_stripe.intents[left_open.stripe_payment_intent]["status"] == "canceled"
    assert services.paid_amount(card_basket_order) == D("9.60")


def test_an_order_paid_otherwise_is_not_charged(card_basket_order, fake_weekly_stripe):
    Payment.objects.create(
        order=card_basket_order, method="card", amount=D("9.60"), status="succeeded"
    )
    assert weekly.charge_at_close(card_basket_order) is True
    assert fake_weekly_stripe.posts("/v1/payment_intents") == []


# Saving the card: SetupIntent, confirmed by Stripe's webhook


@pytest.fixture
def card_hub(hub, fake_weekly_stripe):
    hub.accepts_card_payments = True
    hub.save()
    return hub


def test_card_setup_makes_one_customer_and_reuses_its_setup_intent(
    basket, household, card_hub, fake_weekly_stripe
):
    secret = weekly.start_card_setup(basket, household)
    again = weekly.start_card_setup(basket, household)

    assert again == secret
    [customer] = fake_weekly_stripe.posts("/v1/customers")
    assert customer["params"]["email"] == household.email
    [setup] = fake_weekly_stripe.posts("/v1/setup_intents")
    assert setup["params"]["usage"] == "off_session"
    assert setup["params"]["customer"].startswith("cus_")
    basket.refresh_from_db()
    assert basket.stripe_customer_id == setup["params"]["customer"]
    assert fake_weekly_stripe.intents[basket.stripe_setup_intent_id]["client_secret"] == secret
    assert basket.stripe_payment_method_id == ""  # never on the browser's word


def test_a_basket_cancelled_while_stripe_prepares_its_card_keeps_nothing(
    basket, household, card_hub, fake_weekly_stripe
):
    """Stripe is called outside any transaction: the basket is checked again afterwards."""
    fake_weekly_stripe.meanwhile(
        "post", "/v1/setup_intents", lambda: weekly.cancel(basket, household)
    )

    with pytest.raises(weekly.WeeklyBasketError):
        weekly.start_card_setup(basket, household)

    basket.refresh_from_db()
    assert basket.status == WeeklyBasket.Status.CANCELLED
    assert (basket.stripe_customer_id, basket.stripe_setup_intent_id) == ("", "")


def card_saved_at_stripe(basket, household, fake_stripe) -> dict:
    """The household starts saving a card and Stripe saves it (``pm_ok``): the SetupIntent
    as Stripe then has it, before its webhook comes."""
    weekly.start_card_setup(basket, household)
    basket.refresh_from_db()
    intent = fake_stripe.intents[basket.stripe_setup_intent_id]
    intent.update(status="succeeded", payment_method="pm_ok")
    return intent


def test_setup_succeeded_webhook_saves_the_card(
    client, basket, household, card_hub, fake_weekly_stripe
):
    intent = card_saved_at_stripe(basket, household, fake_weekly_stripe)
    event = _event("setup_intent.succeeded", intent)

    assert _post(client, event).status_code == 200

    basket.refresh_from_db()
    assert basket.stripe_payment_method_id == "pm_ok"
    assert basket.card_label == "Visa •••• 4242 (04/2031)"
    assert basket.payment_method == Order.PaymentMethod.CARD
    assert StripeEvent.objects.filter(event_id=event["id"]).exists()


def test_a_card_saved_on_another_stripe_account_is_not_used(
    client, basket, household, card_hub, fake_weekly_stripe
):
    intent = card_saved_at_stripe(basket, household, fake_weekly_stripe)

    event = _event("setup_intent.succeeded", intent, account="acct_someone")
    assert _post(client, event).status_code == 200

    basket.refresh_from_db()
    assert basket.stripe_payment_method_id == ""
    assert basket.payment_method == Order.PaymentMethod.AT_PICKUP
    anomaly = PaymentAnomaly.objects.get()
    assert (anomaly.hub, anomaly.order, anomaly.problem) == (card_hub, None, "account")
    assert (anomaly.expected, anomaly.received) == ("", "acct_someone")
    # Stripe is not asked about a card of another account.
    assert not [r for r in fake_weekly_stripe.requests if "payment_methods" in r["path"]]


def test_an_unsigned_setup_webhook_saves_nothing(
    client, basket, household, card_hub, fake_weekly_stripe
):
    weekly.start_card_setup(basket, household)
    basket.refresh_from_db()
    intent = {**fake_weekly_stripe.intents[basket.stripe_setup_intent_id], "payment_method": "pm_x"}

    assert (
        _post(client, _event("setup_intent.succeeded", intent), secret="whsec_forged").status_code
        == 400
    )

    basket.refresh_from_db()
    assert basket.stripe_payment_method_id == ""


def test_a_setup_webhook_of_an_unknown_intent_changes_nothing(client, basket, card_hub):
    intent = {"id": "seti_other", "object": "setup_intent", "payment_method": "pm_x"}
    assert _post(client, _event("setup_intent.succeeded", intent)).status_code == 200
    basket.refresh_from_db()
    assert basket.stripe_payment_method_id == ""


# Pages


def test_pages_of_a_basket_are_for_its_household_only(client, basket, household, manager):
    urls = [
        ("get", reverse("orders:weekly_detail", args=[basket.pk])),
        ("get", reverse("orders:weekly_edit", args=[basket.pk])),
        ("get", reverse("orders:weekly_cancel", args=[basket.pk])),
        ("post", reverse("orders:weekly_skip", args=[basket.pk])),
        ("post", reverse("orders:weekly_pause", args=[basket.pk])),
        ("post", reverse("orders:weekly_resume", args=[basket.pk])),
        ("post", reverse("orders:weekly_cancel", args=[basket.pk])),
        ("get", reverse("orders:weekly_card", args=[basket.pk])),
    ]
    for method, url in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url, url
    client.force_login(manager)
    for method, url in urls:
        assert getattr(client, method)(url).status_code == 404, url
    basket.refresh_from_db()
    assert basket.status == WeeklyBasket.Status.ACTIVE
    assert not basket.skips.exists()
    client.force_login(household)
    assert client.get(urls[0][1]).status_code == 200
    assert client.get(reverse("orders:weekly_list")).status_code == 200


def test_the_manager_page_is_for_the_hubs_managers_only(
    client, cycle, household, manager, other_hub_manager
):
    url = reverse("cycles:weekly_baskets", args=[cycle.hub.slug, cycle.pk])
    assert client.get(url).status_code == 302
    for user in (household, other_hub_manager):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(manager)
    assert client.get(url).status_code == 200


def test_household_builds_a_basket_on_the_page(client, household, hub, pickup_point, offers):
    client.force_login(household)
    url = reverse("orders:weekly_create", args=[hub.slug])
    page = client.get(url)
    assert page.status_code == 200
    assert "Carottes — botte 1 kg" in page.content.decode()

    carrots, bread = offers["carrots"].variant, offers["bread"].variant
    empty = client.post(
        url,
        {"pickup_point": pickup_point.pk, "payment_method": "at_pickup", "full_name": "Camille"},
    )
    assert empty.status_code == 400
    assert "at least one product" in empty.content.decode()
    assert not WeeklyBasket.objects.exists()

    response = client.post(
        url,
        {
            "pickup_point": pickup_point.pk,
            "slot_starts_at": "17:00",
            "payment_method": "at_pickup",
            "full_name": "Camille Foyer",
            f"qty_{carrots.pk}": "2",
            f"qty_{bread.pk}": "1",
        },
    )
    basket = WeeklyBasket.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("orders:weekly_detail", args=[basket.pk])
    assert dict(basket.lines.values_list("variant", "quantity")) == {carrots.pk: 2, bread.pk: 1}
    assert basket.slot_starts_at == time(17, 0)


def test_household_edits_its_basket(client, basket, household, pickup_point, offers):
    client.force_login(household)
    url = reverse("orders:weekly_edit", args=[basket.pk])
    assert client.get(url).status_code == 200
    data = {
        "pickup_point": pickup_point.pk,
        "slot_starts_at": "18:30",
        "payment_method": "at_pickup",
        "full_name": "Camille Foyer",
        f"qty_{offers['apples'].variant_id}": "3",
    }
    response = client.post(url, {**data, f"qty_{offers['carrots'].variant_id}": "-2"})
    assert response.status_code == 400
    basket.refresh_from_db()
    assert basket.lines.count() == 2

    client.post(url, data)
    basket.refresh_from_db()
    assert basket.slot_starts_at == time(18, 30)
    assert dict(basket.lines.values_list("variant", "quantity")) == {offers["apples"].variant_id: 3}


def test_repeat_every_week_from_the_order_page(client, household, cycle, slot, offers):
    order = household_order(household, cycle, slot, {offers["carrots"]: 1})
    client.force_login(household)
    detail = client.get(reverse("orders:order_detail", args=[order.number]))
    action = reverse("orders:weekly_from_order", args=[order.number])
    assert action in detail.content.decode()

    response = client.post(action)

    basket = WeeklyBasket.objects.get()
    assert response.url == reverse("orders:weekly_detail", args=[basket.pk])
    again = client.post(action)  # a second basket at the hub is refused
    assert again.url == reverse("orders:weekly_detail", args=[basket.pk])
    assert WeeklyBasket.objects.count() == 1

    stranger = factories.UserFactory()
    client.force_login(stranger)
    assert client.post(action).status_code == 404
    assert action not in client.get(order.get_secret_url()).content.decode()


def test_skip_unskip_pause_resume_cancel_on_the_page(client, basket, household, cycle):
    client.force_login(household)
    detail = reverse("orders:weekly_detail", args=[basket.pk])
    skip = reverse("orders:weekly_skip", args=[basket.pk])

    client.post(skip, {"action": "skip"})
    assert list(basket.skips.values_list("week", flat=True)) == [weekly.week_of(cycle)]
    assert "Order it after all" in client.get(detail).content.decode()
    client.post(skip, {"action": "unskip"})
    assert not basket.skips.exists()

    pause = reverse("orders:weekly_pause", args=[basket.pk])
    past = client.post(pause, {"until": (timezone.localdate() - timedelta(days=1)).isoformat()})
    assert past.status_code == 400
    assert "Choose a date after today." in past.content.decode()
    basket.refresh_from_db()
    assert basket.status == WeeklyBasket.Status.ACTIVE
    until = timezone.localdate() + timedelta(days=20)
    assert client.post(pause, {"until": until.isoformat()}).status_code == 302
    basket.refresh_from_db()
    assert (basket.status, basket.paused_until) == (WeeklyBasket.Status.PAUSED, until)
    client.post(reverse("orders:weekly_resume", args=[basket.pk]))
    basket.refresh_from_db()
    assert basket.status == WeeklyBasket.Status.ACTIVE

    cancel = reverse("orders:weekly_cancel", args=[basket.pk])
    assert client.get(cancel).status_code == 200
    basket.refresh_from_db()
    assert basket.status == WeeklyBasket.Status.ACTIVE  # a GET only asks
    client.post(cancel)
    basket.refresh_from_db()
    assert basket.status == WeeklyBasket.Status.CANCELLED


def test_the_card_page_mounts_stripe_with_a_setup_intent(client, basket, household, card_hub):
    client.force_login(household)
    response = client.get(reverse("orders:weekly_card", args=[basket.pk]))
    assert response.status_code == 200
    basket.refresh_from_db()
    config = response.context["stripe_config"]
    assert config["clientSecret"].startswith(basket.stripe_setup_intent_id)
    assert "https://js.stripe.com/v3/" in response.content.decode()
    assert "confirmSetup" in response.content.decode()


def test_the_card_page_is_404_without_card_payments(client, basket, household):
    client.force_login(household)
    assert client.get(reverse("orders:weekly_card", args=[basket.pk])).status_code == 404


def test_basket_pages_show_the_history_in_bounded_queries(
    client, household, hub, pickup_point, offers, cycle, slot, django_assert_max_num_queries
):
    basket = make_basket(household, hub, pickup_point, {offers["carrots"]: 12})
    weekly.place_baskets(cycle)
    for days in range(1, 6):
        later = factories.coming_cycle(hub, pickup_point, [], days=7 * days, name=f"Semaine {days}")
        WeeklyBasketRun.objects.create(
            basket=basket, cycle=later, status=Run.NOT_PLACED, reason="not_served"
        )
    client.force_login(household)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("orders:weekly_detail", args=[basket.pk]))
    content = response.content.decode()
    assert "12 wanted, 10 ordered (not enough left)" in content
    assert "The pickup point is not served by this cycle." in content
    with django_assert_max_num_queries(6):
        assert client.get(reverse("orders:weekly_list")).status_code == 200


def test_the_manager_sees_what_went_wrong_first(
    client, manager, hub, cycle, slot, offers, pickup_point, django_assert_max_num_queries
):
    served = [factories.UserFactory(full_name=f"Foyer {n}") for n in range(5)]
    for user in served:
        make_basket(user, hub, pickup_point, {offers["bread"]: 1})
    away_point = factories.PickupPointFactory(name="Le Bocal")
    away_point.hubs.add(hub)
    stranded = factories.UserFactory(full_name="Zoé Loin")
    make_basket(stranded, hub, away_point, {offers["bread"]: 1})
    weekly.place_baskets(cycle)

    client.force_login(manager)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("cycles:weekly_baskets", args=[hub.slug, cycle.pk]))
    runs = list(response.context["page"].object_list)
    assert runs[0].basket.user == stranded
    assert runs[0].status == Run.NOT_PLACED
    assert "The pickup point is not served by this cycle." in response.content.decode()
    assert [run.status for run in runs[1:]] == [Run.PLACED] * 5
    detail = client.get(reverse("cycles:detail", args=[hub.slug, cycle.pk]))
    assert reverse("cycles:weekly_baskets", args=[hub.slug, cycle.pk]) in detail.content.decode()


def test_my_orders_links_to_the_weekly_baskets(client, household):
    client.force_login(household)
    content = client.get(reverse("orders:my_orders")).content.decode()
    assert reverse("orders:weekly_list") in content


def test_a_basket_placed_for_a_household_that_chose_sms_owes_its_confirmation_sms(
    basket, household, hub, cycle, slot, offers
):
    customer = Customer.objects.create(
        hub=hub, user=household, email=household.email, full_name="Camille", phone="0612345678"
    )
    set_sms_choices(customer, confirmation=True, reminder=False, shop_open=False, by=household)
    weekly.place_baskets(cycle)
    order = WeeklyBasketRun.objects.get().order
    assert order.customer == customer
    [sms] = OutgoingEmail.objects.filter(channel="sms")
    assert (sms.kind, sms.to, sms.params["order_id"]) == (
        "sms_confirmation", "+33612345678", order.pk,
    )  # fmt: skip
