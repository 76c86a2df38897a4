"""Values that are not numbers, or not ids a database holds, in the shop and the manager's
pages: a message or a 404, nothing written, never a server error."""

import pytest
from django.urls import reverse

from orders.checkout import services
from orders.models import Basket, BasketItem, Offer, Payment, WeeklySchedule
from orders.planning import cycles
from tests import bad_input

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize("value", bad_input.UNICODE_DIGITS + bad_input.HUGE_IDS + ["0", "-1"])
def test_an_offer_id_that_is_no_id_is_a_404(client, hub, offers, value, htmx):
    """``POST /<hub>/basket/²/`` was a server error: "²" passes ``str.isdigit()``."""
    url = f"/{hub.slug}/basket/{value}/"
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(url, {"quantity": "1"}, headers=headers)
    assert response.status_code == 404
    assert not BasketItem.objects.exists()


def test_an_offer_of_the_shop_still_goes_in_the_basket(client, hub, offers):
    url = reverse("basket_set", args=[hub.slug, offers["carrots"].pk])
    response = client.post(url, {"quantity": "2"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert Basket.objects.get().items.get().quantity == 2


@pytest.mark.parametrize("key", ["١٢", "１２", "²", "9" * 20])
def test_quantities_name_offers_by_ascii_ids(key):
    with pytest.raises(services.OrderError):
        services.check_quantities({key: "1"})


@pytest.mark.parametrize("value", ["²", "١٢", "9" * 30, "-1", "1.5"])
def test_a_cap_that_is_no_whole_number_is_refused(value):
    with pytest.raises(cycles.CycleError):
        cycles._check_cap(value, "Carottes")


@pytest.mark.parametrize("value", bad_input.NOT_NUMBERS + bad_input.UNICODE_DIGITS)
def test_offer_prices_and_caps_refuse_what_is_not_a_number(client, cycle, offers, manager, value):
    client.force_login(manager)
    carrots = offers["carrots"]
    data = {f"price_{o.pk}": str(o.price) for o in offers.values()}
    url = reverse("cycles:offers_update", args=[cycle.hub.slug, cycle.pk])
    for field in (f"price_{carrots.pk}", f"cap_{carrots.pk}"):
        response = client.post(url, data | {field: value})
        assert response.status_code == 400
        assert response.context["terms_form"].errors[field]
    carrots.refresh_from_db()
    assert (str(carrots.price), carrots.stock_cap) == ("2.40", None)


@pytest.mark.parametrize("value", bad_input.HUGE_IDS + bad_input.UNICODE_DIGITS)
def test_choosing_offers_refuses_ids_no_database_holds(client, cycle, offers, manager, value):
    client.force_login(manager)
    shown = [str(o.variant_id) for o in offers.values()]
    url = reverse("cycles:offers", args=[cycle.hub.slug, cycle.pk])
    for field in ("variants", "shown"):
        response = client.post(url, {"variants": shown, "shown": shown} | {field: [value]})
        assert response.status_code == 400
    assert Offer.objects.filter(cycle=cycle).count() == 3


@pytest.mark.parametrize("value", bad_input.HUGE_IDS + bad_input.UNICODE_DIGITS)
def test_a_schedule_refuses_producers_no_database_holds(client, hub, manager, producer, value):
    """A 20-digit producer id was a server error on SQLite (OverflowError in ``pk__in``)."""
    client.force_login(manager)
    data = {"name": "Panier du vendredi", "is_active": "on", "opens_weekday": "4",
            "opens_time": "18:00", "closes_weekday": "1", "closes_time": "23:59",
            "mode": "publish", "weeks_ahead": "2", "starts_on": "", "fee_percent": "2,5",
            "fee_fixed": "0", "fee_vat_rate": "20.0", "message": "",
            "producers": [str(producer.pk), value]}  # fmt: skip
    response = client.post(reverse("cycles:schedule_create", args=[hub.slug]), data)
    assert response.status_code == 400
    assert response.context["form"].errors["producers"]
    assert not WeeklySchedule.objects.exists()


@pytest.mark.parametrize("value", bad_input.NOT_NUMBERS + bad_input.UNICODE_DIGITS)
def test_fees_refuse_what_is_not_a_number(client, hub, manager, value):
    client.force_login(manager)
    data = {"name": "Semaine 2", "opens_at": "2030-01-07T08:00",
            "closes_at": "2030-01-10T20:00", "fee_percent": "0", "fee_fixed": "0",
            "fee_vat_rate": "20.0", "message": ""}  # fmt: skip
    url = reverse("cycles:create", args=[hub.slug])
    for field in ("fee_percent", "fee_fixed"):
        response = client.post(url, data | {field: value})
        assert response.status_code == 400
        assert response.context["form"].errors[field]
    assert not hub.order_cycles.exists()


@pytest.mark.parametrize("value", bad_input.NOT_NUMBERS + bad_input.UNICODE_DIGITS)
def test_a_payment_refuses_an_amount_that_is_not_a_number(
    client, cycle, slot, offers, manager, value
):
    order = services.place_order(
        cycle=cycle, items={offers["carrots"].pk: 1}, email="a@example.org", full_name="A",
        slot=slot, notify=False,
    )  # fmt: skip
    client.force_login(manager)
    url = reverse("cycles:record_payment", args=[cycle.hub.slug, cycle.pk, order.pk])
    response = client.post(url, {"method": "cash", "amount": value})
    assert response.status_code == 400
    assert response.context["form"].errors["amount"]
    assert not Payment.objects.exists()
