"""A world built once for all the tests of a module.

Building a rich world (pages, groups, permissions, orders...) for each test costs more than
most tests themselves. A module whose tests only read it, or write inside their own
transaction, can share one:

    @pytest.fixture(scope="module")
    def world(django_db_setup, django_db_blocker):
        yield from worlds.shared(django_db_blocker, _build)

The world is built inside a transaction that stays open while the module's tests run and is
rolled back after the last one. Each test (with pytest-django's ``db``) runs in a savepoint
of it, rolled back after the test as usual: every test meets the world as it was built.
Not for tests that need a committed database (``transactional_db``, the live server).

The objects of the world are Python objects shared by the tests: a test gets its own copy
from the database (``fresh``, or a fixture made by ``fixture``), so that nothing one test
caches on an instance (a user's permissions...) reaches another:

    manager = worlds.fixture("manager")  # world["manager"], fresh for each test
"""

import pytest
from django.db import transaction


def shared(django_db_blocker, build):
    """Yield what ``build()`` returns, built in a transaction rolled back afterwards.
    ``transaction.on_commit`` callbacks registered by ``build`` are not run: a builder that
    needs them runs its part under ``TestCase.captureOnCommitCallbacks(execute=True)``."""
    with django_db_blocker.unblock(), transaction.atomic():
        try:
            yield build()
        finally:
            transaction.set_rollback(True)


def fresh(instance):
    """This test's own copy of an object of the world (a page comes back as its own type)."""
    return type(instance)._default_manager.get(pk=instance.pk)


def fixture(name):
    """A fixture named ``name`` giving each test its own copy of ``world[name]``, where
    ``world`` is the module's world fixture."""

    @pytest.fixture(name=name)
    def copy(world, db):
        return fresh(world[name])

    copy.__doc__ = f"This test's copy of the world's {name}."
    return copy
