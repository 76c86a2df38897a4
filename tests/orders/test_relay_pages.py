"""A relay's evening, through the pages: add a household, order for it in the hub's shop
(its own basket, pay at pickup), change and cancel, print the slip; a household names a
person from its account and withdraws it; a manager invites and removes relays."""

import pytest
from django.core import mail
from django.urls import reverse

from foodhub.hubs import services as hub_services
from foodhub.hubs.models import Invitation, Relay
from orders import outbox
from orders.checkout.services import place_order
from orders.models import Basket, Customer, Order, OrderingRight
from orders.relays.services import grant
from orders.sms.backends import locmem
from tests import factories

pytestmark = pytest.mark.django_db


def add(client, hub, offer, quantity):
    return client.post(reverse("basket_set", args=[hub.slug, offer.pk]), {"quantity": quantity})


def test_a_relay_adds_a_household_with_its_phone_as_typed(client, hub, relay):
    client.force_login(relay)
    url = reverse("relays:new_household", args=[hub.slug])
    response = client.post(
        url,
        {"full_name": " Mme  Dupont ", "phone": "06.12.34.56.78", "consent": "in_person",
         "language": "fr"},
    )  # fmt: skip
    customer = Customer.objects.get()
    assert response.url == reverse("relays:household", args=[customer.pk])
    assert (customer.full_name, customer.phone, customer.email) == (
        "Mme Dupont", "+33612345678", "",
    )  # fmt: skip
    page = client.get(response.url).content.decode()
    assert "Mme Dupont" in page and "06 12 34 56 78" in page and "par téléphone" not in page
    assert "en personne" in page


