"""The producers' closing e-mail and their pick list say where and when to deliver."""

import io
from datetime import datetime, timedelta

import pytest
from django.utils import translation
from pypdf import PdfReader

from orders import clock
from orders.checkout.services import place_order
from orders.emails import close_emails
from orders.planning import deliveries

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


@pytest.fixture
def owed(cycle, slot, offers, producer_member):
    place_order(
        cycle=cycle, slot=slot, items={offers["carrots"].pk: 2}, email="zoe@example.org",
        full_name="Zoé Lefèvre", notify=False,
    )  # fmt: skip
    (owed,) = close_emails.producer_emails(cycle)
    return owed


def build(owed):
    with translation.override("fr"):
        message = close_emails.build_producer_email(owed.params)
    return message.body, pdf_text(message.attachments[0][1])


def test_they_say_the_place_and_time_the_hub_set(cycle, slot, owed):
    day = slot.cycle_pickup.pickup_date - timedelta(days=1)
    at = datetime(day.year, day.month, day.day, 7, 45, tzinfo=clock.paris())
    deliveries.set_delivery(cycle=cycle, place="Hangar B, 3 rue du Port", at=at)
    for text in build(owed):
        assert "Livrer à : Hangar B, 3 rue du Port" in text
        assert "7:45" in text or "07:45" in text


def test_without_a_place_they_give_the_hubs_address_or_say_to_ask(hub, owed):
    body, pdf = build(owed)
    assert "demandez l’adresse au drive" in body and "demandez l’adresse au drive" in pdf
    hub.address = "12 rue des Halles, Lille"
    hub.save()
    for text in build(owed):
        assert "Livrer à : 12 rue des Halles, Lille" in text
