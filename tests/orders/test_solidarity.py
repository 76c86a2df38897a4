"""Solidarity prices (orders.solidarity, orders.pricing rule 8): a household's tier, the
producers paid the full price, the hub's fund holding the difference, the cap per cycle."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from orders import outbox
from orders.billing import corrections, invoices, reconciliation, shortages, weighing
from orders.checkout import services
from orders.households import my_data
from orders.models import (
    BalanceEntry,
    Customer,
    Order,
    OrderCycle,
    OrderLine,
    SolidarityCycle,
    SolidarityEntry,
    SolidaritySettings,
)
from orders.models.billing import ADJUSTMENT_KINDS
from orders.pricing import LineInput, price_order, tier_price
from orders.printouts import documents, reports
from orders.solidarity import services as solidarity
from tests import factories
from tests.bad_input import NUMERIC
from tests.orders.test_concurrency import in_parallel, postgres_only, racing_world
from tests.orders.test_invoices import set_identity

pytestmark = pytest.mark.django_db

# A NUL is refused before any page (foodhub's middleware, tests/test_refuse_nul.py).
TYPED = [value for value in NUMERIC if "\x00" not in value]

D = Decimal


@pytest.fixture
def tiers(hub):
    return SolidaritySettings.objects.create(hub=hub, enabled=True)


@pytest.fixture
def chicken_offer(cycle, producer, category):
    """A farm chicken of about 1.5 kg at 12.00 €/kg."""
    chicken = factories.VariantFactory(
        product__producer=producer, product__name="Poulet fermier", product__category=category,
        name="pièce", unit="kg", quantity_per_unit=D("1.5"), sold_by_weight=True,
        price_per_kg=D("12.00"), price=D("1.00"), stock_quantity=40,
    )  # fmt: skip
    return factories.OfferFactory(cycle=cycle, variant=chicken)


def place(cycle, slot, items, n=0, tier=None, **kwargs):
    return services.place_order(
        cycle=cycle, slot=slot, items=items, email=f"foyer{n}@example.org",
        full_name=f"Foyer {n}", notify=False, price_tier=tier, **kwargs,
    )  # fmt: skip


def close(cycle):
    OrderCycle.objects.filter(pk=cycle.pk).update(
        opens_at=timezone.now() - timedelta(days=3),
        closes_at=timezone.now() - timedelta(hours=1),
        closed_at=timezone.now() - timedelta(minutes=50),
    )
    cycle.refresh_from_db()


def fund_of(order) -> Decimal:
    return solidarity.recorded(order)


def check_money_identity(order):
    """sum(line.final_total) + fee == total − adjustments, and the fund holds the tier."""
    order.refresh_from_db()
    adjusted = BalanceEntry.objects.filter(order=order, kind__in=ADJUSTMENT_KINDS).aggregate(
        s=Sum("amount")
    )["s"] or D("0")
    adjusted = D(adjusted).quantize(D("0.01"))
    lines = list(order.lines.all())
    assert sum(line.final_total for line in lines) + order.fee_total == order.total - adjusted
    expected = sum((line.final_total - line.full_final_total for line in lines), D("0"))
    assert fund_of(order) == (expected if order.is_live else 0)


# Pricing (rule 8)


def test_a_tier_price_is_the_price_times_the_percentage_rounded_to_the_cent():
    assert tier_price(D("2.45"), 70) == D("1.72")  # 1.715 half-up
    assert tier_price(D("2.45"), 130) == D("3.19")  # 3.185 half-up
    assert tier_price(D("2.45"), 100) == D("2.45")


def test_the_producer_share_and_the_fee_stay_those_of_the_full_price():
    full = price_order([LineInput(D("4.80"), D("5.5"), 2)], fee_percent=D("5"))
    reduced = price_order([LineInput(D("4.80"), D("5.5"), 2, percent=70)], fee_percent=D("5"))
    assert reduced.goods_total == D("6.72")  # 3.36 × 2
    assert reduced.producers_total == full.producers_total
    assert reduced.fee_total == full.fee_total == D("0.48")
    assert reduced.solidarity == D("-2.88")
    assert reduced.total == D("7.20")
    assert sum(row.base for row in reduced.vat_rows) == reduced.total


# Placing, changing, cancelling


def test_an_order_at_the_reduced_price_costs_less_and_the_fund_pays_the_producer(
    tiers, cycle, slot, offers
):
    order = place(cycle, slot, {offers["bread"].pk: 2, offers["carrots"].pk: 1}, tier="lower")
    assert order.price_tier == "lower"
    assert order.goods_total == D("3.36") * 2 + D("1.68")
    line = order.lines.get(offer=offers["bread"])
    assert (line.unit_price, line.total, line.price_percent) == (D("4.80"), D("9.60"), 70)
    assert fund_of(order) == order.goods_total - D("12.00")
    # The producers' figures are those of the full price.
    producers = reports.overview(cycle).producers
    assert producers[0][2] == D("12.00")
    check_money_identity(order)


def test_changing_the_tier_and_cancelling_move_the_fund_by_new_entries(tiers, cycle, slot, offers):
    order = place(cycle, slot, {offers["bread"].pk: 1}, tier="upper")
    assert fund_of(order) == D("6.24") - D("4.80")
    order = services.update_order(order=order, items={offers["bread"].pk: 2}, price_tier="lower")
    assert order.price_tier == "lower"
    assert order.total == D("6.72")
    check_money_identity(order)
    services.cancel_order(order=order)
    assert fund_of(order) == 0
    assert SolidarityEntry.objects.filter(order=order).count() == 3
    with pytest.raises(TypeError):
        SolidarityEntry.objects.filter(order=order).delete()


def test_without_solidarity_prices_a_tier_asked_for_is_the_normal_price(cycle, slot, offers):
    order = place(cycle, slot, {offers["bread"].pk: 1}, tier="lower")
    assert (order.price_tier, order.total) == ("middle", D("4.80"))
    assert not SolidarityEntry.objects.exists()


def test_a_tampered_tier_is_refused_and_nothing_is_written(tiers, cycle, slot, offers):
    with pytest.raises(services.OrderError, match="trois tarifs"):
        place(cycle, slot, {offers["bread"].pk: 1}, tier="free")
    assert not Order.objects.exists()


def test_the_household_tier_is_remembered_on_its_record(tiers, cycle, slot, offers):
    order = place(cycle, slot, {offers["bread"].pk: 1}, tier="upper")
    assert Customer.objects.get(pk=order.customer_id).price_tier == "upper"


# After the close


def test_a_weighed_line_at_a_tier_settles_at_the_tier_and_the_fund_follows(
    tiers, cycle, slot, chicken_offer
):
    order = place(cycle, slot, {chicken_offer.pk: 2}, tier="lower")
    close(cycle)
    line = order.lines.get()
    assert line.charged_price_per_kg == D("8.40")
    done = weighing.record_weight(line=line, weight=D("3.2"), by=None)
    assert done.entry.amount == line.charged_total - D("26.88")  # 3.2 kg × 8.40
    assert done.line.full_final_total == D("38.40")
    assert done.line.final_total == D("26.88")
    check_money_identity(order)


def test_shortages_and_corrections_at_a_tier_keep_the_identity_and_the_fund(
    tiers, cycle, slot, offers
):
    a = place(cycle, slot, {offers["bread"].pk: 3, offers["carrots"].pk: 2}, 0, tier="lower")
    b = place(cycle, slot, {offers["bread"].pk: 2}, 1, tier="upper")
    close(cycle)
    shortage = shortages.record_shortage(
        cycle=cycle, offer=offers["bread"], delivered=3, strategy="proportional", by=None
    )
    shortages.apply_shortage(shortage=shortage, by=None)
    corrections.correct_line(
        line=a.lines.get(offer=offers["carrots"]), delivered=1, reason="abîmée", by=None
    )
    for order in (a, b):
        check_money_identity(order)
    report = reconciliation.for_cycle(cycle)
    assert report.difference == 0
    assert report.fund_difference == 0
    assert report.fund == fund_of(a) + fund_of(b)


def test_an_invoice_line_carries_the_price_charged(tiers, hub, cycle, slot, offers):
    set_identity(hub)
    order = place(cycle, slot, {offers["bread"].pk: 2}, tier="upper")
    close(cycle)
    invoices.confirm_adjustments_final(cycle=cycle)
    invoice = invoices.issue_invoice(order=order)
    (line,) = [row for row in invoice.lines if "Pain" in row["description"]]
    assert D(line["unit_price"]) == D("6.24")
    assert D(line["total"]) == D("12.48")
    assert invoice.total_incl_vat == order.total


# The cap


def test_the_reduced_price_is_refused_past_the_cap_then_closed_for_the_cycle(
    tiers, cycle, slot, offers
):
    tiers.support_cap = D("3.00")
    tiers.save()
    place(cycle, slot, {offers["bread"].pk: 2}, 0, tier="lower")  # 2.88 of support
    with pytest.raises(solidarity.TierClosed, match="tarif réduit est fermé"):
        place(cycle, slot, {offers["bread"].pk: 1}, 1, tier="lower")  # 1.44 more
    assert Order.objects.count() == 1
    assert solidarity.lower_tier_closed(cycle)
    # Even a small basket is refused now; the normal price is not.
    with pytest.raises(solidarity.TierClosed):
        place(cycle, slot, {offers["carrots"].pk: 1}, 2, tier="lower")
    assert place(cycle, slot, {offers["bread"].pk: 1}, 1, tier="middle").total == D("4.80")


def test_an_order_at_the_reduced_price_can_still_take_less_once_closed(tiers, cycle, slot, offers):
    order = place(cycle, slot, {offers["bread"].pk: 2}, 0, tier="lower")
    solidarity.close_lower_tier(cycle)
    services.update_order(order=order, items={offers["bread"].pk: 1})
    with pytest.raises(solidarity.TierClosed):
        services.update_order(order=order, items={offers["bread"].pk: 3})
    assert OrderLine.objects.get(order=order).quantity == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_checkouts_at_once_never_both_pass_the_cap():
    cycle, slots, producer = racing_world()
    SolidaritySettings.objects.create(hub=cycle.hub, enabled=True, support_cap=D("2.00"))
    # One product each: the stock's row locks do not queue them.
    offers = [
        factories.OfferFactory(
            cycle=cycle,
            variant=factories.VariantFactory(
                product__producer=producer, price=D("4.80"), stock_mode="on_demand"
            ),
        )
        for _i in range(6)
    ]
    # The cycle's row exists already (an earlier order): its lock is what is tested.
    SolidarityCycle.objects.create(cycle=cycle)

    def checkout(i):
        return services.place_order(
            cycle=cycle, slot=slots[i], items={offers[i].pk: 1}, email=f"foyer{i}@example.org",
            full_name=f"Foyer {i}", notify=False, price_tier="lower",
        )  # fmt: skip

    outcomes = in_parallel(6, checkout)
    placed = [o for o in outcomes if isinstance(o, Order)]
    assert len(placed) == 1, outcomes  # 1.44 of support each: a second passes 2.00
    assert all(isinstance(o, solidarity.TierClosed) for o in outcomes if o not in placed)
    assert solidarity.support_of(cycle) == D("1.44")
    assert solidarity.lower_tier_closed(cycle)


# The checkout


def _checkout(client, hub, slot, offer, **extra):
    client.post(reverse("basket_set", args=[hub.slug, offer.pk]), {"quantity": 2})
    data = {"email": "foyer@example.org", "full_name": "Foyer", "phone": "", "slot": slot.pk,
            "payment_method": "at_pickup", "note": "", **extra}  # fmt: skip
    return client.post(reverse("checkout", args=[hub.slug]), data), data


def test_a_household_chooses_its_price_at_checkout_and_sees_it_on_each_line(
    client, tiers, hub, cycle, slot, offers
):
    form = client.get(reverse("checkout", args=[hub.slug]))
    review, data = _checkout(client, hub, slot, offers["bread"], price_tier="lower")
    page = review.content.decode()
    assert review.status_code == 200
    assert "3,36\u00a0€" in page and "6,72\u00a0€" in page  # 4.80 × 70 %, × 2
    assert "70\u00a0%" in page or "70 %" in page
    response = client.post(reverse("checkout", args=[hub.slug]), {**data, "confirm": "1"})
    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.price_tier, order.total) == ("lower", D("6.72"))
    detail = client.get(order.get_secret_url()).content.decode()
    assert "6,72\u00a0€" in detail and "70" in detail
    assert form.status_code == 302 or 'name="price_tier"' in form.content.decode()


def test_a_tampered_tier_at_checkout_is_refused_clearly(client, tiers, hub, cycle, slot, offers):
    review, _data = _checkout(client, hub, slot, offers["bread"], price_tier="gratuit")
    assert review.status_code == 400
    assert not Order.objects.exists()


def test_households_see_why_the_reduced_price_is_closed(client, tiers, hub, cycle, slot, offers):
    solidarity.close_lower_tier(cycle)
    review, data = _checkout(client, hub, slot, offers["bread"], price_tier="lower")
    assert review.status_code == 400
    assert solidarity.closed_message() in review.content.decode().replace("&#x27;", "'")
    assert not Order.objects.exists()


def test_without_solidarity_prices_the_checkout_asks_nothing(client, hub, cycle, slot, offers):
    client.post(reverse("basket_set", args=[hub.slug, offers["bread"].pk]), {"quantity": 1})
    page = client.get(reverse("checkout", args=[hub.slug])).content.decode()
    assert 'name="price_tier"' not in page


def test_the_confirmation_email_shows_the_price_of_the_tier(tiers, cycle, slot, offers, mailoutbox):
    order = services.place_order(
        cycle=cycle, slot=slot, items={offers["bread"].pk: 1}, email="foyer@example.org",
        full_name="Foyer", price_tier="upper",
    )  # fmt: skip
    outbox.send_due()
    (email,) = [m for m in mailoutbox if order.number in m.body]
    assert "6,24 €" in email.body and "130" in email.body


def test_volunteers_lists_never_show_a_households_tier(tiers, cycle, slot, offers):
    order = place(cycle, slot, {offers["bread"].pk: 1}, tier="lower")
    close(cycle)
    text = str(
        documents.pick_list(cycle, offers["bread"].variant.product.producer, with_names=True)
    )
    assert "70" not in text and "lower" not in text
    assert order.lines.get().total == D("4.80")  # what the producer's documents count


# The managers' page


def test_the_fund_page_shows_totals_per_cycle_in_few_queries(
    client, manager, tiers, hub, cycle, slot, offers, django_assert_max_num_queries
):
    place(cycle, slot, {offers["bread"].pk: 2}, 0, tier="lower")  # −2.88
    place(cycle, slot, {offers["bread"].pk: 1}, 1, tier="upper")  # +1.44
    other = factories.OrderCycleFactory(hub=hub, name="Semaine 49")
    client.force_login(manager)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("solidarity:manage", args=[hub.slug]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "1,44 €" in text and "2,88 €" in text and "-1,44 €" in text
    assert "Foyer 0" not in text and "Foyer 1" not in text  # totals only
    assert other.name not in text


def test_the_hub_sets_its_percentages_and_its_cap(client, manager, hub):
    client.force_login(manager)
    url = reverse("solidarity:manage", args=[hub.slug])
    data = {"enabled": "on", "lower_percent": "60", "upper_percent": "125", "support_cap": "150,50"}
    assert client.post(url, data).status_code == 302
    saved = SolidaritySettings.objects.get(hub=hub)
    assert (saved.enabled, saved.lower_percent, saved.upper_percent) == (True, 60, 125)
    assert saved.support_cap == D("150.50")


@pytest.mark.parametrize(
    ("field", "value"),
    [("lower_percent", "100"), ("lower_percent", "5"), ("lower_percent", "abc"),
     ("upper_percent", "100"), ("upper_percent", "400"), ("upper_percent", "-1"),
     ("support_cap", "-3"), ("support_cap", "NaN"), *[("lower_percent", v) for v in TYPED],
     *[("support_cap", v) for v in TYPED]],
)  # fmt: skip
def test_bad_settings_are_refused_clearly_and_change_nothing(
    client, manager, tiers, hub, field, value
):
    client.force_login(manager)
    data = {"enabled": "on", "lower_percent": "70", "upper_percent": "130", "support_cap": ""}
    response = client.post(reverse("solidarity:manage", args=[hub.slug]), {**data, field: value})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    tiers.refresh_from_db()
    assert (tiers.lower_percent, tiers.upper_percent, tiers.support_cap) == (70, 130, None)


def test_the_fund_page_is_for_the_hubs_managers_only(client, hub, household, other_hub_manager):
    url = reverse("solidarity:manage", args=[hub.slug])
    assert client.get(url).status_code == 302
    for user in (household, other_hub_manager):
        client.force_login(user)
        assert client.get(url).status_code == 404


# A household's price in its account


def test_a_household_keeps_its_price_in_its_account(
    client, tiers, hub, cycle, slot, offers, household
):
    url = reverse("solidarity:my_price", args=[hub.slug])
    assert client.get(url).status_code == 302  # log in first
    client.force_login(household)
    services.place_order(
        cycle=cycle, slot=slot, items={offers["bread"].pk: 1}, email=household.email,
        full_name="Foyer", user=household, notify=False,
    )  # fmt: skip
    assert client.post(url, {"price_tier": "upper"}).status_code == 302
    assert Customer.objects.get(user=household).price_tier == "upper"
    assert client.post(url, {"price_tier": "free"}).status_code == 400
    assert Customer.objects.get(user=household).price_tier == "upper"
    # It is the default at the next checkout.
    client.post(reverse("basket_set", args=[hub.slug, offers["carrots"].pk]), {"quantity": 1})
    page = client.get(reverse("checkout", args=[hub.slug])).content.decode()
    assert (
        'value="upper" checked' in page
        or 'checked value="upper"' in page
        or ('value="upper"' in page and "checked" in page)
    )


def test_the_price_page_is_404_where_the_hub_has_no_solidarity_prices(client, hub, household):
    client.force_login(household)
    assert client.get(reverse("solidarity:my_price", args=[hub.slug])).status_code == 404


def test_raising_the_cap_opens_the_reduced_price_again(client, manager, tiers, hub, cycle):
    tiers.support_cap = D("3.00")
    tiers.save()
    solidarity.close_lower_tier(cycle)
    client.force_login(manager)
    data = {"enabled": "on", "lower_percent": "70", "upper_percent": "130", "support_cap": "2"}
    client.post(reverse("solidarity:manage", args=[hub.slug]), data)
    assert solidarity.lower_tier_closed(cycle)  # lowered: still closed
    client.post(reverse("solidarity:manage", args=[hub.slug]), {**data, "support_cap": "10"})
    assert not solidarity.lower_tier_closed(cycle)


def test_the_receipt_shows_the_price_charged(tiers, cycle, slot, offers):
    order = place(cycle, slot, {offers["bread"].pk: 2}, tier="upper")
    receipt = documents.receipt(order)
    (row,) = receipt.rows
    assert (row.amounts.unit_price, row.amounts.total) == (D("6.24"), D("12.48"))
    assert receipt.amounts.total == order.total == D("12.48")


def test_the_households_data_export_says_its_price(tiers, cycle, slot, offers, household):
    services.place_order(
        cycle=cycle, slot=slot, items={offers["bread"].pk: 1}, email=household.email,
        full_name="Foyer", user=household, notify=False, price_tier="lower",
    )  # fmt: skip
    (order,) = my_data.export(household)["orders"]
    assert order["price_tier"] == "lower"
    assert (order["lines"][0]["unit_price"], order["lines"][0]["total"]) == (D("3.36"), D("3.36"))


def test_the_orders_history_never_says_its_tier(tiers, cycle, slot, offers):
    order = place(cycle, slot, {offers["bread"].pk: 1}, tier="upper")
    services.update_order(order=order, items={offers["bread"].pk: 1}, price_tier="lower")
    details = " ".join(order.events.values_list("detail", flat=True))
    assert "lower" not in details and "upper" not in details
