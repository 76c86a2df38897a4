from decimal import Decimal
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction

from foodhub.accounts.models import User
from foodhub.demo.files import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    MANAGER,
    MANAGER_VDA,
    PRODUCER_MEMBER,
    household_email,
)
from foodhub.demo.world import load_demo_data
from foodhub.hubs.models import Hub
from orders.models import Order, OrderCycle
from pickup_points.models import PickupPoint
from producers.models import Producer, Product, StockMode, Variant, VatRate

pytestmark = pytest.mark.django_db


def run_command(*args) -> str:
    out = StringIO()
    call_command("load_demo_data", *args, stdout=out)
    return out.getvalue()


def count_every_model() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.fixture(scope="module")
def demo_world(django_db_setup, django_db_blocker):
    """The demo world, loaded once for this module and rolled back at its end.

    Each test runs in its own savepoint inside it, so what a test changes is undone too.
    Tests that need an empty database live in test_demo_command.py.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        yield run_command()
        transaction.set_rollback(True)


def test_demo_world_has_two_hubs_producers_catalogue_pickup_points_and_households(demo_world):
    assert set(Hub.objects.values_list("slug", "order_prefix")) == {
        ("lille-sud", "LIL"),
        ("villeneuve-d-ascq", "VDA"),
    }
    assert Producer.objects.count() >= 12
    assert Product.objects.count() >= 140
    assert PickupPoint.objects.count() == 4
    households = User.objects.filter(
        is_staff=False, hub_memberships=None, producer_memberships=None
    )
    assert households.count() >= 60


def test_every_producer_sells_through_a_hub_and_every_pickup_point_serves_one(demo_world):
    assert not Producer.objects.filter(hubs=None).exists()
    assert not PickupPoint.objects.filter(hubs=None).exists()
    assert not PickupPoint.objects.filter(access_info="").exists()
    assert not PickupPoint.objects.filter(opening_notes="").exists()


@pytest.mark.parametrize("account", DEMO_ACCOUNTS, ids=lambda account: account.email)
def test_each_role_account_logs_in_with_the_demo_password(demo_world, account):
    user = authenticate(email=account.email, password=DEMO_PASSWORD)
    assert user is not None
    assert user.email == account.email
    assert EmailAddress.objects.filter(
        user=user, email=account.email, verified=True, primary=True
    ).exists()


def test_households_log_in_with_the_demo_password(demo_world):
    email = household_email("Jérôme Da Silva")
    assert email == "jerome.da-silva@demo.foodhub.test"
    assert authenticate(email=email, password=DEMO_PASSWORD) is not None


def test_only_the_admin_is_staff(demo_world):
    admin = User.objects.get(email="admin@demo.foodhub.test")
    assert admin.is_staff and admin.is_superuser
    assert list(User.objects.filter(is_staff=True)) == [admin]


def test_managers_manage_their_own_hub(demo_world):
    manager = User.objects.get(email=MANAGER.email)
    manager_vda = User.objects.get(email=MANAGER_VDA.email)
    assert [hub.slug for hub in manager.managed_hubs.all()] == ["lille-sud"]
    assert [hub.slug for hub in manager_vda.managed_hubs.all()] == ["villeneuve-d-ascq"]


def test_producer_member_runs_the_market_gardener(demo_world):
    member = User.objects.get(email=PRODUCER_MEMBER.email)
    producer = member.producers.get()
    assert producer.slug == "jardins-du-melantois"
    assert producer.products.count() >= 20


def test_the_volunteer_runs_distribution_day_at_a_tiers_lieu_with_orders(demo_world):
    volunteer = User.objects.get(email="benevole@demo.foodhub.test")
    assert not volunteer.is_staff
    assert not volunteer.hub_memberships.exists()
    assert not volunteer.producer_memberships.exists()
    [membership] = volunteer.pickup_memberships.all()
    point = membership.pickup_point
    assert point.slug == "la-chaudronnerie-fives"
    # A closed cycle with orders to hand over at that point.
    closed = [
        c for c in OrderCycle.objects.filter(pickups__pickup_point=point) if c.phase() == "closed"
    ]
    assert closed
    assert Order.objects.live().filter(cycle__in=closed, cycle_pickup__pickup_point=point).exists()


def test_every_product_has_a_variant_with_a_positive_decimal_price(demo_world):
    assert not Product.objects.filter(variants=None).exists()
    for variant in Variant.objects.all():
        assert isinstance(variant.price, Decimal)
        assert variant.price > 0
        assert variant.price == variant.price.quantize(Decimal("0.01"))


def test_alcohol_is_taxed_at_the_standard_rate_and_food_at_the_reduced_one(demo_world):
    assert Variant.objects.get(sku="BMF-BLO-33").vat_rate == VatRate.STANDARD
    assert Variant.objects.get(sku="PCY-CBR-75").vat_rate == VatRate.STANDARD
    assert Variant.objects.get(sku="MEL-PDT-5K").vat_rate == VatRate.REDUCED
    assert Variant.objects.filter(stock_mode=StockMode.ON_DEMAND).exists()


def test_skus_are_unique_within_each_producer(demo_world):
    skus = list(Variant.objects.values_list("product__producer_id", "sku"))
    assert all(sku for _, sku in skus)
    assert len(skus) == len(set(skus))


def test_text_is_french(demo_world):
    assert Product.objects.filter(name="Échalotes").exists()
    assert Product.objects.filter(category__name="Œufs et volailles").exists()
    assert Producer.objects.filter(city="Péronne-en-Mélantois").exists()


def test_command_prints_the_demo_logins(demo_world):
    for account in DEMO_ACCOUNTS:
        assert account.email in demo_world
    assert DEMO_PASSWORD in demo_world


def test_running_twice_changes_nothing(demo_world):
    before = count_every_model()

    output = run_command()

    assert count_every_model() == before
    assert "already loaded" in output
    assert load_demo_data().total_created == 0


def test_demo_hubs_have_a_closed_cycle_to_distribute_and_an_open_one_with_orders(demo_world):
    for hub in Hub.objects.all():
        phases = sorted(cycle.phase() for cycle in OrderCycle.objects.filter(hub=hub))
        assert phases == ["closed", "open"]
        for cycle in OrderCycle.objects.filter(hub=hub):
            assert Order.objects.filter(cycle=cycle, status="placed").count() >= 10
            for order in cycle.orders.all():
                assert order.total == sum(line.total for line in order.lines.all()) + (
                    order.fee_total
                )


def test_running_again_keeps_what_people_edited(demo_world):
    Product.objects.filter(name="Carottes").update(description="Carottes de sable")
    User.objects.filter(email=MANAGER.email).update(full_name="Nadia H.")

    run_command()

    assert Product.objects.get(name="Carottes").description == "Carottes de sable"
    assert User.objects.get(email=MANAGER.email).full_name == "Nadia H."


def test_demo_rows_pass_model_validation(demo_world):
    # The loader uses bulk_create, which skips validators: check the data against them here.
    for model in (Hub, Producer, Product, Variant, PickupPoint, User):
        for obj in model.objects.all():
            obj.full_clean()
