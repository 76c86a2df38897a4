"""An htmx request that cannot be served leads to a proper page, on every htmx endpoint.

htmx swaps an answer into a part of the page. A redirect answered to it used to be
followed inside the request, and the whole page it led to swapped into the product row
(the closed shop inside the row); an error page was not swapped at all (nothing
happened). Now a redirect becomes HX-Redirect (the browser goes there) and an error sends
the browser back to the page it is on, with a message saying what happened.
"""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orders.checkout import services
from orders.models import Basket
from tests import factories

pytestmark = pytest.mark.django_db


def htmx(page_url: str) -> dict:
    """The headers htmx sends from the page at ``page_url``."""
    return {"HX-Request": "true", "HX-Current-URL": f"http://testserver{page_url}"}


def assert_client_redirect(response, to: str | None = None) -> str:
    """htmx goes to a page: HX-Redirect, no body to swap, no Location for the XHR."""
    assert "HX-Redirect" in response, (response.status_code, response.headers)
    assert "Location" not in response
    assert b"<html" not in response.content
    if to is not None:
        assert response["HX-Redirect"] == to
    return response["HX-Redirect"]


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def shop(hub):
    return reverse("hub_public", args=[hub.slug])


def add_from_shop(client, hub, offer):
    """What htmx sends when one unit of ``offer`` is added on the shop's page."""
    url = reverse("basket_set", args=[hub.slug, offer.pk])
    return client.post(url, {"quantity": 1}, headers=htmx(shop(hub)))


# The shop's basket.


def test_adding_to_the_basket_after_the_close_goes_to_the_closed_shop_and_says_why(
    client, hub, offers, slot
):
    page = shop(hub)
    url = reverse("basket_set", args=[hub.slug, offers["carrots"].pk])
    with time_machine.travel(offers["carrots"].cycle.closes_at + timedelta(seconds=1)):
        response = client.post(url, {"quantity": 1, "next": page}, headers=htmx(page))
        assert_client_redirect(response, to=page)
        assert messages_of(response) == [
            "La boutique est fermée\xa0: les commandes ne peuvent plus être modifiées."
        ]
        html = client.get(page).content.decode()
    assert "La boutique est fermée" in html
    assert not Basket.objects.exists()


def test_a_basket_row_of_an_offer_that_is_gone_says_so(client, hub, offers, slot):
    page = shop(hub)
    response = client.post(
        reverse("basket_set", args=[hub.slug, 999999]), {"quantity": 1}, headers=htmx(page)
    )
    # The row cannot be drawn: the summary is swapped with the reason (no page in a row).
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert "pas en vente" in response.content.decode()


def test_the_basket_of_a_hub_that_is_gone_leads_back_with_a_message(client, hub, offers, slot):
    page = shop(hub)
    response = client.post("/no-such-hub/basket/1/", {"quantity": 1}, headers=htmx(page))
    assert response.status_code == 404
    assert_client_redirect(response, to=page)
    assert messages_of(response) == [
        "Ce que vous demandiez n’existe plus (ou pas ici)\xa0: voici la page à jour."
    ]


def test_a_server_error_in_an_htmx_request_leads_back_with_a_message(
    hub, offers, slot, monkeypatch
):
    from orders.checkout import basket

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(basket, "set_quantity", broken)
    response = add_from_shop(Client(raise_request_exception=False), hub, offers["carrots"])
    assert response.status_code == 500
    assert_client_redirect(response, to=shop(hub))
    assert "Une erreur s’est produite de notre côté" in messages_of(response)[0]


def test_an_expired_csrf_token_leads_back_with_a_message(hub, offers, slot):
    response = add_from_shop(Client(enforce_csrf_checks=True), hub, offers["carrots"])
    assert response.status_code == 403
    assert_client_redirect(response, to=shop(hub))
    assert messages_of(response)


def test_a_redirect_to_another_site_page_is_not_taken_from_a_forged_current_url(
    client, hub, offers, slot
):
    response = client.post(
        "/no-such-hub/basket/1/",
        {"quantity": 1},
        headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example/x"},
    )
    assert_client_redirect(response, to="/")


def test_plain_requests_are_left_alone(client, hub, offers, slot):
    url = reverse("basket_set", args=[hub.slug, offers["carrots"].pk])
    with time_machine.travel(offers["carrots"].cycle.closes_at + timedelta(seconds=1)):
        response = client.post(url, {"quantity": 1})
    assert response.status_code == 302
    assert "HX-Redirect" not in response


