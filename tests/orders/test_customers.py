"""Each household is one customer of each hub it orders from (orders.customers).

The customer is who a hub's balances and invoices will name: an account is one customer per
hub whatever address it orders with; a guest is known by its address until it orders
logged in with it; existing orders are linked by the migration the same way.
"""

import importlib
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps as global_apps
from django.db import connection, connections, transaction

from orders.checkout import services
from orders.customers import customer_for
from orders.households import my_data
from orders.models import Customer, Order
from tests import factories

pytestmark = pytest.mark.django_db


def open_cycle(hub, pickup_point, producer):
    """An open cycle of ``hub``, with a slot and an offer."""
    cycle = factories.OrderCycleFactory(hub=hub)
    cycle_pickup = factories.CyclePickupPointFactory(cycle=cycle, pickup_point=pickup_point)
    slot = factories.PickupSlotFactory(cycle_pickup=cycle_pickup, capacity=50)
    variant = factories.VariantFactory(product__producer=producer, price=Decimal("3.00"))
    return cycle, slot, factories.OfferFactory(cycle=cycle, variant=variant)


@pytest.fixture
def next_cycle(hub, pickup_point, producer):
    """Another open cycle of the same hub."""
    return open_cycle(hub, pickup_point, producer)


def place(cycle, slot, offer, *, email, user=None, name="Camille Foyer"):
    return services.place_order(
        cycle=cycle, items={offer.pk: 1}, email=email, full_name=name, slot=slot, user=user,
        notify=False,
    )  # fmt: skip


def test_a_first_order_makes_the_customer_and_the_next_ones_reuse_it(
    cycle, slot, offers, next_cycle, household
):
    first = place(cycle, slot, offers["bread"], email="", user=household)
    second = place(*next_cycle, email="", user=household)
    assert first.customer == second.customer
    customer = first.customer
    assert (customer.hub, customer.user, customer.email) == (cycle.hub, household, household.email)
    assert customer.full_name == "Camille Foyer"


def test_a_household_is_a_customer_of_each_hub_apart(cycle, slot, offers, household):
    place(cycle, slot, offers["bread"], email="", user=household)
    other_hub = factories.HubFactory(slug="roubaix")
    customer = customer_for(
        hub_id=other_hub.pk, email=household.email, full_name="C", user=household
    )
    assert customer.hub == other_hub
    assert Customer.objects.filter(user=household).count() == 2


def test_a_guest_is_known_by_its_address(cycle, slot, offers, next_cycle):
    first = place(cycle, slot, offers["bread"], email="Invite@Example.org")
    second = place(*next_cycle, email="invite@example.org")
    assert first.customer == second.customer
    assert first.customer.user is None and first.customer.email == "invite@example.org"


def test_a_guest_who_orders_logged_in_with_the_same_address_keeps_its_customer(
    cycle, slot, offers, next_cycle, household
):
    guest = place(cycle, slot, offers["bread"], email=household.email)
    logged_in = place(*next_cycle, email="", user=household)
    assert logged_in.customer == guest.customer
    guest.customer.refresh_from_db()
    assert guest.customer.user == household
    assert Customer.objects.count() == 1


def test_an_address_another_account_gave_up_makes_a_customer_without_it(cycle, hub, household):
    former = factories.UserFactory(email="ancien@example.org")
    theirs = customer_for(hub_id=hub.pk, email="partage@example.org", full_name="A", user=former)
    mine = customer_for(hub_id=hub.pk, email="partage@example.org", full_name="B", user=household)
    assert mine != theirs
    assert (mine.user, mine.email) == (household, "")
    assert customer_for(hub_id=hub.pk, email="x", full_name="B", user=household) == mine


def test_an_account_keeps_its_own_customer_when_a_guest_used_its_new_address(hub, household):
    """The account's customer was made under its former address; a guest later ordered
    with the account's new one. The account stays its own customer."""
    own = customer_for(hub_id=hub.pk, email="ancienne@example.org", full_name="C", user=household)
    guest = customer_for(hub_id=hub.pk, email=household.email, full_name="Invité")
    assert customer_for(hub_id=hub.pk, email=household.email, full_name="C", user=household) == own
    guest.refresh_from_db()
    assert guest.user is None


def test_deleting_the_account_anonymises_its_customers(cycle, slot, offers, household):
    order = place(cycle, slot, offers["bread"], email="", user=household)
    after_the_close = cycle.closes_at + timedelta(days=1)  # the order is kept, not cancelled
    my_data.delete_account(user=household, now=after_the_close)
    customer = Customer.objects.get(pk=order.customer_id)
    assert (customer.user, customer.email, customer.phone) == (None, "", "")
    assert customer.full_name != "Camille Foyer"


def test_my_data_lists_the_hubs_i_am_a_customer_of(cycle, slot, offers, household):
    place(cycle, slot, offers["bread"], email="", user=household)
    exported = my_data.export(household)
    assert [entry["hub"] for entry in exported["customer_of"]] == [cycle.hub.name]


def test_the_migration_links_existing_orders_as_the_service_would(
    cycle, slot, offers, next_cycle, household
):
    """Orders written before customers existed: an account's, a guest's that the account
    later used, another guest's, and one of another hub."""
    other_hub = factories.HubFactory(slug="roubaix", order_prefix="RBX")
    elsewhere = open_cycle(
        other_hub, factories.PickupPointFactory(), cycle.offers.first().variant.product.producer
    )
    orders = [
        place(cycle, slot, offers["bread"], email=household.email),  # as a guest, first
        place(*next_cycle, email="", user=household),
        place(cycle, slot, offers["carrots"], email="voisin@example.org", name="Voisin"),
    ]
    far = place(*elsewhere, email="", user=household)
    Order.objects.update(customer=None)
    Customer.objects.all().delete()

    migration = importlib.import_module("orders.migrations.0012_customers")
    migration.link_orders_to_customers(global_apps, None)

    linked = {o.pk: o.customer for o in Order.objects.select_related("customer")}
    assert linked[orders[0].pk] == linked[orders[1].pk]
    assert linked[orders[0].pk].user == household
    assert linked[orders[2].pk].email == "voisin@example.org"
    assert linked[orders[2].pk].user is None
    assert linked[far.pk].hub == other_hub and linked[far.pk].user == household
    assert Customer.objects.count() == 3


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent inserts are tested"
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("logged_in", [False, True])
def test_a_new_household_ordering_twice_at_once_is_one_customer(hub, household, logged_in):
    """Eight orders of a household new to the hub, each in its own transaction, at the same
    instant: one customer, every order in it (a guest's row taken over once)."""
    if logged_in:
        customer_for(hub_id=hub.pk, email=household.email, full_name="Invité")  # a guest's row
    barrier = threading.Barrier(8)

    def order(_):
        try:
            barrier.wait(timeout=30)
            with transaction.atomic():
                return customer_for(
                    hub_id=hub.pk,
                    email=household.email,
                    full_name="Camille",
                    user=household if logged_in else None,
                ).pk
        finally:
            connections.close_all()

    with ThreadPoolExecutor(8) as pool:
        found = set(pool.map(order, range(8)))
    assert len(found) == 1
    customer = Customer.objects.get()
    assert customer.pk in found and customer.user == (household if logged_in else None)
