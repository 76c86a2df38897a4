"""A producer's page "this week": what was ordered of it, what it is paid, where and when
to deliver; provisional until the close, final after it with the pick list links."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.checkout.services import cancel_order, place_order
from orders.models import OrderCycle, SolidaritySettings
from orders.producer_week.selectors import producer_week
from tests import factories

pytestmark = pytest.mark.django_db

D = Decimal


def place(cycle, slot, items, n=0, tier=None):
    return place_order(
        cycle=cycle, slot=slot, items=items, email=f"foyer{n}@example.org",
        full_name=f"Foyer {n}", notify=False, price_tier=tier,
    )  # fmt: skip


def close(cycle):
    OrderCycle.objects.filter(pk=cycle.pk).update(
        opens_at=timezone.now() - timedelta(days=3),
        closes_at=timezone.now() - timedelta(hours=1),
        closed_at=timezone.now() - timedelta(minutes=50),
    )
    cycle.refresh_from_db()


@pytest.fixture
def ordered(hub, cycle, slot, offers):
    """Two households' orders, one of them at a lower solidarity tier; a cancelled one."""
    SolidaritySettings.objects.create(hub=hub, enabled=True)
    hub.address = "12 rue des Halles, Lille"
    hub.save()
    place(cycle, slot, {offers["carrots"].pk: 2, offers["bread"].pk: 1}, n=1)
    place(cycle, slot, {offers["carrots"].pk: 1}, n=2, tier="lower")
    cancel_order(order=place(cycle, slot, {offers["bread"].pk: 5}, n=3))
    return cycle


def url(producer):
    return reverse("producer_this_week", args=[producer.slug])


def test_quantities_per_variant_and_revenue_at_full_price(producer, ordered, offers):
    [week] = producer_week(producer)
    assert week.cycle == ordered and not week.final
    rows = {row.product_name: row for row in week.variants}
    assert rows["Carottes"].quantity == 3  # 2 + 1, the cancelled order aside
    assert rows["Pain de campagne"].quantity == 1
    # The household at the lower tier pays less; the producer is paid the full price.
    carrot_price = offers["carrots"].variant.price
    assert rows["Carottes"].revenue == 3 * carrot_price
    lines = [line for order in ordered.orders.live() for line in order.lines.all()]
    assert any(line.price_percent < 100 for line in lines)
    assert week.revenue == sum(line.full_final_total for line in lines)
    assert week.revenue > sum(line.final_total for line in lines)


def test_the_page_says_provisional_until_the_close_then_final_with_pick_lists(
    client, producer, producer_member, ordered
):
    client.force_login(producer_member)
    page = client.get(url(producer)).content.decode()
    assert "Provisoire" in page and "Définitif" not in page
    assert "12 rue des Halles, Lille" in page
    pick_list = reverse("producer_pick_list", args=[producer.slug, ordered.pk])
    assert pick_list not in page
    close(ordered)
    page = client.get(url(producer)).content.decode()
    assert "Définitif" in page and "Provisoire" not in page
    assert pick_list in page and f"{pick_list}?format=csv" in page


def test_cycles_of_other_producers_drafts_and_old_ones_are_not_shown(
    client, producer, producer_member, other_producer, ordered, hub
):
    factories.OrderCycleFactory(hub=hub, name="Brouillon", status="draft")
    old = factories.OrderCycleFactory(
        hub=hub, name="Il y a un mois", opens_at=timezone.now() - timedelta(days=40),
        closes_at=timezone.now() - timedelta(days=30),
    )  # fmt: skip
    factories.OfferFactory(cycle=old, variant=factories.VariantFactory(product__producer=producer))
    theirs = factories.OrderCycleFactory(hub=hub, name="Pas pour nous")
    factories.OfferFactory(
        cycle=theirs, variant=factories.VariantFactory(product__producer=other_producer)
    )
    assert [week.cycle for week in producer_week(producer)] == [ordered]
    client.force_login(producer_member)
    page = client.get(url(producer)).content.decode()
    assert ordered.name in page
    assert "Brouillon" not in page and "Il y a un mois" not in page and "Pas pour nous" not in page


def test_reachable_from_the_producers_menu(client, producer, producer_member):
    client.force_login(producer_member)
    page = client.get(reverse("producers:catalogue", args=[producer.slug])).content.decode()
    assert f'href="{url(producer)}"' in page


def test_another_producers_member_gets_404(client, producer, other_producer_member, ordered):
    client.force_login(other_producer_member)
    assert client.get(url(producer)).status_code == 404


def test_query_count_does_not_grow_with_cycles_and_orders(
    client, producer, producer_member, ordered, hub, slot, offers, django_assert_max_num_queries
):
    client.force_login(producer_member)
    with django_assert_max_num_queries(12) as few:
        client.get(url(producer))
    for _ in range(3):
        more = factories.OrderCycleFactory(hub=hub)
        factories.OfferFactory(cycle=more, variant=offers["carrots"].variant)
        factories.CyclePickupPointFactory(cycle=more)
    for n in range(10, 16):
        place(ordered, slot, {offers["carrots"].pk: 1, offers["bread"].pk: 1}, n=n)
    with django_assert_max_num_queries(len(few)):
        response = client.get(url(producer))
    assert response.content.decode().count("<section") == 4
