"""A household's pickups in its calendar: the iCalendar text (escaping, folding, UTC
times), the private feed and its address, and the .ics of the confirmation e-mail."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import translation

from orders.checkout.services import cancel_order, place_order
from orders.households import ical
from orders.models import CalendarFeed, CyclePickupPoint, Order, OrderCycle
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _monday_in_november():
    """Monday 23 November 2026, 11:00 in Paris (winter time, UTC+1). The ``cycle`` fixture
    then closes on Saturday 28 and its pickup is Monday 30, 17:00–19:30."""
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=UTC), tick=False):
        yield


def unfold(text: str) -> list[str]:
    """The content lines of an iCalendar text (continuation lines joined back)."""
    assert text.endswith("\r\n")
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def events(text: str) -> list[dict[str, str]]:
    found, current = [], None
    for line in unfold(text):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            found.append(current)
            current = None
        elif current is not None:
            name, value = line.split(":", 1)
            current[name] = value
    return found


def order_for(user, hub, point, *, pickup_date=None, name="Semaine"):
    """A live order of ``user`` in a new open cycle of ``hub``, collected at ``point``."""
    cycle = factories.OrderCycleFactory(hub=hub, name=name)
    cycle_pickup = factories.CyclePickupPointFactory(cycle=cycle, pickup_point=point)
    slot = factories.PickupSlotFactory(cycle_pickup=cycle_pickup)
    offer = factories.OfferFactory(cycle=cycle, variant__price=Decimal("3.10"))
    order = place_order(
        cycle=cycle, slot=slot, items={offer.pk: 1}, email=user.email,
        full_name=user.full_name, user=user, notify=False,
    )  # fmt: skip
    if pickup_date:
        CyclePickupPoint.objects.filter(pk=cycle_pickup.pk).update(pickup_date=pickup_date)
    return order


def feed_url(user) -> str:
    feed, _ = CalendarFeed.objects.get_or_create(user=user)
    return reverse("orders:calendar_feed", args=[feed.token])


# The iCalendar text ---------------------------------------------------------------------


def test_text_values_are_escaped():
    assert ical.escape("Salle 2; porte B, code 1234\\5\nsonner") == (
        "Salle 2\\; porte B\\, code 1234\\\\5\\nsonner"
    )
    assert ical.escape("a\r\nb\rc") == "a\\nb\\nc"


def test_long_lines_are_folded_at_75_octets():
    line = "DESCRIPTION:" + "x" * 200
    folded = ical.fold(line)
    physical = folded.split("\r\n")
    assert len(physical) == 3
    assert all(len(part.encode()) <= 75 for part in physical)
    assert all(part.startswith(" ") for part in physical[1:])
    assert folded.replace("\r\n ", "") == line
    assert ical.fold("SHORT:line") == "SHORT:line"


def test_folding_never_cuts_a_multibyte_character():
    line = "LOCATION:" + "Tiers-lieu de Fives — Épicerie " * 6
    physical = ical.fold(line).split("\r\n")
    assert len(physical) > 2
    for part in physical:
        assert len(part.encode()) <= 75
        part.encode().decode()  # each line is whole UTF-8 by itself
    assert ical.fold(line).replace("\r\n ", "") == line


def test_a_calendar_has_crlf_lines_and_utc_times():
    text = ical.calendar(
        [
            ical.Event(
                uid="order-X@example.org",
                starts=datetime(2026, 7, 1, 15, 0, tzinfo=UTC),
                ends=datetime(2026, 7, 1, 16, 30, tzinfo=UTC),
                summary="Pickup, here",
                location="1 rue; Lille",
                description="line 1\nline 2",
                url="https://example.org/o/1/",
                modified=datetime(2026, 6, 1, tzinfo=UTC),
            )
        ],
        method="PUBLISH",
    )
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and "METHOD:PUBLISH" in lines
    assert "\n" not in text.replace("\r\n", "")
    [event] = events(text)
    assert event["DTSTART"] == "20260701T150000Z"
    assert event["DTEND"] == "20260701T163000Z"
    assert event["SUMMARY"] == "Pickup\\, here"
    assert event["LOCATION"] == "1 rue\\; Lille"
    assert event["DESCRIPTION"] == "line 1\\nline 2"
    assert int(event["SEQUENCE"]) > 0


# The feed -------------------------------------------------------------------------------


def test_feed_lists_the_households_live_pickups_in_utc(client, household, hub, pickup_point):
    pickup_point.access_info = "Code 1234"
    pickup_point.save()
    order = order_for(household, hub, pickup_point, name="Semaine 48")
    with translation.override("en"):  # the feed's address carries its language
        url = feed_url(household)
    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    text = response.content.decode()
    [event] = events(text)
    host = "localhost"
    assert event["UID"] == f"order-{order.number}@{host}"
    # Monday 30 November, 17:00–19:30 in Paris is 16:00–18:30 UTC (winter time).
    assert event["DTSTART"] == "20261130T160000Z"
    assert event["DTEND"] == "20261130T183000Z"
    assert event["SUMMARY"] == f"Pickup Drive fermier de Lille — {order.number}"
    assert event["LOCATION"] == (
        "La Ruche de Fives (Tiers-lieu de Fives)\\, 1 rue de la Paix\\, Lille"
    )
    assert "17:00" in event["DESCRIPTION"] and "19:30" in event["DESCRIPTION"]
    assert event["URL"] == "http://localhost:8000" + reverse(
        "orders:order_detail", args=[order.number]
    )
    order.refresh_from_db()
    assert event["LAST-MODIFIED"] == ical.utc(order.updated_at)
    assert "Code 1234" not in text  # the door code is for the e-mails, not a shareable feed
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_feed_times_follow_summer_time(client, household, hub, pickup_point):
    order_for(household, hub, pickup_point, pickup_date=date(2027, 6, 21))
    [event] = events(client.get(feed_url(household)).content.decode())
    assert event["DTSTART"] == "20270621T150000Z"  # 17:00 in Paris, UTC+2


def test_feed_leaves_out_cancelled_orders_cancelled_cycles_old_pickups_and_others(
    client, household, hub, pickup_point
):
    kept = order_for(household, hub, pickup_point)
    # The feed looks 60 days back: to 24 September.
    recent = order_for(household, hub, pickup_point, pickup_date=date(2026, 9, 24))
    order_for(household, hub, pickup_point, pickup_date=date(2026, 9, 23))
    cancel_order(order=order_for(household, hub, pickup_point), by=household, reason="")
    in_cancelled_cycle = order_for(household, hub, pickup_point)
    OrderCycle.objects.filter(pk=in_cancelled_cycle.cycle_id).update(
        status=OrderCycle.Status.CANCELLED
    )
    order_for(factories.UserFactory(), hub, pickup_point)  # someone else's

    uids = {event["UID"] for event in events(client.get(feed_url(household)).content.decode())}
    assert uids == {f"order-{kept.number}@localhost", f"order-{recent.number}@localhost"}


def test_feed_of_an_unknown_token_is_404(client, household):
    CalendarFeed.objects.create(user=household)
    assert client.get(reverse("orders:calendar_feed", args=["not-a-token"])).status_code == 404


def test_feed_of_a_deactivated_account_is_404(client, household):
    url = feed_url(household)
    household.is_active = False
    household.save()
    assert client.get(url).status_code == 404


def test_feed_queries_do_not_grow_with_the_orders(
    client, household, hub, pickup_point, django_assert_max_num_queries
):
    for week in range(12):
        order_for(household, hub, pickup_point, name=f"Semaine {week}")
    url = feed_url(household)
    with django_assert_max_num_queries(3):
        response = client.get(url)
    assert len(events(response.content.decode())) == 12


# The page and its address ---------------------------------------------------------------


def test_my_calendar_needs_an_account(client):
    response = client.get(reverse("orders:my_calendar"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_my_calendar_makes_the_feed_on_first_visit_and_shows_its_addresses(
    client, household, hub, pickup_point
):
    order = order_for(household, hub, pickup_point)
    client.force_login(household)
    html = client.get(reverse("orders:my_calendar")).content.decode()
    feed = CalendarFeed.objects.get(user=household)
    path = reverse("orders:calendar_feed", args=[feed.token])
    assert f"webcal://testserver{path}" in html
    assert f"http://testserver{path}" in html
    assert order.number in html
    client.get(reverse("orders:my_calendar"))
    assert CalendarFeed.objects.filter(user=household).count() == 1


def test_my_orders_links_to_my_calendar(client, household):
    client.force_login(household)
    html = client.get(reverse("orders:my_orders")).content.decode()
    assert reverse("orders:my_calendar") in html


def test_a_new_address_stops_the_old_one(client, household, hub, pickup_point):
    order_for(household, hub, pickup_point)
    old_url = feed_url(household)
    client.force_login(household)
    assert client.get(reverse("orders:calendar_new_address")).status_code == 405
    assert client.get(old_url).status_code == 200

    response = client.post(reverse("orders:calendar_new_address"))
    assert response.status_code == 302
    assert client.get(old_url).status_code == 404
    assert len(events(client.get(feed_url(household)).content.decode())) == 1


def test_a_new_address_needs_the_csrf_token(household):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(household)
    old_url = feed_url(household)
    assert browser.post(reverse("orders:calendar_new_address")).status_code == 403
    assert browser.get(old_url).status_code == 200


# The confirmation e-mail ----------------------------------------------------------------


def test_confirmation_e_mail_carries_the_pickup_with_the_feeds_uid(
    household, hub, pickup_point, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        cycle = factories.OrderCycleFactory(hub=hub)
        slot = factories.PickupSlotFactory(
            cycle_pickup=factories.CyclePickupPointFactory(cycle=cycle, pickup_point=pickup_point)
        )
        offer = factories.OfferFactory(cycle=cycle)
        order = place_order(
            cycle=cycle, slot=slot, items={offer.pk: 1}, email=household.email,
            full_name="Camille Foyer", user=household,
        )  # fmt: skip
    [mail] = mailoutbox
    [(name, content, mimetype)] = [a for a in mail.attachments if a[0].endswith(".ics")]
    assert (name, mimetype) == (f"{order.number}.ics", "text/calendar")
    assert f"{order.number}.ics" in mail.body
    assert "METHOD:PUBLISH" in unfold(content)
    [event] = events(content)
    assert event["UID"] == f"order-{order.number}@localhost"
    assert event["DTSTART"] == "20261130T160000Z"
    assert order.access_token in event["URL"]  # guests open it without an account


def test_changed_e_mail_carries_the_pickup_too(
    household, hub, pickup_point, mailoutbox, django_capture_on_commit_callbacks
):
    from orders.checkout.services import update_order

    order = order_for(household, hub, pickup_point)
    offer = order.lines.get().offer
    with django_capture_on_commit_callbacks(execute=True):
        update_order(order=Order.objects.get(pk=order.pk), items={offer.pk: 2}, by=household)
    [mail] = mailoutbox
    [ics] = [a for a in mail.attachments if a[0].endswith(".ics")]
    assert events(ics[1])[0]["UID"] == f"order-{order.number}@localhost"


def test_feed_sequence_grows_when_the_order_changes(client, household, hub, pickup_point):
    from orders.checkout.services import update_order

    order = order_for(household, hub, pickup_point)
    before = events(client.get(feed_url(household)).content.decode())[0]
    offer = order.lines.get().offer
    with time_machine.travel(datetime(2026, 11, 24, 8, 0, tzinfo=UTC), tick=False):
        update_order(order=Order.objects.get(pk=order.pk), items={offer.pk: 2}, by=household)
    after = events(client.get(feed_url(household)).content.decode())[0]
    assert after["UID"] == before["UID"]
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert after["LAST-MODIFIED"] == "20261124T080000Z"
