"""A customer's balance is the sum of its entries, whatever happens (orders.ledger)."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders import ledger
from orders.checkout import services
from orders.customers import customer_for
from orders.ledger import BillingError
from orders.models import BalanceEntry, Customer
from tests import bad_input

pytestmark = pytest.mark.django_db

D = Decimal
MANUAL = BalanceEntry.Kind.MANUAL


@pytest.fixture
def customer(hub):
    return customer_for(hub_id=hub.pk, email="foyer@example.org", full_name="Camille Foyer")


def manual(customer, amount, key, reason="Erreur de caisse"):
    return ledger.add_entry(customer=customer, kind=MANUAL, amount=amount, key=key, reason=reason)


def test_entries_move_the_balance_by_their_amount(customer):
    manual(customer, D("2.50"), "a")
    manual(customer, D("-0.80"), "b")
    assert customer.balance == D("1.70")
    customer.refresh_from_db()
    assert customer.balance == D("1.70") == sum(e.amount for e in customer.balance_entries.all())


def test_a_balance_back_to_zero_is_zero_in_queries_too(customer):
    """SQLite adds decimals as floats: entries adding up to 0 must not leave 1e-14 €."""
    for n, amount in enumerate(["7.69", "39.97", "2.33", "31.94", "35.46", "-117.39"]):
        manual(customer, Decimal(amount), f"k{n}")
    assert not Customer.objects.filter(balance__lt=0).exists()
    assert not Customer.objects.filter(balance__gt=0).exists()


def test_the_same_cause_adds_nothing_twice(customer):
    first = manual(customer, D("2.50"), "weighing:12")
    again = manual(customer, D("2.50"), "weighing:12")
    assert again == first
    customer.refresh_from_db()
    assert customer.balance == D("2.50") and customer.balance_entries.count() == 1


def test_a_cause_of_another_customer_is_refused(hub, customer):
    manual(customer, D("1.00"), "k")
    other = customer_for(hub_id=hub.pk, email="voisin@example.org", full_name="Voisin")
    with pytest.raises(ValueError, match="another customer"):
        manual(other, D("1.00"), "k")
    other.refresh_from_db()
    assert other.balance == 0


def test_a_managers_correction_says_why(customer):
    with pytest.raises(BillingError, match="Dites pourquoi"):
        manual(customer, D("5.00"), "m", reason="   ")
    assert not BalanceEntry.objects.exists()


@pytest.mark.parametrize(
    "amount",
    [
        *[D(text) for text in ("NaN", "sNaN", "-Infinity", "1e400", "1e-400", "9" * 30)],
        D("0"), D("0.00"), D("1.234"), D("100000000.00"), 0, 0.1, True, None,
        *bad_input.NOT_NUMBERS,  # text is read by the forms, never by the ledger
    ],
)  # fmt: skip
def test_amounts_that_are_not_amounts_are_refused_with_a_message(customer, amount):
    with pytest.raises(BillingError):
        manual(customer, amount, "bad")
    customer.refresh_from_db()
    assert customer.balance == 0 and not BalanceEntry.objects.exists()


def test_entries_are_never_changed_or_removed(customer):
    entry = manual(customer, D("1.00"), "k")
    entry.amount = D("100.00")
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        BalanceEntry.objects.filter(pk=entry.pk).update(amount=D("100.00"))
    with pytest.raises(TypeError):
        BalanceEntry.objects.all().delete()
    assert BalanceEntry.objects.get().amount == D("1.00")


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "weight"},  # about an order, and names none
        {"kind": "top_up"},  # about a payment, and names none
        {"kind": "manual", "reason": ""},
        {"kind": "manual", "reason": "x", "amount": D("0")},
    ],
)
def test_the_database_refuses_an_entry_without_its_cause(customer, fields):
    values = {"kind": "manual", "reason": "x", "amount": D("1.00")} | fields
    with pytest.raises(IntegrityError), transaction.atomic():
        BalanceEntry(customer=customer, key="k", **values).save()


def test_an_entry_about_an_order_names_one_of_the_customers_orders(
    hub, cycle, slot, offers, customer
):
    order = services.place_order(
        cycle=cycle, items={offers["bread"].pk: 1}, email="voisin@example.org",
        full_name="Voisin", slot=slot, notify=False,
    )  # fmt: skip
    with pytest.raises(ValueError, match="another customer"):
        ledger.add_entry(customer=customer, kind="weight", amount=D("0.40"), key="w", order=order)
    entry = ledger.add_entry(
        customer=order.customer, kind="weight", amount=D("-0.40"), key="w", order=order
    )
    assert entry.order == order and order.customer.balance == D("-0.40")


amounts = st.decimals(min_value=D("-500"), max_value=D("500"), places=2).filter(bool)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(moves=st.lists(st.tuples(st.integers(0, 2), amounts, st.integers(0, 15)), max_size=30))
def test_whatever_the_sequence_each_balance_is_the_sum_of_its_entries(hub, moves):
    """Three customers, entries in any order, causes repeated at random."""
    with transaction.atomic():
        people = [
            customer_for(hub_id=hub.pk, email=f"f{n}@example.org", full_name=f"F{n}")
            for n in range(3)
        ]
        expected = [D("0.00")] * 3
        keys = {}
        for who, amount, cause in moves:
            key = f"cause:{who}:{cause}"
            manual(people[who], amount, key)
            if key not in keys:
                keys[key] = amount
                expected[who] += amount
        for person, total in zip(people, expected, strict=True):
            person.refresh_from_db()
            assert person.balance == total
        assert ledger.recount(hub) == []
        transaction.set_rollback(True)


def test_recount_finds_a_balance_changed_behind_the_ledgers_back(customer):
    manual(customer, D("3.00"), "k")
    Customer.objects.filter(pk=customer.pk).update(balance=D("4.00"))
    [(found, kept, total)] = ledger.recount()
    assert (found, kept, total) == (customer, D("4.00"), D("3.00"))


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent writers are tested"
)
@pytest.mark.django_db(transaction=True)
def test_entries_added_at_once_from_many_connections_add_up(hub):
    """Eight connections add entries to one customer at the same instant, some for the same
    cause: one entry per cause, and the balance is their sum."""
    customer = customer_for(hub_id=hub.pk, email="foyer@example.org", full_name="Camille")
    barrier = threading.Barrier(8)

    def work(n):
        try:
            barrier.wait(timeout=30)
            for i in range(10):
                manual(customer, D(f"{n + 1}.0{i}"), f"cause:{(n * 10 + i) % 50}")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(8)))
    customer.refresh_from_db()
    entries = list(customer.balance_entries.all())
    assert len(entries) == 50 == len({e.key for e in entries})
    assert customer.balance == sum(e.amount for e in entries)
    assert ledger.recount() == []
