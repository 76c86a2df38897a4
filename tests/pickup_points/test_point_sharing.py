"""Sharing a pickup point between hubs is consented by the point's side (issue 13).

A point's managers are its coordinators and the managers of the hub that runs it
(``owner_hub``). Another hub asks to use it; only their acceptance makes the point serve
that hub. A hub that merely shares a point sees what its distributions need, never the
access code, and edits neither the point nor its team.
"""

import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from orders.checkout.services import place_order
from orders.models import SchedulePickup, WeeklySchedule
from pickup_points import services
from pickup_points.models import PickupPoint, PickupPointMembership, SharingRequest
from tests import bad_input, factories

pytestmark = pytest.mark.django_db

DOOR_CODE = "Code du portail 4821B"
Status = SharingRequest.Status
OK, LOGIN, FORBIDDEN, HIDDEN = 200, 302, 403, 404
DONE = 302  # a POST that did its work (or said why not) redirects


@pytest.fixture
def point(pickup_point):
    """La Ruche de Fives, run by the Lille hub, with a door code and a contact."""
    pickup_point.access_info = DOOR_CODE
    pickup_point.contact_name = "Accueil de la Ruche"
    pickup_point.save()
    return pickup_point


@pytest.fixture
def roubaix(other_hub_manager):
    return other_hub_manager.managed_hubs.get()


@pytest.fixture
def third_manager(db):
    """The manager of a third hub, who has nothing to do with the point."""
    hub = factories.HubFactory(name="Drive de Tourcoing", slug="tourcoing")
    user = factories.UserFactory(email="tourcoing@example.org", full_name="Inès Tourcoing")
    factories.HubMembershipFactory(hub=hub, user=user)
    return user


@pytest.fixture
def sharing(point, roubaix, other_hub_manager, coordinator, volunteer):
    """Roubaix's request to use the point, waiting for an answer."""
    request, created = services.request_sharing(
        point=point, hub=roubaix, by=other_hub_manager, message="Le jeudi de 17 h à 19 h"
    )
    assert created
    return request


def roubaix_cycle(roubaix, point, household, *, days=3):
    """A published cycle of Roubaix with a pickup at the point in ``days`` days, and one
    household's order there."""
    cycle = factories.OrderCycleFactory(hub=roubaix, name="Roubaix semaine 12")
    pickup = factories.CyclePickupPointFactory(
        cycle=cycle, pickup_point=point, pickup_date=timezone.localdate() + timedelta(days=days)
    )
    slot = factories.PickupSlotFactory(cycle_pickup=pickup)
    offer = factories.OfferFactory(
        cycle=cycle, variant=factories.VariantFactory(price=Decimal("3.00"), stock_quantity=9)
    )
    order = place_order(
        cycle=cycle,
        slot=slot,
        items={offer.pk: 1},
        email=household.email,
        full_name="Camille Foyer",
        user=household,
        notify=False,
    )
    return cycle, order


def serves(point, hub) -> bool:
    return point.hubs.filter(pk=hub.pk).exists()


# Asking, answering.


def test_another_hub_cannot_take_a_point_and_read_its_access_code(
    client, point, other_hub_manager, roubaix
):
    client.force_login(other_hub_manager)
    old_attach = reverse("pickup_points:hub_points", args=[roubaix.slug]) + "attach/"
    assert client.post(old_attach, {"point": point.slug}).status_code == 404
    client.post(reverse("pickup_points:point_request", args=[roubaix.slug]), {"point": point.slug})

    assert not serves(point, roubaix)
    assert client.get(reverse("pickup_points:team", args=[point.slug])).status_code == 404


