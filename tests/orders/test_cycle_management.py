"""The hub manager's order cycles: orders.planning.cycles use cases and their pages.

The ``cycle`` fixture is published and open now; ``offers``: carrots (10 in stock, 2.40 €),
apples (capped at 5, 5.90 €), bread (on demand, 4.80 €); ``slot``: 17:00–19:30 at
``pickup_point``, for 50 households.
"""

import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from orders import outbox
from orders.checkout.services import OrderError, paid_amount, record_payment
from orders.models import (
    CycleChange,
    CyclePickupPoint,
    Offer,
    Order,
    OrderCycle,
    Payment,
    PickupSlot,
)
from orders.planning import cycles
from orders.planning.cycle_forms import CycleForm
from orders.planning.cycles import CycleError, PickupSpec, SlotSpec
from tests import factories
from tests.factories import PARIS, paris, place

pytestmark = pytest.mark.django_db

D = Decimal


def url(name, cycle, *args):
    return reverse(f"cycles:{name}", args=[cycle.hub.slug, cycle.pk, *args])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English: addresses are reversed under /en/."""
    with translation.override("en"):
        yield


@pytest.fixture
def draft(hub):
    """A draft cycle next week, with no offer and no pickup yet."""
    return factories.OrderCycleFactory(
        hub=hub,
        name="Semaine 50",
        status=OrderCycle.Status.DRAFT,
        opens_at=timezone.now() + timedelta(days=7),
        closes_at=timezone.now() + timedelta(days=12),
    )


# Creating and editing


@time_machine.travel(paris(2026, 3, 2, 9, 0), tick=False)
def test_manager_creates_a_draft_cycle_with_paris_times(client, hub, manager):
    client.force_login(manager)
    translation.activate("fr")  # French addresses, so French decimals: "5,5"
    response = client.post(
        reverse("cycles:create", args=[hub.slug]),
        {
            "name": "Semaine 11",
            "opens_at": "2026-03-06T18:00",
            "closes_at": "2026-03-10T22:00",
            "fee_percent": "5,5",
            "fee_fixed": "1,00",
            "fee_vat_rate": "20.0",
            "message": "Les asperges arrivent !",
        },
    )
    cycle = OrderCycle.objects.get(hub=hub)
    assert response.status_code == 302
    assert response.url == url("offers", cycle)
    assert cycle.status == OrderCycle.Status.DRAFT
    assert cycle.opens_at == datetime(2026, 3, 6, 17, 0, tzinfo=ZoneInfo("UTC"))
    assert cycle.closes_at == paris(2026, 3, 10, 22, 0)
    assert (cycle.fee_percent, cycle.fee_fixed) == (D("5.50"), D("1.00"))
    assert cycle.created_by == manager
    assert cycle.changes.count() == 0  # a draft's changes are not logged

    # The edit page shows the times back in Paris time, in the datetime-local format.
    html = client.get(url("edit", cycle)).content.decode()
    assert 'type="datetime-local"' in html
    assert 'value="2026-03-06T18:00"' in html


def _step1(**values):
    data = {"name": "Semaine 10", "opens_at": "2030-03-06T18:00", "closes_at": "2030-03-08T22:00",
            "fee_percent": "0", "fee_fixed": "0", "fee_vat_rate": "20.0"}  # fmt: skip
    return CycleForm(data | values)


def test_times_are_read_in_paris_whatever_the_active_time_zone():
    with timezone.override(ZoneInfo("America/New_York")):
        form = _step1()
        assert form.is_valid(), form.errors
        assert form.cleaned_data["opens_at"] == paris(2030, 3, 6, 18)
        shown = CycleForm(initial={"opens_at": paris(2030, 3, 6, 18)})["opens_at"].value()
        assert shown.strftime("%H:%M") == "18:00"
    # 02:30 does not exist in Paris on 31 March 2030 (clocks jump from 02:00 to 03:00).
    form = _step1(opens_at="2030-03-31T02:30", closes_at="2030-04-02T22:00")
    assert not form.is_valid() and "opens_at" in form.errors


def test_a_cycle_that_closes_before_it_opens_is_refused(client, hub, manager):
    client.force_login(manager)
    response = client.post(
        reverse("cycles:create", args=[hub.slug]),
        {"name": "À l'envers", "opens_at": "2030-03-06T18:00", "closes_at": "2030-03-05T18:00",
         "fee_percent": "0", "fee_fixed": "0", "fee_vat_rate": "20.0"},
    )  # fmt: skip
    assert response.status_code == 400
    assert not OrderCycle.objects.exists()
    with pytest.raises(CycleError):
        cycles.create_cycle(
            hub=hub, name="x", by=manager,
            opens_at=paris(2030, 3, 6, 18), closes_at=paris(2030, 3, 6, 18),
        )  # fmt: skip
    with pytest.raises(CycleError, match="past"):
        cycles.create_cycle(
            hub=hub, name="Passé", by=manager,
            opens_at=paris(2020, 3, 1, 18), closes_at=paris(2020, 3, 6, 18),
        )  # fmt: skip
    assert not OrderCycle.objects.exists()


def test_changing_the_closing_time_of_a_published_cycle_is_logged(client, cycle, manager):
    client.force_login(manager)
    old_close = cycle.closes_at
    new_close = timezone.localtime(old_close, PARIS).replace(tzinfo=None) + timedelta(days=1)
    data = {
        "name": cycle.name,
        "opens_at": timezone.localtime(cycle.opens_at, PARIS).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": new_close.strftime("%Y-%m-%dT%H:%M"),
        "fee_percent": "0",
        "fee_fixed": "0",
        "fee_vat_rate": "20.0",
    }
    response = client.post(url("edit", cycle), data)
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.closes_at == old_close + timedelta(days=1)
    change = CycleChange.objects.get(cycle=cycle)
    assert change.field == "closes_at"
    assert change.changed_by == manager
    assert change.old_value == timezone.localtime(old_close, PARIS).strftime("%Y-%m-%d %H:%M")
    assert change.new_value == new_close.strftime("%Y-%m-%d %H:%M")
    # The overview shows the log.
    html = client.get(url("detail", cycle)).content.decode()
    assert change.new_value in html


def _edit_data(cycle, **values):
    def local(moment):
        return timezone.localtime(moment, PARIS).strftime("%Y-%m-%dT%H:%M")

    data = {"name": cycle.name, "opens_at": local(cycle.opens_at),
            "closes_at": local(cycle.closes_at), "fee_percent": "0", "fee_fixed": "0",
            "fee_vat_rate": "20.0"}  # fmt: skip
    return data | {key: local(value) for key, value in values.items()}


@pytest.mark.parametrize("minutes", [-60 * 24, -1, 0, 5, 14])
def test_a_closing_time_past_or_within_the_notice_is_refused_by_the_edit_form(
    client, cycle, slot, offers, manager, minutes
):
    """Within a minute the worker would close the cycle for good and e-mail everyone:
    closing early is "Close now", on purpose, never a date typed in the edit form."""
    place(cycle, slot, {offers["bread"]: 1})
    client.force_login(manager)
    before = cycle.closes_at
    soon = timezone.now() + timedelta(minutes=minutes)
    response = client.post(url("edit", cycle), _edit_data(cycle, closes_at=soon))
    assert response.status_code == 400
    errors = response.context["form"].errors["closes_at"]
    assert "at least 15 minutes from now" in errors[0] and "Close now" in errors[0]
    assert url("close_now", cycle) not in errors[0]  # a message; the page links to it
    assert f'href="{url("close_now", cycle)}"' in response.content.decode()
    cycle.refresh_from_db()
    assert cycle.closes_at == before and not cycle.changes.exists()
    with pytest.raises(CycleError, match="Close now"):
        cycles.update_cycle(cycle=cycle, by=manager, closes_at=soon)


@pytest.mark.parametrize("field", ["opens_at", "closes_at"])
@pytest.mark.parametrize("typed", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_a_date_at_the_ends_of_the_calendar_is_refused_by_the_edit_form(
    client, cycle, manager, field, typed
):
    """Year 1 in Paris is before the first day UTC can hold; year 9999 cannot be cloned a
    week later. Both were server errors."""
    client.force_login(manager)
    before = (cycle.opens_at, cycle.closes_at)
    response = client.post(url("edit", cycle), _edit_data(cycle) | {field: typed})
    assert response.status_code == 400
    assert "2000" in response.context["form"].errors[field][0]
    cycle.refresh_from_db()
    assert (cycle.opens_at, cycle.closes_at) == before and not cycle.changes.exists()


def test_a_closing_time_beyond_the_notice_is_accepted(client, cycle, manager):
    client.force_login(manager)
    later = timezone.now() + cycles.CHANGE_NOTICE + timedelta(minutes=2)
    response = client.post(url("edit", cycle), _edit_data(cycle, closes_at=later))
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.closes_at == later.replace(second=0, microsecond=0)
    assert cycle.phase() == OrderCycle.Phase.OPEN


def test_an_upcoming_cycle_cannot_be_moved_to_open_at_once(client, cycle, manager):
    """An opening time already past would open the shop at the next tick and e-mail the
    households who asked to be told."""
    now = timezone.now()
    cycle.opens_at, cycle.closes_at = now + timedelta(days=1), now + timedelta(days=3)
    cycle.save()
    client.force_login(manager)
    for opens in (now - timedelta(hours=1), now + timedelta(minutes=10)):
        response = client.post(url("edit", cycle), _edit_data(cycle, opens_at=opens))
        assert response.status_code == 400
        assert "opening time at least 15 minutes" in str(response.context["form"].errors)
    cycle.refresh_from_db()
    assert cycle.phase() == OrderCycle.Phase.UPCOMING and not cycle.changes.exists()
    later = now + timedelta(hours=2)
    assert client.post(url("edit", cycle), _edit_data(cycle, opens_at=later)).status_code == 302


def test_a_closed_cycle_keeps_its_dates_once_processed(cycle, manager):
    now = timezone.now()
    OrderCycle.objects.filter(pk=cycle.pk).update(
        closes_at=now - timedelta(minutes=1), close_started_at=now
    )
    with pytest.raises(CycleError, match="closed"):
        cycles.update_cycle(cycle=cycle, by=manager, closes_at=now + timedelta(days=1))
    cycle.refresh_from_db()
    assert cycle.closes_at < now


# Closing now


def test_close_now_says_what_it_sets_off_then_closes_for_the_tick_to_finish(
    client, cycle, slot, offers, manager, producer, mailoutbox
):
    from orders.worker import scheduler

    place(cycle, slot, {offers["carrots"]: 1}, email="a@example.org")
    waiting = place(cycle, slot, {offers["bread"]: 1}, email="b@example.org")
    Order.objects.filter(pk=waiting.pk).update(
        status=Order.Status.AWAITING_PAYMENT, payment_method=Order.PaymentMethod.CARD
    )
    producer.email = "ferme@example.org"
    producer.save()
    client.force_login(manager)
    detail = client.get(url("detail", cycle)).content.decode()
    assert url("close_now", cycle) in detail

    page = client.get(url("close_now", cycle))
    assert page.status_code == 200
    forecast = page.context["forecast"]
    assert forecast == cycles.ClosingForecast(
        orders=2, awaiting_card=1, saved_cards=0, households=2, producers=1
    )
    text = " ".join(page.content.decode().split())
    assert "<strong>2 orders</strong> become final" in text
    assert "<strong>1 card payment</strong> is settled with Stripe" in text
    assert "<strong>2 households</strong> get their final order by e-mail" in text
    assert "<strong>1 producer</strong> gets its totals and pick list" in text
    cycle.refresh_from_db()
    assert cycle.phase() == OrderCycle.Phase.OPEN  # showing the page changes nothing

    before = cycle.closes_at
    data = page.context["form"].initial
    response = client.post(url("close_now", cycle), data)
    assert response.status_code == 302 and response.url == url("detail", cycle)
    cycle.refresh_from_db()
    assert cycle.phase() == OrderCycle.Phase.CLOSED
    assert cycle.closed_at is None and mailoutbox == []  # the worker does the rest
    change = cycle.changes.get()
    assert (change.field, change.changed_by) == ("closes_at", manager)
    assert change.old_value == timezone.localtime(before, PARIS).strftime("%Y-%m-%d %H:%M")

    with time_machine.travel(timezone.now() + timedelta(seconds=30), tick=False):
        scheduler.run_tick()
    cycle.refresh_from_db()
    assert cycle.closed_at is not None
    assert place_order_refused(cycle, slot, offers)


def place_order_refused(cycle, slot, offers) -> bool:
    try:
        place(cycle, slot, {offers["bread"]: 1}, email="late@example.org")
    except OrderError:
        return True
    return False


def test_a_stale_close_now_confirmation_is_shown_again_with_the_new_figures(
    client, cycle, slot, offers, manager
):
    place(cycle, slot, {offers["bread"]: 1}, email="a@example.org")
    client.force_login(manager)
    shown = client.get(url("close_now", cycle)).context["form"].initial
    place(cycle, slot, {offers["bread"]: 1}, email="b@example.org")  # meanwhile

    response = client.post(url("close_now", cycle), shown)
    assert response.status_code == 409
    assert any("figures changed" in m for m in messages_of(response))
    assert response.context["forecast"].orders == 2
    assert "<strong>2 orders</strong>" in response.content.decode()
    cycle.refresh_from_db()
    assert cycle.phase() == OrderCycle.Phase.OPEN and not cycle.changes.exists()

    response = client.post(url("close_now", cycle), response.context["form"].initial)
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.phase() == OrderCycle.Phase.CLOSED


def test_close_now_refuses_tampered_figures_and_cycles_not_open(client, cycle, draft, manager):
    from tests.bad_input import ALL

    client.force_login(manager)
    shown = client.get(url("close_now", cycle)).context["form"].initial
    for value in ALL:
        response = client.post(url("close_now", cycle), shown | {"orders": value})
        assert response.status_code in (400, 409), value
    assert client.post(url("close_now", cycle), {}).status_code == 400
    cycle.refresh_from_db()
    assert cycle.phase() == OrderCycle.Phase.OPEN

    # Not open: neither a draft, nor an upcoming, closed or cancelled cycle.
    page = client.get(url("close_now", draft))
    assert page.status_code == 200 and page.context["forecast"] is None
    response = client.post(url("close_now", draft), shown, follow=True)
    assert any("Only an open order cycle" in m for m in messages_of(response))
    with pytest.raises(CycleError, match="open"):
        cycles.close_now(cycle=draft, by=manager)
    OrderCycle.objects.filter(pk=cycle.pk).update(closes_at=timezone.now())
    with pytest.raises(CycleError, match="open"):
        cycles.close_now(cycle=cycle, by=manager)
    assert not CycleChange.objects.exists()


def test_saving_an_untouched_form_changes_no_date(client, cycle, manager):
    """Dates with seconds (made by code) survive the minute-precise form of a closed cycle."""
    cycle.opens_at -= timedelta(days=10, seconds=30)
    cycle.closes_at -= timedelta(days=9, seconds=30)
    cycle.save()
    client.force_login(manager)
    form = client.get(url("edit", cycle)).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data |= {name: form[name].value().strftime("%Y-%m-%dT%H:%M") for name in ("opens_at",
             "closes_at")} | {"name": "Semaine 48 (fermée)"}  # fmt: skip
    response = client.post(url("edit", cycle), data)
    assert response.status_code == 302
    before = (cycle.opens_at, cycle.closes_at)
    cycle.refresh_from_db()
    assert (cycle.opens_at, cycle.closes_at, cycle.name) == (*before, "Semaine 48 (fermée)")
    assert list(cycle.changes.values_list("field", flat=True)) == ["name"]


def test_the_fee_is_frozen_once_there_are_orders(cycle, slot, offers, manager):
    order = place(cycle, slot, {offers["bread"]: 1})
    with pytest.raises(CycleError, match="fee"):
        cycles.update_cycle(cycle=cycle, by=manager, fee_fixed=D("2.00"), name="Renamed")
    cycle.refresh_from_db()
    assert (cycle.fee_fixed, cycle.name) == (D("0.00"), "Semaine 48")  # nothing half-written
    order.refresh_from_db()
    assert order.total == D("4.80")
    with pytest.raises(CycleError, match="orders"):
        cycles.update_cycle(cycle=cycle, by=manager, opens_at=timezone.now() + timedelta(hours=1))


# Offers


@pytest.fixture
def catalogue(producer, other_producer, category):
    """Three variants of the hub's producer (one off sale), one of a producer not in the hub."""
    leeks = factories.VariantFactory(product__producer=producer, product__name="Poireaux",
                                     price=D("3.10"))  # fmt: skip
    eggs = factories.VariantFactory(product__producer=producer, product__name="Œufs",
                                    name="boîte de 6", price=D("2.20"))  # fmt: skip
    off = factories.VariantFactory(product__producer=producer, product__name="Fèves",
                                   is_active=False)  # fmt: skip
    beer = factories.VariantFactory(product__producer=other_producer, product__name="Bière")
    return {"leeks": leeks, "eggs": eggs, "off": off, "beer": beer}


