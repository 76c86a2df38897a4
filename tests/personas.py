"""The suite's named people and places, built once per call: the fixtures of
``tests/conftest.py`` build them per test, a module's shared world (``tests/worlds.py``)
once per module."""

from foodhub.hubs.models import Relay
from tests import factories


def household():
    """An ordinary account that manages nothing."""
    return factories.UserFactory(email="foyer@example.org", full_name="Camille Foyer")


def producer():
    return factories.ProducerFactory(name="Ferme du Mélantois", slug="ferme-du-melantois")


def producer_member(producer):
    """The person who runs ``producer``'s catalogue."""
    user = factories.UserFactory(email="maraicher@example.org", full_name="Jean Maraîcher")
    factories.ProducerMembershipFactory(producer=producer, user=user)
    return user


def other_producer():
    return factories.ProducerFactory(name="Brasserie de Wazemmes", slug="brasserie-wazemmes")


def other_producer_member(other_producer):
    user = factories.UserFactory(email="brasseur@example.org", full_name="Lucie Brasseur")
    factories.ProducerMembershipFactory(producer=other_producer, user=user)
    return user


def hub(producer):
    """A hub selling ``producer``'s products."""
    hub = factories.HubFactory(name="Drive fermier de Lille", slug="lille")
    hub.producers.add(producer)
    return hub


def manager(hub):
    user = factories.UserFactory(email="gestion@example.org", full_name="Nadia Gestion")
    factories.HubMembershipFactory(hub=hub, user=user)
    return user


def other_hub_manager():
    """The manager of another hub (Roubaix)."""
    other = factories.HubFactory(name="Drive de Roubaix", slug="roubaix")
    user = factories.UserFactory(email="roubaix@example.org", full_name="Paul Roubaix")
    factories.HubMembershipFactory(hub=other, user=user)
    return user


def relay(hub):
    """A relay of ``hub``: orders for households without e-mail (not a manager)."""
    user = factories.UserFactory(email="martine@example.org", full_name="Martine Relais")
    Relay.objects.create(hub=hub, user=user)
    return user


def pickup_point(hub):
    """A pickup point owned by ``hub`` and serving it."""
    point = factories.PickupPointFactory(
        name="La Ruche de Fives", slug="ruche-fives", tiers_lieu="Tiers-lieu de Fives",
        owner_hub=hub,
    )  # fmt: skip
    point.hubs.add(hub)
    return point
