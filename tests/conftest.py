"""Named personas shared by the whole suite.

- ``household``: an ordinary account that manages nothing
- ``producer`` / ``producer_member``: a producer and the person who runs its catalogue
- ``other_producer`` / ``other_producer_member``: a second producer, to prove isolation
- ``hub`` / ``manager``: a hub and its manager
- ``other_hub_manager``: the manager of another hub
"""

import os
import uuid

import hypothesis
import pytest

from orders.relays.services import create_household
from tests import factories, personas

_RUN_ID = uuid.uuid4().hex  # this process's run, when xdist does not give one

# Hypothesis: a short run by default, the long one in CI (.ci/run sets HYPOTHESIS_PROFILE=ci).
# Tests that set their own number of examples take it as a share of the profile's.
hypothesis.settings.register_profile("ci", max_examples=100)
hypothesis.settings.register_profile("dev", max_examples=30)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """Each process's test database is a copy of a migrated template (tests/dbcache.py),
    built once while the migrations stay the same (``--create-db`` rebuilds it).
    FOODHUB_TEST_DB=migrate, --reuse-db or --no-migrations: pytest-django's own set-up
    (each process migrates its database)."""
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _disable_migrations, _get_databases_for_setup

    from tests import dbcache

    aliases, serialized = _get_databases_for_setup(request.session.items)
    own = (
        os.environ.get("FOODHUB_TEST_DB", "template") == "template"
        and django_db_use_migrations
        and not django_db_keepdb
        and not serialized
    )
    with django_db_blocker.unblock():
        if own:
            # xdist's workers share their run's id: --create-db rebuilds once per run.
            run_id = getattr(request.config, "workerinput", {}).get("testrunuid", _RUN_ID)
            config = dbcache.setup_databases(aliases, run_id, rebuild=django_db_createdb)
        else:
            if not django_db_use_migrations:
                _disable_migrations()
            config = setup_databases(
                verbosity=request.config.option.verbose,
                interactive=False,
                aliases=aliases,
                serialized_aliases=serialized,
                keepdb=django_db_keepdb and not django_db_createdb,
            )
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            try:
                if own:
                    dbcache.teardown_databases(config)
                else:
                    teardown_databases(config, verbosity=request.config.option.verbose)
            except Exception as error:  # noqa: BLE001 - as pytest-django: a warning
                request.node.warn(pytest.PytestWarning(f"Test databases' teardown: {error!r}"))


@pytest.fixture
def household(db):
    return personas.household()


@pytest.fixture
def producer(db):
    return personas.producer()


@pytest.fixture
def producer_member(producer):
    return personas.producer_member(producer)


@pytest.fixture
def other_producer(db):
    return personas.other_producer()


@pytest.fixture
def other_producer_member(other_producer):
    return personas.other_producer_member(other_producer)


@pytest.fixture
def hub(db, producer):
    return personas.hub(producer)


@pytest.fixture
def manager(hub):
    return personas.manager(hub)


@pytest.fixture
def other_hub_manager(db):
    return personas.other_hub_manager()


@pytest.fixture
def relay(hub):
    return personas.relay(hub)


@pytest.fixture
def dupont(hub, relay):
    """A household without e-mail nor account, whose record the relay made."""
    return create_household(
        hub=hub, by=relay, full_name="Mme  Dupont", phone="06 12 34 56 78", consent="in_person"
    )


@pytest.fixture
def category(db):
    return factories.CategoryFactory(name="Légumes", slug="legumes")


@pytest.fixture
def organic(db):
    return factories.LabelFactory(name="Agriculture biologique (AB)", slug="ab")


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in French, the default: a request to /en/... leaves English active
    in the thread, and addresses (reverse) carry the active language."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """allauth keeps its rate-limit counters in the cache, and the opening e-mails what
    they share (by cycle id, which a later test may reuse): each test starts clean."""
    from django.core.cache import cache

    from orders.emails.notifications import forget_shared_parts

    cache.clear()
    forget_shared_parts()
    yield
    cache.clear()


# The order world: an open cycle of ``hub`` with one pickup point, one slot and offers.


@pytest.fixture
def pickup_point(hub):
    return personas.pickup_point(hub)


@pytest.fixture
def cycle(hub):
    return factories.OrderCycleFactory(hub=hub, name="Semaine 48")


@pytest.fixture
def slot(cycle, pickup_point):
    cycle_pickup = factories.CyclePickupPointFactory(cycle=cycle, pickup_point=pickup_point)
    return factories.PickupSlotFactory(cycle_pickup=cycle_pickup, capacity=50)


@pytest.fixture
def offers(cycle, producer, category):
    """Three offers: carrots (10 in stock), apples (capped at 5 this cycle), bread on demand."""
    from decimal import Decimal

    carrots = factories.VariantFactory(
        product__producer=producer, product__name="Carottes", product__category=category,
        name="botte 1 kg", price=Decimal("2.40"), stock_quantity=10,
    )  # fmt: skip
    apples = factories.VariantFactory(
        product__producer=producer, product__name="Pommes Jonagold",
        product__category=category, name="sac 2 kg", quantity_per_unit=Decimal("2"),
        price=Decimal("5.90"), stock_quantity=100,
    )  # fmt: skip
    bread = factories.VariantFactory(
        product__producer=producer, product__name="Pain de campagne",
        product__category=category, name="1 kg", unit="piece", price=Decimal("4.80"),
        vat_rate="5.5", stock_mode="on_demand", stock_quantity=0,
    )  # fmt: skip
    return {
        "carrots": factories.OfferFactory(cycle=cycle, variant=carrots),
        "apples": factories.OfferFactory(cycle=cycle, variant=apples, stock_cap=5),
        "bread": factories.OfferFactory(cycle=cycle, variant=bread),
    }