def test_ticked_variants_are_offered_at_the_catalogue_price(client, draft, manager, catalogue):
    client.force_login(manager)
    page = url("offers", draft)
    html = client.get(page).content.decode()
    assert "Poireaux" in html and "Fèves" not in html and "Bière" not in html
    leeks, eggs = catalogue["leeks"], catalogue["eggs"]
    response = client.post(page, {"variants": [leeks.pk], "shown": [leeks.pk, eggs.pk]})
    assert response.status_code == 302
    offer = draft.offers.get()
    assert (offer.variant, offer.price, offer.stock_cap) == (leeks, D("3.10"), None)

    # Unticking removes (an offer never ordered); what the filter hid is left alone.
    cycles.add_offers(cycle=draft, variants=[eggs], by=manager)
    client.post(page, {"variants": [], "shown": [leeks.pk]})
    assert list(draft.offers.values_list("variant", flat=True)) == [eggs.pk]


def test_select_all_of_a_producer_adds_its_variants_on_sale(client, draft, manager, catalogue):
    client.force_login(manager)
    response = client.post(url("offers", draft), {"action": "select_all"})
    assert response.status_code == 302
    offered = set(draft.offers.values_list("variant", flat=True))
    assert offered == {catalogue["leeks"].pk, catalogue["eggs"].pk}
    # Again: nothing doubled.
    client.post(url("offers", draft), {"action": "select_all"})
    assert draft.offers.count() == 2


