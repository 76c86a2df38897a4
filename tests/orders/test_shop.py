"""The households' side: the shop, the basket (htmx), checkout, my orders, change, cancel."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from orders.models import Basket, Order, OrderCycle
from tests import factories

pytestmark = pytest.mark.django_db


def shop_url(hub):
    return reverse("hub_public", args=[hub.slug])


def add(client, hub, offer, quantity, **headers):
    return client.post(
        reverse("basket_set", args=[hub.slug, offer.pk]), {"quantity": quantity}, **headers
    )


def checkout(client, hub, **data):
    """Submit the checkout form, then confirm the review page (as a person would)."""
    url = reverse("checkout", args=[hub.slug])
    review = client.post(url, data)
    assert review.status_code == 200, review.content.decode()[:2000]
    return client.post(url, {**data, "confirm": "1"})


def guest_details(slot, **extra):
    return {
        "email": "Alix@Example.org",
        "full_name": "Alix Martin",
        "phone": "06 12 34 56 78",
        "slot": slot.pk,
        "payment_method": "at_pickup",
        "note": "",
        **extra,
    }


# The shop page --------------------------------------------------------------------------


def test_shop_lists_the_open_cycles_offers_with_prices_and_stock(client, hub, offers, slot):
    html = client.get(shop_url(hub)).content.decode()
    assert "Semaine 48" in html
    assert "Carottes" in html and "Pommes Jonagold" in html and "Pain de campagne" in html
    assert "5,90\xa0€" in html
    # Apples: 2 kg bag at 5,90 € → 2,95 €/kg; capped at 5 this cycle → "only 5 left".
    assert "2,95\xa0€/kg" in html
    assert "plus que 5" in html


def test_shop_says_when_the_next_cycle_opens_when_none_is_open(client, hub):
    opens = timezone.now() + timedelta(days=3)
    factories.OrderCycleFactory(hub=hub, opens_at=opens, closes_at=opens + timedelta(days=4))
    html = client.get(shop_url(hub)).content.decode()
    assert "La boutique est fermée" in html
    assert "prochain cycle" in html


def test_drafts_and_other_hubs_cycles_are_not_shown(client, hub, offers, slot):
    other = factories.OfferFactory(variant__product__name="Bière de Wazemmes")
    draft = factories.OfferFactory(
        cycle__hub=hub, cycle__status=OrderCycle.Status.DRAFT, variant__product__name="Brouillon"
    )
    html = client.get(shop_url(hub)).content.decode()
    assert other.variant.product.name not in html
    assert draft.variant.product.name not in html


def test_sold_out_and_inactive_offers(client, hub, offers, slot):
    carrots = offers["carrots"]
    carrots.variant.stock_quantity = 0
    carrots.variant.save()
    offers["bread"].variant.product.is_active = False
    offers["bread"].variant.product.save()
    html = client.get(shop_url(hub)).content.decode()
    assert "épuisé" in html
    assert "Pain de campagne" not in html


def test_shop_search_and_filters(client, hub, offers, slot, other_producer):
    hub.producers.add(other_producer)
    factories.OfferFactory(
        cycle=offers["carrots"].cycle,
        variant__product__producer=other_producer,
        variant__product__name="Bière blonde",
    )
    html = client.get(shop_url(hub), {"q": "bière"}).content.decode()
    assert "Bière blonde" in html and "Carottes" not in html
    html = client.get(shop_url(hub), {"producer": "ferme-du-melantois"}).content.decode()
    assert "Carottes" in html and "Bière blonde" not in html
    html = client.get(shop_url(hub), {"group": "category"}).content.decode()
    assert "Légumes" in html


def test_shop_page_runs_a_fixed_number_of_queries(client, hub, cycle, slot, producer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(shop_url(hub))
        assert response.status_code == 200
        return len(queries), response.content.decode().count('class="offer"')

    first = factories.OfferFactory(cycle=cycle, variant__product__producer=producer)
    add(client, hub, first, 1)  # the basket summary is on every page
    few = count_queries()
    for _ in range(60):
        factories.OfferFactory(cycle=cycle, variant__product__producer=producer)
    many = count_queries()
    assert few[1] == 1 and many[1] == 48  # one page of 48
    assert few[0] == many[0] <= 12


# The basket --------------------------------------------------------------------------


def test_adding_to_the_basket_with_htmx_returns_the_row_and_the_summary(client, hub, offers, slot):
    response = add(client, hub, offers["carrots"], 3, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="offer-{offers["carrots"].pk}"' in html
    assert 'id="basket-summary"' in html and 'hx-swap-oob="true"' in html
    assert "7,20\xa0€" in html  # 3 × 2,40 €
    basket = Basket.objects.get()
    assert list(basket.items.values_list("quantity", flat=True)) == [3]


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("-1", "négative"),
        ("1.5", "n’est pas une quantité"),
        ("abc", "n’est pas une quantité"),
        ("100000", "trop"),
        ("11", "plus que 10"),
    ],
)
def test_bad_basket_quantities_are_refused_and_change_nothing(
    client, hub, offers, slot, quantity, message
):
    add(client, hub, offers["carrots"], 2)
    response = add(client, hub, offers["carrots"], quantity, HTTP_HX_REQUEST="true")
    assert message in response.content.decode()
    assert Basket.objects.get().items.get().quantity == 2


def test_an_offer_of_another_cycle_cannot_go_in_the_basket(client, hub, offers, slot):
    foreign = factories.OfferFactory()
    response = add(client, hub, foreign, 1)
    assert response.status_code == 302
    assert not Basket.objects.filter(items__offer=foreign).exists()


def test_zero_takes_an_item_out(client, hub, offers, slot):
    add(client, hub, offers["carrots"], 2)
    add(client, hub, offers["carrots"], 0)
    assert not Basket.objects.get().items.exists()


def test_the_basket_survives_log_in_and_merges_into_the_account(
    client, hub, offers, slot, household
):
    add(client, hub, offers["carrots"], 2)
    assert Basket.objects.get().user is None
    response = client.post(
        reverse("account_login"),
        {"login": household.email, "password": factories.DEFAULT_PASSWORD},
    )
    assert response.status_code == 302
    basket = Basket.objects.get()
    assert basket.user == household
    assert basket.items.get().quantity == 2


# Checkout ----------------------------------------------------------------------------


def test_guest_checkout_pay_at_pickup(
    client, hub, offers, slot, mailoutbox, django_capture_on_commit_callbacks
):
    hub.order_prefix = "LIL"
    hub.save()
    add(client, hub, offers["carrots"], 2)
    add(client, hub, offers["apples"], 1)
    with django_capture_on_commit_callbacks(execute=True):
        response = checkout(client, hub, **guest_details(slot))
    order = Order.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("orders:order_by_token", args=[order.access_token])
    year = timezone.localdate().year
    assert order.number == f"LIL-{year}-000001"
    assert order.email == "alix@example.org"
    assert order.total == Decimal("10.70")  # 2 × 2,40 + 5,90, no fee
    assert order.status == Order.Status.PLACED
    assert not Basket.objects.exists()
    [mail] = mailoutbox
    assert order.number in mail.subject
    assert "La Ruche de Fives" in mail.body and "10,70\xa0€" in mail.body
    page = client.get(response.url).content.decode()
    assert order.number in page and "Modifier ma commande" in page


def test_review_page_shows_fee_total_and_vat_per_rate(client, hub, offers, slot):
    cycle = offers["carrots"].cycle
    cycle.fee_percent = Decimal("10")
    cycle.fee_fixed = Decimal("0.50")
    cycle.save()
    add(client, hub, offers["carrots"], 1)  # 2,40 € at 5.5 %
    html = client.post(reverse("checkout", args=[hub.slug]), guest_details(slot)).content.decode()
    # Fee: 10 % of 2,40 = 0,24 + 0,50 = 0,74 € (20 % VAT); total 3,14 €.
    assert "0,74\xa0€" in html and "3,14\xa0€" in html
    assert "5,5 %" in html and "20 %" in html
    assert "au producteur" in html  # each line shows how its price splits
    assert not Order.objects.exists()  # the review places nothing


def test_a_tampered_or_full_slot_is_refused(client, hub, offers, slot):
    add(client, hub, offers["carrots"], 1)
    other_slot = factories.PickupSlotFactory()
    url = reverse("checkout", args=[hub.slug])
    response = client.post(url, {**guest_details(other_slot), "confirm": "1"})
    assert response.status_code == 400
    slot.capacity = 1
    slot.save()
    factories_order(slot, offers)
    response = client.post(url, {**guest_details(slot), "confirm": "1"})
    assert response.status_code == 400
    assert Order.objects.count() == 1


def factories_order(slot, offers, email="autre@example.org"):
    from orders.checkout import services

    return services.place_order(
        cycle=slot.cycle_pickup.cycle,
        items={offers["bread"].pk: 1},
        email=email,
        full_name="Autre Foyer",
        slot=slot,
    )


def test_a_tampered_payment_method_is_refused_without_card_payments(client, hub, offers, slot):
    add(client, hub, offers["carrots"], 1)
    url = reverse("checkout", args=[hub.slug])
    response = client.post(url, {**guest_details(slot, payment_method="card"), "confirm": "1"})
    assert response.status_code == 400
    assert not Order.objects.exists()


def test_double_submission_places_one_order(client, hub, offers, slot):
    add(client, hub, offers["carrots"], 1)
    data = {**guest_details(slot), "confirm": "1"}
    url = reverse("checkout", args=[hub.slug])
    first = client.post(url, data)
    # The second click finds an empty basket (or, from another tab, the existing order).
    add(client, hub, offers["carrots"], 1)
    second = client.post(url, data)
    assert Order.objects.count() == 1
    order = Order.objects.get()
    assert first.url == second.url == reverse("orders:order_by_token", args=[order.access_token])


def test_stock_gone_at_checkout_is_told_and_nothing_is_placed(client, hub, offers, slot):
    add(client, hub, offers["carrots"], 4)
    carrots = offers["carrots"].variant
    carrots.stock_quantity = 3
    carrots.save()
    url = reverse("checkout", args=[hub.slug])
    response = client.post(url, {**guest_details(slot), "confirm": "1"})
    assert response.status_code == 409
    assert "plus que 3" in response.content.decode()
    assert not Order.objects.exists()
    carrots.refresh_from_db()
    assert carrots.stock_quantity == 3


def test_after_closing_time_nothing_can_be_ordered_even_without_the_scheduler(
    client, hub, offers, slot
):
    add(client, hub, offers["carrots"], 1)
    with time_machine.travel(offers["carrots"].cycle.closes_at + timedelta(seconds=1)):
        response = client.post(
            reverse("checkout", args=[hub.slug]), {**guest_details(slot), "confirm": "1"}
        )
        assert response.status_code == 302
        assert not Order.objects.exists()
        response = add(client, hub, offers["carrots"], 2)
        assert Basket.objects.get().items.get().quantity == 1


# After ordering: my orders, change, cancel --------------------------------------------


@pytest.fixture
def placed(client, hub, offers, slot, household):
    client.force_login(household)
    add(client, hub, offers["carrots"], 2)
    checkout(client, hub, full_name="Camille Foyer", phone="", slot=slot.pk,
             payment_method="at_pickup", note="Sonnez fort")  # fmt: skip
    return Order.objects.get()


def test_my_orders_lists_only_mine(client, placed, household, hub, offers, slot):
    other = factories_order(slot, offers)
    html = client.get(reverse("orders:my_orders")).content.decode()
    assert placed.number in html and other.number not in html
    assert client.get(reverse("orders:order_detail", args=[other.number])).status_code == 404
    assert client.get(reverse("orders:order_detail", args=[placed.number])).status_code == 200


def test_changing_an_order_through_the_basket(client, placed, hub, offers, slot):
    assert placed.note == "Sonnez fort"
    client.post(reverse("orders:order_change", args=[placed.access_token]))
    add(client, hub, offers["carrots"], 5)
    add(client, hub, offers["bread"], 1)
    response = checkout(client, hub, full_name="Camille Foyer", phone="", slot=slot.pk, note="")
    assert response.status_code == 302
    placed.refresh_from_db()
    assert Order.objects.count() == 1
    assert {line.product_name: line.quantity for line in placed.lines.all()} == {
        "Carottes": 5,
        "Pain de campagne": 1,
    }
    assert placed.total == Decimal("16.80")
    offers["carrots"].variant.refresh_from_db()
    assert offers["carrots"].variant.stock_quantity == 5


def test_a_logged_in_household_with_an_order_edits_it_from_the_shop(client, placed, hub, offers):
    html = client.get(shop_url(hub)).content.decode()
    assert placed.number in html  # "you are changing your order ..."


def test_cancelling_gives_the_stock_back(client, placed, offers):
    url = reverse("orders:order_cancel", args=[placed.access_token])
    assert client.get(url).status_code == 200
    client.post(url)
    placed.refresh_from_db()
    assert placed.status == Order.Status.CANCELLED
    offers["carrots"].variant.refresh_from_db()
    assert offers["carrots"].variant.stock_quantity == 10


def test_nothing_changes_after_close(client, placed, offers):
    with time_machine.travel(placed.cycle.closes_at + timedelta(minutes=1)):
        client.post(reverse("orders:order_cancel", args=[placed.access_token]))
        client.post(reverse("orders:order_change", args=[placed.access_token]))
        html = client.get(placed.get_absolute_url()).content.decode()
    placed.refresh_from_db()
    assert placed.status == Order.Status.PLACED
    assert "ne peut plus être modifiée" in html


def test_an_order_link_with_a_wrong_token_is_404(client, placed):
    assert client.get(reverse("orders:order_by_token", args=["nope"])).status_code == 404
    assert client.post(reverse("orders:order_cancel", args=["nope"])).status_code == 404
