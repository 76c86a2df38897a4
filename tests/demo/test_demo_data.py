from decimal import Decimal
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from foodhub.accounts.models import User
from foodhub.demo.files import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    FOOD_AID,
    HELPED_HOUSEHOLDS,
    MANAGER,
    MANAGER_VDA,
    OPEN_CYCLE,
    PAST_CYCLE,
    PRODUCER_MEMBER,
    RELAY,
    SETTLED,
    household_email,
)
from foodhub.demo.world import load_demo_data
from foodhub.hubs.models import Hub
from orders import ledger
from orders.billing import invoices, reconciliation
from orders.models import (
    AllocationProgramme,
    BalanceEntry,
    Customer,
    EligibleProduct,
    Invoice,
    InvoiceSequence,
    Order,
    OrderCycle,
    OrderLine,
    OutgoingEmail,
    PaperForm,
    Shortage,
    SolidarityEntry,
)
from orders.models.billing import ADJUSTMENT_KINDS
from orders.relays.selectors import helped_households
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
        cycles = OrderCycle.objects.filter(hub=hub, name__in=[PAST_CYCLE, OPEN_CYCLE])
        assert sorted(cycle.phase() for cycle in cycles) == ["closed", "open"]
        for cycle in cycles:
            assert Order.objects.filter(cycle=cycle, status="placed").count() >= 10
            for order in cycle.orders.all():
                assert order.total == sum(line.charged_total for line in order.lines.all()) + (
                    order.fee_total
                )
            # Chickens, cheese by the piece or meat parcels: weighed once the cycle closes.
            assert OrderLine.objects.filter(order__cycle=cycle, price_per_kg__isnull=False)


# The settled week: two weeks ago at Lille-Sud, gone through to the end.


def _settled_cycle() -> OrderCycle:
    return OrderCycle.objects.get(hub__slug=SETTLED.hub, name=SETTLED.name)


def test_the_settled_week_is_closed_with_its_lines_sold_by_weight_weighed(demo_world):
    cycle = _settled_cycle()
    assert cycle.phase() == "closed" and cycle.closed_at is not None
    assert cycle.orders.filter(status="placed").count() == len(SETTLED.orders) == 10
    by_weight = OrderLine.objects.filter(order__cycle=cycle, price_per_kg__isnull=False)
    assert by_weight.count() == 7
    assert not by_weight.filter(actual_weight=None).exists()
    for line in by_weight:
        assert abs(line.actual_weight - line.estimated_weight) <= line.estimated_weight / 10
        weighed = BalanceEntry.objects.filter(order=line.order, kind="weight")
        assert weighed.get().amount == line.total - line.final_total
    # Karim Benali's chicken of about 2.2 kg weighed 2.386 kg, at 9.70 €/kg.
    karim = by_weight.get(order__full_name="Karim Benali")
    assert (karim.total, karim.final_total) == (Decimal("21.34"), Decimal("23.14"))


def test_the_settled_week_shared_one_shortage_the_last_orders_first(demo_world):
    cycle = _settled_cycle()
    [shortage] = Shortage.objects.filter(cycle=cycle)
    assert shortage.applied_at is not None and shortage.offer.variant.sku == "MEL-CAR-BO"
    lines = OrderLine.objects.filter(order__cycle=cycle, offer=shortage.offer)
    assert sum(line.quantity for line in lines) == 12
    assert sum(line.final_quantity for line in lines) == shortage.delivered == 8
    emptied = lines.filter(delivered_quantity=0).order_by("order__placed_at")
    assert [line.order.full_name for line in emptied] == ["Aurélie Duhamel", "Inès Kaddouri"]
    entries = BalanceEntry.objects.filter(order__cycle=cycle, kind="shortage")
    assert sorted(entry.amount for entry in entries) == [Decimal("5.60"), Decimal("5.60")]
    # Its e-mails were sent at the time: the worker has nothing to send for it.
    assert not OutgoingEmail.objects.exclude(status=OutgoingEmail.Status.SENT).filter(
        key__startswith=f"shortage:{shortage.pk}:"
    )


def test_every_settled_order_costs_its_price_less_its_adjustments(demo_world):
    for order in _settled_cycle().orders.prefetch_related("lines", "balance_entries"):
        entries = order.balance_entries.all()
        adjustments = sum((e.amount for e in entries if e.kind in ADJUSTMENT_KINDS), Decimal(0))
        delivered = sum((line.final_total for line in order.lines.all()), Decimal(0))
        assert delivered + order.fee_total == order.total - adjustments, order


def test_households_have_credit_one_is_in_debt_and_every_balance_is_its_entries(demo_world):
    customers = Customer.objects.filter(hub__slug=SETTLED.hub)
    credit = dict(customers.filter(balance__gt=0).values_list("full_name", "balance"))
    assert credit.keys() >= {"Hélène Delattre", "Sophie Vandenbussche", "Aurélie Duhamel"}
    # Change kept at the pickup point: 35.00 € handed over for 32.45 € owed.
    assert credit["Hélène Delattre"] == Decimal("2.55")
    assert BalanceEntry.objects.filter(kind="overpayment").count() >= 3
    # The heavier chicken, left to pay next time.
    # (Compared in Python: SQLite's sums of decimals are floats, and a balance back to
    # zero may be stored as -1e-15.)
    balances = customers.values_list("full_name", "balance")
    assert {name: balance for name, balance in balances if balance < 0} == {
        "Karim Benali": Decimal("-1.80")
    }
    assert ledger.recount() == []


