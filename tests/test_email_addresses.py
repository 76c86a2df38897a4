"""An e-mail address typed anywhere is one an e-mail can be sent to.

Django's validator accepts a domain with invisible formatting characters (U+202E turns the
text around); the address was stored at checkout, and every e-mail to it then failed in the
worker, retried for ever. Each form that takes an address refuses it with a message and
stores nothing.
"""

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from foodhub import inputs
from foodhub.hubs.models import Invitation
from orders.models import Order
from tests import factories

pytestmark = pytest.mark.django_db

UNSENDABLE = [
    "foyer@\u202eelpmaxe.org",  # right-to-left override in the domain
    "foyer@exa\u200bmple.org",  # zero-width space
    "foyer@example.org\x7f",
    "\u202efoyer@example.org",
]


@pytest.mark.parametrize("address", UNSENDABLE)
def test_the_shared_field_refuses_addresses_no_mail_can_carry(address):
    with pytest.raises(forms.ValidationError) as refused:
        inputs.EmailField().clean(address)
    assert {error.code for error in refused.value.error_list} == {"invalid"}


@pytest.mark.parametrize("address", ["foyer@example.org", "foyer@café.example", "a.b+c@x.fr"])
def test_ordinary_and_international_addresses_are_taken(address):
    assert inputs.EmailField().clean(address) == address


@pytest.mark.parametrize("address", UNSENDABLE[:2])
def test_checkout_refuses_an_unsendable_address_and_orders_nothing(
    client, hub, offers, slot, address
):
    client.post(reverse("basket_set", args=[hub.slug, offers["bread"].pk]), {"quantity": 1})
    details = {"email": address, "full_name": "Camille", "phone": "", "slot": slot.pk,
               "payment_method": "at_pickup", "note": "", "confirm": "1"}  # fmt: skip
    response = client.post(reverse("checkout", args=[hub.slug]), details)
    assert response.status_code in (200, 400)
    assert response.context["form"].errors["email"]
    assert not Order.objects.exists() and not mail.outbox


@pytest.mark.parametrize("address", UNSENDABLE[:2])
def test_signup_refuses_an_unsendable_address(client, address):
    response = client.post(
        reverse("account_signup"),
        {
            "email": address,
            "full_name": "Élise",
            "phone": "",
            "password1": "pommes-42-terre",
            "password2": "pommes-42-terre",
        },  # fmt: skip
    )
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert not get_user_model().objects.exists() and not mail.outbox


@pytest.mark.parametrize("address", UNSENDABLE[:2])
def test_a_login_code_asked_for_an_unsendable_address_is_refused(client, address):
    response = client.post(reverse("account_request_login_code"), {"email": address})
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert not mail.outbox


@pytest.mark.parametrize("address", UNSENDABLE[:2])
def test_a_hub_manager_cannot_invite_an_unsendable_address(client, hub, manager, address):
    client.force_login(manager)
    response = client.post(
        reverse("hubs:invite_manager", args=[hub.slug]), {"email": address}, follow=True
    )
    assert "Saisissez une adresse e-mail valide" in response.content.decode()
    assert not Invitation.objects.exists() and not mail.outbox


def test_a_pickup_point_coordinator_cannot_invite_an_unsendable_address(client, pickup_point):
    coordinator = factories.UserFactory()
    pickup_point.memberships.create(user=coordinator, role="coordinator")
    client.force_login(coordinator)
    response = client.post(
        reverse("pickup_points:team_invite", args=[pickup_point.slug]),
        {"email": UNSENDABLE[0]},
        follow=True,
    )
    assert "Saisissez une adresse e-mail valide" in response.content.decode()
    assert not Invitation.objects.exists() and not mail.outbox