def test_a_hub_asks_and_the_points_managers_are_emailed(
    client,
    point,
    roubaix,
    other_hub_manager,
    manager,
    coordinator,
    volunteer,
    django_capture_on_commit_callbacks,
):
    client.force_login(other_hub_manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("pickup_points:point_request", args=[roubaix.slug]),
            {"point": point.slug, "message": "Le jeudi de 17 h à 19 h"},
            follow=True,
        )
    assert "Demande envoyée à l’équipe du point «\u00a0La Ruche de Fives\u00a0»" in (
        response.content.decode()
    )
    request = SharingRequest.objects.get()
    assert (request.pickup_point, request.hub, request.status, request.requested_by) == (
        point,
        roubaix,
        Status.PENDING,
        other_hub_manager,
    )
    assert not serves(point, roubaix)

    # The coordinator and the manager of the hub that runs it; not the volunteer.
    assert sorted(m.to[0] for m in mail.outbox) == [coordinator.email, manager.email]
    message = mail.outbox[0]
    assert "Drive de Roubaix demande à utiliser votre point de retrait" in message.subject
    assert reverse("pickup_points:team", args=[point.slug]) in message.body
    assert "Le jeudi de 17 h à 19 h" in message.body
    assert DOOR_CODE not in message.body

    # Both sides see it waiting.
    page = client.get(reverse("pickup_points:hub_points", args=[roubaix.slug])).content.decode()
    assert reverse("pickup_points:request_withdraw", args=[roubaix.slug, request.pk]) in page
    client.force_login(coordinator)
    page = client.get(reverse("pickup_points:team", args=[point.slug])).content.decode()
    assert reverse("pickup_points:request_accept", args=[point.slug, request.pk]) in page
    assert "Le jeudi de 17 h à 19 h" in page


def test_asking_twice_makes_one_request_and_one_email(
    client, point, roubaix, other_hub_manager, manager, coordinator,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    client.force_login(other_hub_manager)
    url = reverse("pickup_points:point_request", args=[roubaix.slug])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"point": point.slug})
        again = client.post(url, {"point": point.slug}, follow=True)
    assert "attend une réponse" in again.content.decode()
    assert SharingRequest.objects.count() == 1
    assert len(mail.outbox) == 2  # the coordinator and the Lille manager, once


def test_the_coordinator_accepts_and_the_point_serves_the_hub(
    client, sharing, point, roubaix, coordinator, other_hub_manager,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("pickup_points:request_accept", args=[point.slug, sharing.pk]), follow=True
        )
    assert "La Ruche de Fives dessert désormais aussi Drive de Roubaix" in response.content.decode()
    sharing.refresh_from_db()
    assert (sharing.status, sharing.decided_by) == (Status.ACCEPTED, coordinator)
    assert serves(point, roubaix)
    assert point.owner_hub.slug == "lille"  # still run by Lille
    [message] = mail.outbox
    assert message.to == [other_hub_manager.email]
    assert "La Ruche de Fives a accepté de desservir Drive de Roubaix" in message.subject

    # Roubaix can now choose the point for its cycles.
    client.force_login(other_hub_manager)
    cycle = factories.OrderCycleFactory(hub=roubaix, status="draft")
    page = client.get(reverse("cycles:pickups", args=[roubaix.slug, cycle.pk]))
    assert "La Ruche de Fives" in page.content.decode()
    assert DOOR_CODE not in page.content.decode()


def test_the_manager_of_the_hub_that_runs_the_point_may_decline(
    client, sharing, point, roubaix, manager, other_hub_manager, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("pickup_points:request_decline", args=[point.slug, sharing.pk]))
    sharing.refresh_from_db()
    assert (sharing.status, sharing.decided_by) == (Status.DECLINED, manager)
    assert not serves(point, roubaix)
    [message] = mail.outbox
    assert message.to == [other_hub_manager.email]
    assert "a refusé" in message.subject


# Forged and replayed answers.


@pytest.mark.parametrize("who", ["other_hub_manager", "third_manager", "household"])
def test_nobody_outside_the_point_answers_a_request(client, request, sharing, point, roubaix, who):
    """Hub B's manager cannot accept their own request; other people do not see it."""
    client.force_login(request.getfixturevalue(who))
    for name in ("pickup_points:request_accept", "pickup_points:request_decline"):
        assert client.post(reverse(name, args=[point.slug, sharing.pk])).status_code == 404
    sharing.refresh_from_db()
    assert sharing.status == Status.PENDING and not serves(point, roubaix)


def test_a_volunteer_sees_the_request_but_cannot_answer_it(
    client, sharing, point, roubaix, volunteer
):
    client.force_login(volunteer)
    url = reverse("pickup_points:request_accept", args=[point.slug, sharing.pk])
    assert client.post(url).status_code == 403
    assert not serves(point, roubaix)