@pytest.mark.parametrize(
    ("field", "value"),
    [("phone", "NaN"), ("phone", "٠٦١٢٣٤٥٦٧٨"), ("phone", "9" * 30), ("full_name", "   "),
     ("consent", "online"), ("phone", "06 12\x00 34 56 78")],
)  # fmt: skip
def test_a_bad_household_is_refused_with_a_message_and_nothing_is_made(
    client, hub, relay, field, value
):
    client.force_login(relay)
    data = {"full_name": "Mme Dupont", "phone": "0612345678", "consent": "in_person",
            "language": "fr"} | {field: value}  # fmt: skip
    response = client.post(reverse("relays:new_household", args=[hub.slug]), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html or "caractère NUL" in html  # the middleware's own message
    assert not Customer.objects.exists()


def test_a_relay_orders_for_a_household_through_the_shop(
    client, hub, relay, dupont, offers, slot, mailoutbox
):
    client.force_login(relay)
    add(client, hub, offers["carrots"], 1)  # the relay's own basket first
    response = client.post(reverse("relays:start", args=[dupont.pk]))
    assert response.url == reverse("hub_public", args=[hub.slug])
    shop = client.get(response.url).content.decode()
    assert "Vous commandez pour <strong>Mme Dupont</strong>" in shop
    add(client, hub, offers["bread"], 2)
    page = client.get(reverse("checkout", args=[hub.slug])).content.decode()
    assert 'name="email"' not in page and 'name="payment_method"' not in page
    assert "paie au retrait" in page
    review = client.post(reverse("checkout", args=[hub.slug]), {"slot": slot.pk, "note": ""})
    assert review.status_code == 200 and "Mme Dupont" in review.content.decode()
    placed = client.post(
        reverse("checkout", args=[hub.slug]), {"slot": slot.pk, "note": "", "confirm": "1"}
    )
    order = Order.objects.get(customer=dupont)
    assert placed.url == reverse("relays:order", args=[order.number])
    assert (order.placed_by, order.email, order.payment_method) == (relay, "", "at_pickup")
    assert [(line.offer_id, line.quantity) for line in order.lines.all()] == [
        (offers["bread"].pk, 2)
    ]
    # The relay's own basket is untouched, and the shop is its own again.
    own = Basket.objects.get(user=relay, customer=None)
    assert own.items.get().offer_id == offers["carrots"].pk
    assert (
        "Vous commandez pour"
        not in client.get(reverse("hub_public", args=[hub.slug])).content.decode()
    )
    # The order page says who placed it for whom; the slip is in large print.
    page = client.get(placed.url).content.decode()
    assert "Passée par Martine Relais pour Mme Dupont." in page
    slip = client.get(reverse("relays:slip", args=[order.number])).content.decode()
    assert "La Ruche de Fives" in slip and order.number in slip and 'class="slip"' in slip


def test_a_relay_changes_then_cancels_the_households_order(
    client, hub, relay, dupont, offers, slot
):
    order = place_order(
        cycle=slot.cycle_pickup.cycle, items={offers["bread"].pk: 1}, email="", full_name="",
        slot=slot, customer=dupont, placed_by=relay, notify=False,
    )  # fmt: skip
    client.force_login(relay)
    client.post(reverse("relays:order_change", args=[order.number]))
    add(client, hub, offers["bread"], 3)
    client.post(reverse("checkout", args=[hub.slug]), {"slot": slot.pk, "note": "", "confirm": "1"})
    order.refresh_from_db()
    assert order.lines.get().quantity == 3
    client.post(reverse("relays:order_cancel", args=[order.number]))
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    history = client.get(reverse("relays:order", args=[order.number])).content.decode()
    assert history.count("— par Martine Relais") == 3  # placed, changed, cancelled


def test_a_household_names_a_neighbour_who_orders_then_withdraws(
    client, hub, household, offers, slot
):
    own = Customer.objects.create(hub=hub, user=household, email=household.email, full_name="F")
    neighbour = factories.UserFactory(email="voisine@example.org", full_name="Voisine")
    client.force_login(household)
    response = client.post(
        reverse("orders:who_orders_for_me"), {"customer": own.pk, "email": "voisine@example.org"}
    )
    assert response.status_code == 302
    right = OrderingRight.objects.get()
    client.force_login(neighbour)
    assert "F" in client.get(reverse("relays:helped")).content.decode()
    client.post(reverse("relays:start", args=[own.pk]))
    add(client, hub, offers["bread"], 1)
    client.post(reverse("checkout", args=[hub.slug]), {"slot": slot.pk, "note": "", "confirm": "1"})
    order = Order.objects.get()
    assert (order.user, order.placed_by) == (household, neighbour)
    # The household sees who ordered for it, in its order and its data.
    client.force_login(household)
    page = client.get(reverse("orders:order_detail", args=[order.number])).content.decode()
    assert "Passée par Voisine pour" in page
    data = client.get(reverse("orders:my_data_json")).json()
    assert data["orders"][0]["placed_by"] == "Voisine"
    assert data["orders"][0]["history"][0]["by"] == "Voisine"
    assert data["customer_of"][0]["people_who_may_order_for_me"][0]["name"] == "Voisine"
    client.post(reverse("orders:withdraw_right", args=[right.pk]))
    client.force_login(neighbour)
    assert client.get(reverse("relays:order", args=[order.number])).status_code == 404
    assert client.post(reverse("relays:start", args=[own.pk])).status_code == 404


def test_naming_an_unknown_address_says_so_and_names_nobody(client, hub, household):
    Customer.objects.create(hub=hub, user=household, email=household.email, full_name="F")
    client.force_login(household)
    response = client.post(
        reverse("orders:who_orders_for_me"),
        {"customer": Customer.objects.get().pk, "email": "personne@example.org"},
    )
    assert response.status_code == 400
    assert "Personne n’a de compte avec cette adresse" in response.content.decode()
    assert not OrderingRight.objects.exists()


def test_someone_elses_right_cannot_be_withdrawn(client, hub, household, relay, dupont):
    right = dupont.ordering_rights.get()
    client.force_login(household)
    assert client.post(reverse("orders:withdraw_right", args=[right.pk])).status_code == 404
    right.refresh_from_db()
    assert right.withdrawn_at is None


def test_a_manager_invites_a_relay_who_accepts_and_is_removed(
    client, hub, manager, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("hubs:invite_relay", args=[hub.slug]), {"email": "r@example.org"})
    invitation = Invitation.objects.get()
    assert (invitation.kind, invitation.hub) == (Invitation.Kind.HUB_RELAY, hub)
    assert len(mail.outbox) == 1
    user = factories.UserFactory(email="r@example.org")
    hub_services.accept_invitation(invitation=invitation, user=user)
    relay = Relay.objects.get(hub=hub, user=user)
    # A relay is no manager.
    client.force_login(user)
    assert client.get(reverse("hubs:dashboard", args=[hub.slug])).status_code == 404
    assert client.get(reverse("relays:new_household", args=[hub.slug])).status_code == 200
    client.force_login(manager)
    client.post(reverse("hubs:remove_relay", args=[hub.slug, relay.pk]))
    assert not Relay.objects.exists()


def test_a_manager_of_another_hub_cannot_remove_a_relay(client, hub, relay, other_hub_manager):
    client.force_login(other_hub_manager)
    relay_row = Relay.objects.get()
    url = reverse("hubs:remove_relay", args=[hub.slug, relay_row.pk])
    assert client.post(url).status_code == 404
    assert Relay.objects.exists()


def test_a_household_account_can_be_named_by_grant(hub, household):
    own = Customer.objects.create(hub=hub, user=household, email=household.email, full_name="F")
    person = factories.UserFactory()
    right = grant(customer=own, by=household, email=person.email)
    assert right.origin == "granted"


# SMS chosen by the relay for the household -------------------------------------------


@pytest.fixture
def sms_outbox():
    locmem.outbox.clear()
    yield locmem.outbox
    locmem.outbox.clear()


def test_a_household_made_by_a_relay_gets_its_confirmation_by_sms_in_its_language(
    client, hub, relay, offers, slot, sms_outbox, django_capture_on_commit_callbacks
):
    client.force_login(relay)
    client.post(
        reverse("relays:new_household", args=[hub.slug]),
        {"full_name": "Mrs Smith", "phone": "07 81 22 43 90", "consent": "by_phone",
         "language": "en", "sms_confirmation": "on", "sms_reminder": "on"},
    )  # fmt: skip
    customer = Customer.objects.get()
    assert (customer.language, customer.sms_confirmation, customer.sms_reminder) == (
        "en", True, True,
    )  # fmt: skip
    assert not customer.sms_shop_open and customer.sms_chosen_by == relay
    client.post(reverse("relays:start", args=[customer.pk]))
    add(client, hub, offers["bread"], 1)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("checkout", args=[hub.slug]), {"slot": slot.pk, "note": "", "confirm": "1"}
        )
    order = Order.objects.get()
    assert order.language == "en"
    outbox.send_due()
    [sms] = sms_outbox
    assert sms.to == ["+33781224390"] and order.number in sms.body
    assert "Order" in sms.body  # English, the household's language