def test_the_filter_narrows_what_select_all_adds(client, draft, manager, catalogue, producer):
    client.force_login(manager)
    page = url("offers", draft) + f"?producer={producer.pk}&q=poir"
    html = client.get(page).content.decode()
    assert "Poireaux" in html and "Œufs" not in html
    client.post(page, {"action": "select_all"})
    assert list(draft.offers.values_list("variant", flat=True)) == [catalogue["leeks"].pk]


def test_a_variant_outside_the_hub_cannot_be_offered(client, draft, manager, catalogue):
    client.force_login(manager)
    beer, off = catalogue["beer"], catalogue["off"]
    response = client.post(url("offers", draft), {"variants": [beer.pk], "shown": [beer.pk]})
    assert response.status_code == 400
    for variant in (beer, off):
        with pytest.raises(CycleError):
            cycles.add_offers(cycle=draft, variants=[catalogue["leeks"], variant], by=manager)
    assert not draft.offers.exists()


def test_an_ordered_offer_cannot_be_removed(client, cycle, slot, offers, manager):
    place(cycle, slot, {offers["carrots"]: 2})
    client.force_login(manager)
    response = client.post(url("offer_remove", cycle, offers["carrots"].pk), follow=True)
    assert any("Already ordered" in m for m in messages_of(response))
    assert Offer.objects.filter(pk=offers["carrots"].pk).exists()

    # Unticking it with an unordered one removes neither: nothing half-written.
    with pytest.raises(CycleError):
        cycles.set_offers(
            cycle=cycle,
            variant_ids=[offers["bread"].variant_id],
            among=[o.variant_id for o in offers.values()],
            by=manager,
        )
    assert cycle.offers.count() == 3

    # An offer nobody ordered goes.
    client.post(url("offer_remove", cycle, offers["apples"].pk))
    assert not Offer.objects.filter(pk=offers["apples"].pk).exists()


