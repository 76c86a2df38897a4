"""A module's shared world (``tests/worlds.py``): each test meets it as it was built, and
nothing of it outlives the module."""

import pytest

from foodhub.hubs.models import Hub
from tests import personas, worlds


def _build():
    producer = personas.producer()
    return {"hub": personas.hub(producer)}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from worlds.shared(django_db_blocker, _build)
    with django_db_blocker.unblock():  # after the module's last test: the world is gone
        assert not Hub.objects.exists()


@pytest.mark.parametrize("run", [1, 2])
def test_what_a_test_writes_is_gone_for_the_next_whatever_their_order(world, db, run):
    hub = worlds.fresh(world["hub"])
    assert hub.name == "Drive fermier de Lille"
    assert list(Hub.objects.values_list("slug", flat=True)) == ["lille"]

    Hub.objects.filter(pk=hub.pk).update(name=f"Changé par le test {run}")
    personas.other_hub_manager()  # a second hub


def test_each_test_gets_its_own_copy_of_an_object_of_the_world(world, db):
    first, second = worlds.fresh(world["hub"]), worlds.fresh(world["hub"])
    assert first == second == world["hub"]
    assert first is not second and first is not world["hub"]