def test_a_coordinator_cannot_answer_for_another_point(
    client, sharing, point, roubaix, other_hub_manager, third_manager
):
    """The request is another point's: naming my point in the address changes nothing."""
    mine = factories.PickupPointFactory(name="Mon autre point", slug="mon-point")
    factories.PickupPointMembershipFactory(
        pickup_point=mine, user=third_manager, role=PickupPointMembership.Role.COORDINATOR
    )
    client.force_login(third_manager)
    url = reverse("pickup_points:request_accept", args=[mine.slug, sharing.pk])
    assert client.post(url).status_code == 404
    sharing.refresh_from_db()
    assert sharing.status == Status.PENDING and not serves(point, roubaix)
    assert not serves(mine, roubaix)


@pytest.mark.parametrize("request_pk", ["0", "123456", "9" * 20, str(2**63), str(2**64 + 1)])
def test_a_request_that_does_not_exist_is_not_found(
    client, sharing, point, coordinator, other_hub_manager, request_pk
):
    def url(name, slug):
        address = reverse(f"pickup_points:{name}", args=[slug, 1])
        return address.replace("/requests/1/", f"/requests/{request_pk}/")

    client.force_login(coordinator)
    assert client.post(url("request_accept", point.slug)).status_code == 404
    assert client.post(url("request_decline", point.slug)).status_code == 404
    client.force_login(other_hub_manager)
    assert client.post(url("request_withdraw", "roubaix")).status_code == 404
    sharing.refresh_from_db()
    assert sharing.status == Status.PENDING


def test_an_answer_is_given_once(client, sharing, point, roubaix, coordinator, manager):
    client.force_login(coordinator)
    client.post(reverse("pickup_points:request_decline", args=[point.slug, sharing.pk]))
    for user, name in [(coordinator, "request_accept"), (manager, "request_accept"),
                       (manager, "request_decline")]:  # fmt: skip
        client.force_login(user)
        response = client.post(
            reverse(f"pickup_points:{name}", args=[point.slug, sharing.pk]), follow=True
        )
        assert "Cette demande a déjà reçu une réponse" in response.content.decode()
    sharing.refresh_from_db()
    assert (sharing.status, sharing.decided_by) == (Status.DECLINED, coordinator)
    assert not serves(point, roubaix)


def test_accepting_twice_changes_nothing(client, sharing, point, roubaix, coordinator, manager):
    client.force_login(coordinator)
    url = reverse("pickup_points:request_accept", args=[point.slug, sharing.pk])
    client.post(url)
    client.force_login(manager)
    client.post(url)
    sharing.refresh_from_db()
    assert (sharing.status, sharing.decided_by) == (Status.ACCEPTED, coordinator)
    assert point.hubs.count() == 2


def test_a_withdrawn_request_cannot_be_accepted(
    client, sharing, point, roubaix, other_hub_manager, third_manager, coordinator
):
    # Another hub's manager cannot withdraw it, under their hub or Roubaix's.
    client.force_login(third_manager)
    for hub_slug in ("tourcoing", "roubaix"):
        url = reverse("pickup_points:request_withdraw", args=[hub_slug, sharing.pk])
        assert client.post(url).status_code == 404
    sharing.refresh_from_db()
    assert sharing.status == Status.PENDING

    client.force_login(other_hub_manager)
    withdraw = reverse("pickup_points:request_withdraw", args=[roubaix.slug, sharing.pk])
    assert client.post(withdraw).status_code == 302
    again = client.post(withdraw, follow=True)
    assert "Cette demande a été retirée" in again.content.decode()

    client.force_login(coordinator)
    response = client.post(
        reverse("pickup_points:request_accept", args=[point.slug, sharing.pk]), follow=True
    )
    assert "Cette demande a été retirée" in response.content.decode()
    sharing.refresh_from_db()
    assert sharing.status == Status.WITHDRAWN and not serves(point, roubaix)
    # ... and is no longer shown to answer.
    page = client.get(reverse("pickup_points:team", args=[point.slug])).content.decode()
    assert reverse("pickup_points:request_accept", args=[point.slug, sharing.pk]) not in page


def test_an_expired_request_cannot_be_accepted_and_the_hub_may_ask_again(
    client, sharing, point, roubaix, coordinator, other_hub_manager
):
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        client.force_login(coordinator)
        response = client.post(
            reverse("pickup_points:request_accept", args=[point.slug, sharing.pk]), follow=True
        )
        assert "Cette demande a expiré" in response.content.decode()
        assert not serves(point, roubaix)

        client.force_login(other_hub_manager)
        client.post(
            reverse("pickup_points:point_request", args=[roubaix.slug]), {"point": point.slug}
        )
    sharing.refresh_from_db()
    assert sharing.status == Status.EXPIRED
    fresh = SharingRequest.objects.get(status=Status.PENDING)
    assert fresh.pk != sharing.pk and fresh.hub == roubaix


