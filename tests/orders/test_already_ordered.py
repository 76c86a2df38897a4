"""An order is shown only to whoever has proved it is theirs.

Typing an e-mail address at checkout proves nothing: a visitor who checks out with the
address of a household that already ordered in the cycle is told that an order exists and
that its link was e-mailed to that address, never shown the order, its link or its number.
The browser that placed the order (a double click) has proved it and lands on it.
"""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.messages import get_messages
from django.db import connection
from django.urls import reverse

from orders.checkout import services
from orders.models import Basket, Order
from tests import factories

pytestmark = pytest.mark.django_db

VICTIM = "victime@example.org"


def add(client, hub, offer, quantity):
    return client.post(reverse("basket_set", args=[hub.slug, offer.pk]), {"quantity": quantity})


def details(slot, email=VICTIM):
    return {
        "email": email,
        "full_name": "Quelqu'un d'autre",
        "phone": "",
        "slot": slot.pk,
        "payment_method": "at_pickup",
        "note": "",
        "confirm": "1",
    }


@pytest.fixture
def victims_order(cycle, slot, offers):
    return services.place_order(
        cycle=cycle,
        items={offers["bread"].pk: 2},
        email=VICTIM,
        full_name="Victime Foyer",
        slot=slot,
        notify=False,
    )


def _secrets(order) -> list[str]:
    return [order.number, order.access_token]


def test_checking_out_with_someone_elses_address_shows_no_order_and_emails_its_owner(
    client, hub, offers, slot, victims_order, mailoutbox, django_capture_on_commit_callbacks
):
    add(client, hub, offers["carrots"], 1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("checkout", args=[hub.slug]), details(slot))

    assert response.status_code == 409
    html = response.content.decode()
    for secret in _secrets(victims_order):
        assert secret not in html
        assert secret not in response.get("Location", "")
        assert all(secret not in str(m) for m in get_messages(response.wsgi_request))
    assert "Une commande avec cette adresse existe déjà" in html
    assert "nous avons envoyé son lien à cette adresse" in html
    # The link goes to the address, which is what proves ownership.
    [mail] = mailoutbox
    assert mail.to == [VICTIM]
    assert "a essayé de passer une nouvelle commande" in mail.body
    assert victims_order.get_secret_url() in mail.body
    # The visitor's basket is kept; nothing was ordered, the victim's order is untouched.
    assert Basket.objects.get().items.get().quantity == 1
    assert Order.objects.get() == victims_order
    victims_order.refresh_from_db()
    assert victims_order.status == Order.Status.PLACED


def test_the_link_email_is_sent_once_per_address_and_cycle_however_often_one_tries(
    client, hub, offers, slot, victims_order, mailoutbox, django_capture_on_commit_callbacks
):
    add(client, hub, offers["carrots"], 1)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            response = client.post(reverse("checkout", args=[hub.slug]), details(slot))
            assert response.status_code == 409
    assert len(mailoutbox) == 1


def test_the_same_browser_submitting_twice_lands_on_its_order(client, hub, offers, slot):
    add(client, hub, offers["carrots"], 1)
    url = reverse("checkout", args=[hub.slug])
    first = client.post(url, details(slot, email="alix@example.org"))
    order = Order.objects.get()
    assert first.url == order.get_secret_url()
    # A second click (the basket refilled in another tab) finds the order it placed.
    add(client, hub, offers["carrots"], 1)
    second = client.post(url, details(slot, email="alix@example.org"))
    assert second.status_code == 302
    assert second.url == order.get_secret_url()
    assert Order.objects.count() == 1


def test_a_second_click_racing_the_first_finds_the_proof_in_the_session_store(
    client, hub, offers, slot
):
    """The second request of a double click read the session before the first one placed
    the order: the proof is read again from the session store, where it was written in
    the order's own transaction."""
    from importlib import import_module

    from django.conf import settings

    from orders.checkout import ownership

    add(client, hub, offers["carrots"], 1)
    session_key = client.session.session_key
    order = services.place_order(
        cycle=slot.cycle_pickup.cycle, items={offers["bread"].pk: 1}, email="alix@example.org",
        full_name="Alix", slot=slot, notify=False,
    )  # fmt: skip
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    store[ownership.SESSION_KEY] = [order.pk]
    store.save()  # what the first request wrote while the second one was running
    response = client.post(reverse("checkout", args=[hub.slug]), details(slot, "alix@example.org"))
    assert response.status_code == 302
    assert response.url == order.get_secret_url()


def test_following_the_emailed_link_proves_the_order(
    client, hub, offers, slot, victims_order, mailoutbox, django_capture_on_commit_callbacks
):
    add(client, hub, offers["carrots"], 1)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("checkout", args=[hub.slug]), details(slot))
    link = victims_order.get_secret_url()
    assert link in mailoutbox[0].body
    assert client.get(link).status_code == 200
    response = client.post(reverse("checkout", args=[hub.slug]), details(slot))
    assert response.url == victims_order.get_secret_url()


def test_an_account_whose_address_is_not_verified_does_not_see_a_guest_order(
    client, hub, offers, slot, victims_order
):
    intruder = factories.UserFactory(email=VICTIM)
    EmailAddress.objects.filter(user=intruder).update(verified=False)
    client.force_login(intruder)
    html = client.get(reverse("hub_public", args=[hub.slug])).content.decode()
    for secret in _secrets(victims_order):
        assert secret not in html
    add(client, hub, offers["carrots"], 1)
    response = client.post(reverse("checkout", args=[hub.slug]), details(slot))
    assert response.status_code == 409
    for secret in _secrets(victims_order):
        assert secret not in response.content.decode()


def test_an_account_with_the_verified_address_edits_its_order_from_the_shop(
    client, hub, offers, slot, victims_order
):
    owner = factories.UserFactory(email=VICTIM)
    client.force_login(owner)
    html = client.get(reverse("hub_public", args=[hub.slug])).content.decode()
    assert victims_order.number in html  # "you are changing your order ..."


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: two requests really racing"
)
@pytest.mark.django_db(transaction=True)
def test_a_real_double_click_lands_both_requests_on_the_order(hub, offers, slot, mailoutbox):
    from django.conf import settings
    from django.test import Client

    from tests.orders.test_concurrency import in_parallel

    first = Client()
    add(first, hub, offers["carrots"], 1)
    cookie = first.cookies[settings.SESSION_COOKIE_NAME].value
    url = reverse("checkout", args=[hub.slug])

    def click(_):
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = cookie
        return client.post(url, details(slot, email="alix@example.org"))

    responses = in_parallel(2, click)

    order = Order.objects.get()
    assert [r.status_code for r in responses] == [302, 302], responses
    assert {r.url for r in responses} == {order.get_secret_url()}
    # Only the confirmation left: no "someone tried to order with your address".
    [confirmation] = mailoutbox
    assert "a essayé de passer une nouvelle commande" not in confirmation.body