def test_the_settled_week_is_invoiced_with_numbers_without_gaps(demo_world):
    cycle = _settled_cycle()
    assert cycle.adjustments_final_at is not None
    year = timezone.localtime(cycle.adjustments_final_at).year
    issued = list(cycle.invoices.order_by("position"))
    # Every order that delivers something: the one nobody came for is invoiced too.
    assert len(issued) == 10
    assert [invoice.position for invoice in issued] == list(range(1, 11))
    assert [invoice.number for invoice in issued] == [f"F-LIL-{year}-{n:05d}" for n in range(1, 11)]
    assert InvoiceSequence.objects.get(hub=cycle.hub, kind="invoice").last == 10
    for invoice in issued:
        assert invoice.seller["siret"] == "12345678200010"
        order = invoice.order
        delivered = sum((line.final_total for line in order.lines.all()), Decimal(0))
        assert invoice.total_incl_vat == delivered + order.fee_total
    assert invoices.orders_to_invoice(cycle).count() == 0
    # No adjustment any more: a change now goes through a credit note.
    with pytest.raises(ledger.BillingError):
        ledger.check_adjustable(cycle)
    # Only the hub with a legal identity invoices.
    assert not Invoice.objects.exclude(cycle=cycle).exists()


def test_every_euro_of_the_settled_week_is_accounted_for(demo_world):
    report = reconciliation.for_cycle(_settled_cycle())
    assert report.difference == 0, report
    assert report.orders == 10
    assert report.received["cash"] > 0 and report.received["cheque"] > 0
    # Nicolas Vanhoutte did not come.
    assert (
        report.to_collect
        == Order.objects.get(cycle=_settled_cycle(), full_name="Nicolas Vanhoutte").total
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


def test_the_settled_week_shows_on_the_managers_and_the_households_pages(demo_world, client):
    cycle = _settled_cycle()
    client.force_login(User.objects.get(email=MANAGER.email))
    response = client.get(reverse("invoices:cycle", args=[cycle.hub.slug, cycle.pk]))
    assert response.status_code == 200
    assert cycle.invoices.get(position=10).number in response.content.decode()

    client.force_login(User.objects.get(email=household_email("Karim Benali")))
    response = client.get(reverse("balance:mine", args=[cycle.hub.slug]))
    assert response.status_code == 200
    assert "1,80" in response.content.decode()


def test_a_relay_orders_for_households_without_email(demo_world, client):
    relay = User.objects.get(email=RELAY.email)
    assert not relay.hub_memberships.exists()  # a relay is no manager
    helped = helped_households(relay)
    assert sorted(helped.values_list("full_name", flat=True)) == sorted(
        h.full_name for h in HELPED_HOUSEHOLDS
    )
    assert all(c.email == "" and c.user_id is None and c.phone.startswith("+33") for c in helped)
    orders = Order.objects.live().filter(customer__in=helped)
    assert orders.count() == sum(h.orders or h.paper_form for h in HELPED_HOUSEHOLDS)
    # One was keyed in from a paper form; they get their confirmation and reminder by SMS.
    assert PaperForm.objects.filter(order__in=orders).count() == sum(
        h.paper_form for h in HELPED_HOUSEHOLDS
    )
    assert all(c.sms_confirmation and c.sms_reminder for c in helped)
    assert set(orders.values_list("placed_by", flat=True)) == {relay.pk}
    client.force_login(relay)
    page = client.get("/help/").content.decode()
    assert all(h.full_name in page for h in HELPED_HOUSEHOLDS)


def test_a_food_aid_programme_credits_its_households_this_month(demo_world):
    programme = AllocationProgramme.objects.get(name=FOOD_AID.name)
    enrolled = Customer.objects.filter(allocation_enrolments__programme=programme)
    assert enrolled.count() == len(FOOD_AID.helped) + len(FOOD_AID.accounts)
    credits = BalanceEntry.objects.filter(kind="allocation", customer__in=enrolled)
    assert credits.count() == enrolled.count()
    assert {entry.amount for entry in credits} == {FOOD_AID.monthly_amount}
    assert EligibleProduct.objects.filter(hub=programme.hub).exists()


def test_lille_sud_has_solidarity_prices_and_a_fund_that_adds_up(demo_world):
    hub = Hub.objects.get(slug="lille-sud")
    assert hub.solidarity.enabled
    cycle = OrderCycle.objects.get(hub=hub, name=OPEN_CYCLE)
    tiers = set(cycle.orders.live().values_list("price_tier", flat=True))
    assert {"upper", "lower"} <= tiers
    fund = SolidarityEntry.objects.filter(hub=hub).aggregate(total=Sum("amount"))["total"]
    # Each line's difference (what it paid less its full price) is in the fund, no more.
    lines = OrderLine.objects.filter(order__cycle__hub=hub, order__status="placed")
    assert fund == sum((line.final_total - line.full_final_total for line in lines), Decimal(0))
    assert fund != 0
