"""Every view that reads ``next`` goes there only when it is a local address; any other
value is ignored (never a server error, never another site)."""

import pytest
from django.urls import reverse

from orders.checkout import services
from pickup_points.models import PickupPointMembership
from tests import bad_input, factories

pytestmark = pytest.mark.django_db


def _lands_safely(response, fallback: str):
    if response.status_code == 400:  # a NUL character: refused before any view
        return
    assert response.status_code == 302
    assert response.url == fallback or response.url.startswith(fallback + "#")


@pytest.mark.parametrize("value", bad_input.BAD_NEXT)
def test_putting_a_product_on_sale_again(client, producer, producer_member, value):
    """``next=abc`` was a server error: ``redirect()`` read it as a view name."""
    product = factories.ProductFactory(producer=producer)
    client.force_login(producer_member)
    url = reverse("producers:product_set_active", args=[producer.slug, product.pk])
    response = client.post(url, {"active": "1", "next": value})
    _lands_safely(response, producer.get_absolute_url())


def test_putting_a_product_on_sale_goes_back_to_the_filtered_catalogue(
    client, producer, producer_member
):
    product = factories.ProductFactory(producer=producer)
    client.force_login(producer_member)
    url = reverse("producers:product_set_active", args=[producer.slug, product.pk])
    back = producer.get_absolute_url() + "?status=inactive&page=2"
    assert client.post(url, {"active": "1", "next": back}).url == back


@pytest.mark.parametrize("value", bad_input.BAD_NEXT)
def test_adding_to_the_basket(client, hub, offers, value):
    offer = offers["carrots"]
    url = reverse("basket_set", args=[hub.slug, offer.pk])
    response = client.post(url, {"quantity": "1", "next": value})
    _lands_safely(response, reverse("hub_public", args=[hub.slug]))


def test_adding_to_the_basket_goes_back_to_the_page_shown(client, hub, offers):
    url = reverse("basket_set", args=[hub.slug, offers["carrots"].pk])
    back = reverse("hub_public", args=[hub.slug]) + "?q=carottes&page=2"
    assert client.post(url, {"quantity": "1", "next": back}).url == back


@pytest.mark.parametrize("value", bad_input.BAD_NEXT)
def test_choosing_a_language(client, value):
    response = client.post(reverse("set_language"), {"language": "en", "next": value})
    if response.status_code != 400:
        assert response.status_code == 302
        assert response.url in ("/", "/en/")


def test_choosing_a_language_goes_back_to_the_page_in_that_language(client, hub):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/spaces/"})
    assert response.url == "/en/spaces/"


@pytest.mark.parametrize("value", bad_input.BAD_NEXT)
def test_recording_a_payment_at_the_counter(client, hub, slot, offers, pickup_point, value):
    """Here ``next`` only says which page to go back to ("detail"): anything else is the
    distribution page."""
    order = services.place_order(
        cycle=slot.cycle_pickup.cycle, items={offers["carrots"].pk: 1}, email="a@example.org",
        full_name="A", slot=slot, notify=False,
    )  # fmt: skip
    volunteer = factories.UserFactory()
    factories.PickupPointMembershipFactory(
        pickup_point=pickup_point, user=volunteer, role=PickupPointMembership.Role.COORDINATOR
    )
    client.force_login(volunteer)
    args = [pickup_point.slug, order.cycle_id, order.pk]
    response = client.post(
        reverse("pickup_points:payment", args=args),
        {"method": "cash", "amount": "1,00", "next": value},
    )
    _lands_safely(
        response, reverse("pickup_points:distribution", args=[pickup_point.slug, order.cycle_id])
    )
