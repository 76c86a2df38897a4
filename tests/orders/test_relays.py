"""Ordering for someone else: a relay makes a household's record (name, phone, consent) and
orders for it through the normal checkout; a household names a person from its account."""

from decimal import Decimal

import pytest

from foodhub.hubs.models import Relay
from orders import ledger
from orders.checkout import services
from orders.models import Customer, Order, OrderEvent, OrderingRight
from orders.relays import selectors
from orders.relays.services import RelayError, create_household, grant, withdraw
from tests import factories

pytestmark = pytest.mark.django_db


def place_for(customer, by, cycle, slot, items, **kwargs):
    return services.place_order(
        cycle=cycle,
        slot=slot,
        items={offer.pk: qty for offer, qty in items.items()},
        email="",
        full_name="",
        customer=customer,
        placed_by=by,
        notify=False,
        **kwargs,
    )


def test_a_relay_makes_a_household_with_a_name_and_a_phone_and_its_consent(hub, relay, dupont):
    assert (dupont.full_name, dupont.phone, dupont.email, dupont.user) == (
        "Mme Dupont", "+33612345678", "", None,
    )  # fmt: skip
    [right] = dupont.ordering_rights.all()
    assert (right.user, right.origin, right.consent, right.consent_recorded_by) == (
        relay, "relay", "in_person", relay,
    )  # fmt: skip
    assert list(selectors.helped_households(relay, hub)) == [dupont]


@pytest.mark.parametrize(
    ("name", "phone", "consent"),
    [("", "06 12 34 56 78", "in_person"), ("Mme X", "pas un numéro", "in_person"),
     ("Mme X", "", "by_phone"), ("Mme X", "06 12 34 56 78", "online"),
     ("Mme X", "06 12 34 56 78", "NaN"), ("\x00", "06 12 34 56 78", "in_person")],
)  # fmt: skip
def test_a_household_without_name_number_or_consent_is_refused(hub, relay, name, phone, consent):
    with pytest.raises(RelayError):
        create_household(hub=hub, by=relay, full_name=name, phone=phone, consent=consent)
    assert not Customer.objects.exists()


def test_only_a_relay_or_manager_of_this_hub_makes_households(hub, manager, household):
    other_relay = factories.UserFactory()
    Relay.objects.create(hub=factories.HubFactory(), user=other_relay)
    for stranger in (household, other_relay):
        with pytest.raises(RelayError):
            create_household(
                hub=hub, by=stranger, full_name="X", phone="0612345678", consent="in_person"
            )
    create_household(hub=hub, by=manager, full_name="X", phone="0612345678", consent="by_phone")


def test_the_order_is_the_households_and_says_who_placed_it(cycle, slot, offers, relay, dupont):
    order = place_for(dupont, relay, cycle, slot, {offers["bread"]: 2})
    assert (order.customer, order.placed_by, order.email, order.user) == (dupont, relay, "", None)
    assert order.payment_method == Order.PaymentMethod.AT_PICKUP
    assert order.events.get().by == relay
    # Stock was taken as for any order.
    offers["bread"].refresh_from_db()
    assert offers["bread"].allocated == 2


def test_two_households_without_email_order_in_the_same_cycle(
    hub, cycle, slot, offers, relay, dupont
):
    durand = create_household(
        hub=hub, by=relay, full_name="M. Durand", phone="0612345679", consent="by_phone"
    )
    place_for(dupont, relay, cycle, slot, {offers["bread"]: 1})
    place_for(durand, relay, cycle, slot, {offers["bread"]: 1})
    assert Order.objects.live().count() == 2


def test_a_second_order_for_the_same_household_is_refused_and_names_the_first(
    cycle, slot, offers, relay, dupont
):
    first = place_for(dupont, relay, cycle, slot, {offers["bread"]: 1})
    with pytest.raises(services.AlreadyOrdered) as refused:
        place_for(dupont, relay, cycle, slot, {offers["carrots"]: 1})
    assert refused.value.order == first
    assert Order.objects.count() == 1


def test_an_order_for_a_household_cannot_be_paid_by_card(cycle, slot, offers, relay, dupont):
    with pytest.raises(services.OrderError):
        place_for(dupont, relay, cycle, slot, {offers["bread"]: 1}, payment_method="card")
    assert not Order.objects.exists()


def test_a_household_of_another_hub_is_refused(cycle, slot, offers, relay):
    elsewhere = Customer.objects.create(hub=factories.HubFactory(), full_name="Ailleurs")
    with pytest.raises(services.OrderError):
        place_for(elsewhere, relay, cycle, slot, {offers["bread"]: 1})
    assert not Order.objects.exists()
    offers["bread"].refresh_from_db()
    assert offers["bread"].allocated == 0


def test_the_households_credit_pays_an_order_placed_for_it(cycle, slot, offers, relay, dupont):
    ledger.add_entry(
        customer=dupont, kind="manual", amount=Decimal("2.00"), reason="avance", key="gift-1"
    )
    order = place_for(dupont, relay, cycle, slot, {offers["bread"]: 1})
    assert ledger.credit_used(order) == min(Decimal("2.00"), order.total)


def test_a_change_and_a_cancel_by_the_relay_are_in_the_history(cycle, slot, offers, relay, dupont):
    order = place_for(dupont, relay, cycle, slot, {offers["bread"]: 1})
    services.update_order(order=order, items={offers["bread"].pk: 3}, by=relay)
    services.cancel_order(order=order, by=relay, notify=False)
    assert [(e.kind, e.by) for e in order.events.all()] == [
        (OrderEvent.Kind.PLACED, relay), (OrderEvent.Kind.CHANGED, relay),
        (OrderEvent.Kind.CANCELLED, relay),
    ]  # fmt: skip


def test_a_household_names_a_person_and_withdraws_the_right(hub, cycle, slot, offers, household):
    own = Customer.objects.create(hub=hub, user=household, email=household.email, full_name="F")
    neighbour = factories.UserFactory(email="voisine@example.org")
    right = grant(customer=own, by=household, email=" Voisine@example.org ")
    assert (right.origin, right.consent) == ("granted", "online")
    assert selectors.right_for(neighbour, own) == right
    order = place_for(own, neighbour, cycle, slot, {offers["bread"]: 1})
    assert (order.user, order.placed_by, order.email) == (household, neighbour, household.email)
    withdraw(right=right, by=household)
    assert selectors.right_for(neighbour, own) is None
    assert not selectors.may_act_on_order(neighbour, order)
    assert OrderingRight.objects.count() == 1  # withdrawn, kept


def test_naming_is_refused_for_others_and_unknown_addresses(hub, household):
    own = Customer.objects.create(hub=hub, user=household, email=household.email, full_name="F")
    stranger = factories.UserFactory()
    with pytest.raises(RelayError):
        grant(customer=own, by=stranger, email=household.email)
    with pytest.raises(RelayError):
        grant(customer=own, by=household, email="personne@example.org")
    with pytest.raises(RelayError):
        grant(customer=own, by=household, email=household.email)
    assert not OrderingRight.objects.exists()


def test_a_relay_removed_from_the_hub_no_longer_helps_its_households(hub, relay, dupont):
    Relay.objects.filter(user=relay).delete()
    assert selectors.right_for(relay, dupont) is None
    assert (
        not selectors.helped_households(relay, hub)
        .filter(ordering_rights__user=relay, hub__relays__user=relay)
        .exists()
    )
