"""The demo data command on an empty database (the loaded world is in test_demo_data.py)."""

import pytest

from foodhub.hubs.demo_data import load_demo_data
from foodhub.hubs.models import Hub
from orders.models import Order, OrderCycle
from tests import factories
from tests.hubs.test_demo_data import count_every_model, run_command

pytestmark = pytest.mark.django_db


def test_running_twice_changes_nothing():
    run_command()
    before = count_every_model()

    output = run_command()

    assert count_every_model() == before
    assert "already loaded" in output
    assert load_demo_data().total_created == 0


def test_if_empty_does_nothing_when_a_hub_exists():
    factories.HubFactory()
    before = count_every_model()

    output = run_command("--if-empty")

    assert count_every_model() == before
    assert "not loaded" in output


def test_if_empty_loads_an_empty_database():
    run_command("--if-empty")

    assert Hub.objects.count() == 2


def test_demo_hubs_have_a_closed_cycle_to_distribute_and_an_open_one_with_orders():
    run_command()
    for hub in Hub.objects.all():
        phases = sorted(cycle.phase() for cycle in OrderCycle.objects.filter(hub=hub))
        assert phases == ["closed", "open"]
        for cycle in OrderCycle.objects.filter(hub=hub):
            assert Order.objects.filter(cycle=cycle, status="placed").count() >= 10
            for order in cycle.orders.all():
                assert order.total == sum(line.total for line in order.lines.all()) + (
                    order.fee_total
                )


def test_demo_orders_send_no_e_mail(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_command()
    assert mailoutbox == []
