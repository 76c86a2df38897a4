"""Every page checks who is asking: a matrix of URLs × roles.

Pages are 404 (not 403) for people who may not see them, so nobody learns what exists.
Anonymous visitors are sent to the log-in page.
"""

import pytest
from django.urls import reverse

from tests.factories import VariantFactory

pytestmark = pytest.mark.django_db

ALLOWED, HIDDEN, LOGIN = 200, 404, 302

PERSONAS = ["anonymous", "household", "producer_member", "other_producer_member", "manager",
            "other_hub_manager"]  # fmt: skip


@pytest.fixture
def world(
    producer, producer_member, other_producer_member, hub, manager, other_hub_manager, household
):
    variant = VariantFactory(product__producer=producer)
    return {
        "producer": producer,
        "hub": hub,
        "variant": variant,
        "product": variant.product,
        "users": {
            "anonymous": None,
            "household": household,
            "producer_member": producer_member,
            "other_producer_member": other_producer_member,
            "manager": manager,
            "other_hub_manager": other_hub_manager,
        },
    }


@pytest.fixture(params=PERSONAS)
def persona(request, client, world):
    """Each persona in turn, logged in on ``client`` (but the anonymous visitor)."""
    if user := world["users"][request.param]:
        client.force_login(user)
    return request.param


def only(*personas) -> dict:
    """Who may see a page: ``personas``; it is hidden from the others, and anonymous
    visitors are sent to log in."""
    return {p: ALLOWED if p in personas else HIDDEN for p in PERSONAS} | {"anonymous": LOGIN}


def _catalogue_urls(w):
    p, product, variant = w["producer"].slug, w["product"].pk, w["variant"].pk
    return [
        ("get", reverse("producers:catalogue", args=[p])),
        ("get", reverse("producers:profile", args=[p])),
        ("get", reverse("producers:product_create", args=[p])),
        ("get", reverse("producers:product_edit", args=[p, product])),
        ("post", reverse("producers:product_duplicate", args=[p, product])),
        ("post", reverse("producers:product_set_active", args=[p, product])),
        ("post", reverse("producers:variant_remove", args=[p, variant])),
        ("get", reverse("producers:quick_editor", args=[p])),
        ("post", reverse("producers:quick_update", args=[p, variant])),
        ("get", reverse("producers:import", args=[p])),
        ("get", reverse("producers:export", args=[p])),
    ]


# Who may manage a producer's catalogue: its members only (not even its hubs' managers).
CATALOGUE_EXPECTED = only("producer_member")


def test_catalogue_pages_are_for_the_producers_members_only(client, world, persona):
    for method, url in _catalogue_urls(world):
        response = getattr(client, method)(url)
        status = response.status_code
        expected = CATALOGUE_EXPECTED[persona]
        if expected == ALLOWED:
            # POST actions redirect after doing their work.
            assert status in (200, 302), (url, status)
        else:
            assert status == expected, (url, status)
            if expected == LOGIN:
                assert response.url.startswith(reverse("account_login"))


def test_another_producers_product_is_hidden_even_under_my_slug(
    client, world, other_producer_member, other_producer
):
    """Tampering with the id in the URL: my producer slug, someone else's product."""
    client.force_login(other_producer_member)
    product = world["product"]
    url = reverse("producers:product_edit", args=[other_producer.slug, product.pk])
    assert client.get(url).status_code == 404
    url = reverse("producers:quick_update", args=[other_producer.slug, world["variant"].pk])
    price_before = world["variant"].price
    assert client.post(url, {f"v{world['variant'].pk}-price": "0,01"}).status_code == 404
    world["variant"].refresh_from_db()
    assert world["variant"].price == price_before


HUB_EXPECTED = only("manager")


def test_hub_dashboard_is_for_its_managers_only(client, world, persona):
    hub = world["hub"].slug
    urls = [
        reverse("hubs:dashboard", args=[hub]),
        reverse("hubs:add_producer", args=[hub]),
        reverse("hubs:settings", args=[hub]),
        reverse("pickup_points:hub_points", args=[hub]),
        reverse("pickup_points:point_create", args=[hub]),
        reverse("solidarity:manage", args=[hub]),
    ]
    for url in urls:
        assert client.get(url).status_code == HUB_EXPECTED[persona], url


TEAM_EXPECTED = only("manager", "producer_member")


def test_producer_team_is_for_its_members_and_its_hubs_managers(client, world, persona):
    url = reverse("producer_team", args=[world["producer"].slug])
    assert client.get(url).status_code == TEAM_EXPECTED[persona]


def test_public_pages_are_open_to_everyone(client, world, persona):
    assert client.get(reverse("home")).status_code == 200
    assert client.get(world["hub"].get_absolute_url()).status_code == 200


def test_my_spaces_needs_an_account(client):
    response = client.get(reverse("spaces"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_my_spaces_sends_each_person_to_what_they_manage(
    client, world, producer_member, manager, household
):
    client.force_login(producer_member)
    html = client.get(reverse("spaces")).content.decode()
    assert reverse("producers:catalogue", args=[world["producer"].slug]) in html
    assert reverse("hubs:dashboard", args=[world["hub"].slug]) not in html

    client.force_login(manager)
    html = client.get(reverse("spaces")).content.decode()
    assert reverse("hubs:dashboard", args=[world["hub"].slug]) in html
    assert reverse("producers:catalogue", args=[world["producer"].slug]) not in html

    client.force_login(household)
    response = client.get(reverse("spaces"))
    html = response.content.decode()
    assert (
        list(response.context["producers"]) == [] and list(response.context["managed_hubs"]) == []
    )
    assert world["hub"].get_absolute_url() in html  # the shops
