"""Every printout and list says which hub, which cycle and which pickup day (and when it
was printed), in French and in English: the PDFs, the producer's and the volunteers'
e-mails, and the lists of cycles people print from."""

import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from orders.checkout.services import place_order
from orders.emails import close_emails, notifications
from orders.models import CyclePickupPoint
from pickup_points import notifications as point_notifications
from pickup_points.models import PickupPointMembership
from tests import factories

# A Tuesday, the first of the month: "1er" in French.
PICKUP = date(2030, 10, 1)
DAY = {"fr": "mardi 1er octobre 2030", "en": "Tuesday 1 October 2030"}
PRINTED = {"fr": "Imprimé le", "en": "Printed on"}
LANGUAGES = ["fr", "en"]


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


@pytest.fixture
def order(cycle, slot, offers):
    CyclePickupPoint.objects.filter(pk=slot.cycle_pickup_id).update(pickup_date=PICKUP)
    return place_order(
        cycle=cycle, slot=slot, items={offers["carrots"].pk: 2}, email="zoe@example.org",
        full_name="Zoé Lefèvre", notify=False,
    )  # fmt: skip


def _url(name, *args, language):
    with translation.override(language):
        return reverse(name, args=args)


def _documents(hub, cycle, producer, pickup_point, order):
    return {
        "packing_sheets": ("cycles:packing_sheets", hub.slug, cycle.pk),
        "crate_labels": ("cycles:crate_labels", hub.slug, cycle.pk),
        "pick_list": ("cycles:pick_list", hub.slug, cycle.pk, producer.slug),
        "distribution_list": ("pickup_points:distribution_list", pickup_point.slug, cycle.pk),
        "receipt": ("orders:receipt_by_token", order.access_token),
    }


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "document", ["packing_sheets", "crate_labels", "pick_list", "distribution_list", "receipt"]
)
def test_every_pdf_says_hub_cycle_pickup_day_and_when_printed(
    client, manager, hub, cycle, producer, pickup_point, order, document, language
):
    client.force_login(manager)
    name, *args = _documents(hub, cycle, producer, pickup_point, order)[document]
    response = client.get(_url(name, *args, language=language))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert hub.name in text
    assert cycle.name in text
    assert DAY[language] in text
    assert PRINTED[language] in text
    assert pickup_point.name in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_producers_closing_email_and_its_pick_list_say_hub_cycle_and_day(
    hub, cycle, producer, producer_member, order, language
):
    (owed,) = close_emails.producer_emails(cycle)
    with translation.override(language):
        message = close_emails.build_producer_email(owed.params)
    for text in (message.subject + " " + message.body, pdf_text(message.attachments[0][1])):
        assert hub.name in text
        assert cycle.name in text
    assert DAY[language] in message.body
    assert DAY[language] in pdf_text(message.attachments[0][1])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_reminder_and_the_volunteer_list_say_hub_cycle_and_day(
    hub, cycle, pickup_point, order, language, time_machine
):
    coordinator = factories.UserFactory(email="coord@example.org")
    factories.PickupPointMembershipFactory(
        pickup_point=pickup_point, user=coordinator, role=PickupPointMembership.Role.COORDINATOR
    )
    time_machine.move_to(PICKUP.isoformat() + " 08:00 +02:00", tick=False)
    cycle_pickup = order.cycle_pickup
    cycle_pickup.refresh_from_db()
    emails = notifications.volunteer_list_emails(cycle_pickup)
    with translation.override(language):
        messages = [point_notifications.build_volunteer_list(emails[0].params)]
    time_machine.move_to((PICKUP - timedelta(days=1)).isoformat() + " 12:00 +02:00", tick=False)
    with translation.override(language):
        messages.append(notifications.build_pickup_reminder({"order_id": order.pk}))
    for message in messages:
        text = message.subject + " " + message.body
        assert hub.name in text
        assert cycle.name in text
        assert DAY[language] in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_lists_people_print_from_say_hub_cycle_and_day(
    client, manager, producer_member, hub, cycle, producer, pickup_point, order, language
):
    volunteer = factories.UserFactory(email="benevole@example.org")
    factories.PickupPointMembershipFactory(pickup_point=pickup_point, user=volunteer)
    pages = [
        (volunteer, _url("pickup_points:my_points", language=language)),
        (volunteer, _url("pickup_points:team", pickup_point.slug, language=language)),
        (volunteer, _url("pickup_points:distribution", pickup_point.slug, cycle.pk,
                         language=language)),
        (producer_member, _url("producer_pick_lists", producer.slug, language=language)),
        (manager, _url("cycles:documents", hub.slug, cycle.pk, language=language)),
    ]  # fmt: skip
    for user, url in pages:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert hub.name in html, url
        assert cycle.name in html, url
        assert DAY[language] in html, url


def test_each_points_day_is_named_next_to_it_only_when_points_collect_on_different_days(
    hub, cycle, producer, producer_member, offers, order
):
    """One pickup day: the header says it once (a column of the same date on every row
    only lengthens the pick list). Two days: each point's quantity says which day."""
    (owed,) = close_emails.producer_emails(cycle)
    with translation.override("fr"):
        message = close_emails.build_producer_email(owed.params)
    pdf = pdf_text(message.attachments[0][1])
    assert "Jour de retrait" not in pdf
    assert pdf.count(DAY["fr"]) == 2  # the header and the running foot
    assert f"La Ruche de Fives ({DAY['fr']})" not in message.body

    north = factories.PickupPointFactory(name="Tiers-lieu du Nord", owner_hub=hub)
    north.hubs.add(hub)
    pickup = factories.CyclePickupPointFactory(
        cycle=cycle, pickup_point=north, pickup_date=PICKUP + timedelta(days=2)
    )
    place_order(
        cycle=cycle, slot=factories.PickupSlotFactory(cycle_pickup=pickup, capacity=50),
        items={offers["carrots"].pk: 1}, email="yves@example.org", full_name="Yves Nord",
        notify=False,
    )  # fmt: skip
    with translation.override("fr"):
        message = close_emails.build_producer_email(owed.params)
    pdf = pdf_text(message.attachments[0][1])
    assert "Jour de retrait" in pdf
    assert f"La Ruche de Fives ({DAY['fr']}): 2" in message.body
    assert "Tiers-lieu du Nord (jeudi 3 octobre 2030): 1" in message.body
