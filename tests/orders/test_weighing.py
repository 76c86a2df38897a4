"""Products sold by weight: ordered at an estimate, weighed after the close, the difference
settled through the household's balance (orders.billing.weighing, pricing rule 7)."""

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from orders.billing import weighing
from orders.billing.weighing import WeighingError
from orders.checkout import services
from orders.models import BalanceEntry, Customer, Offer, Order, OrderCycle, OrderLine
from orders.planning import cycles
from orders.printouts import documents
from orders.templatetags.weighing import _Rows
from producers.catalogue_csv import CatalogueImportError, import_catalogue
from producers.models import Variant
from producers.templatetags.money import euros, quantity
from tests import bad_input, factories
from tests.producers.test_catalogue_csv import make_csv, row
from tests.producers.test_catalogue_views import _product_data


@pytest.fixture
def chicken(producer, category):
    """A farm chicken of about 1.5 kg at 12.00 €/kg."""
    return factories.VariantFactory(
        product__producer=producer, product__name="Poulet fermier", product__category=category,
        name="pièce", unit="kg", quantity_per_unit=Decimal("1.5"), sold_by_weight=True,
        price_per_kg=Decimal("12.00"), price=Decimal("1.00"), stock_quantity=20,
    )  # fmt: skip


@pytest.fixture
def chicken_offer(cycle, chicken):
    return factories.OfferFactory(cycle=cycle, variant=chicken)


@pytest.fixture
def order(cycle, slot, chicken_offer, offers, household):
    """Two chickens and a bunch of carrots, paid at pickup."""
    return services.place_order(
        cycle=cycle, items={chicken_offer.pk: 2, offers["carrots"].pk: 1}, slot=slot,
        email=household.email, full_name=household.full_name, user=household, notify=False,
    )  # fmt: skip


def _close(cycle):
    OrderCycle.objects.filter(pk=cycle.pk).update(
        opens_at=timezone.now() - timedelta(days=3), closes_at=timezone.now() - timedelta(hours=1)
    )


def _line(order) -> OrderLine:
    return order.lines.get(price_per_kg__isnull=False)


# The catalogue and the offers.


def test_a_unit_sold_by_weight_costs_its_estimate_at_the_price_per_kg(chicken):
    assert chicken.weight_per_unit == Decimal("1.5")
    assert chicken.price == Decimal("18.00")  # 1.5 kg × 12.00 €/kg, whatever was given


@pytest.mark.parametrize(
    ("unit", "quantity", "per_kg", "estimate"),
    [
        ("g", "500", "24.99", "12.50"),  # 12.495: half up
        ("g", "300", "24.99", "7.50"),  # 7.497
        ("kg", "0.333", "9.99", "3.33"),
        ("g", "1", "0.01", "0.01"),  # never under a cent
    ],
)
def test_the_estimate_is_rounded_half_up_to_the_cent(producer, unit, quantity, per_kg, estimate):
    variant = factories.VariantFactory(
        product__producer=producer, unit=unit, quantity_per_unit=Decimal(quantity),
        sold_by_weight=True, price_per_kg=Decimal(per_kg),
    )  # fmt: skip
    assert variant.price == Decimal(estimate)


