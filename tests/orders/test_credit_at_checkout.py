"""A household's credit with its hub pays its next orders (orders.checkout, orders.ledger):
used at checkout automatically, shown in the price breakdown, given back when the order
costs less or is cancelled, and only ever spent by the account that owns it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders import ledger
from orders.checkout.services import cancel_order, paid_amount, place_order, update_order
from orders.models import BalanceEntry, Customer, Order, OutgoingEmail
from orders.money import payments
from tests import factories

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def customer(hub, household):
    """The household's record with the hub, with 6.00 € of credit (change kept)."""
    made = Customer.objects.create(
        hub=hub, user=household, email=household.email, full_name=household.full_name
    )
    ledger.add_entry(customer=made, kind="manual", amount=D("6.00"), key="seed", reason="cahier")
    return made


def order_bread(cycle, slot, offers, household, loaves=1, **kwargs):
    return place_order(
        cycle=cycle, slot=slot, items={offers["bread"].pk: loaves}, email=household.email,
        full_name=household.full_name, user=household, notify=False, **kwargs,
    )  # fmt: skip


def balance(customer) -> Decimal:
    customer.refresh_from_db()
    assert ledger.recount(customer.hub) == []
    return customer.balance


def test_credit_pays_the_order_at_checkout(cycle, slot, offers, household, customer):
    order = order_bread(cycle, slot, offers, household)  # 4.80 €

    assert order.customer == customer
    assert ledger.credit_used(order) == D("4.80") == paid_amount(order)
    assert balance(customer) == D("1.20")
    entry = BalanceEntry.objects.get(kind="credit_used")
    assert (entry.order, entry.amount) == (order, D("-4.80"))


def test_credit_pays_part_of_a_bigger_order(cycle, slot, offers, household, customer):
    order = order_bread(cycle, slot, offers, household, loaves=2)  # 9.60 €
    assert ledger.credit_used(order) == D("6.00") and balance(customer) == 0
    assert order.total - paid_amount(order) == D("3.60")


def test_a_changed_order_gives_back_or_takes_more_credit(cycle, slot, offers, household, customer):
    order = order_bread(cycle, slot, offers, household, loaves=2)
    update_order(order=order, items={offers["bread"].pk: 1})  # 4.80: 1.20 given back
    assert ledger.credit_used(order) == D("4.80") and balance(customer) == D("1.20")
    update_order(order=order, items={offers["bread"].pk: 3})  # 14.40: the 1.20 left is used
    assert ledger.credit_used(order) == D("6.00") and balance(customer) == 0


def test_a_cancelled_order_gives_all_its_credit_back(cycle, slot, offers, household, customer):
    order = order_bread(cycle, slot, offers, household)
    cancel_order(order=order)
    assert ledger.credit_used(order) == 0 and balance(customer) == D("6.00")
    cancel_order(order=order)  # twice: nothing more
    assert balance(customer) == D("6.00")


def test_the_same_credit_is_never_spent_twice(
    hub, cycle, pickup_point, slot, offers, household, customer
):
    first = order_bread(cycle, slot, offers, household)
    other_cycle = factories.OrderCycleFactory(hub=hub, name="Semaine 49")
    other_slot = factories.PickupSlotFactory(
        cycle_pickup=factories.CyclePickupPointFactory(cycle=other_cycle, pickup_point=pickup_point)
    )
    offer = factories.OfferFactory(cycle=other_cycle, variant=offers["bread"].variant)
    second = place_order(
        cycle=other_cycle, slot=other_slot, items={offer.pk: 1}, email=household.email,
        full_name=household.full_name, user=household, notify=False,
    )  # fmt: skip
    assert (ledger.credit_used(first), ledger.credit_used(second)) == (D("4.80"), D("1.20"))
    assert balance(customer) == 0


def test_an_address_typed_at_checkout_does_not_spend_the_accounts_credit(
    cycle, slot, offers, household, customer
):
    order = place_order(
        cycle=cycle, slot=slot, items={offers["bread"].pk: 1}, email=household.email,
        full_name="Quelqu'un d'autre", notify=False,
    )  # fmt: skip
    assert ledger.credit_used(order) == 0 and paid_amount(order) == 0
    assert balance(customer) == D("6.00")


def test_a_card_order_asks_the_card_for_what_the_credit_leaves(
    settings, hub, cycle, slot, offers, household, customer
):
    settings.STRIPE_SECRET_KEY, settings.STRIPE_PUBLISHABLE_KEY = "sk_test_x", "pk_test_x"
    hub.accepts_card_payments = True
    hub.save()
    order = order_bread(cycle, slot, offers, household, loaves=2, payment_method="card")
    assert order.status == Order.Status.AWAITING_PAYMENT
    assert payments.amount_due(order) == D("3.60")


def test_a_card_order_the_credit_pays_entirely_is_placed_at_once(
    settings, hub, cycle, slot, offers, household, customer
):
    settings.STRIPE_SECRET_KEY, settings.STRIPE_PUBLISHABLE_KEY = "sk_test_x", "pk_test_x"
    hub.accepts_card_payments = True
    hub.save()
    order = place_order(
        cycle=cycle, slot=slot, items={offers["bread"].pk: 1}, email=household.email,
        full_name=household.full_name, user=household, payment_method="card",
    )  # fmt: skip
    assert order.status == Order.Status.PLACED
    assert payments.amount_due(order) == 0
    assert OutgoingEmail.objects.filter(to=household.email).count() == 1


def test_the_review_and_the_order_page_show_the_credit_used(
    client, hub, cycle, slot, offers, household, customer
):
    client.force_login(household)
    client.post(reverse("basket_set", args=[hub.slug, offers["bread"].pk]), {"quantity": 1})
    data = {"full_name": household.full_name, "phone": "", "slot": slot.pk,
            "payment_method": "at_pickup", "note": ""}  # fmt: skip
    review = client.post(reverse("checkout", args=[hub.slug]), data).content.decode()
    assert "Payé avec votre avoir" in review and "−&#8239;4,80\u00a0€" in review
    assert "Reste à payer" in review

    response = client.post(reverse("checkout", args=[hub.slug]), {**data, "confirm": "1"})
    assert response.status_code == 302
    order = Order.objects.get()
    page = client.get(reverse("orders:order_detail", args=[order.number])).content.decode()
    assert "Payé avec votre avoir" in page and "−&#8239;4,80\u00a0€" in page
    assert balance(customer) == D("1.20")


def test_a_guest_sees_no_credit_in_the_review(client, hub, cycle, slot, offers, customer):
    client.post(reverse("basket_set", args=[hub.slug, offers["bread"].pk]), {"quantity": 1})
    data = {"email": customer.email, "full_name": "X", "phone": "", "slot": slot.pk,
            "payment_method": "at_pickup", "note": ""}  # fmt: skip
    review = client.post(reverse("checkout", args=[hub.slug]), data).content.decode()
    assert "Vérifiez votre commande" in review and "Payé avec votre avoir" not in review
