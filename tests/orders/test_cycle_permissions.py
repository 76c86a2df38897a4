"""The hub manager's order-cycle pages, as a matrix of URLs × roles.

Only the hub's managers see them; everyone else gets a 404 (nothing revealed), anonymous
visitors are sent to the log-in page. Each (page, persona) pair runs on a fresh world, so a
manager's POST (publish, cancel...) cannot change what the next page sees: the world is
built once for the module and each test runs in a savepoint of it, rolled back at its end.
"""

import copy
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse

from orders.checkout.services import place_order
from orders.models import Order, OrderCycle
from tests import factories

pytestmark = pytest.mark.django_db

ALLOWED, HIDDEN, LOGIN = 200, 404, 302

PERSONAS = ["anonymous", "household", "producer_member", "manager", "other_hub_manager"]

EXPECTED = {
    "anonymous": LOGIN,
    "household": HIDDEN,
    "producer_member": HIDDEN,
    "manager": ALLOWED,
    "other_hub_manager": HIDDEN,
}


@pytest.fixture(scope="module")
def built_world(django_db_setup, django_db_blocker):
    """The personas of tests/conftest.py and an open cycle of their hub (a slot, the three
    offers of ``offers``, one order), and a draft cycle; built once, rolled back at the
    module's end."""
    with django_db_blocker.unblock(), transaction.atomic():
        producer = factories.ProducerFactory(name="Ferme du Mélantois", slug="ferme-du-melantois")
        hub = factories.HubFactory(name="Drive fermier de Lille", slug="lille")
        hub.producers.add(producer)
        users = {
            "anonymous": None,
            "household": factories.UserFactory(email="foyer@example.org"),
            "producer_member": factories.UserFactory(email="maraicher@example.org"),
            "manager": factories.UserFactory(email="gestion@example.org"),
            "other_hub_manager": factories.UserFactory(email="roubaix@example.org"),
        }
        factories.ProducerMembershipFactory(producer=producer, user=users["producer_member"])
        factories.HubMembershipFactory(hub=hub, user=users["manager"])
        factories.HubMembershipFactory(
            hub=factories.HubFactory(name="Drive de Roubaix", slug="roubaix"),
            user=users["other_hub_manager"],
        )
        cycle = factories.OrderCycleFactory(hub=hub, name="Semaine 48")
        point = factories.PickupPointFactory(name="La Ruche de Fives", owner_hub=hub)
        point.hubs.add(hub)
        slot = factories.PickupSlotFactory(
            cycle_pickup=factories.CyclePickupPointFactory(cycle=cycle, pickup_point=point),
            capacity=50,
        )
        category = factories.CategoryFactory(name="Légumes", slug="legumes")
        carrots, _apples, bread = (
            factories.OfferFactory(
                cycle=cycle,
                variant=factories.VariantFactory(
                    product__producer=producer, product__category=category, **variant
                ),
                stock_cap=cap,
            )
            for variant, cap in (
                ({"product__name": "Carottes", "price": Decimal("2.40"),
                  "stock_quantity": 10}, None),
                ({"product__name": "Pommes Jonagold", "price": Decimal("5.90"),
                  "stock_quantity": 100}, 5),
                ({"product__name": "Pain de campagne", "price": Decimal("4.80"),
                  "stock_mode": "on_demand", "stock_quantity": 0}, None),
            )
        )  # fmt: skip
        order = place_order(
            cycle=cycle,
            items={bread.pk: 1},
            email="voisin@example.org",
            full_name="Alex Voisin",
            slot=slot,
        )
        yield {
            "hub": hub,
            "cycle": cycle,
            "draft": factories.OrderCycleFactory(hub=hub, status=OrderCycle.Status.DRAFT),
            "order": order,
            "offer": carrots,
            "users": users,
        }
        transaction.set_rollback(True)


@pytest.fixture
def world(built_world):
    """The module's world, in instances of this test's own."""
    return copy.deepcopy(built_world)