@pytest.mark.parametrize(
    "fields",
    [
        {"sold_by_weight": True, "price_per_kg": None},
        {"sold_by_weight": False, "price_per_kg": Decimal("12.00")},
        {"sold_by_weight": True, "price_per_kg": Decimal("12.00"), "unit": "piece"},
    ],
)
def test_the_database_refuses_a_variant_half_sold_by_weight(chicken, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        Variant.objects.filter(pk=chicken.pk).update(**fields)


def test_an_offer_takes_the_price_per_kg_of_the_catalogue_and_the_manager_changes_it(
    cycle, chicken, manager
):
    [offer] = cycles.add_offers(cycle=cycle, variants=[chicken], by=manager)
    offer = Offer.objects.get(pk=offer.pk)
    assert (offer.price_per_kg, offer.price) == (Decimal("12.00"), Decimal("18.00"))

    cycles.update_offers(cycle=cycle, terms={offer.pk: ("14.00", None)}, by=manager)

    offer.refresh_from_db()
    assert (offer.price_per_kg, offer.price) == (Decimal("14.00"), Decimal("21.00"))


def test_a_clone_offers_the_catalogue_price_per_kg(cycle, chicken_offer, manager, chicken):
    Variant.objects.filter(pk=chicken.pk).update(price_per_kg=Decimal("13.00"))
    clone = cycles.clone_cycle(cycle=cycle, weeks=1, by=manager)
    offer = clone.offers.get(variant=chicken)
    assert (offer.price_per_kg, offer.price) == (Decimal("13.00"), Decimal("19.50"))


# Ordering at the estimate.


def test_an_order_line_keeps_its_price_per_kg_and_estimated_weight(order):
    line = _line(order)
    assert (line.unit_price, line.total) == (Decimal("18.00"), Decimal("36.00"))
    assert (line.price_per_kg, line.estimated_weight) == (Decimal("12.00"), Decimal("3.000"))
    assert line.actual_weight is None and line.final_total == Decimal("36.00")
    carrots = order.lines.get(price_per_kg__isnull=True)
    assert carrots.estimated_weight is None and not carrots.is_by_weight


def test_changing_the_quantity_changes_the_estimated_weight(order, chicken_offer, offers):
    services.update_order(order=order, items={chicken_offer.pk: 3, offers["carrots"].pk: 1})

    line = _line(order)
    assert (line.quantity, line.estimated_weight, line.total) == (
        3, Decimal("4.500"), Decimal("54.00")
    )  # fmt: skip


# Weighing.


def test_a_heavier_line_makes_the_household_owe_the_difference(order, manager):
    _close(order.cycle)

    result = weighing.record_weight(line=_line(order), weight=Decimal("3.240"), by=manager)

    line = OrderLine.objects.get(pk=result.line.pk)
    assert line.actual_weight == Decimal("3.240") and line.weighed_by == manager
    assert line.final_total == Decimal("38.88")
    assert result.entry.kind == BalanceEntry.Kind.WEIGHT
    assert result.entry.amount == Decimal("-2.88") and result.entry.order_id == order.pk
    assert Customer.objects.get(pk=order.customer_id).balance == Decimal("-2.88")


def test_weighing_again_adds_only_the_difference_with_the_previous_weight(order, manager):
    _close(order.cycle)
    line = _line(order)
    weighing.record_weight(line=line, weight=Decimal("3.240"), by=manager)
    weighing.record_weight(line=line, weight=Decimal("2.800"), by=manager)  # a typo put right
    again = weighing.record_weight(line=line, weight=Decimal("2.800"), by=manager)

    assert again.entry is None  # the same weight twice writes nothing more
    amounts = list(BalanceEntry.objects.filter(order=order).values_list("amount", flat=True))
    assert amounts == [Decimal("-2.88"), Decimal("5.28")]
    # 36.00 estimated, 33.60 weighed: the household is owed 2.40.
    assert sum(amounts) == Decimal("2.40")
    assert Customer.objects.get(pk=order.customer_id).balance == Decimal("2.40")


def test_a_weight_at_the_estimate_writes_no_entry(order, manager):
    _close(order.cycle)

    result = weighing.record_weight(line=_line(order), weight=Decimal("3"), by=manager)

    assert result.entry is None and result.line.actual_weight == Decimal("3.000")
    assert not BalanceEntry.objects.exists()


@pytest.mark.parametrize("weight", ["1.499", "6.001", "0.5", "100"])
def test_a_weight_far_from_the_estimate_is_written_only_once_confirmed(order, manager, weight):
    _close(order.cycle)
    line = _line(order)

    asked = weighing.record_weight(line=line, weight=Decimal(weight), by=manager)

    assert asked.needs_confirmation and asked.entry is None
    assert OrderLine.objects.get(pk=line.pk).actual_weight is None
    confirmed = weighing.record_weight(
        line=line, weight=Decimal(weight), by=manager, confirmed=True
    )
    assert OrderLine.objects.get(pk=line.pk).actual_weight == Decimal(weight)
    assert confirmed.entry is not None


@pytest.mark.parametrize("weight", ["1.5", "6", "3.000"])
def test_a_weight_within_half_to_twice_the_estimate_needs_no_confirmation(order, manager, weight):
    _close(order.cycle)
    assert not weighing.record_weight(line=_line(order), weight=Decimal(weight), by=manager)\
        .needs_confirmation  # fmt: skip


@pytest.mark.parametrize(
    ("weight", "message"),
    [
        (Decimal("0"), "plus de 0 kg"),
        (Decimal("-1.2"), "plus de 0 kg"),
        (Decimal("10000"), "plus qu’une ligne"),  # 10 t
        (Decimal("NaN"), "Saisissez un poids"),
        (Decimal("sNaN"), "Saisissez un poids"),
        (Decimal("Infinity"), "Saisissez un poids"),
        (Decimal("1e400"), "plus qu’une ligne"),
        ("1.2", "Saisissez un poids"),  # text is the form's to read
        (1.2, "Saisissez un poids"),
        (True, "Saisissez un poids"),
    ],
)
def test_absurd_weights_are_refused_and_nothing_is_written(order, manager, weight, message):
    _close(order.cycle)

    with pytest.raises(WeighingError, match=message):
        weighing.record_weight(line=_line(order), weight=weight, by=manager, confirmed=True)

    assert _line(order).actual_weight is None
    assert not BalanceEntry.objects.exists()


def test_lines_are_weighed_only_after_the_close(order, manager):
    with pytest.raises(WeighingError, match="une fois le cycle clos"):
        weighing.record_weight(line=_line(order), weight=Decimal("3"), by=manager)


def test_once_the_cycle_is_invoiced_a_weight_goes_through_a_credit_note(order, manager):
    _close(order.cycle)
    OrderCycle.objects.filter(pk=order.cycle_id).update(adjustments_final_at=timezone.now())

    with pytest.raises(WeighingError, match="passe par un avoir"):
        weighing.record_weight(line=_line(order), weight=Decimal("3"), by=manager)
    assert _line(order).actual_weight is None and not BalanceEntry.objects.exists()


def test_a_cancelled_order_and_a_line_not_sold_by_weight_are_not_weighed(order, manager):
    carrots = order.lines.get(price_per_kg__isnull=True)
    services.cancel_order(order=order)
    _close(order.cycle)

    with pytest.raises(WeighingError, match="annulée"):
        weighing.record_weight(line=_line(order), weight=Decimal("3"), by=manager)
    with pytest.raises(WeighingError, match="pas vendu au poids"):
        weighing.record_weight(line=carrots, weight=Decimal("3"), by=manager)


def test_the_line_and_its_entry_stand_or_fall_together(order, manager, monkeypatch):
    _close(order.cycle)

    def broken(**kwargs):
        raise RuntimeError("the ledger fails")

    monkeypatch.setattr(weighing.ledger, "add_entry", broken)
    with pytest.raises(RuntimeError):
        weighing.record_weight(line=_line(order), weight=Decimal("3.240"), by=manager)

    assert _line(order).actual_weight is None


# The weighing page.


def _page_url(order):
    return reverse("weighing:hub", args=[order.cycle.hub.slug, order.cycle_id])


def test_the_page_lists_the_lines_to_weigh_by_product_and_counts_those_left(
    client, manager, order, cycle, slot, chicken_offer, django_assert_max_num_queries
):
    other = services.place_order(
        cycle=cycle, items={chicken_offer.pk: 1}, slot=slot, email="b@example.org",
        full_name="Bérénice Voisine", notify=False,
    )  # fmt: skip
    _close(cycle)
    client.force_login(manager)
    client.get(_page_url(order))  # the session

    with django_assert_max_num_queries(12):
        response = client.get(_page_url(order))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Poulet fermier — pièce" in body and "12,00\xa0€ le kg" in body
    assert body.index("Bérénice Voisine") < body.index("Camille Foyer")
    assert "2 lignes sur 2 à peser" in body
    assert f'action="{_page_url(order)}{_line(other).pk}/"' in body
    assert "Carottes" not in body  # not sold by weight


def test_a_weight_typed_is_saved_and_the_row_comes_back_with_the_count(client, manager, order):
    _close(order.cycle)
    client.force_login(manager)
    line = _line(order)

    response = client.post(
        f"{_page_url(order)}{line.pk}/", {"weight": "3,240"}, headers={"HX-Request": "true"}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="line-{line.pk}"' in body and "Pesé : 38,88\xa0€" in body
    assert 'id="weighing-left"' in body and 'hx-swap-oob="innerHTML"' in body
    assert "Chaque ligne est pesée" in body
    assert _line(order).actual_weight == Decimal("3.240")


def test_a_far_weight_comes_back_asking_for_a_confirmation_then_is_saved(client, manager, order):
    _close(order.cycle)
    client.force_login(manager)
    url = f"{_page_url(order)}{_line(order).pk}/"

    asked = client.post(url, {"weight": "9"}, headers={"HX-Request": "true"})

    assert asked.status_code == 200
    assert "loin de l’estimation de 3,000 kg" in asked.content.decode()
    assert 'name="confirm"' in asked.content.decode()
    assert _line(order).actual_weight is None
    client.post(url, {"weight": "9", "confirm": "on"}, headers={"HX-Request": "true"})
    assert _line(order).actual_weight == Decimal("9.000")


@pytest.mark.parametrize("value", [v for v in bad_input.NUMERIC if v.strip()][:40])
def test_bad_weights_typed_are_refused_with_a_message(client, manager, order, value):
    _close(order.cycle)
    client.force_login(manager)

    response = client.post(
        f"{_page_url(order)}{_line(order).pk}/", {"weight": value}, headers={"HX-Request": "true"}
    )

    assert response.status_code in (400, 422), value  # 400: a NUL character
    assert _line(order).actual_weight is None
    assert not BalanceEntry.objects.exists()


def test_without_javascript_a_weight_is_saved_then_the_page_shown_again(client, manager, order):
    _close(order.cycle)
    client.force_login(manager)
    line = _line(order)

    saved = client.post(f"{_page_url(order)}{line.pk}/", {"weight": "3.1"})
    refused = client.post(f"{_page_url(order)}{line.pk}/", {"weight": "beaucoup"})

    assert saved.status_code == 302 and saved.url == f"{_page_url(order)}#line-{line.pk}"
    assert refused.status_code == 422
    assert "Saisissez un nombre" in refused.content.decode()
    assert _line(order).actual_weight == Decimal("3.100")


def test_the_page_is_for_the_hubs_managers_only(
    client, order, household, other_hub_manager, producer_member
):
    _close(order.cycle)
    url = _page_url(order)
    line_url = f"{url}{_line(order).pk}/"

    assert client.get(url).status_code == 302  # to log in
    for user in (household, other_hub_manager, producer_member):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(line_url, {"weight": "3"}).status_code == 404
    assert _line(order).actual_weight is None


def test_a_producer_weighs_its_own_lines_only(
    client, order, producer, producer_member, other_producer, other_producer_member
):
    _close(order.cycle)
    url = reverse("weighing:producer", args=[producer.slug, order.cycle_id])
    client.force_login(producer_member)

    page = client.get(url)
    saved = client.post(f"{url}{_line(order).pk}/", {"weight": "3"}, headers={"HX-Request": "true"})

    assert page.status_code == 200 and saved.status_code == 200
    assert _line(order).actual_weight == Decimal("3.000")
    client.force_login(other_producer_member)
    assert client.get(url).status_code == 404
    other_url = reverse("weighing:producer", args=[other_producer.slug, order.cycle_id])
    assert client.get(other_url).status_code == 404  # it sold nothing by weight here
    assert client.post(f"{other_url}{_line(order).pk}/", {"weight": "4"}).status_code == 404


@pytest.mark.parametrize("see_names", [False, True])
def test_a_producer_sees_the_names_only_when_the_hub_shows_them(
    client, order, producer, producer_member, hub, see_names
):
    _close(order.cycle)
    type(hub).objects.filter(pk=hub.pk).update(producers_see_names=see_names)
    client.force_login(producer_member)

    body = client.get(
        reverse("weighing:producer", args=[producer.slug, order.cycle_id])
    ).content.decode()

    assert order.number in body
    assert ("Camille Foyer" in body) is see_names


def test_before_the_close_the_page_says_when_lines_are_weighed(client, manager, order):
    client.force_login(manager)

    body = client.get(_page_url(order)).content.decode()

    assert "une fois le cycle clos" in body and 'name="weight"' not in body


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_rows_write_amounts_and_weights_as_the_rest_of_the_site(language):
    with translation.override(language):
        rows = _Rows({"page_url": "/", "show_names": True, "csrf_token": "x"})
        for amount in ("0", "0.5", "12.5", "999.99", "1234.56", "1234567.8"):
            assert rows.euros(Decimal(amount)) == euros(Decimal(amount)), amount
        for kg in ("3.000", "1.500", "0.125", "0.001", "12.340", "999.999"):
            assert rows.weight(Decimal(kg)) == quantity(Decimal(kg)), kg


# What households see: an estimate, until the weighing.

ESTIMATE_NOTE = "Les produits vendus au poids sont pesés après la clôture"


def test_the_shop_shows_an_estimate_and_the_price_per_kg(client, hub, chicken_offer, offers, slot):
    body = client.get(reverse("hub_public", args=[hub.slug])).content.decode()

    assert "environ 18,00\xa0€" in body
    assert "12,00\xa0€ le kg, prix définitif après pesée" in body
    assert "2,40\xa0€" in body  # carrots, at their price


def test_the_basket_and_the_order_say_the_total_is_an_estimate(
    client, hub, household, order, chicken_offer, offers
):
    client.force_login(household)
    client.post(reverse("basket_set", args=[hub.slug, chicken_offer.pk]), {"quantity": 1})

    basket = client.get(reverse("basket", args=[hub.slug])).content.decode()
    detail = client.get(order.get_absolute_url()).content.decode()

    for body in (basket, detail):
        assert "Total estimé" in body and ESTIMATE_NOTE in body
        assert "environ 18,00\xa0€" in body
    assert "environ 36,00\xa0€" in detail and "Total à payer" not in detail


def test_an_order_without_products_sold_by_weight_has_a_total_to_pay(
    client, household, cycle, slot, offers
):
    plain = services.place_order(
        cycle=cycle, items={offers["carrots"].pk: 1}, slot=slot, email=household.email,
        full_name=household.full_name, user=household, notify=False,
    )  # fmt: skip
    client.force_login(household)

    body = client.get(plain.get_absolute_url()).content.decode()

    assert "Total à payer" in body and "Total estimé" not in body and ESTIMATE_NOTE not in body


def test_the_order_e_mail_gives_the_estimate_and_the_price_per_kg(
    cycle, slot, chicken_offer, household, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.place_order(
            cycle=cycle, items={chicken_offer.pk: 2}, slot=slot, email=household.email,
            full_name=household.full_name, user=household,
        )  # fmt: skip

    [message] = mailoutbox
    assert "environ 36,00\xa0€ (12,00\xa0€ le kg, prix définitif après pesée)" in message.body
    assert "Total estimé : 36,00\xa0€" in message.body or "Total estimé: 36,00\xa0€" in message.body
    assert ESTIMATE_NOTE in message.body


# The producer's catalogue.


def _chicken_form(category, **overrides):
    return _product_data(
        category, **{
            "name": "Poulet fermier", "variants-0-name": "pièce", "variants-0-unit": "kg",
            "variants-0-quantity_per_unit": "1,5", "variants-0-price": "",
            "variants-0-sold_by_weight": "on", "variants-0-price_per_kg": "12,00",
            "variants-0-sku": "", **overrides,
        },
    )  # fmt: skip


def test_a_producer_puts_a_product_on_sale_by_weight(client, producer, producer_member, category):
    client.force_login(producer_member)

    response = client.post(
        reverse("producers:product_create", args=[producer.slug]), _chicken_form(category)
    )

    assert response.status_code == 302
    variant = Variant.objects.get(product__name="Poulet fermier")
    assert variant.sold_by_weight and variant.price_per_kg == Decimal("12.00")
    assert variant.price == Decimal("18.00")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"variants-0-price_per_kg": ""}, "Indiquez le prix au kg"),
        ({"variants-0-unit": "piece"}, "se compte en kg ou en g"),
        ({"variants-0-price_per_kg": "0"}, ""),
        ({"variants-0-price_per_kg": "NaN"}, ""),
        ({"variants-0-price_per_kg": "999999"}, ""),
        ({"variants-0-sold_by_weight": "", "variants-0-price": ""}, "Indiquez le prix d’une"),
    ],
)
def test_a_product_half_sold_by_weight_is_refused_with_a_message(
    client, producer, producer_member, category, overrides, message
):
    client.force_login(producer_member)

    response = client.post(
        reverse("producers:product_create", args=[producer.slug]),
        _chicken_form(category, **overrides),
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Variant.objects.filter(product__name="Poulet fermier").exists()


def test_a_product_not_sold_by_weight_forgets_a_price_per_kg_typed(
    client, producer, producer_member, category
):
    client.force_login(producer_member)
    client.post(
        reverse("producers:product_create", args=[producer.slug]),
        _chicken_form(category, **{"variants-0-sold_by_weight": "", "variants-0-price": "17"}),
    )

    variant = Variant.objects.get(product__name="Poulet fermier")
    assert not variant.sold_by_weight and variant.price_per_kg is None
    assert variant.price == Decimal("17.00")


def test_the_weekly_editor_changes_the_price_per_kg(client, producer, producer_member, chicken):
    client.force_login(producer_member)
    prefix = f"v{chicken.pk}"
    editor = client.get(reverse("producers:quick_editor", args=[producer.slug])).content.decode()
    assert "Prix au kg TTC (€)" in editor and 'value="12,00"' in editor

    response = client.post(
        reverse("producers:quick_update", args=[producer.slug, chicken.pk]),
        {f"{prefix}-price": "13,00", f"{prefix}-stock_quantity": "20",
         f"{prefix}-is_active": "on", f"{prefix}-stock_shown": "20",
         f"{prefix}-stock_version": chicken.updated_at.isoformat()},
        headers={"HX-Request": "true"},
    )  # fmt: skip

    assert response.status_code == 200
    chicken.refresh_from_db()
    assert (chicken.price_per_kg, chicken.price) == (Decimal("13.00"), Decimal("19.50"))


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent writers are tested"
)
@pytest.mark.django_db(transaction=True)
def test_packers_weighing_one_line_at_once_leave_its_entries_adding_up(order, manager):
    """Six connections weigh the same line at the same instant, each a different weight:
    the line ends with one of them, and its entries add up to its estimate less its price."""
    _close(order.cycle)
    line = _line(order)
    barrier = threading.Barrier(6)
    weights = [Decimal("2.500") + Decimal(n) / 10 for n in range(6)]

    def work(weight):
        try:
            barrier.wait(timeout=30)
            weighing.record_weight(line=line.pk, weight=weight, by=manager)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(work, weights))
    line.refresh_from_db()
    assert line.actual_weight in weights
    entries = BalanceEntry.objects.filter(order=order)
    assert sum(entries.values_list("amount", flat=True)) == line.total - line.final_total
    keys = set(entries.values_list("key", flat=True))
    assert len(keys) == entries.count()
    assert Customer.objects.get(pk=order.customer_id).balance == line.total - line.final_total