def test_sms_for_a_landline_is_refused_and_no_household_is_made(client, hub, relay):
    client.force_login(relay)
    response = client.post(
        reverse("relays:new_household", args=[hub.slug]),
        {"full_name": "M. Fixe", "phone": "03 20 12 34 56", "consent": "in_person",
         "language": "fr", "sms_confirmation": "on"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "Les SMS demandent un numéro de portable" in response.content.decode()
    assert not Customer.objects.exists()


def test_the_relay_changes_the_households_sms_choices(client, relay, dupont):
    client.force_login(relay)
    client.post(reverse("relays:sms", args=[dupont.pk]), {"shop_open": "on"})
    dupont.refresh_from_db()
    assert (dupont.sms_confirmation, dupont.sms_reminder, dupont.sms_shop_open) == (
        False, False, True,
    )  # fmt: skip
    stranger = factories.UserFactory()
    client.force_login(stranger)
    assert client.post(reverse("relays:sms", args=[dupont.pk]), {}).status_code == 404
    dupont.refresh_from_db()
    assert dupont.sms_shop_open


def test_the_managers_cycle_page_says_who_placed_an_order_for_a_household(
    client, hub, manager, relay, dupont, offers, slot
):
    place_order(
        cycle=slot.cycle_pickup.cycle, items={offers["bread"].pk: 1}, email="", full_name="",
        slot=slot, customer=dupont, placed_by=relay, notify=False,
    )  # fmt: skip
    client.force_login(manager)
    page = client.get(reverse("cycles:detail", args=[hub.slug, slot.cycle_pickup.cycle_id]))
    assert "passée par Martine Relais" in page.content.decode()
