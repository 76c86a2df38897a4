"""A NUL character is refused wherever text comes in: the address, the query, the form
(field names and values), the cookies. PostgreSQL refused it with a server error
(a search box, an order's secret link), SQLite stored it."""

import pytest
from django.urls import reverse

from producers.models import Producer
from tests import bad_input

pytestmark = pytest.mark.django_db


def _refused(response):
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


@pytest.mark.parametrize("value", bad_input.WITH_NUL)
def test_a_search_box(client, producer, producer_member, value):
    client.force_login(producer_member)
    _refused(client.get(reverse("producers:quick_editor", args=[producer.slug]), {"q": value}))


@pytest.mark.parametrize("value", bad_input.WITH_NUL)
def test_an_address(client, value):
    _refused(client.get(f"/orders/o/{value.replace(chr(0), '%00')}/"))


@pytest.mark.parametrize("value", bad_input.WITH_NUL)
def test_a_form_field_and_its_name(client, producer, producer_member, value):
    client.force_login(producer_member)
    url = reverse("producers:profile", args=[producer.slug])
    _refused(client.post(url, {"name": value, "city": "Lille"}))
    _refused(client.post(url, {"name": "Ferme", value: "x"}))
    assert Producer.objects.get().name == "Ferme du Mélantois"


def test_a_cookie(client):
    client.cookies["sessionid"] = "abc\x00def"
    _refused(client.get(reverse("home")))


def test_the_message_is_in_the_visitors_language(client):
    response = client.get("/en/spaces/", {"q": "\x00"})
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()
    response = client.get("/spaces/", {"q": "\x00"})
    assert "caractère NUL" in response.content.decode()


def test_ordinary_requests_go_through(client, hub):
    assert client.get(reverse("hub_public", args=[hub.slug]), {"q": "pommes"}).status_code == 200


def test_a_view_that_reads_its_body_still_can(client):
    """Stripe's webhook (exempt from CSRF) reads its body: the middleware does not read a
    form first, which would make the body unreadable (a server error)."""
    response = client.post(reverse("payments:stripe_webhook"), {"field": "value"})
    assert response.status_code == 400
    assert response.content == b"invalid webhook"