def _request(w, name):
    """(method, url, data) of each page; POST data is valid, so a manager's POST succeeds."""
    h, c, d = w["hub"].slug, w["cycle"].pk, w["draft"].pk
    return {
        "list": ("get", reverse("cycles:list", args=[h]), None),
        "create": ("get", reverse("cycles:create", args=[h]), None),
        "detail": ("get", reverse("cycles:detail", args=[h, c]), None),
        "edit": ("get", reverse("cycles:edit", args=[h, c]), None),
        "offers": ("get", reverse("cycles:offers", args=[h, c]), None),
        "offers_update": (
            "post",
            reverse("cycles:offers_update", args=[h, d]),
            {},
        ),
        "offer_remove": (
            "post",
            reverse("cycles:offer_remove", args=[h, c, w["offer"].pk]),
            {},
        ),
        "pickups": ("get", reverse("cycles:pickups", args=[h, c]), None),
        "publish": ("post", reverse("cycles:publish", args=[h, d]), {}),
        "clone": ("get", reverse("cycles:clone", args=[h, c]), None),
        "clone_post": (
            "post",
            reverse("cycles:clone", args=[h, c]),
            {"weeks": "1", "name": "Semaine 49"},
        ),
        "close_now": ("get", reverse("cycles:close_now", args=[h, c]), None),
        "close_now_post": (
            "post",
            reverse("cycles:close_now", args=[h, c]),
            {
                "orders": "1",
                "awaiting_card": "0",
                "saved_cards": "0",
                "households": "1",
                "producers": "1",
            },
        ),  # fmt: skip
        "cancel": ("get", reverse("cycles:cancel", args=[h, c]), None),
        "cancel_post": (
            "post",
            reverse("cycles:cancel", args=[h, c]),
            {"reason": "Inondation de l'entrepôt"},
        ),
        "record_payment": (
            "get",
            reverse("cycles:record_payment", args=[h, c, w["order"].pk]),
            None,
        ),
        "record_payment_post": (
            "post",
            reverse("cycles:record_payment", args=[h, c, w["order"].pk]),
            {"method": "cash", "amount": "4,80"},
        ),
    }[name]


PAGES = ["list", "create", "detail", "edit", "offers", "offers_update", "offer_remove",
         "pickups", "publish", "clone", "clone_post", "close_now", "close_now_post", "cancel",
         "cancel_post", "record_payment", "record_payment_post"]  # fmt: skip


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("page", PAGES)
def test_cycle_pages_are_for_the_hubs_managers_only(client, world, persona, page):
    user = world["users"][persona]
    if user:
        client.force_login(user)
    method, url, data = _request(world, page)
    response = getattr(client, method)(url, data or {})
    expected = EXPECTED[persona]
    if expected == ALLOWED:
        assert response.status_code in (200, 302), (url, response.status_code)
    else:
        assert response.status_code == expected, (url, response.status_code)
        if expected == LOGIN:
            assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("persona", ["household", "producer_member", "other_hub_manager"])
def test_refused_posts_change_nothing(client, world, persona):
    client.force_login(world["users"][persona])
    closes_at = world["cycle"].closes_at
    for page in ("cancel_post", "close_now_post", "record_payment_post", "clone_post",
                 "offer_remove"):  # fmt: skip
        _method, url, data = _request(world, page)
        client.post(url, data)
    world["cycle"].refresh_from_db()
    assert world["cycle"].status == OrderCycle.Status.PUBLISHED
    assert world["cycle"].closes_at == closes_at
    assert world["order"].payments.count() == 0
    assert OrderCycle.objects.filter(cloned_from=world["cycle"]).count() == 0
    assert world["cycle"].offers.filter(pk=world["offer"].pk).exists()


def test_another_hubs_cycle_is_hidden_even_under_my_slug(client, world):
    """Tampering with the id in the URL: my hub's slug, another hub's cycle and order."""
    other_hub_manager = world["users"]["other_hub_manager"]
    client.force_login(other_hub_manager)
    mine = other_hub_manager.hub_memberships.get().hub.slug
    cycle, order = world["cycle"], world["order"]
    assert client.get(reverse("cycles:detail", args=[mine, cycle.pk])).status_code == 404
    assert client.get(reverse("cycles:edit", args=[mine, cycle.pk])).status_code == 404
    url = reverse("cycles:cancel", args=[mine, cycle.pk])
    assert client.post(url, {"reason": "x"}).status_code == 404
    url = reverse("cycles:record_payment", args=[mine, cycle.pk, order.pk])
    assert client.post(url, {"method": "cash", "amount": "1"}).status_code == 404
    cycle.refresh_from_db()
    assert cycle.status == OrderCycle.Status.PUBLISHED
    assert Order.objects.get(pk=order.pk).is_live


def test_an_order_of_another_cycle_is_hidden_under_my_cycle(client, world):
    client.force_login(world["users"]["manager"])
    url = reverse("cycles:record_payment", args=[world["hub"].slug, world["draft"].pk,
                                                 world["order"].pk])  # fmt: skip
    assert client.get(url).status_code == 404


def test_the_hub_dashboard_links_to_the_cycles(client, world):
    client.force_login(world["users"]["manager"])
    html = client.get(reverse("hubs:dashboard", args=[world["hub"].slug])).content.decode()
    assert reverse("cycles:list", args=[world["hub"].slug]) in html
