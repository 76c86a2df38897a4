"""Every page checks who is asking: a matrix of URLs × roles.

Pages are 404 (not 403) for people who may not see them, so nobody learns what exists.
Anonymous visitors are sent to the log-in page.
"""

from datetime import date

import pytest
from django.urls import reverse

from foodhub.hubs.models import Relay
from orders.checkout.services import place_order
from orders.models import AllocationProgramme, Customer, Enrolment
from orders.paper_forms import services as paper_forms
from orders.relays.services import create_household
from tests import factories
from tests.factories import HubFactory, UserFactory, VariantFactory

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
        ("get", reverse("producer_this_week", args=[p])),
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


def test_a_producers_dfc_catalogue_is_for_its_members_a_key_or_everyone_if_public(
    client, world, persona
):
    """Other platforms read it without an account: nobody is sent to log in; without the
    producer's consent (public) or a key (tests/producers/test_dfc_export.py) it is hidden."""
    url = reverse("producers:dfc_catalogue", args=[world["producer"].slug])
    assert client.get(url).status_code == (ALLOWED if persona == "producer_member" else HIDDEN)
    world["producer"].dfc_catalogue_public = True
    world["producer"].save()
    assert client.get(url).status_code == ALLOWED


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
        reverse("sms_per_month", args=[hub]),
        reverse("solidarity:manage", args=[hub]),
        reverse("cycles:delivery", args=[hub, factories.OrderCycleFactory(hub=world["hub"]).pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == HUB_EXPECTED[persona], url


def test_food_aid_pages_are_for_the_hubs_managers_only(client, world, persona):
    hub = world["hub"]
    programme = AllocationProgramme.objects.create(
        hub=hub, name="Caisse", funder="Ville", monthly_amount="20.00",
        first_month=date(2026, 1, 1), last_month=date(2026, 12, 1),
    )  # fmt: skip
    customer = Customer.objects.create(hub=hub, full_name="Mme Dupont")
    enrolment = Enrolment.objects.create(programme=programme, customer=customer)
    urls = [
        reverse("allocations:programmes", args=[hub.slug]),
        reverse("allocations:eligible", args=[hub.slug]),
        reverse("allocations:programme", args=[hub.slug, programme.pk]),
        reverse("allocations:report", args=[hub.slug, programme.pk]),
        reverse("allocations:report_csv", args=[hub.slug, programme.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == HUB_EXPECTED[persona], url
    posts = [
        reverse("allocations:credit", args=[hub.slug, programme.pk]),
        reverse("allocations:withdraw", args=[hub.slug, programme.pk, enrolment.pk]),
    ]
    expected = {**HUB_EXPECTED, "manager": 302}  # done, then back to the programme
    for url in posts:
        assert client.post(url).status_code == expected[persona], url
    enrolment.refresh_from_db()
    assert (enrolment.withdrawn_at is not None) == (persona == "manager")


TEAM_EXPECTED = only("manager", "producer_member")


def test_producer_team_is_for_its_members_and_its_hubs_managers(client, world, persona):
    url = reverse("producer_team", args=[world["producer"].slug])
    assert client.get(url).status_code == TEAM_EXPECTED[persona]


def test_public_pages_are_open_to_everyone(client, world, persona):
    assert client.get(reverse("home")).status_code == 200
    assert client.get(world["hub"].get_absolute_url()).status_code == 200


def test_a_households_sms_choices_need_an_account(client, world, persona):
    """Every account sees its own choices (none for a person who never ordered)."""
    response = client.get(reverse("orders:my_sms"))
    if persona == "anonymous":
        assert response.status_code == LOGIN
        assert response.url.startswith(reverse("account_login"))
    else:
        assert response.status_code == ALLOWED
        assert list(response.context["rows"]) == []


def test_the_sms_stop_link_and_webhook_need_no_account_but_their_secret(client, world, persona):
    assert client.get(reverse("sms_stop", args=["1-forged00"])).status_code == 400
    reply = {"From": "+33612345678", "Body": "STOP"}
    assert client.post(reverse("sms_twilio"), reply).status_code in (403, 404)


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


# Relays: a relay sees the households it helps and their orders, nothing else of the hub;
# a relay of one hub nothing of another.

RELAY_PERSONAS = ["anonymous", "household", "manager", "other_hub_manager", "relay",
                  "other_relay", "other_hub_relay"]  # fmt: skip


@pytest.fixture
def relay_world(hub, manager, other_hub_manager, household, cycle, slot, offers):
    relay, other_relay, other_hub_relay = (UserFactory() for _ in range(3))
    Relay.objects.create(hub=hub, user=relay)
    Relay.objects.create(hub=hub, user=other_relay)
    Relay.objects.create(hub=HubFactory(), user=other_hub_relay)
    dupont = create_household(
        hub=hub, by=relay, full_name="Mme Dupont", phone="0612345678", consent="in_person"
    )
    order = place_order(
        cycle=cycle, items={offers["bread"].pk: 1}, email="", full_name="", slot=slot,
        customer=dupont, placed_by=relay, notify=False,
    )  # fmt: skip
    return {
        "users": {"anonymous": None, "household": household, "manager": manager,
                  "other_hub_manager": other_hub_manager, "relay": relay,
                  "other_relay": other_relay, "other_hub_relay": other_hub_relay},
        "household": dupont,
        "order": order,
    }  # fmt: skip


@pytest.fixture(params=RELAY_PERSONAS)
def relay_persona(request, client, relay_world):
    if user := relay_world["users"][request.param]:
        client.force_login(user)
    return request.param


def _expect(allowed, persona) -> int:
    return LOGIN if persona == "anonymous" else ALLOWED if persona in allowed else HIDDEN


def test_a_relay_sees_only_the_households_it_helps_and_their_orders(
    client, hub, relay_world, relay_persona
):
    dupont, order = relay_world["household"], relay_world["order"]
    pages = [
        ("get", reverse("relays:household", args=[dupont.pk])),
        ("get", reverse("relays:order", args=[order.number])),
        ("get", reverse("relays:order_cancel", args=[order.number])),
        ("get", reverse("relays:slip", args=[order.number])),
    ]
    for method, url in pages:
        status = getattr(client, method)(url).status_code
        assert status == _expect({"relay"}, relay_persona), (url, relay_persona)
    # Ordering for it, changing its order: the same, and nothing changes for the others.
    for url in (
        reverse("relays:start", args=[dupont.pk]),
        reverse("relays:order_change", args=[order.number]),
    ):
        status = client.post(url).status_code
        assert status == (302 if relay_persona in ("relay", "anonymous") else HIDDEN), url
    order.refresh_from_db()
    assert order.is_live


def test_adding_a_household_is_for_the_hubs_relays_and_managers(
    client, hub, relay_world, relay_persona
):
    url = reverse("relays:new_household", args=[hub.slug])
    allowed = {"relay", "other_relay", "manager"}
    assert client.get(url).status_code == _expect(allowed, relay_persona)
    client.post(url, {"full_name": "Intrus", "phone": "0612345670", "consent": "in_person",
                      "language": "fr"})  # fmt: skip
    made = Customer.objects.filter(full_name="Intrus").exists()
    assert made == (relay_persona in allowed)


def test_the_relay_list_shows_only_ones_own_households(client, relay_world, relay_persona):
    response = client.get(reverse("relays:helped"))
    if relay_persona == "anonymous":
        assert response.status_code == LOGIN
        return
    assert response.status_code == ALLOWED
    assert ("Mme Dupont" in response.content.decode()) == (relay_persona == "relay")


# Paper order forms: the hub's relays and managers; a relay of another hub sees nothing.
PAPER_FORMS_EXPECTED = only("manager") | {"relay": ALLOWED, "other_hub_relay": HIDDEN}


@pytest.mark.parametrize("who", [*PERSONAS, "relay", "other_hub_relay"])
def test_paper_forms_are_for_the_hubs_relays_and_managers_only(client, world, who):
    hub = world["hub"]
    relay, other_hub_relay = factories.UserFactory(), factories.UserFactory()
    Relay.objects.create(hub=hub, user=relay)
    Relay.objects.create(hub=factories.HubFactory(), user=other_hub_relay)
    cycle_pickup = factories.CyclePickupPointFactory(
        cycle=factories.OrderCycleFactory(hub=hub),
        pickup_point=factories.PickupPointFactory(owner_hub=hub),
    )
    [form] = paper_forms.print_forms(cycle_pickup=cycle_pickup, by=relay, copies=1)
    users = world["users"] | {"relay": relay, "other_hub_relay": other_hub_relay}
    if users[who]:
        client.force_login(users[who])
    urls = [
        reverse("paper_forms:index", args=[hub.slug]),
        reverse("paper_forms:find", args=[hub.slug]) + f"?number={form.code}",
        reverse("paper_forms:key", args=[hub.slug, form.code]),
    ]
    expected = PAPER_FORMS_EXPECTED[who]
    for url in urls:
        status = client.get(url).status_code
        assert status == (302 if expected == ALLOWED and "find" in url else expected), url
    status = client.post(reverse("paper_forms:print", args=[hub.slug])).status_code
    assert status == (422 if expected == ALLOWED else expected)
