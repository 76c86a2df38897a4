"""Hub managers create pickup points; coordinators invite the volunteers of their point."""

import pytest
from django.urls import reverse

from foodhub.hubs.models import Invitation
from pickup_points.models import PickupPoint, PickupPointMembership
from tests import factories

POINT = {
    "name": "Café associatif de Wazemmes",
    "tiers_lieu": "La Ferme urbaine",
    "address": "12 rue des Sarrazins",
    "postcode": "59000",
    "city": "Lille",
    "access_info": "Sonnez à l’interphone « Café »",
    "latitude": "50,6277",
    "longitude": "3,0487",
}


def test_a_manager_creates_a_pickup_point_for_the_hub(client, manager, hub):
    client.force_login(manager)
    response = client.post(reverse("pickup_points:point_create", args=[hub.slug]), POINT)

    assert response.status_code == 302
    point = PickupPoint.objects.get(name=POINT["name"])
    assert point.slug == "cafe-associatif-de-wazemmes"
    assert list(point.hubs.all()) == [hub]
    assert point.map_url.startswith("https://www.openstreetmap.org/?mlat=50.627700&mlon=3.048700")
    listing = client.get(reverse("pickup_points:hub_points", args=[hub.slug]))
    assert POINT["name"] in listing.content.decode()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Ce champ est obligatoire"),
        ({"name": "!!!"}, "un nom qui contient des lettres"),
        ({"latitude": "95"}, "inférieure ou égale à 90"),
        ({"longitude": ""}, "la latitude et la longitude"),
        ({"address": ""}, "Ce champ est obligatoire"),
    ],
)
def test_a_bad_pickup_point_is_refused_clearly(client, manager, hub, changes, message):
    client.force_login(manager)
    response = client.post(
        reverse("pickup_points:point_create", args=[hub.slug]), {**POINT, **changes}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PickupPoint.objects.exists()


def test_only_the_hubs_managers_edit_its_points(
    client, manager, other_hub_manager, volunteer, hub, pickup_point
):
    url = reverse("pickup_points:point_edit", args=[hub.slug, pickup_point.slug])
    for outsider in (other_hub_manager, volunteer):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        assert client.post(url, POINT).status_code == 404
    pickup_point.refresh_from_db()
    assert pickup_point.name == "La Ruche de Fives"
    client.force_login(manager)
    assert client.post(url, POINT).status_code == 302
    pickup_point.refresh_from_db()
    assert pickup_point.name == POINT["name"] and pickup_point.slug == "ruche-fives"


def test_a_coordinator_invites_a_volunteer_who_joins(
    client, coordinator, pickup_point, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("pickup_points:team_invite", args=[pickup_point.slug]),
            {"email": "Nouveau@Example.org"},
        )
    invitation = Invitation.objects.get()
    assert (invitation.kind, invitation.pickup_point, invitation.email) == (
        Invitation.Kind.PICKUP_VOLUNTEER,
        pickup_point,
        "nouveau@example.org",
    )
    [mail] = mailoutbox
    assert invitation.get_absolute_url() in mail.body

    newcomer = factories.UserFactory(email="nouveau@example.org")
    client.force_login(newcomer)
    response = client.post(invitation.get_absolute_url())
    assert response.status_code == 302
    assert response.url == reverse("pickup_points:team", args=[pickup_point.slug])
    membership = PickupPointMembership.objects.get(user=newcomer)
    assert membership.role == PickupPointMembership.Role.VOLUNTEER
    assert client.get(response.url).status_code == 200


def test_a_volunteer_cannot_invite_or_remove(client, volunteer, coordinator, pickup_point):
    client.force_login(volunteer)
    invited = client.post(
        reverse("pickup_points:team_invite", args=[pickup_point.slug]),
        {"email": "ami@example.org"},
    )
    assert invited.status_code == 403
    coordinator_membership = PickupPointMembership.objects.get(user=coordinator)
    removed = client.post(
        reverse("pickup_points:team_remove", args=[pickup_point.slug, coordinator_membership.pk])
    )
    assert removed.status_code == 403
    assert not Invitation.objects.exists()
    assert PickupPointMembership.objects.count() == 2


def test_the_last_coordinator_stays(client, manager, coordinator, volunteer, pickup_point):
    client.force_login(manager)
    coordinator_membership = PickupPointMembership.objects.get(user=coordinator)
    url = reverse("pickup_points:team_remove", args=[pickup_point.slug, coordinator_membership.pk])
    response = client.post(url, follow=True)
    assert "au moins une personne à la coordination" in response.content.decode()
    assert PickupPointMembership.objects.filter(user=coordinator).exists()
    volunteer_membership = PickupPointMembership.objects.get(user=volunteer)
    client.post(
        reverse("pickup_points:team_remove", args=[pickup_point.slug, volunteer_membership.pk])
    )
    assert not PickupPointMembership.objects.filter(user=volunteer).exists()


def test_inviting_a_team_member_again_is_refused(client, coordinator, volunteer, pickup_point):
    client.force_login(coordinator)
    response = client.post(
        reverse("pickup_points:team_invite", args=[pickup_point.slug]),
        {"email": volunteer.email},
        follow=True,
    )
    assert "fait déjà partie de l’équipe «\xa0La Ruche de Fives\xa0»" in response.content.decode()
    assert not Invitation.objects.exists()
