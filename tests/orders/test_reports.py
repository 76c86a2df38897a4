"""The hub's figures: the current cycle at a glance, past cycles, CSV reports."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from orders import reports
from orders.services import cancel_order, place_order, record_payment, set_collected
from tests import factories

D = Decimal


@pytest.fixture
def placed(cycle, slot, offers, manager):
    cycle.fee_percent = D("5")
    cycle.save()

    def order(name, items):
        return place_order(
            cycle=cycle, slot=slot, email=f"{name.lower()}@example.org", full_name=name,
            items={offers[key].pk: qty for key, qty in items.items()}, notify=False,
        )  # fmt: skip

    made = [order("Alix", {"carrots": 2, "bread": 1}), order("Basile", {"apples": 1})]
    cancel_order(order=order("Chloé", {"bread": 3}))
    record_payment(order=made[0], method="cash", amount=made[0].total, by=manager)
    after_close = cycle.closes_at + timedelta(minutes=1)
    set_collected(order=made[0], collected=True, by=manager, now=after_close)
    return made


def test_the_overview_of_the_current_cycle(cycle, placed, slot):
    assert reports.current_cycle(cycle.hub) == cycle
    figures = reports.overview(cycle)
    total = placed[0].total + placed[1].total
    assert (figures.orders, figures.revenue, figures.paid, figures.due) == (
        2, total, placed[0].total, placed[1].total,
    )  # fmt: skip
    assert figures.fees == placed[0].fee_total + placed[1].fee_total > 0
    assert figures.collected == 1 and figures.awaiting_card == 0
    assert sum(goods for _name, _units, goods in figures.producers) == (
        placed[0].goods_total + placed[1].goods_total
    )
    assert [(booked, capacity) for _p, _s, booked, capacity in figures.slots] == [(2, 50)]


def test_the_dashboard_shows_the_cycle_and_a_chart_of_past_cycles(
    client, manager, hub, cycle, placed, django_assert_max_num_queries
):
    client.force_login(manager)
    for n in range(3):  # past cycles: the chart's query stays one
        factories.OrderCycleFactory(
            hub=hub, opens_at=cycle.opens_at - timedelta(weeks=n + 1),
            closes_at=cycle.closes_at - timedelta(weeks=n + 1),
        )  # fmt: skip
    with django_assert_max_num_queries(16):
        html = client.get(reverse("hubs:dashboard", args=[hub.slug])).content.decode()
    assert cycle.name in html and "2 commandes" in html
    assert "<svg" in html and 'role="img"' in html
    assert f"{cycle.name}: 2 commandes" in html  # the chart's text alternative


def csv_rows(response):
    return [line.split(";") for line in response.content.decode().lstrip("\ufeff").splitlines()]


def number(cell: str) -> Decimal:
    """A number of a French file: decimal comma."""
    assert "." not in cell
    return D(cell.replace(",", "."))


def test_csv_reports_add_up(client, manager, hub, cycle, placed):
    client.force_login(manager)

    def report(name):
        response = client.get(reverse("cycles:report", args=[hub.slug, cycle.pk, name]))
        assert response["Content-Type"].startswith("text/csv")
        return csv_rows(response)

    header, *suppliers = report("suppliers")
    assert header[:3] == ["producteur", "produit", "déclinaison"]  # in the reader's language
    assert sum(number(row[5]) for row in suppliers) == placed[0].goods_total + placed[1].goods_total

    header, *customers = report("customers")
    assert [row[0] for row in customers] == sorted(o.number for o in placed)
    alix = next(row for row in customers if row[1] == "Alix")
    assert (number(alix[10]), number(alix[11])) == (placed[0].total, D("0.00"))

    header, *payments = report("payments")
    assert [(row[1], row[3], number(row[6])) for row in payments] == [
        (placed[0].number, "espèces", placed[0].total)
    ]

    header, *vat = report("vat")
    assert sum(number(row[3]) for row in vat) == placed[0].total + placed[1].total
    assert all(number(row[1]) + number(row[2]) == number(row[3]) for row in vat)

    header, *fees = report("fees")
    assert sum(number(row[3]) for row in fees) == placed[0].fee_total + placed[1].fee_total


def test_reports_are_for_the_hubs_managers_only(client, other_hub_manager, manager, hub, cycle):
    url = reverse("cycles:report", args=[hub.slug, cycle.pk, "customers"])
    client.force_login(other_hub_manager)
    assert client.get(url).status_code == 404
    client.force_login(manager)
    assert (
        client.get(reverse("cycles:report", args=[hub.slug, cycle.pk, "nope"])).status_code == 404
    )