def test_a_cap_cannot_go_below_what_is_sold(client, cycle, slot, offers, manager):
    place(cycle, slot, {offers["apples"]: 3})
    apples, bread = offers["apples"], offers["bread"]
    with pytest.raises(CycleError, match="3"):
        cycles.update_offers(
            cycle=cycle, terms={bread.pk: (D("5.00"), None), apples.pk: (D("5.90"), 2)}
        )
    bread.refresh_from_db()
    assert bread.price == D("4.80")  # all or nothing

    client.force_login(manager)
    data = {f"price_{o.pk}": str(o.price) for o in offers.values()}
    data |= {f"cap_{apples.pk}": "2", f"price_{bread.pk}": "5.10"}
    response = client.post(url("offers_update", cycle), data)
    assert response.status_code == 400
    apples.refresh_from_db()
    assert apples.stock_cap == 5

    data[f"cap_{apples.pk}"] = "3"
    response = client.post(url("offers_update", cycle), data)
    assert response.status_code == 302
    apples.refresh_from_db()
    bread.refresh_from_db()
    assert (apples.stock_cap, apples.allocated, bread.price) == (3, 3, D("5.10"))


# Pickup points and slots


def test_manager_sets_pickup_points_with_a_date_and_slots(
    client, draft, manager, pickup_point, hub
):
    elsewhere = factories.PickupPointFactory(name="Ailleurs")  # not a pickup point of the hub
    client.force_login(manager)
    prefix = f"p{pickup_point.pk}"
    pickup_day = timezone.localdate(draft.closes_at) + timedelta(days=1)
    response = client.post(
        url("pickups", draft),
        {
            f"{prefix}-served": "on",
            f"{prefix}-pickup_date": pickup_day.isoformat(),
            f"{prefix}-n0-starts_at": "17:00",
            f"{prefix}-n0-ends_at": "18:00",
            f"{prefix}-n0-capacity": "20",
            f"{prefix}-n1-starts_at": "18:00",
            f"{prefix}-n1-ends_at": "19:30",
            f"{prefix}-n1-capacity": "25",
        },
    )
    assert response.status_code == 302
    pickup = CyclePickupPoint.objects.get(cycle=draft)
    assert (pickup.pickup_point, pickup.pickup_date) == (pickup_point, pickup_day)
    assert [(s.starts_at, s.ends_at, s.capacity) for s in pickup.slots.all()] == [
        (time(17), time(18), 20),
        (time(18), time(19, 30), 25),
    ]
    with pytest.raises(CycleError):
        cycles.set_pickups(
            cycle=draft,
            pickups=[PickupSpec(elsewhere.pk, pickup_day, [SlotSpec(time(9), time(10), 5)])],
        )
    with pytest.raises(CycleError, match="before"):
        cycles.set_pickups(
            cycle=draft,
            pickups=[PickupSpec(pickup_point.pk, timezone.localdate(), [])],
        )
    assert pickup.slots.count() == 2