# The catalogue file (CSV): sold by weight is set in the catalogue, the file keeps it.


def _chicken_row(**values):
    chicken = {"product": "Poulet fermier", "category": "Légumes", "variant": "pièce",
               "unit": "kg", "quantity": "1,5", "price": "18,00"}  # fmt: skip
    return row(**{**chicken, **values})


def test_a_catalogue_file_keeps_a_variant_sold_by_weight_and_its_estimate(producer, chicken):
    import_catalogue(producer=producer, data=make_csv(_chicken_row(quantity="2", stock="7")))

    chicken.refresh_from_db()
    assert chicken.sold_by_weight and chicken.price_per_kg == Decimal("12.00")
    assert (chicken.quantity_per_unit, chicken.price) == (Decimal("2"), Decimal("24.00"))
    assert chicken.stock_quantity == 7


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"unit": "pièce"}, "son unité est le kg ou le g"),
        ({"price": "20,00"}, "changez son prix au kg dans le catalogue"),
    ],
)
def test_a_catalogue_file_cannot_undo_the_weight_of_a_variant(producer, chicken, values, message):
    with pytest.raises(CatalogueImportError) as refused:
        import_catalogue(producer=producer, data=make_csv(_chicken_row(**values)))

    assert message in str(refused.value.errors)
    chicken.refresh_from_db()
    assert (chicken.unit, chicken.price) == ("kg", Decimal("18.00"))