# The "e-mail me when the shop opens" button.


def test_the_opening_alert_button_logged_out_goes_to_the_log_in_page(client, hub):
    page = shop(hub)
    response = client.post(
        reverse("orders:opening_alert", args=[hub.slug]), {"on": "1"}, headers=htmx(page)
    )
    target = urlsplit(assert_client_redirect(response))
    assert target.path == reverse("account_login")
    assert parse_qs(target.query)["next"] == [page]


# The volunteers' ticks on distribution day.


@pytest.fixture
def distribution(hub, cycle, slot, offers, pickup_point):
    volunteer = factories.UserFactory(email="benevole@example.org")
    factories.PickupPointMembershipFactory(pickup_point=pickup_point, user=volunteer)
    order = services.place_order(
        cycle=cycle, items={offers["bread"].pk: 1}, email="a@example.org", full_name="A",
        slot=slot, notify=False,
    )  # fmt: skip
    cycle.closes_at = timezone.now() - timedelta(minutes=1)
    cycle.save(update_fields=["closes_at"])
    page = reverse("pickup_points:distribution", args=[pickup_point.slug, cycle.pk])
    tick = reverse("pickup_points:collected", args=[pickup_point.slug, cycle.pk, order.pk])
    return volunteer, page, tick


@pytest.mark.parametrize("endpoint", ["collected", "payment"])
def test_a_volunteers_tick_after_the_session_expired_goes_to_log_in_then_back(
    client, distribution, endpoint
):
    _volunteer, page, tick = distribution
    url = tick.replace("/collected/", "/payments/") if endpoint == "payment" else tick
    response = client.post(url, {"collected": "1", "amount": "1"}, headers=htmx(page))
    target = urlsplit(assert_client_redirect(response))
    assert target.path == reverse("account_login")
    # Back to the list after logging in, not to the address of the tick (POST only).
    assert parse_qs(target.query)["next"] == [page]


def test_a_volunteers_tick_of_an_order_not_here_leads_back_with_a_message(
    client, distribution, cycle, pickup_point
):
    volunteer, page, _tick = distribution
    client.force_login(volunteer)
    elsewhere = reverse("pickup_points:collected", args=[pickup_point.slug, cycle.pk, 999999])
    response = client.post(elsewhere, {"collected": "1"}, headers=htmx(page))
    assert response.status_code == 404
    assert_client_redirect(response, to=page)
    assert messages_of(response)


def test_a_volunteers_tick_refused_by_the_rules_is_swapped_in_its_row(client, distribution, cycle):
    """422 is the answer htmx swaps (the row with its message): left alone."""
    volunteer, page, tick = distribution
    client.force_login(volunteer)
    cycle.closes_at = timezone.now() + timedelta(days=1)
    cycle.save(update_fields=["closes_at"])
    response = client.post(tick, {"collected": "1"}, headers=htmx(page))
    assert response.status_code == 422
    assert "HX-Redirect" not in response


def test_the_volunteers_search_logged_out_goes_to_log_in(client, distribution):
    _volunteer, page, _tick = distribution
    response = client.get(page, {"q": "a"}, headers={**htmx(page), "HX-Target": "households"})
    target = urlsplit(assert_client_redirect(response))
    assert target.path == reverse("account_login")


# The producer's quick editor and the manager's documents.


def test_the_quick_editor_logged_out_or_of_another_producer(
    client, producer, producer_member, other_producer_member, offers
):
    variant = offers["carrots"].variant
    page = reverse("producers:quick_editor", args=[producer.slug])
    url = reverse("producers:quick_update", args=[producer.slug, variant.pk])
    target = urlsplit(assert_client_redirect(client.post(url, {}, headers=htmx(page))))
    assert target.path == reverse("account_login")
    assert parse_qs(target.query)["next"] == [page]

    client.force_login(other_producer_member)
    response = client.post(url, {}, headers=htmx(page))
    assert response.status_code == 404
    assert_client_redirect(response, to=page)


def test_the_documents_poll_logged_out_goes_to_log_in(client, hub, cycle):
    page = reverse("cycles:documents", args=[hub.slug, cycle.pk])
    response = client.get(page, headers=htmx(page))
    target = urlsplit(assert_client_redirect(response))
    assert target.path == reverse("account_login")