def test_a_slot_with_orders_cannot_be_removed_nor_shrunk(cycle, slot, offers, manager):
    point_id, day = slot.cycle_pickup.pickup_point_id, slot.cycle_pickup.pickup_date
    place(cycle, slot, {offers["bread"]: 1}, email="a@example.org")
    place(cycle, slot, {offers["bread"]: 1}, email="b@example.org")
    with pytest.raises(CycleError, match="orders"):
        cycles.set_pickups(
            cycle=cycle,
            pickups=[PickupSpec(point_id, day, [SlotSpec(time(9), time(10), 5)])],
            by=manager,
        )
    with pytest.raises(CycleError, match="2"):
        cycles.set_pickups(
            cycle=cycle,
            pickups=[PickupSpec(point_id, day, [SlotSpec(time(17), time(19), 1, pk=slot.pk)])],
            by=manager,
        )
    with pytest.raises(CycleError):
        cycles.set_pickups(cycle=cycle, pickups=[], by=manager)
    slot.refresh_from_db()
    assert (slot.capacity, slot.ends_at) == (50, time(19, 30))
    assert PickupSlot.objects.filter(cycle_pickup__cycle=cycle).count() == 1

    # Moving the slot and the day is fine, and logged on a published cycle.
    later = day + timedelta(days=1)
    cycles.set_pickups(
        cycle=cycle,
        pickups=[PickupSpec(point_id, later, [SlotSpec(time(17), time(20), 2, pk=slot.pk)])],
        by=manager,
    )
    slot.refresh_from_db()
    assert (slot.capacity, slot.ends_at, slot.cycle_pickup.pickup_date) == (2, time(20), later)
    assert cycle.changes.get(field="pickup_date").new_value.endswith(later.isoformat())


# Publishing


def test_publishing_needs_an_offer_and_a_slot(client, draft, manager, pickup_point, catalogue):
    client.force_login(manager)
    response = client.post(url("publish", draft), follow=True)
    assert any("at least one product" in m for m in messages_of(response))
    draft.refresh_from_db()
    assert draft.status == OrderCycle.Status.DRAFT

    cycles.add_offers(cycle=draft, variants=[catalogue["leeks"]], by=manager)
    with pytest.raises(CycleError, match="slot"):
        cycles.publish_cycle(cycle=draft, by=manager)
    draft.refresh_from_db()
    assert draft.status == OrderCycle.Status.DRAFT

    day = timezone.localdate(draft.closes_at) + timedelta(days=1)
    cycles.set_pickups(
        cycle=draft, pickups=[PickupSpec(pickup_point.pk, day, [SlotSpec(time(17), time(19), 30)])]
    )
    client.post(url("publish", draft))
    draft.refresh_from_db()
    assert draft.status == OrderCycle.Status.PUBLISHED
    with pytest.raises(CycleError):
        cycles.publish_cycle(cycle=draft, by=manager)


def _ready_draft(hub, pickup_point, catalogue, *, opens_at, closes_at, name="Semaine 49"):
    """A draft with an offer and a slot: only its dates may stop it being published."""
    draft = factories.OrderCycleFactory(
        hub=hub, name=name, status=OrderCycle.Status.DRAFT, opens_at=opens_at,
        closes_at=closes_at,
    )  # fmt: skip
    factories.OfferFactory(cycle=draft, variant=catalogue["leeks"])
    pickup = factories.CyclePickupPointFactory(
        cycle=draft, pickup_point=pickup_point,
        pickup_date=timezone.localdate(closes_at) + timedelta(days=1),
    )  # fmt: skip
    factories.PickupSlotFactory(cycle_pickup=pickup)
    return draft


@time_machine.travel(paris(2026, 3, 2, 9, 0), tick=False)
def test_a_cycle_overlapping_a_published_one_is_refused_naming_it(
    client, hub, manager, pickup_point, catalogue
):
    """The shop would show only one of them, and the dashboard switch between them."""
    factories.OrderCycleFactory(
        hub=hub, name="Semaine 10", opens_at=paris(2026, 3, 6, 18), closes_at=paris(2026, 3, 10, 22)
    )
    overlapping = _ready_draft(
        hub, pickup_point, catalogue, opens_at=paris(2026, 3, 10, 20),
        closes_at=paris(2026, 3, 13, 22),
    )  # fmt: skip
    client.force_login(manager)
    response = client.post(url("publish", overlapping), follow=True)
    [message] = messages_of(response)
    assert "“Semaine 10” (from Friday 6 March 2026, 18:00 to Tuesday 10 March 2026, 22:00" in (
        message
    )
    with (
        translation.override("fr"),
        pytest.raises(CycleError, match="vendredi 6 mars 2026 à 18:00"),
    ):
        cycles.publish_cycle(cycle=overlapping, by=manager)
    overlapping.refresh_from_db()
    assert overlapping.status == OrderCycle.Status.DRAFT

    # One that opens when the other closes does not overlap: [opens_at, closes_at).
    cycles.update_cycle(cycle=overlapping, by=manager, opens_at=paris(2026, 3, 10, 22))
    cycles.publish_cycle(cycle=overlapping, by=manager)
    overlapping.refresh_from_db()
    assert overlapping.status == OrderCycle.Status.PUBLISHED

    # Moving a published cycle's dates onto another is refused too, and changes nothing.
    response = client.post(
        url("edit", overlapping), _edit_data(overlapping, opens_at=paris(2026, 3, 9, 18))
    )
    assert response.status_code == 400
    assert "overlap the order cycle “Semaine 10”" in str(response.context["form"].errors)
    overlapping.refresh_from_db()
    assert overlapping.opens_at == paris(2026, 3, 10, 22) and not overlapping.changes.exists()


