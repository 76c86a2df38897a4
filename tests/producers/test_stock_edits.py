"""A producer's stock edit never sells twice what households ordered while the page was open.

The page shows a figure; households order; the producer saves. What the producer changed
is applied to the stock of now (``producers.services.set_stock``).
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from orders.checkout.services import place_order
from producers.models import StockMode, Unit, Variant, VatRate
from producers.services import set_stock
from tests import factories


@pytest.fixture
def variant(producer, category):
    return factories.VariantFactory(
        product__producer=producer,
        product__category=category,
        product__name="Pommes Jonagold",
        name="sac 2 kg",
        unit=Unit.KG,
        quantity_per_unit=Decimal("2"),
        price=Decimal("4.50"),
        stock_quantity=10,
        sku="POM-2K",
    )


@pytest.fixture
def order_three(cycle, slot, variant):
    """Three units ordered by a household, as happens while the producer edits."""
    offer = factories.OfferFactory(cycle=cycle, variant=variant, price=variant.price)

    def order():
        place_order(
            cycle=cycle,
            slot=slot,
            items={offer.pk: 3},
            email="foyer@example.org",
            full_name="Camille Foyer",
            notify=False,
        )

    return order


def stock(variant) -> int:
    return Variant.objects.get(pk=variant.pk).stock_quantity


def product_form_data(page, variant, **changes):
    """The edit form as the page filled it, with ``changes`` typed by the producer."""
    html = page.content.decode()
    shown = re.search(r'name="variants-0-stock_shown" value="(\d+)"', html).group(1)
    version = re.search(r'name="variants-0-stock_version" value="([^"]+)"', html).group(1)
    return _form_data(variant, shown, version, **changes)


def saved_product_form_data(variant, **changes):
    """The edit form as the page fills it for the variant as saved (the stock it shows, the
    version it carries), without rendering the page, with ``changes``."""
    variant.refresh_from_db()
    shown, version = str(variant.stock_quantity), variant.updated_at.isoformat()
    return _form_data(variant, shown, version, **changes)


def _form_data(variant, shown: str, version: str, **changes) -> dict:
    data = {
        "name": variant.product.name,
        "description": "",
        "category": variant.product.category_id,
        "is_active": "on",
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "1",
        "variants-MIN_NUM_FORMS": "1",
        "variants-MAX_NUM_FORMS": "30",
        "variants-0-id": str(variant.pk),
        "variants-0-product": str(variant.product_id),
        "variants-0-name": variant.name,
        "variants-0-unit": variant.unit,
        "variants-0-quantity_per_unit": "2",
        "variants-0-price": "4,50",
        "variants-0-vat_rate": VatRate.REDUCED,
        "variants-0-stock_mode": StockMode.COUNTED,
        "variants-0-stock_quantity": shown,
        "variants-0-stock_shown": shown,
        "variants-0-stock_version": version,
        "variants-0-sku": variant.sku,
        "variants-0-is_active": "on",
    }
    data.update({f"variants-0-{name}": value for name, value in changes.items()})
    return data


def edit_url(producer, variant):
    return reverse("producers:product_edit", args=[producer.slug, variant.product_id])


def test_saving_a_product_without_touching_the_stock_keeps_what_was_ordered(
    client, producer, producer_member, variant, order_three
):
    client.force_login(producer_member)
    page = client.get(edit_url(producer, variant))
    order_three()

    response = client.post(edit_url(producer, variant), product_form_data(page, variant))

    assert response.status_code == 302
    assert stock(variant) == 7  # not 10 again: 3 are sold


def test_a_stock_typed_over_a_stale_figure_is_applied_as_a_change(
    client, producer, producer_member, variant, order_three
):
    client.force_login(producer_member)
    page = client.get(edit_url(producer, variant))
    order_three()

    # 5 more harvested: 10 shown, 15 typed; 3 went meanwhile, so 12 are left to sell.
    response = client.post(
        edit_url(producer, variant), product_form_data(page, variant, stock_quantity="15")
    )

    assert stock(variant) == 12
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("3 ont été commandés" in m and "12" in m for m in messages), messages


def test_stock_never_goes_below_zero(variant):
    Variant.objects.filter(pk=variant.pk).update(stock_quantity=7)  # 3 ordered
    assert set_stock(variant=variant, typed=0, shown=10) == 3
    assert stock(variant) == 0


def test_without_the_figure_shown_the_stock_typed_is_the_stock(variant):
    assert set_stock(variant=variant, typed=4, shown=None) == 0
    assert stock(variant) == 4


def test_switching_to_counted_stock_takes_the_figure_typed(
    client, producer, producer_member, variant
):
    Variant.objects.filter(pk=variant.pk).update(stock_mode=StockMode.ON_DEMAND, stock_quantity=0)
    client.force_login(producer_member)
    page = client.get(edit_url(producer, variant))

    client.post(edit_url(producer, variant), product_form_data(page, variant, stock_quantity="8"))

    assert stock(variant) == 8


def test_the_quick_editor_applies_changes_once_and_shows_the_stock_of_now(
    client, producer, producer_member, variant, order_three
):
    client.force_login(producer_member)
    client.get(reverse("producers:quick_editor", args=[producer.slug]))
    order_three()
    prefix = f"v{variant.pk}"
    url = reverse("producers:quick_update", args=[producer.slug, variant.pk])
    row = {
        f"{prefix}-price": "4,50",
        f"{prefix}-stock_quantity": "15",
        f"{prefix}-stock_shown": "10",
        f"{prefix}-is_active": "on",
    }

    response = client.post(url, row, HTTP_HX_REQUEST="true")

    assert stock(variant) == 12
    html = response.content.decode()
    assert "3 ont été commandés" in html
    # The new row starts from 12, so the next change (the price) adds no stock again.
    assert f'name="{prefix}-stock_quantity" value="12"' in html
    assert f'name="{prefix}-stock_shown" value="12"' in html
    client.post(
        url,
        {**row, f"{prefix}-price": "4,80", f"{prefix}-stock_quantity": "12",
         f"{prefix}-stock_shown": "12"},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert stock(variant) == 12
    assert Variant.objects.get(pk=variant.pk).price == Decimal("4.80")


def test_a_product_form_sent_twice_changes_the_stock_once(
    client, producer, producer_member, variant
):
    client.force_login(producer_member)
    page = client.get(edit_url(producer, variant))
    data = product_form_data(page, variant, stock_quantity="15", price="4,80")

    client.post(edit_url(producer, variant), data)
    again = client.post(edit_url(producer, variant), data, follow=True)

    assert stock(variant) == 15  # not 20
    assert Variant.objects.get(pk=variant.pk).price == Decimal("4.80")
    assert "le stock n’a pas été modifié" in again.content.decode()


def test_the_stock_never_goes_above_the_maximum(variant):
    from producers.models import MAX_STOCK

    Variant.objects.filter(pk=variant.pk).update(stock_quantity=MAX_STOCK - 1)
    set_stock(variant=variant, typed=MAX_STOCK, shown=10)
    assert stock(variant) == MAX_STOCK