@pytest.mark.parametrize("value", ["nope", "9" * 20, "0", *bad_input.ALL])
def test_a_request_for_a_point_that_does_not_exist_is_refused_clearly(
    client, point, coordinator, roubaix, other_hub_manager, value
):
    client.force_login(other_hub_manager)
    response = client.post(
        reverse("pickup_points:point_request", args=[roubaix.slug]), {"point": value}, follow=True
    )
    if "\x00" in value:  # refused by the NUL guard of every request (foodhub.middleware)
        assert response.status_code == 400
    else:
        assert response.status_code == 200
        page = response.content.decode()
        assert 'class="message message-error"' in page
        assert "Choisissez un point de retrait dans la liste" in page
    assert not SharingRequest.objects.exists()


def test_a_request_by_the_points_id_or_for_a_point_already_served_is_refused(
    client, point, coordinator, manager, hub, roubaix, other_hub_manager
):
    client.force_login(other_hub_manager)
    url = reverse("pickup_points:point_request", args=[roubaix.slug])
    response = client.post(url, {"point": str(point.pk)}, follow=True)
    assert "Choisissez un point de retrait dans la liste" in response.content.decode()
    client.force_login(manager)  # Lille already serves it
    response = client.post(
        reverse("pickup_points:point_request", args=[hub.slug]), {"point": point.slug}, follow=True
    )
    assert "Choisissez un point de retrait dans la liste" in response.content.decode()
    assert not SharingRequest.objects.exists()


@pytest.mark.parametrize("message", [*bad_input.WITH_NUL, "x" * 1001])
def test_a_bad_message_is_refused_clearly(
    client, point, coordinator, roubaix, other_hub_manager, message
):
    client.force_login(other_hub_manager)
    response = client.post(
        reverse("pickup_points:point_request", args=[roubaix.slug]),
        {"point": point.slug, "message": message},
        follow=True,
    )
    if "\x00" in message:  # refused by the NUL guard of every request (foodhub.middleware)
        assert response.status_code == 400
    else:
        assert response.status_code == 200
        assert 'class="message message-error"' in response.content.decode()
    assert not SharingRequest.objects.exists()


def test_a_point_nobody_runs_cannot_be_asked_for(client, roubaix, other_hub_manager):
    factories.PickupPointFactory(name="Point orphelin", slug="orphelin")
    client.force_login(other_hub_manager)
    response = client.post(
        reverse("pickup_points:point_request", args=[roubaix.slug]),
        {"point": "orphelin"},
        follow=True,
    )
    assert "Personne ne gère encore Point orphelin" in response.content.decode()
    assert not SharingRequest.objects.exists()


# What a hub that shares the point sees and may do.


@pytest.fixture
def shared(sharing, point, roubaix, coordinator, household):
    """Accepted: the point serves Roubaix, which has a cycle (and an order) there."""
    services.answer_sharing_request(request=sharing, accept=True, by=coordinator)
    return roubaix_cycle(roubaix, point, household)