@time_machine.travel(paris(2026, 3, 2, 9, 0), tick=False)
def test_drafts_may_overlap_and_a_copy_says_so(client, hub, manager, pickup_point, catalogue):
    published = _ready_draft(
        hub, pickup_point, catalogue, name="Semaine 10", opens_at=paris(2026, 3, 6, 18),
        closes_at=paris(2026, 3, 10, 22),
    )  # fmt: skip
    cycles.publish_cycle(cycle=published, by=manager)
    _ready_draft(
        hub, pickup_point, catalogue, opens_at=paris(2026, 3, 7, 18),
        closes_at=paris(2026, 3, 9, 22),
    )  # fmt: skip
    client.force_login(manager)
    # A copy one week later does not meet it; a copy of a long cycle... here, a second
    # copy onto the same week of the first one's copy does, once that one is published.
    response = client.post(url("clone", published), {"weeks": "1", "name": "Semaine 11"},
                           follow=True)  # fmt: skip
    assert not any("overlap" in m for m in messages_of(response))
    first_copy = OrderCycle.objects.get(name="Semaine 11")
    cycles.publish_cycle(cycle=first_copy, by=manager)
    response = client.post(url("clone", published), {"weeks": "1", "name": "Semaine 11 bis"},
                           follow=True)  # fmt: skip
    assert any("overlap the order cycle “Semaine 11”" in m for m in messages_of(response))
    assert OrderCycle.objects.get(name="Semaine 11 bis").status == OrderCycle.Status.DRAFT
    assert OrderCycle.objects.filter(status=OrderCycle.Status.DRAFT).count() == 2


# Cloning


@pytest.mark.parametrize(
    ("opens", "closes", "weeks", "utc_shift"),
    [
        # Spring forward (29 March 2026): the UTC instants move one hour less than 2 weeks.
        (paris(2026, 3, 20, 18), paris(2026, 3, 24, 22), 2, timedelta(weeks=2, hours=-1)),
        # Fall back (25 October 2026): one hour more.
        (paris(2026, 10, 16, 18), paris(2026, 10, 20, 22), 3, timedelta(weeks=3, hours=1)),
    ],
)
def test_clone_shifts_every_date_by_n_weeks_keeping_paris_wall_clock(
    client, hub, manager, pickup_point, catalogue, opens, closes, weeks, utc_shift
):
    source = factories.OrderCycleFactory(
        hub=hub, name="Semaine 12", opens_at=opens, closes_at=closes, fee_percent=D("5.00"),
        fee_fixed=D("1.50"), message="Bonne semaine",
    )  # fmt: skip
    leeks, eggs = catalogue["leeks"], catalogue["eggs"]
    factories.OfferFactory(cycle=source, variant=leeks, price=D("2.00"), stock_cap=7)
    factories.OfferFactory(cycle=source, variant=eggs, price=D("2.20"))
    pickup = factories.CyclePickupPointFactory(
        cycle=source, pickup_point=pickup_point, pickup_date=closes.date() + timedelta(days=1)
    )
    factories.PickupSlotFactory(cycle_pickup=pickup, starts_at=time(17), ends_at=time(18),
                                capacity=12)  # fmt: skip
    eggs.is_active = False  # taken off sale since
    eggs.save()
    leeks.price = D("3.30")  # and the leeks' price went up
    leeks.save()

    client.force_login(manager)
    response = client.post(url("clone", source), {"weeks": str(weeks), "name": "Semaine 14"})
    clone = OrderCycle.objects.get(cloned_from=source)
    assert response.status_code == 302 and response.url == url("detail", clone)

    assert clone.status == OrderCycle.Status.DRAFT
    assert clone.name == "Semaine 14"
    assert timezone.localtime(clone.opens_at, PARIS).replace(tzinfo=None) == (
        opens.replace(tzinfo=None) + timedelta(weeks=weeks)
    )
    assert timezone.localtime(clone.closes_at, PARIS).time() == time(22)
    assert clone.opens_at - source.opens_at == utc_shift
    assert (clone.fee_percent, clone.fee_fixed, clone.message) == (
        D("5.00"), D("1.50"), "Bonne semaine"
    )  # fmt: skip
    new_pickup = clone.pickups.get()
    assert new_pickup.pickup_date == pickup.pickup_date + timedelta(weeks=weeks)
    assert [(s.starts_at, s.ends_at, s.capacity) for s in new_pickup.slots.all()] == [
        (time(17), time(18), 12)
    ]
    offer = clone.offers.get()  # the eggs are off sale: not copied
    assert (offer.variant, offer.price, offer.stock_cap, offer.allocated) == (
        leeks, D("3.30"), 7, 0
    )  # fmt: skip
    assert source.offers.count() == 2  # the source is untouched


def test_clone_refuses_a_silly_number_of_weeks(client, cycle, manager):
    client.force_login(manager)
    assert client.get(url("clone", cycle)).context["form"]["weeks"].value() == 1
    response = client.post(url("clone", cycle), {"weeks": "0", "name": "x"})
    assert response.status_code == 400
    with pytest.raises(CycleError):
        cycles.clone_cycle(cycle=cycle, weeks=53, by=manager)
    assert OrderCycle.objects.count() == 1


# Cancelling


