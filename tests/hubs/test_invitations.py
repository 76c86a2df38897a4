import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from foodhub.hubs import services
from foodhub.hubs.models import HubMembership, Invitation
from producers.models import ProducerMembership
from tests.factories import UserFactory

User = get_user_model()
pytestmark = pytest.mark.django_db


def _link_path(message) -> str:
    url = re.search(r"https?://\S+/invitations/\S+/", message.body).group(0)
    return "/" + url.split("/", 3)[3]


def test_manager_invites_a_colleague_by_email(
    client, hub, manager, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("hubs:invite_manager", args=[hub.slug]), {"email": "Nouveau@Example.org"}
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "nouveau@example.org"
    assert invitation.hub == hub and invitation.kind == Invitation.Kind.HUB_MANAGER
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nouveau@example.org"]
    assert hub.name in mail.outbox[0].subject
    assert _link_path(mail.outbox[0]) == invitation.get_absolute_url()


def test_the_link_creates_the_account_and_the_membership(client, hub, manager):
    invitation = services.invite(email="nouveau@example.org", hub=hub, invited_by=manager)
    response = client.get(invitation.get_absolute_url())
    assert response.status_code == 200
    response = client.post(
        invitation.get_absolute_url(), {"full_name": "Nina Nouvelle", "password": ""}
    )
    assert response.status_code == 302
    assert response.url == reverse("hubs:dashboard", args=[hub.slug])
    user = User.objects.get(email="nouveau@example.org")
    assert user.full_name == "Nina Nouvelle"
    assert not user.has_usable_password()  # logs in by e-mail code
    assert HubMembership.objects.filter(hub=hub, user=user).exists()
    assert EmailAddress.objects.get(user=user).verified
    assert int(client.session["_auth_user_id"]) == user.pk
    invitation.refresh_from_db()
    assert invitation.accepted_by == user and invitation.accepted_at is not None


def test_the_link_attaches_an_existing_logged_in_account(client, producer, producer_member):
    colleague = UserFactory(email="collegue@example.org")
    invitation = services.invite(
        email="collegue@example.org", producer=producer, invited_by=producer_member
    )
    client.force_login(colleague)
    assert client.get(invitation.get_absolute_url()).status_code == 200
    response = client.post(invitation.get_absolute_url())
    assert response.status_code == 302
    assert response.url == producer.get_absolute_url()
    assert ProducerMembership.objects.filter(producer=producer, user=colleague).exists()


def test_an_existing_account_is_asked_to_log_in_first(client, hub, manager):
    UserFactory(email="deja@example.org")
    invitation = services.invite(email="deja@example.org", hub=hub, invited_by=manager)
    response = client.get(invitation.get_absolute_url())
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert not HubMembership.objects.filter(hub=hub, user__email="deja@example.org").exists()


def test_an_invitation_cannot_be_used_twice(client, hub, manager):
    invitation = services.invite(email="nouveau@example.org", hub=hub, invited_by=manager)
    client.post(invitation.get_absolute_url(), {"full_name": "Nina", "password": ""})
    client.logout()
    response = client.get(invitation.get_absolute_url())
    assert response.status_code == 410
    assert "déjà été utilisée" in response.content.decode()
    other = UserFactory(email="autre@example.org")
    client.force_login(other)
    assert client.post(invitation.get_absolute_url()).status_code == 410
    assert not HubMembership.objects.filter(user=other).exists()


def test_an_expired_invitation_is_refused(client, hub, manager):
    invitation = services.invite(email="nouveau@example.org", hub=hub, invited_by=manager)
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        response = client.post(invitation.get_absolute_url(), {"full_name": "Nina", "password": ""})
    assert response.status_code == 410
    assert "expiré" in response.content.decode()
    assert not User.objects.filter(email="nouveau@example.org").exists()


def test_an_invitation_is_for_its_addressee_only(client, hub, manager):
    invitation = services.invite(email="nouveau@example.org", hub=hub, invited_by=manager)
    intruder = UserFactory(email="intrus@example.org")
    client.force_login(intruder)
    response = client.post(invitation.get_absolute_url(), follow=True)
    assert "nouveau@example.org" in response.content.decode()
    assert not HubMembership.objects.filter(user=intruder).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_inviting_again_replaces_the_previous_link(hub, manager):
    first = services.invite(email="nouveau@example.org", hub=hub, invited_by=manager)
    second = services.invite(email="nouveau@example.org", hub=hub, invited_by=manager)
    first.refresh_from_db()
    assert first.is_expired and not second.is_expired
    assert first.token != second.token


def test_inviting_a_member_again_is_refused(hub, manager):
    with pytest.raises(services.InvitationError):
        services.invite(email=manager.email.upper(), hub=hub, invited_by=manager)


def test_a_weak_password_is_refused_and_nothing_is_created(client, hub, manager):
    invitation = services.invite(email="nouveau@example.org", hub=hub, invited_by=manager)
    response = client.post(invitation.get_absolute_url(), {"full_name": "Nina", "password": "123"})
    assert response.status_code == 200
    assert not User.objects.filter(email="nouveau@example.org").exists()


def test_an_unknown_token_is_404(client):
    assert client.get(reverse("invitation", args=["nope"])).status_code == 404


def test_only_managers_of_the_hub_can_invite_managers(client, hub, other_hub_manager, household):
    for user in (other_hub_manager, household):
        client.force_login(user)
        response = client.post(
            reverse("hubs:invite_manager", args=[hub.slug]), {"email": "x@example.org"}
        )
        assert response.status_code == 404
    assert not Invitation.objects.exists()


def test_producer_members_invite_colleagues(client, producer, producer_member):
    client.force_login(producer_member)
    response = client.post(
        reverse("producer_team", args=[producer.slug]), {"email": "collegue@example.org"}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.producer == producer


def test_hub_manager_adds_a_producer_and_invites_its_member(
    client, hub, manager, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("hubs:add_producer", args=[hub.slug]),
            {
                "name": "Les Vergers de Pévèle",
                "slug": "",
                "email": "verger@example.org",
                "city": "Templeuve",
            },
        )
    assert response.status_code == 302
    producer = hub.producers.get(slug="les-vergers-de-pevele")
    assert Invitation.objects.get().producer == producer
    assert mail.outbox[0].to == ["verger@example.org"]
