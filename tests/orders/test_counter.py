"""Money received with the change kept as the household's credit (orders.billing.counter),
from the manager's payment page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.checkout import services
from orders.models import BalanceEntry, Payment

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def order(cycle, slot, offers):
    return services.place_order(
        cycle=cycle, items={offers["bread"].pk: 2}, email="foyer@example.org",
        full_name="Camille Foyer", slot=slot, notify=False,
    )  # fmt: skip


def pay(client, hub, cycle, order, **data):
    url = reverse("cycles:record_payment", args=[hub.slug, cycle.pk, order.pk])
    return client.post(url, {"method": "cash"} | data)


def test_the_manager_records_a_payment_with_the_change_kept(client, hub, cycle, manager, order):
    client.force_login(manager)
    response = pay(client, hub, cycle, order, amount="20", keep_change="on")
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert payment.amount == D("20.00")
    entry = BalanceEntry.objects.get()
    assert entry.amount == D("20.00") - order.total and entry.by == manager
    order.customer.refresh_from_db()
    assert order.customer.balance == entry.amount


def test_without_keeping_the_change_more_than_due_is_refused(client, hub, cycle, manager, order):
    client.force_login(manager)
    response = pay(client, hub, cycle, order, amount="20")
    assert response.status_code == 400
    assert not Payment.objects.exists() and not BalanceEntry.objects.exists()


def test_exactly_what_is_due_with_the_box_ticked_adds_no_entry(client, hub, cycle, manager, order):
    client.force_login(manager)
    amount = f"{order.total}".replace(".", ",")
    assert pay(client, hub, cycle, order, amount=amount, keep_change="on").status_code == 302
    assert Payment.objects.count() == 1 and not BalanceEntry.objects.exists()


@pytest.mark.parametrize("amount", ["1_000", "1e3", "١٢", "²", "NaN", "12,5,0", " ", "0x10"])
def test_an_amount_that_is_not_plain_digits_is_refused_at_the_source(amount):
    with pytest.raises(services.OrderError):
        services.checked_payment("cash", amount)


def test_plain_amounts_are_read_with_a_comma_or_a_dot():
    assert services.checked_payment("cash", "12,50") == ("cash", Decimal("12.50"))
    assert services.checked_payment("cheque", " 7.2 ") == ("cheque", Decimal("7.20"))
    assert services.checked_payment("cash", Decimal("3.00")) == ("cash", Decimal("3.00"))