def test_cancelling_a_cycle_cancels_its_orders_gives_stock_back_and_tells_households(
    client, cycle, slot, offers, manager, mailoutbox, django_capture_on_commit_callbacks
):
    carrots = offers["carrots"]
    first = place(cycle, slot, {carrots: 3, offers["bread"]: 1}, email="a@example.org")
    second = place(cycle, slot, {carrots: 2}, email="b@example.org")
    outbox.send_due()  # the worker sent their confirmations
    mailoutbox.clear()
    client.force_login(manager)

    page = client.get(url("cancel", cycle))
    assert page.status_code == 200 and page.context["live_count"] == 2
    response = client.post(url("cancel", cycle), {"reason": ""})
    assert response.status_code == 400  # a reason is needed
    cycle.refresh_from_db()
    assert cycle.status == OrderCycle.Status.PUBLISHED

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("cancel", cycle), {"reason": "Grêle sur les cultures"})
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.status == OrderCycle.Status.CANCELLED
    assert cycle.cancelled_at is not None
    for order in (first, second):
        order.refresh_from_db()
        assert order.status == Order.Status.CANCELLED
    carrots.refresh_from_db()
    assert (carrots.allocated, carrots.variant.stock_quantity) == (0, 10)
    assert sorted(mail.to[0] for mail in mailoutbox) == ["a@example.org", "b@example.org"]
    assert all(first.number in m.subject or second.number in m.subject for m in mailoutbox)
    assert "Grêle sur les cultures" in mailoutbox[0].body

    with pytest.raises(CycleError):
        cycles.cancel_cycle(cycle=cycle, by=manager, reason="encore")
    with pytest.raises(OrderError):
        cycles.update_cycle(cycle=cycle, by=manager, name="Renamed")


@pytest.mark.parametrize(
    ("phase", "offered", "withheld"),
    [
        ("draft", ["publish", "clone", "cancel"], ["close_now", "documents"]),
        ("upcoming", ["clone", "cancel", "weekly_baskets"], ["publish", "close_now", "documents"]),
        ("open", ["close_now", "documents", "clone", "cancel"], ["publish"]),
        ("closed", ["documents", "clone"], ["cancel", "close_now", "publish"]),
        ("cancelled", ["clone"], ["cancel", "close_now", "publish", "documents"]),
    ],
)
def test_the_cycle_page_offers_only_what_its_phase_allows(
    client, cycle, manager, phase, offered, withheld
):
    now = timezone.now()
    changes = {
        "draft": {"status": OrderCycle.Status.DRAFT},
        "upcoming": {"opens_at": now + timedelta(days=1)},
        "open": {},
        "closed": {"closes_at": now - timedelta(hours=1)},
        "cancelled": {"status": OrderCycle.Status.CANCELLED},
    }[phase]
    OrderCycle.objects.filter(pk=cycle.pk).update(**changes)
    client.force_login(manager)
    response = client.get(url("detail", cycle))
    assert response.context["phase"] == phase
    html = response.content.decode()
    for name in offered:
        assert f'"{url(name, cycle)}"' in html, name
    for name in withheld:
        assert f'"{url(name, cycle)}"' not in html, name


def test_a_closed_cycle_is_not_cancelled_and_its_orders_are_called_final(
    client, cycle, slot, offers, manager
):
    for n in range(3):
        place(cycle, slot, {offers["bread"]: 1}, email=f"foyer{n}@example.org")
    client.force_login(manager)
    summary = client.get(url("detail", cycle)).content.decode()
    assert "3 orders so far" in summary

    OrderCycle.objects.filter(pk=cycle.pk).update(closes_at=timezone.now() - timedelta(hours=1))
    response = client.get(url("detail", cycle))
    text = " ".join(response.content.decode().split())
    assert "3 final orders" in text and "so far" not in text
    page = client.get(url("cancel", cycle))
    assert "can no longer be cancelled" in page.content.decode()
    assert "will be cancelled" not in page.content.decode()
    response = client.post(url("cancel", cycle), {"reason": "Oups"})
    assert response.status_code == 400
    with pytest.raises(CycleError, match="closed"):
        cycles.cancel_cycle(cycle=cycle, by=manager, reason="Oups")
    cycle.refresh_from_db()
    assert cycle.status == OrderCycle.Status.PUBLISHED
    assert cycle.orders.live().count() == 3


@pytest.mark.parametrize(
    ("orders", "french"),
    [
        (0, "Aucune commande ne sera annulée"),
        (1, "1 commande sera annulée"),
        (2, "2 commandes seront annulées"),
    ],
)
def test_the_cancel_page_counts_in_proper_french(
    client, cycle, slot, offers, manager, orders, french
):
    for n in range(orders):
        place(cycle, slot, {offers["bread"]: 1}, email=f"foyer{n}@example.org")
    client.force_login(manager)
    with translation.override("fr"):
        html = client.get(url("cancel", cycle)).content.decode()
    assert french in html
    assert "0 commande" not in html


def test_cycle_phases_agree_with_cycle_in_french_and_dates_read_alike_in_both_languages(
    client, hub, cycle, draft, manager
):
    """ "Cycle" is masculine: "ouvert", "fermé", "annulé" (an order is "annulée")."""
    now = timezone.now()
    factories.OrderCycleFactory(hub=hub, name="Semaine 46", opens_at=paris(2026, 3, 6, 18),
                                closes_at=paris(2026, 3, 10, 22))  # fmt: skip
    factories.OrderCycleFactory(hub=hub, name="Semaine 47", status=OrderCycle.Status.CANCELLED)
    factories.OrderCycleFactory(hub=hub, name="Semaine 52", opens_at=now + timedelta(days=20),
                                closes_at=now + timedelta(days=24))  # fmt: skip
    client.force_login(manager)
    with translation.override("fr"):
        html = client.get(reverse("cycles:list", args=[hub.slug])).content.decode()
    badges = set(re.findall(r'<span class="badge[^"]*">([^<]+)</span>', html))
    assert badges == {"ouvert", "clos", "annulé", "à venir", "brouillon"}
    assert "vendredi 6 mars 2026 à 18:00" in html
    english = client.get(reverse("cycles:list", args=[hub.slug])).content.decode()
    assert "Friday 6 March 2026, 18:00" in english and "03/06/2026" not in english