def test_the_pick_list_says_which_products_are_weighed_and_about_how_much(
    order, cycle, slot, chicken_offer, producer
):
    services.place_order(
        cycle=cycle, items={chicken_offer.pk: 3}, slot=slot, email="b@example.org",
        full_name="Bérénice Voisine", notify=False,
    )  # fmt: skip

    rows = {row.product: row for row in documents.pick_list(cycle, producer, with_names=False)}
    pdf = documents.pick_list_pdf(cycle, producer, rows=list(rows.values()))

    assert rows["Poulet fermier"].estimated_kg == Decimal("7.500")  # 5 × 1.5 kg
    assert rows["Carottes"].estimated_kg is None
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Vendu au poids : environ 7,5 kg en tout" in " ".join(text.split())


def test_an_order_still_waiting_for_its_card_payment_is_weighed_once_settled(
    client, manager, order
):
    Order.objects.filter(pk=order.pk).update(status=Order.Status.AWAITING_PAYMENT)
    _close(order.cycle)

    with pytest.raises(WeighingError, match="pas encore réglé"):
        weighing.record_weight(line=_line(order), weight=Decimal("3"), by=manager)
    client.force_login(manager)
    assert 'name="weight"' not in client.get(_page_url(order)).content.decode()

    Order.objects.filter(pk=order.pk).update(status=Order.Status.PLACED)
    assert weighing.record_weight(line=_line(order), weight=Decimal("3"), by=manager).line
