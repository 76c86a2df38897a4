"""What an order line costs after the close: the quantity delivered (a shortage, a
correction) and the weight, read by the balance, the documents and the invoices."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from orders.checkout import services
from orders.models import OrderLine

D = Decimal


def _line(**fields) -> OrderLine:
    values = {"quantity": 3, "unit_price": D("2.40"), "total": D("7.20")} | fields
    return OrderLine(**values)


def test_a_line_delivered_as_ordered_costs_its_total():
    line = _line()
    assert (line.final_quantity, line.final_total) == (3, D("7.20"))


def test_a_line_partly_delivered_costs_what_came():
    line = _line(delivered_quantity=2)
    assert (line.final_quantity, line.final_total) == (2, D("4.80"))


def test_a_line_of_which_nothing_came_costs_nothing_even_when_weighed():
    line = _line(
        delivered_quantity=0, price_per_kg=D("12"), estimated_weight=D("4.5"),
        actual_weight=D("1.2"),
    )  # fmt: skip
    assert (line.final_quantity, line.final_total) == (0, D("0.00"))


def test_a_weighed_line_costs_its_weight_whatever_came():
    line = _line(
        delivered_quantity=2, unit_price=D("18.00"), total=D("54.00"), price_per_kg=D("12.00"),
        estimated_weight=D("4.5"), actual_weight=D("3.125"),
    )  # fmt: skip
    assert line.final_total == D("37.50")


def test_an_unweighed_line_by_weight_partly_delivered_costs_the_estimate_of_what_came():
    line = _line(
        delivered_quantity=1, unit_price=D("18.00"), total=D("54.00"), price_per_kg=D("12.00"),
        estimated_weight=D("4.5"),
    )  # fmt: skip
    assert line.final_total == D("18.00")


def test_the_database_refuses_more_delivered_than_ordered(cycle, slot, offers, household):
    order = services.place_order(
        cycle=cycle, items={offers["carrots"].pk: 2}, slot=slot, email=household.email,
        full_name=household.full_name, user=household, notify=False,
    )  # fmt: skip
    line = order.lines.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderLine.objects.filter(pk=line.pk).update(delivered_quantity=line.quantity + 1)
    OrderLine.objects.filter(pk=line.pk).update(delivered_quantity=line.quantity)
