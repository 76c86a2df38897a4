"""Values that are not numbers, or not ids a database holds, in the catalogue's forms: a
message, nothing saved (``sNaN`` in a price was a server error: decimal.InvalidOperation
when the form compared it with the price shown)."""

import pytest
from django.urls import reverse

from producers.models import Product, Variant
from tests import bad_input
from tests.factories import VariantFactory
from tests.producers.test_stock_edits import saved_product_form_data

pytestmark = pytest.mark.django_db

NUMBERS_OF_A_VARIANT = ["price", "quantity_per_unit", "stock_quantity", "stock_shown"]


@pytest.fixture
def variant(producer, category):
    return VariantFactory(product__producer=producer, product__category=category, sku="C-1")


@pytest.mark.parametrize("value", bad_input.NOT_NUMBERS + bad_input.UNICODE_DIGITS)
@pytest.mark.parametrize("name", NUMBERS_OF_A_VARIANT)
def test_the_product_form_refuses_what_is_not_a_number(
    client, producer, producer_member, variant, name, value
):
    client.force_login(producer_member)
    url = reverse("producers:product_edit", args=[producer.slug, variant.product_id])
    before = Variant.objects.values().get(pk=variant.pk)

    response = client.post(url, saved_product_form_data(variant, **{name: value}))

    assert response.status_code == 400
    assert response.context["formset"].forms[0].errors[name]
    assert Variant.objects.values().get(pk=variant.pk) == before


@pytest.mark.parametrize("value", bad_input.HUGE_IDS + bad_input.UNICODE_DIGITS)
def test_the_product_form_refuses_labels_no_database_holds(
    client, producer, producer_member, variant, organic, value
):
    """A 20-digit label id was a server error on SQLite (OverflowError in ``pk__in``)."""
    client.force_login(producer_member)
    url = reverse("producers:product_edit", args=[producer.slug, variant.product_id])
    data = saved_product_form_data(variant)
    data["labels"] = [str(organic.pk), value]

    response = client.post(url, data)

    assert response.status_code == 400
    assert response.context["form"].errors["labels"]
    assert not Product.objects.get(pk=variant.product_id).labels.exists()


def test_a_tampered_count_of_variant_rows_builds_no_more_than_a_product_may_have(
    client, producer, producer_member, variant
):
    """Django's default would build, check and show 1,030 variant forms."""
    client.force_login(producer_member)
    url = reverse("producers:product_edit", args=[producer.slug, variant.product_id])
    data = saved_product_form_data(variant)
    data["variants-TOTAL_FORMS"] = "9" * 20

    response = client.post(url, data)

    assert response.status_code == 400
    assert len(response.context["formset"].forms) == 30


@pytest.mark.parametrize("value", ["sNaN", "NaN", "Infinity", "1e400", "9" * 30, "١٢"])
def test_the_quick_editor_refuses_what_is_not_a_number(
    client, producer, producer_member, variant, value
):
    client.force_login(producer_member)
    url = reverse("producers:quick_update", args=[producer.slug, variant.pk])
    prefix = f"v{variant.pk}"

    response = client.post(
        url,
        {f"{prefix}-price": value, f"{prefix}-stock_quantity": "3", f"{prefix}-is_active": "on"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 422
    variant.refresh_from_db()
    assert str(variant.price) == "3.50"