def test_the_access_code_never_reaches_a_sharing_hubs_manager(
    client, shared, point, roubaix, other_hub_manager, volunteer, manager
):
    cycle, order = shared
    client.force_login(other_hub_manager)
    urls = [
        reverse("pickup_points:team", args=[point.slug]),
        reverse("pickup_points:my_points"),
        reverse("pickup_points:hub_points", args=[roubaix.slug]),
        reverse("pickup_points:point_leave", args=[roubaix.slug, point.slug]),
        reverse("pickup_points:distribution", args=[point.slug, cycle.pk]),
        reverse("pickup_points:order", args=[point.slug, cycle.pk, order.pk]),
        reverse("pickup_points:distribution_list", args=[point.slug, cycle.pk]) + "?format=csv",
        reverse("hubs:dashboard", args=[roubaix.slug]),
        reverse("spaces"),
        reverse("cycles:detail", args=[roubaix.slug, cycle.pk]),
        reverse("cycles:pickups", args=[roubaix.slug, cycle.pk]),
        reverse("cycles:documents", args=[roubaix.slug, cycle.pk]),
        reverse("cycles:schedule_create", args=[roubaix.slug]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert DOOR_CODE not in response.content.decode(), url
    page = client.get(urls[0]).content.decode()
    assert "Accueil de la Ruche" in page  # the contact, to reach the point
    assert volunteer.get_full_name() not in page  # not its team
    assert "Camille Foyer" in client.get(urls[4]).content.decode()  # its own households

    # The point's team and managers do see it.
    for insider in (volunteer, manager):
        client.force_login(insider)
        assert DOOR_CODE in client.get(urls[0]).content.decode()


def test_a_sharing_hub_edits_neither_the_point_nor_its_team(
    client, shared, point, roubaix, other_hub_manager, volunteer, coordinator
):
    client.force_login(other_hub_manager)
    edit = reverse("pickup_points:point_edit", args=[roubaix.slug, point.slug])
    assert client.get(edit).status_code == 403
    changes = {"name": "Volé", "address": "Ailleurs", "access_info": "nouveau code"}
    assert client.post(edit, changes).status_code == 403
    membership = PickupPointMembership.objects.get(user=volunteer)
    remove = reverse("pickup_points:team_remove", args=[point.slug, membership.pk])
    assert client.post(remove).status_code == 403
    invite = reverse("pickup_points:team_invite", args=[point.slug])
    assert client.post(invite, {"email": "complice@example.org"}).status_code == 403
    lille = reverse("pickup_points:end_sharing", args=[point.slug, "lille"])
    assert client.post(lille).status_code == 403

    point.refresh_from_db()
    assert (point.name, point.address, point.access_info) == (
        "La Ruche de Fives",
        "1 rue de la Paix, Lille",
        DOOR_CODE,
    )
    assert PickupPointMembership.objects.filter(user=volunteer).exists()
    assert not point.invitations.exists()
    assert point.hubs.count() == 2

    # Unless they are one of the point's managers too.
    factories.PickupPointMembershipFactory(
        pickup_point=point, user=other_hub_manager, role=PickupPointMembership.Role.COORDINATOR
    )
    assert client.get(edit).status_code == 200


def test_the_dashboard_of_the_hub_that_runs_the_point_shows_the_request(
    client, sharing, point, manager, other_hub_manager
):
    client.force_login(manager)
    page = client.get(reverse("hubs:dashboard", args=["lille"])).content.decode()
    assert "Drive de Roubaix demande à utiliser La Ruche de Fives" in page
    assert reverse("pickup_points:team", args=[point.slug]) + "#sharing" in page
    client.force_login(other_hub_manager)
    page = client.get(reverse("hubs:dashboard", args=["roubaix"])).content.decode()
    assert "demande à utiliser La Ruche de Fives" not in page  # not theirs to answer
    assert "0 point de retrait géré par ce drive" in page


def test_the_hubs_points_page_lists_the_others_with_their_public_facts_only(
    client, point, hub, roubaix, other_hub_manager, django_assert_max_num_queries
):
    for _ in range(3):  # shared with Roubaix: the list of its points grows, not the queries
        factories.PickupPointFactory(owner_hub=hub).hubs.add(hub, roubaix)
    for n in range(30):
        factories.PickupPointFactory(
            name=f"Point {n:02}", city="Tourcoing", access_info=f"secret {n}",
            contact_phone="06 00 00 00 00", owner_hub=point.owner_hub,
        )  # fmt: skip
    factories.PickupPointFactory(name="Œuvre du Chaudron", slug="oeuvre", city="Lille")
    client.force_login(other_hub_manager)
    url = reverse("pickup_points:hub_points", args=[roubaix.slug])
    with django_assert_max_num_queries(8):
        page = client.get(url).content.decode()
    assert "La Ruche de Fives" in page and "Tiers-lieu de Fives" in page
    assert "secret" not in page and DOOR_CODE not in page and "06 00" not in page

    found = client.get(url, {"q": "oeuvre du chaudron"}).content.decode()
    assert "Œuvre du Chaudron" in found and "La Ruche de Fives" not in found


# Ending the sharing.


def test_ending_is_refused_while_a_cycle_still_distributes_there(
    client, shared, point, roubaix, other_hub_manager, coordinator
):
    client.force_login(other_hub_manager)
    url = reverse("pickup_points:point_leave", args=[roubaix.slug, point.slug])
    page = client.get(url).content.decode()
    assert "Roubaix semaine 12" in page and "Arrêter le partage" not in page
    response = client.post(url, follow=True)
    assert "distribue encore au point «\u00a0La Ruche de Fives\u00a0» dans ces cycles" in (
        response.content.decode()
    )
    client.force_login(coordinator)
    client.post(reverse("pickup_points:end_sharing", args=[point.slug, roubaix.slug]))
    assert serves(point, roubaix)


def test_the_sharing_hub_stops_serving_the_point(
    client, shared, point, roubaix, other_hub_manager, coordinator, manager,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    cycle, order = shared
    schedule = WeeklySchedule.objects.create(
        hub=roubaix, name="Hebdo", opens_weekday=4, opens_time="18:00", closes_weekday=1,
        closes_time="23:59",
    )  # fmt: skip
    SchedulePickup.objects.create(schedule=schedule, pickup_point=point, weekday=3)
    # The cycle's distribution is over.
    cycle.pickups.update(pickup_date=timezone.localdate() - timedelta(days=1))

    client.force_login(other_hub_manager)
    url = reverse("pickup_points:point_leave", args=[roubaix.slug, point.slug])
    assert "Arrêter le partage" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert "La Ruche de Fives ne dessert plus Drive de Roubaix" in response.content.decode()
    assert not serves(point, roubaix)
    assert not SchedulePickup.objects.filter(schedule=schedule).exists()
    assert SharingRequest.objects.get().status == Status.ENDED
    assert sorted(m.to[0] for m in mail.outbox) == [coordinator.email, manager.email]

    # Its past distribution stays at hand; the point is not theirs to use any more.
    assert (
        client.get(reverse("pickup_points:distribution", args=[point.slug, cycle.pk])).status_code
        == 200
    )
    new = factories.OrderCycleFactory(hub=roubaix, status="draft")
    assert (
        "La Ruche de Fives"
        not in client.get(reverse("cycles:pickups", args=[roubaix.slug, new.pk])).content.decode()
    )


def test_the_point_side_ends_the_sharing(
    client, sharing, point, roubaix, coordinator, other_hub_manager,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    services.answer_sharing_request(request=sharing, accept=True, by=coordinator)
    client.force_login(coordinator)
    url = reverse("pickup_points:end_sharing", args=[point.slug, roubaix.slug])
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    assert not serves(point, roubaix)
    [message] = mail.outbox
    assert message.to == [other_hub_manager.email]
    assert "ne dessert plus Drive de Roubaix" in message.subject


def test_the_hub_that_runs_the_point_is_never_taken_off_it(
    client, point, hub, manager, coordinator
):
    client.force_login(manager)
    url = reverse("pickup_points:point_leave", args=[hub.slug, point.slug])
    assert "ne peut pas cesser de le desservir" in client.get(url).content.decode()
    client.post(url)
    client.force_login(coordinator)
    client.post(reverse("pickup_points:end_sharing", args=[point.slug, hub.slug]))
    assert serves(point, hub)


def test_existing_points_are_run_by_the_first_hub_they_served(roubaix, hub):
    migration = importlib.import_module("pickup_points.migrations.0003_point_sharing")
    point = factories.PickupPointFactory()
    point.hubs.add(roubaix)
    point.hubs.add(hub)
    lonely = factories.PickupPointFactory()
    migration.set_owner_hubs(apps, None)
    point.refresh_from_db()
    lonely.refresh_from_db()
    assert point.owner_hub == roubaix and lonely.owner_hub is None


# Every URL of the flow × every role, before and after the point's side accepts.

PERSONAS = ["anonymous", "household", "producer_member", "volunteer", "coordinator",
            "owner_manager", "asking_manager", "third_manager"]  # fmt: skip
INSIDERS = {"volunteer", "coordinator", "owner_manager"}  # who may read the access code


def _matrix_urls(w, state):
    """(name, method, url, {persona: expected}); personas not named get 404 (anonymous
    visitors are sent to log in). Answers come after the pages whose outcome they would
    change; the decline comes first, so the accept that follows is a replay."""
    p, b, a, pk = w["point"].slug, "roubaix", "lille", w["sharing"].pk
    member = w["member_pk"]
    managers = {"coordinator": DONE, "owner_manager": DONE}
    seen_by_b = {"asking_manager": FORBIDDEN} if state == "after" else {}
    rows = [
        ("hub points", "get", reverse("pickup_points:hub_points", args=[b]),
         {"asking_manager": OK}),
        ("ask", "post", reverse("pickup_points:point_request", args=[b]),
         {"asking_manager": DONE}),
        ("leave", "get", reverse("pickup_points:point_leave", args=[b, p]),
         {"asking_manager": OK} if state == "after" else {}),
        ("point page", "get", reverse("pickup_points:team", args=[p]),
         {"volunteer": OK, "coordinator": OK, "owner_manager": OK,
          **({"asking_manager": OK} if state == "after" else {})}),
        ("end (point side)", "get", reverse("pickup_points:end_sharing", args=[p, b]),
         {"volunteer": FORBIDDEN, "coordinator": OK, "owner_manager": OK, **seen_by_b}
         if state == "after" else {"volunteer": FORBIDDEN}),
        ("edit (owner)", "get", reverse("pickup_points:point_edit", args=[a, p]),
         {"owner_manager": OK}),
        ("edit (sharing hub)", "get", reverse("pickup_points:point_edit", args=[b, p]),
         seen_by_b),
        ("invite", "post", reverse("pickup_points:team_invite", args=[p]),
         {"volunteer": FORBIDDEN, **managers, **seen_by_b}),
        ("decline", "post", reverse("pickup_points:request_decline", args=[p, pk]),
         {"volunteer": FORBIDDEN, **managers, **seen_by_b}),
        ("accept", "post", reverse("pickup_points:request_accept", args=[p, pk]),
         {"volunteer": FORBIDDEN, **managers, **seen_by_b}),
        ("withdraw", "post", reverse("pickup_points:request_withdraw", args=[b, pk]),
         {"asking_manager": DONE}),
        ("remove", "post", reverse("pickup_points:team_remove", args=[p, member]),
         {"volunteer": FORBIDDEN, **managers, **seen_by_b}),
    ]  # fmt: skip
    if state == "after":
        cycle, order = w["cycle"], w["order"]
        team = {"volunteer": OK, "coordinator": OK, "asking_manager": OK}
        rows += [
            ("distribution", "get",
             reverse("pickup_points:distribution", args=[p, cycle.pk]), team),
            ("order", "get", reverse("pickup_points:order", args=[p, cycle.pk, order.pk]), team),
            ("list", "get", reverse("pickup_points:distribution_list", args=[p, cycle.pk])
             + "?format=csv", team),
        ]  # fmt: skip
    return rows


@pytest.fixture
def world(
    point, hub, manager, coordinator, volunteer, roubaix, other_hub_manager, third_manager,
    household, producer_member, sharing,
):  # fmt: skip
    return {
        "point": point,
        "sharing": sharing,
        "member_pk": PickupPointMembership.objects.get(user=volunteer).pk,
        "users": {
            "anonymous": None,
            "household": household,
            "producer_member": producer_member,
            "volunteer": volunteer,
            "coordinator": coordinator,
            "owner_manager": manager,
            "asking_manager": other_hub_manager,
            "third_manager": third_manager,
        },
    }


@pytest.mark.parametrize("state", ["before", "after"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_every_url_of_the_sharing_flow_checks_who_asks(client, world, persona, state):
    if state == "after":
        services.answer_sharing_request(
            request=world["sharing"], accept=True, by=world["users"]["coordinator"]
        )
        world["sharing"].refresh_from_db()
        world["cycle"], world["order"] = roubaix_cycle(
            world["sharing"].hub, world["point"], world["users"]["household"]
        )
    user = world["users"][persona]
    if user:
        client.force_login(user)
    for name, method, url, expected in _matrix_urls(world, state):
        response = getattr(client, method)(url)
        want = LOGIN if user is None else expected.get(persona, HIDDEN)
        assert response.status_code == want, (name, persona, state, response.status_code)
        if user is None:
            assert response.url.startswith(reverse("account_login")), name
        if persona not in INSIDERS:
            assert DOOR_CODE.encode() not in response.content, (name, persona, state)
    if persona not in ("coordinator", "owner_manager", "asking_manager"):
        # Nobody else changed anything.
        point = PickupPoint.objects.get(pk=world["point"].pk)
        assert point.hubs.count() == (1 if state == "before" else 2)
        assert SharingRequest.objects.get().status == (
            Status.PENDING if state == "before" else Status.ACCEPTED
        )
        assert PickupPointMembership.objects.count() == 2
        assert not point.invitations.exists()
