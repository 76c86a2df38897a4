"""E-mails the worker sends later are in the household's language: the one of the page the
order was placed on, or the one the person chose with the language buttons."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from orders import outbox
from orders.checkout.services import place_order
from orders.emails import close_emails, notifications
from orders.models import OpeningAlert
from tests import factories


@pytest.fixture(autouse=True)
def _monday_in_november():
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=UTC), tick=False):
        yield


def order_on_a_page_in(language, cycle, slot, offer, email):
    with translation.override(language):
        return place_order(
            cycle=cycle, slot=slot, items={offer.pk: 1}, email=email,
            full_name="Alex Voisin", notify=False,
        )  # fmt: skip


def test_an_order_keeps_the_language_of_its_page_for_its_later_e_mails(
    cycle, slot, offers, mailoutbox
):
    english = order_on_a_page_in("en", cycle, slot, offers["bread"], "en@example.org")
    french = order_on_a_page_in("fr", cycle, slot, offers["bread"], "fr@example.org")
    assert (english.language, french.language) == ("en", "fr")

    outbox.owe(close_emails.household_emails(cycle))
    outbox.owe(notifications.reminder_emails(slot.cycle_pickup))
    outbox.send_due()

    to_english = [m for m in mailoutbox if m.to == ["en@example.org"]]
    to_french = [m for m in mailoutbox if m.to == ["fr@example.org"]]
    assert len(to_english) == len(to_french) == 2
    for mail in to_english:
        assert "Total: €4.80" in mail.body or "€4.80" in mail.body
        assert "/en/orders/o/" in mail.body  # links lead to the English pages
    for mail in to_french:
        assert "4,80\u00a0€" in mail.body
        assert "/en/" not in mail.body


def test_the_language_chosen_with_the_buttons_is_kept_for_the_e_mails(
    client, hub, cycle, slot, offers, household, mailoutbox
):
    client.force_login(household)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    household.refresh_from_db()
    assert household.language == "en"

    OpeningAlert.objects.create(user=household, hub=hub)
    [email] = notifications.opening_emails(cycle)
    assert email.language == "en"
    outbox.owe([email])
    outbox.send_due()
    [mail] = mailoutbox
    assert mail.subject.startswith("The shop of Drive fermier de Lille is open")

    # A visitor's choice is only a cookie: nobody's account changes.
    other = factories.UserFactory()
    client.logout()
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    other.refresh_from_db()
    household.refresh_from_db()
    assert (other.language, household.language) == ("", "en")


def test_a_bad_language_changes_nothing(client, household):
    client.force_login(household)
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    household.refresh_from_db()
    assert household.language == ""
