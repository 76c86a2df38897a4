"""The hub's figures: the current cycle at a glance, past cycles, CSV reports."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.checkout.selectors import current_cycle
from orders.checkout.services import cancel_order, place_order, record_payment, set_collected
from orders.models import OrderCycle
from orders.printouts import reports
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


def test_the_overview_of_the_open_cycle(cycle, placed, slot):
    [figures] = reports.hub_cycles(cycle.hub).open
    assert figures.cycle == cycle
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


def _row(html: str, name: str) -> str:
    """The chart's table row naming ``name``, its spaces folded (not the no-break ones)."""
    html = re.sub(r"[ \n]+", " ", html)
    start = html.index(f">{name}</a>")
    return html[html.rindex("<tr>", 0, start) : html.index("</tr>", start)]


def test_the_dashboard_shows_cycles_by_phase_and_labels_each_bar_with_its_value(
    client, manager, hub, cycle, placed, slot, offers, django_assert_max_num_queries
):
    """Open cycles were once listed under "past cycles", and every bar carried the same
    truncated label and no value."""
    now = timezone.now()
    past = []
    for n in range(
        3
    ):  # closed cycles with names alike but for their end: the chart's query stays one
        past.append(factories.OrderCycleFactory(
            hub=hub, name=f"Panier de la semaine du vendredi — {n + 1:02d}/03",
            opens_at=cycle.opens_at - timedelta(weeks=n + 1),
            closes_at=cycle.opens_at - timedelta(weeks=n + 1, days=-3),
        ))  # fmt: skip
    # Three orders in the first one, placed while it was open.
    OrderCycle.objects.filter(pk=past[0].pk).update(closes_at=now + timedelta(days=1))
    past[0].refresh_from_db()
    pickup = factories.CyclePickupPointFactory(
        cycle=past[0], pickup_point=slot.cycle_pickup.pickup_point
    )
    its_slot = factories.PickupSlotFactory(cycle_pickup=pickup)
    bread = factories.OfferFactory(cycle=past[0], variant=offers["bread"].variant)
    for who in ("Denis", "Emma", "Fanny"):
        place_order(
            cycle=past[0], slot=its_slot, email=f"{who.lower()}@example.org", full_name=who,
            items={bread.pk: 1}, notify=False,
        )  # fmt: skip
    OrderCycle.objects.filter(pk=past[0].pk).update(closes_at=now - timedelta(days=4))
    upcoming = factories.OrderCycleFactory(
        hub=hub, name="Semaine 50", opens_at=now + timedelta(days=6),
        closes_at=now + timedelta(days=9),
    )  # fmt: skip
    draft = factories.OrderCycleFactory(
        hub=hub, name="Semaine 51 (brouillon)", status=OrderCycle.Status.DRAFT,
        opens_at=now + timedelta(days=13), closes_at=now + timedelta(days=16),
    )  # fmt: skip
    client.force_login(manager)
    # 26: the cycles by phase, the sharing requests waiting and the payment anomalies.
    with django_assert_max_num_queries(26):
        html = client.get(reverse("hubs:dashboard", args=[hub.slug])).content.decode()

    def section(title_id):
        start = html.index(f'id="{title_id}"')
        return html[start : html.index("</section>", start)]

    assert cycle.name in section("cycles-open") and "2 commandes" in section("cycles-open")
    coming = section("cycles-coming")
    assert upcoming.name in coming and draft.name in coming
    assert past[0].name in section("cycles-closed")
    chart = section("history-title")
    assert cycle.name not in chart and upcoming.name not in chart and draft.name not in chart
    for closed in past:  # each bar named in full, with its value written
        assert f">{closed.name}</a>" in chart
    row = _row(chart, past[0].name)
    assert '<span class="bar-value">3</span>' in row
    assert '<span class="bar-value">14,40\u00a0€</span>' in row
    assert '<span class="bar-value">0</span>' in _row(chart, past[1].name)
    assert 'scope="row"' in row and "<caption" in chart


def test_overlapping_cycles_from_before_each_show_and_the_shop_keeps_the_first(
    client, manager, hub, cycle
):
    """Two published cycles that overlap can no longer be made; ones made before keep
    working: each on the dashboard, and the shop on the one that opened first."""
    later = factories.OrderCycleFactory(
        hub=hub, name="Vente de Noël", opens_at=cycle.opens_at + timedelta(hours=1),
        closes_at=cycle.closes_at - timedelta(days=1),
    )  # fmt: skip
    assert current_cycle(hub) == cycle
    client.force_login(manager)
    html = client.get(reverse("hubs:dashboard", args=[hub.slug])).content.decode()
    assert cycle.name in html and later.name in html
    assert "Plusieurs cycles sont ouverts en même temps" in html
    assert client.get(hub.get_absolute_url()).context["cycle"] == cycle


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
