"""Named personas shared by the whole suite.

- ``household``: an ordinary account that manages nothing
- ``producer`` / ``producer_member``: a producer and the person who runs its catalogue
- ``other_producer`` / ``other_producer_member``: a second producer, to prove isolation
- ``hub`` / ``manager``: a hub and its manager
- ``other_hub_manager``: the manager of another hub
"""

import pytest

from tests import factories


@pytest.fixture
def household(db):
    return factories.UserFactory(email="foyer@example.org", full_name="Camille Foyer")


@pytest.fixture
def producer(db):
    return factories.ProducerFactory(name="Ferme du Mélantois", slug="ferme-du-melantois")


@pytest.fixture
def producer_member(producer):
    user = factories.UserFactory(email="maraicher@example.org", full_name="Jean Maraîcher")
    factories.ProducerMembershipFactory(producer=producer, user=user)
    return user


@pytest.fixture
def other_producer(db):
    return factories.ProducerFactory(name="Brasserie de Wazemmes", slug="brasserie-wazemmes")


@pytest.fixture
def other_producer_member(other_producer):
    user = factories.UserFactory(email="brasseur@example.org", full_name="Lucie Brasseur")
    factories.ProducerMembershipFactory(producer=other_producer, user=user)
    return user


@pytest.fixture
def hub(db, producer):
    hub = factories.HubFactory(name="Drive fermier de Lille", slug="lille")
    hub.producers.add(producer)
    return hub


@pytest.fixture
def manager(hub):
    user = factories.UserFactory(email="gestion@example.org", full_name="Nadia Gestion")
    factories.HubMembershipFactory(hub=hub, user=user)
    return user


@pytest.fixture
def other_hub_manager(db):
    other = factories.HubFactory(name="Drive de Roubaix", slug="roubaix")
    user = factories.UserFactory(email="roubaix@example.org", full_name="Paul Roubaix")
    factories.HubMembershipFactory(hub=other, user=user)
    return user


@pytest.fixture
def category(db):
    return factories.CategoryFactory(name="Légumes", slug="legumes")


@pytest.fixture
def organic(db):
    return factories.LabelFactory(name="Agriculture biologique (AB)", slug="ab")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """allauth keeps its rate-limit counters in the cache: each test starts clean."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