# Payments and the overview


def test_manager_records_a_payment_at_pickup(client, cycle, slot, offers, manager):
    order = place(cycle, slot, {offers["bread"]: 2})
    client.force_login(manager)
    page = client.get(url("record_payment", cycle, order.pk))
    assert page.context["owed"].today == D("9.60")
    response = client.post(url("record_payment", cycle, order.pk), {"method": "cash",
                                                                   "amount": "abc"})  # fmt: skip
    assert response.status_code == 400
    assert not order.payments.exists()
    response = client.post(
        url("record_payment", cycle, order.pk), {"method": "cheque", "amount": "9.60"}
    )
    assert response.status_code == 302
    payment = order.payments.get()
    assert (payment.method, payment.amount, payment.recorded_by) == ("cheque", D("9.60"), manager)
    assert paid_amount(order) == D("9.60")
    overview = client.get(url("detail", cycle))
    (row,) = overview.context["orders"]
    assert row.paid == D("9.60")


def test_the_overview_paid_amount_matches_the_service(cycle, slot, offers, manager):
    paid_in_full = place(cycle, slot, {offers["bread"]: 1}, email="a@example.org")
    refunded = place(cycle, slot, {offers["bread"]: 2}, email="b@example.org")
    unpaid = place(cycle, slot, {offers["bread"]: 3}, email="c@example.org")
    record_payment(order=paid_in_full, method="cash", amount="4.80", by=manager)
    record_payment(order=refunded, method="transfer", amount="9.60", by=manager)
    Payment.objects.create(order=refunded, method="transfer", kind="refund", amount=D("1.60"),
                           status="succeeded")  # fmt: skip
    Payment.objects.create(order=unpaid, method="cash", amount=D("3"), status="failed")
    rows = {order.pk: order.paid for order in cycles.cycle_orders(cycle)}
    assert rows == {o.pk: paid_amount(o) for o in (paid_in_full, refunded, unpaid)}
    assert rows[refunded.pk] == D("8.00") and rows[unpaid.pk] == D("0")


def test_the_overview_counts_orders_per_pickup_point_and_slot(client, cycle, slot, offers,
                                                              manager):  # fmt: skip
    other = factories.PickupSlotFactory(cycle_pickup=slot.cycle_pickup, starts_at=time(19),
                                        ends_at=time(20), capacity=10)  # fmt: skip
    place(cycle, slot, {offers["bread"]: 1}, email="a@example.org")
    place(cycle, slot, {offers["bread"]: 1}, email="b@example.org")
    gone = place(cycle, other, {offers["bread"]: 1}, email="c@example.org")
    place(cycle, other, {offers["bread"]: 1}, email="d@example.org")
    from orders.checkout.services import cancel_order

    cancel_order(order=gone)
    client.force_login(manager)
    response = client.get(url("detail", cycle))
    (point,) = response.context["points"]
    assert point["live_orders"] == 3
    assert [(s.pk, s.live_orders) for s in point["slots"]] == [(slot.pk, 2), (other.pk, 1)]
    assert response.context["live_count"] == 3
    assert response.context["live_total"] == D("14.40")
    assert gone.number in response.content.decode()


def _orders(cycle, slot, offer, count, start=0):
    for i in range(start, start + count):
        place(cycle, slot, {offer: 1}, email=f"foyer{i}@example.org")


def test_cycle_pages_take_a_bounded_number_of_queries(
    client, hub, cycle, slot, offers, manager, django_assert_max_num_queries
):
    client.force_login(manager)
    factories.OrderCycleFactory(hub=hub, status=OrderCycle.Status.DRAFT)
    factories.OrderCycleFactory(
        hub=hub, opens_at=timezone.now() - timedelta(days=20),
        closes_at=timezone.now() - timedelta(days=15),
    )  # fmt: skip
    for count in (2, 15):
        _orders(cycle, slot, offers["bread"], count, start=count * 100)
        for order in cycle.orders.all()[:3]:
            record_payment(order=order, method="cash", amount="1", by=manager)
        with django_assert_max_num_queries(10):
            response = client.get(reverse("cycles:list", args=[hub.slug]))
        assert response.status_code == 200
        with django_assert_max_num_queries(10):
            response = client.get(url("detail", cycle))
        assert len(response.context["orders"]) == cycle.orders.count()
    html = response.content.decode()
    assert html.count('id="order-') == 17


def test_every_page_of_the_steps_renders(client, cycle, slot, offers, manager):
    client.force_login(manager)
    for name in ("edit", "offers", "pickups", "detail", "clone", "cancel"):
        response = client.get(url(name, cycle))
        assert response.status_code == 200, name
    html = client.get(url("offers", cycle)).content.decode()
    assert f'name="price_{offers["carrots"].pk}"' in html
    html = client.get(url("pickups", cycle)).content.decode()
    assert 'value="17:00"' in html and f'name="p{slot.cycle_pickup.pickup_point_id}-served"' in html
    assert client.get(reverse("cycles:list", args=[cycle.hub.slug])).status_code == 200


def test_a_pickup_date_change_to_before_closing_is_refused_on_edit(cycle, slot, manager):
    """Moving the closing time after the pickup day would hand baskets out before closing."""
    day = slot.cycle_pickup.pickup_date
    late = datetime.combine(day + timedelta(days=1), time(12), tzinfo=PARIS)
    with pytest.raises(CycleError, match="before"):
        cycles.update_cycle(cycle=cycle, by=manager, closes_at=late)
    cycle.refresh_from_db()
    assert timezone.localdate(cycle.closes_at, PARIS) < day
