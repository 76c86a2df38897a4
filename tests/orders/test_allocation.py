"""Food allocation programmes (orders.allocations, orders.ledger's purses): households
enrolled are credited once a month, the aid is spent at the hub only, restricted aid only
on eligible products, never paid out, and reported to the funder under pseudonyms."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone, translation
from huey.contrib.djhuey import HUEY

import orders.tasks  # noqa: F401 (what the worker loads: its periodic tasks)
from orders import ledger
from orders.allocations import selectors, services
from orders.billing import counter, reconciliation, refunds
from orders.checkout.services import cancel_order, place_order, update_order
from orders.models import (
    AllocationProgramme,
    AllocationPurse,
    BalanceEntry,
    Customer,
    EligibleProduct,
    Enrolment,
    OrderCycle,
    Payment,
    PurseMovement,
)
from pickup_points.selectors import households
from producers.templatetags.money import month
from tests import bad_input, factories
from tests.orders.test_refunds import (  # noqa: F401 (fixtures)
    _no_network,
    chicken_offer,
    fake_stripe,
    lighter,
    paid_order,
    refund_hub,
)

pytestmark = pytest.mark.django_db

D = Decimal


def month_after(month: date, months: int = 1) -> date:
    total = month.year * 12 + month.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


THIS_MONTH = services.this_month()


@pytest.fixture
def customer(hub, household):
    return Customer.objects.create(
        hub=hub, user=household, email=household.email, full_name=household.full_name,
        phone="+33612345678",
    )  # fmt: skip


@pytest.fixture
def no_account(hub):
    """A household with neither account nor e-mail (a relay orders for it)."""
    return Customer.objects.create(hub=hub, full_name="Mme Dupont", phone="+33320000000")


def new_programme(hub, manager=None, *, restricted=True, amount="20.00", **fields):
    return services.create_programme(
        hub=hub, name=fields.pop("name", "Caisse alimentaire de Fives"),
        funder="Ville de Lille", monthly_amount=D(amount), first_month=THIS_MONTH,
        last_month=month_after(THIS_MONTH, 11), eligible_only=restricted, by=manager, **fields,
    )  # fmt: skip


@pytest.fixture
def eligible(hub, offers):
    """Carrots and apples are eligible at the hub; bread is not."""
    for name in ("carrots", "apples"):
        EligibleProduct.objects.create(hub=hub, product=offers[name].variant.product)


def credited(customer, programme, manager=None):
    services.enrol(programme=programme, customer=customer, by=manager)
    services.credit_month(programme=programme)
    customer.refresh_from_db()
    return AllocationPurse.objects.get(programme=programme, customer=customer)


def purse_of(customer, programme=None) -> AllocationPurse:
    purses = AllocationPurse.objects.filter(customer=customer)
    if programme is not None:
        purses = purses.filter(programme=programme)
    return purses.get()


def assert_purses_add_up():
    """Each purse holds the sum of its movements, and every balance its entries."""
    assert ledger.recount() == []
    for purse in AllocationPurse.objects.annotate(moved=Sum("movements__amount")):
        assert purse.left == D(purse.moved or 0).quantize(D("0.01")) >= 0, purse


def order(cycle, slot, offers, household, **items):
    return place_order(
        cycle=cycle, slot=slot, items={offers[name].pk: qty for name, qty in items.items()},
        email=household.email, full_name=household.full_name, user=household, notify=False,
    )  # fmt: skip


# 1. Programmes and enrolments


def test_a_programme_enrols_households_with_or_without_an_account(
    hub, manager, customer, no_account
):
    programme = new_programme(hub, manager)
    first = services.enrol(programme=programme, customer=customer, by=manager)
    second = services.enrol(programme=programme, customer=no_account, by=manager)

    assert (first.enrolled_by, first.withdrawn_at) == (manager, None)
    assert [str(purse.pseudonym) for purse in programme.purses.all()] == ["Foyer 01", "Foyer 02"]
    # Enrolling again while enrolled changes nothing.
    assert services.enrol(programme=programme, customer=customer, by=manager) == first
    # Withdrawn, then enrolled again: dated, by whom, and the same pseudonym.
    services.withdraw(enrolment=first, by=manager)
    first.refresh_from_db()
    assert first.withdrawn_by == manager and first.withdrawn_at is not None
    again = services.enrol(programme=programme, customer=customer, by=manager)
    assert again != first and Enrolment.objects.filter(customer=customer).count() == 2
    assert purse_of(customer).number == 1 and purse_of(no_account).number == 2
    assert second.customer == no_account


def test_a_household_of_another_hub_cannot_be_enrolled(hub, manager):
    programme = new_programme(hub, manager)
    stranger = Customer.objects.create(hub=factories.HubFactory(slug="roubaix"), full_name="Loin")
    with pytest.raises(services.AllocationError, match="pas client du drive"):
        services.enrol(programme=programme, customer=stranger, by=manager)
    assert not Enrolment.objects.exists() and not AllocationPurse.objects.exists()


# 2. Crediting each month, once


def test_each_enrolled_household_is_credited_once_a_month(hub, manager, customer, no_account):
    programme = new_programme(hub, manager)
    for household in (customer, no_account):
        services.enrol(programme=programme, customer=household, by=manager)

    assert len(services.credit_month(programme=programme, by=manager)) == 2
    # Run again: by the button, by the worker, by the worker's task, next hour.
    assert services.credit_month(programme=programme, by=manager) == []
    assert services.credit_due_months() == 0
    services.credit_allocations.call_local()

    entries = BalanceEntry.objects.filter(kind="allocation")
    assert sorted(entries.values_list("key", flat=True)) == sorted(
        f"allocation:{programme.pk}:{c.pk}:{THIS_MONTH:%Y-%m}" for c in (customer, no_account)
    )
    for household in (customer, no_account):
        household.refresh_from_db()
        assert household.balance == D("20.00") == purse_of(household).left
    assert_purses_add_up()


def test_next_month_credits_again_and_unused_aid_is_carried_over(hub, manager, customer):
    programme = new_programme(hub, manager)
    credited(customer, programme)
    services.credit_month(programme=programme, month=month_after(THIS_MONTH))
    customer.refresh_from_db()
    assert customer.balance == D("40.00") == purse_of(customer).left


def test_a_run_killed_half_way_credits_the_rest_once(
    hub, manager, customer, no_account, monkeypatch
):
    programme = new_programme(hub, manager)
    for household in (customer, no_account):
        services.enrol(programme=programme, customer=household, by=manager)
    real = ledger.credit_allocation
    calls = []

    def killed_at_the_second(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise SystemExit("worker killed")
        return real(**kwargs)

    monkeypatch.setattr(ledger, "credit_allocation", killed_at_the_second)
    with pytest.raises(SystemExit):
        services.credit_month(programme=programme)
    assert BalanceEntry.objects.filter(kind="allocation").count() == 1
    monkeypatch.setattr(ledger, "credit_allocation", real)

    assert len(services.credit_month(programme=programme)) == 1
    assert BalanceEntry.objects.filter(kind="allocation").count() == 2
    assert PurseMovement.objects.count() == 2
    assert_purses_add_up()


def test_a_credit_half_written_is_not_written_at_all(hub, manager, customer, monkeypatch):
    """The entry, the balance and the purse move in one transaction: a failure between
    them leaves none of them moved, and the next run credits the household."""
    programme = new_programme(hub, manager)
    services.enrol(programme=programme, customer=customer, by=manager)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patched:
        patched.setattr(PurseMovement.objects, "bulk_create", broken)
        with pytest.raises(RuntimeError):
            services.credit_month(programme=programme)
    customer.refresh_from_db()
    assert not BalanceEntry.objects.exists() and customer.balance == 0
    assert purse_of(customer).left == 0

    services.credit_month(programme=programme)
    customer.refresh_from_db()
    assert customer.balance == D("20.00") == purse_of(customer).left


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent workers are tested"
)
@pytest.mark.django_db(transaction=True)
def test_workers_and_managers_crediting_at_the_same_instant_credit_once(hub, manager):
    programme = new_programme(hub, manager)
    households = [Customer.objects.create(hub=hub, full_name=f"Foyer {n}") for n in range(5)]
    for household in households:
        services.enrol(programme=programme, customer=household, by=manager)
    barrier = threading.Barrier(6)

    def work(n):
        try:
            barrier.wait(timeout=30)
            if n % 2:
                services.credit_due_months()
            else:
                services.credit_month(programme=programme, by=manager)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(work, range(6)))
    assert BalanceEntry.objects.filter(kind="allocation").count() == 5
    assert PurseMovement.objects.count() == 5
    for household in households:
        household.refresh_from_db()
        assert household.balance == D("20.00")
    assert_purses_add_up()


def test_a_withdrawn_household_is_not_credited_and_keeps_what_is_left(hub, manager, customer):
    programme = new_programme(hub, manager)
    credited(customer, programme)
    services.withdraw(enrolment=Enrolment.objects.get(customer=customer), by=manager)
    assert services.credit_month(programme=programme, month=month_after(THIS_MONTH)) == []
    customer.refresh_from_db()
    assert customer.balance == D("20.00") == purse_of(customer).left


def test_a_month_outside_the_programme_is_refused(hub, manager, customer):
    programme = new_programme(hub, manager)
    services.enrol(programme=programme, customer=customer, by=manager)
    with pytest.raises(services.AllocationError, match="ne couvre pas"):
        services.credit_month(programme=programme, month=month_after(THIS_MONTH, 12))
    assert not BalanceEntry.objects.exists()


def test_the_worker_credits_every_hour():
    def due(minute):
        moment = timezone.now().replace(minute=minute)
        return [task.name for task in HUEY.read_periodic(moment) if "allocation" in task.name]

    assert due(7) == ["credit_allocations"]
    assert due(8) == []


def test_purse_movements_are_never_changed(hub, manager, customer):
    credited(customer, new_programme(hub, manager))
    movement = PurseMovement.objects.get()
    with pytest.raises(TypeError):
        movement.save()
    with pytest.raises(TypeError):
        movement.delete()


# 3. Spending: at checkout


def test_restricted_aid_does_not_pay_products_that_are_not_eligible(
    hub, manager, customer, household, cycle, slot, offers, eligible
):
    credited(customer, new_programme(hub, manager))
    bread = order(cycle, slot, offers, household, bread=1)  # 4.80 €, not eligible

    assert ledger.credit_used(bread) == 0
    customer.refresh_from_db()
    assert customer.balance == D("20.00") == purse_of(customer).left


def test_restricted_aid_pays_the_eligible_lines_and_own_credit_the_rest(
    hub, manager, customer, household, cycle, slot, offers, eligible
):
    ledger.add_entry(customer=customer, kind="manual", amount=D("3.00"), key="own", reason="x")
    credited(customer, new_programme(hub, manager))
    # Carrots 2 × 2.40 (eligible) + bread 4.80 (not): the aid pays 4.80, own credit 3.00.
    placed = order(cycle, slot, offers, household, carrots=2, bread=1)
    assert ledger.credit_used(placed) == D("7.80")
    assert purse_of(customer).left == D("15.20")
    customer.refresh_from_db()
    assert customer.balance == D("15.20")

    # The carrots removed: the aid goes back to the purse; own credit paid already.
    update_order(order=placed, items={offers["bread"].pk: 1})
    assert ledger.credit_used(placed) == D("3.00")
    assert purse_of(customer).left == D("20.00")

    # More carrots: the aid pays them again.
    update_order(order=placed, items={offers["bread"].pk: 1, offers["carrots"].pk: 1})
    assert ledger.credit_used(placed) == D("5.40")
    assert purse_of(customer).left == D("17.60")

    # Cancelled: everything back, the aid to its purse.
    cancel_order(order=placed)
    assert ledger.credit_used(placed) == 0
    customer.refresh_from_db()
    assert customer.balance == D("23.00") and purse_of(customer).left == D("20.00")
    assert_purses_add_up()


def test_the_aid_swapped_for_own_credit_when_eligible_lines_go(
    hub, manager, customer, household, cycle, slot, offers, eligible
):
    credited(customer, new_programme(hub, manager))
    placed = order(cycle, slot, offers, household, carrots=2)  # 4.80 € of aid
    ledger.add_entry(customer=customer, kind="manual", amount=D("10.00"), key="own", reason="x")
    # Carrots swapped for bread, same price: own credit pays the bread, the aid goes back.
    update_order(order=placed, items={offers["bread"].pk: 1})
    assert ledger.credit_used(placed) == D("4.80")
    assert purse_of(customer).left == D("20.00")
    customer.refresh_from_db()
    assert customer.balance == D("25.20")
    assert_purses_add_up()


def test_unrestricted_aid_pays_any_product(hub, manager, customer, household, cycle, slot, offers):
    credited(customer, new_programme(hub, manager, restricted=False))
    placed = order(cycle, slot, offers, household, bread=2)
    assert ledger.credit_used(placed) == D("9.60") and purse_of(customer).left == D("10.40")


def test_the_aid_is_spent_at_its_hub_only(hub, manager, customer, household, offers):
    credited(customer, new_programme(hub, manager, restricted=False))
    other = factories.HubFactory(slug="roubaix")
    other_cycle = factories.OrderCycleFactory(hub=other)
    other_slot = factories.PickupSlotFactory(
        cycle_pickup=factories.CyclePickupPointFactory(
            cycle=other_cycle, pickup_point=factories.PickupPointFactory(owner_hub=other)
        )
    )
    offer = factories.OfferFactory(cycle=other_cycle, variant=offers["bread"].variant)
    elsewhere = place_order(
        cycle=other_cycle, slot=other_slot, items={offer.pk: 1}, email=household.email,
        full_name=household.full_name, user=household, notify=False,
    )  # fmt: skip
    assert ledger.credit_used(elsewhere) == 0 and purse_of(customer).left == D("20.00")


# 3. Spending: at the counter


def close(cycle):
    OrderCycle.objects.filter(pk=cycle.pk).update(
        opens_at=timezone.now() - timedelta(days=3), closes_at=timezone.now() - timedelta(hours=1)
    )


@pytest.fixture
def at_pickup(hub, manager, customer, household, cycle, slot, offers, eligible):
    """Carrots (4.80, eligible) and bread (4.80, not), placed before the aid came (so
    unpaid), to pay at the pickup point; then 20.00 € of restricted aid."""
    placed = order(cycle, slot, offers, household, carrots=2, bread=1)
    credited(customer, new_programme(hub, manager))
    close(cycle)
    return placed


def test_at_the_counter_the_aid_pays_only_the_eligible_lines(at_pickup, customer):
    owed = counter.owed_today(at_pickup)
    assert (owed.credit_used, owed.today) == (D("4.80"), D("4.80"))

    entry = counter.pay_with_credit(order=at_pickup, by=None)
    assert entry.amount == D("-4.80") and purse_of(customer).left == D("15.20")
    # Tapped again: nothing more (the bread is not eligible).
    assert counter.pay_with_credit(order=at_pickup, by=None) is None
    assert counter.owed_today(at_pickup).today == D("4.80")
    assert_purses_add_up()


def test_cash_at_the_counter_pays_what_the_aid_may_not(at_pickup, customer):
    payment, entries = counter.record_payment(
        order=at_pickup, method="cash", amount="4.80", by=None
    )
    assert {e.kind: e.amount for e in entries} == {"credit_used": D("-4.80")}
    assert purse_of(customer).left == D("15.20")
    assert counter.owed_today(at_pickup).today == 0

    # The payment cancelled (a wrong tap): the aid is back in its purse.
    counter.cancel_payment(payment=payment, by=None)
    assert purse_of(customer).left == D("20.00")
    customer.refresh_from_db()
    assert customer.balance == D("20.00")
    assert_purses_add_up()


# 3. Never paid out


def test_a_manager_cannot_refund_the_aid_to_a_card(hub, manager, customer, fake_stripe):  # noqa: F811
    hub.accepts_card_payments = True
    hub.save()
    top_up = Payment.objects.create(
        customer=customer, method="card", kind="payment", amount=D("5.00"),
        status="succeeded", stripe_payment_intent="pi_topup", key="top-up:test",
    )  # fmt: skip
    ledger.add_entry(
        customer=customer, kind="top_up", amount=D("5.00"), key="top_up:pi_topup", payment=top_up
    )
    credited(customer, new_programme(hub, manager))
    assert ledger.own_credit(customer) == D("5.00")
    before = (Payment.objects.count(), BalanceEntry.objects.count())

    with pytest.raises(refunds.RefundError, match="aide alimentaire n’est jamais remboursée"):
        refunds.refund_balance(
            customer=customer, amount=D("6.00"), reason="déménage", token=uuid.uuid4().hex,
            by=manager,
        )  # fmt: skip
    assert (Payment.objects.count(), BalanceEntry.objects.count()) == before

    refunds.refund_balance(
        customer=customer, amount=D("5.00"), reason="déménage", token=uuid.uuid4().hex,
        by=manager,
    )  # fmt: skip
    customer.refresh_from_db()
    assert customer.balance == D("20.00") == purse_of(customer).left
    assert_purses_add_up()


def test_money_owed_back_to_a_card_is_refunded_from_own_credit_only(
    hub,
    manager,
    paid_order,  # noqa: F811
    fake_stripe,  # noqa: F811
):
    customer = paid_order.customer
    credited(customer, new_programme(hub, manager, restricted=False))
    ledger.add_entry(customer=customer, kind="manual", amount=D("-4.00"), key="debt", reason="x")
    lighter(paid_order)  # 6.00 € owed back: the balance is 22.00, 20.00 of it food aid

    [row] = refunds.refund_order(paid_order)
    assert row.amount == D("2.00")
    customer.refresh_from_db()
    assert customer.balance == D("20.00") == purse_of(customer).left
    assert_purses_add_up()


# 3. The household's balance page


def test_the_balance_page_says_how_much_is_food_aid(client, hub, manager, customer, household):
    credited(customer, new_programme(hub, manager))
    client.force_login(household)
    page = client.get(reverse("balance:mine", args=[hub.slug])).content.decode()
    assert (
        "dont 20,00\u00a0€ d’aide alimentaire, utilisable sur les produits marqués"
        in page.replace("&nbsp;", "\u00a0")
    )


# 4. The funder's report


def test_the_report_counts_credited_and_spent_per_month_and_household_under_pseudonyms(
    client, hub, manager, customer, no_account, household, cycle, slot, offers, eligible,
    django_assert_max_num_queries,
):  # fmt: skip
    programme = new_programme(hub, manager)
    services.enrol(programme=programme, customer=customer, by=manager)
    services.enrol(programme=programme, customer=no_account, by=manager)
    services.credit_month(programme=programme)
    order(cycle, slot, offers, household, carrots=2, bread=1)  # 4.80 € of aid spent
    services.credit_month(programme=programme, month=month_after(THIS_MONTH))
    # Thirty more households: the page's queries do not grow with them.
    for n in range(30):
        more = Customer.objects.create(hub=hub, full_name=f"Foyer caché {n}", email=f"c{n}@x.org")
        services.enrol(programme=programme, customer=more, by=manager)
    services.credit_month(programme=programme, month=month_after(THIS_MONTH, 2))

    report = selectors.report(programme)
    assert [(row.month, row.credited, row.spent) for row in report.months] == [
        (THIS_MONTH, D("40.00"), D("4.80")),
        (month_after(THIS_MONTH), D("40.00"), 0),
        (month_after(THIS_MONTH, 2), D("640.00"), 0),
    ]
    assert (report.households[0].household, report.households[0].spent) == ("Foyer 01", D("4.80"))
    assert (report.credited, report.spent, report.left) == (D("720.00"), D("4.80"), D("715.20"))

    client.force_login(manager)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("allocations:report", args=[hub.slug, programme.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "Foyer 32" in html
    csv = client.get(reverse("allocations:report_csv", args=[hub.slug, programme.pk]))
    text = csv.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "Mois;Foyer;Versé (€);Dépensé (€)"
    assert f"{THIS_MONTH:%Y-%m};Foyer 01;20,00;4,80" in text.splitlines()
    for private in ("Camille", "Dupont", "Foyer caché", "@", "+33", "06 12"):
        assert private not in text, private
        assert private not in html.split("<main")[-1], private


def test_the_allocation_pages_are_for_the_hubs_managers_only(
    client, hub, manager, other_hub_manager, household, customer
):
    programme = new_programme(hub, manager)
    enrolment = services.enrol(programme=programme, customer=customer, by=manager)
    gets = [
        reverse("allocations:programmes", args=[hub.slug]),
        reverse("allocations:eligible", args=[hub.slug]),
        reverse("allocations:programme", args=[hub.slug, programme.pk]),
        reverse("allocations:report", args=[hub.slug, programme.pk]),
        reverse("allocations:report_csv", args=[hub.slug, programme.pk]),
    ]
    posts = [
        reverse("allocations:credit", args=[hub.slug, programme.pk]),
        reverse("allocations:withdraw", args=[hub.slug, programme.pk, enrolment.pk]),
    ]
    for url in gets + posts:
        assert client.get(url).status_code == 302, url
    for user in (household, other_hub_manager):
        client.force_login(user)
        for url in gets + posts:
            response = client.post(url) if url in posts else client.get(url)
            assert response.status_code == 404, (user, url)
    assert not BalanceEntry.objects.exists()
    enrolment.refresh_from_db()
    assert enrolment.withdrawn_at is None
    client.force_login(manager)
    for url in gets:
        assert client.get(url).status_code == 200, url


# The managers' pages and their forms


def programme_form(**fields):
    return {
        "name": "Caisse de Fives", "funder": "CCAS de Lille", "monthly_amount": "25,00",
        "first_month": f"{THIS_MONTH:%Y-%m}", "last_month": f"{month_after(THIS_MONTH, 5):%Y-%m}",
        "eligible_only": "on",
    } | fields  # fmt: skip


def test_a_manager_creates_a_programme_enrols_and_credits_by_hand(
    client, hub, manager, customer, no_account
):
    client.force_login(manager)
    response = client.post(reverse("allocations:programmes", args=[hub.slug]), programme_form())
    programme = AllocationProgramme.objects.get()
    assert response.status_code == 302
    assert (programme.monthly_amount, programme.eligible_only, programme.created_by) == (
        D("25.00"), True, manager,
    )  # fmt: skip
    url = reverse("allocations:programme", args=[hub.slug, programme.pk])
    page = client.get(url).content.decode()
    assert "Mme Dupont" in page  # the hub's households to choose from
    assert client.post(url, {"customer": no_account.pk}).status_code == 302
    assert Enrolment.objects.get().enrolled_by == manager

    credit_url = reverse("allocations:credit", args=[hub.slug, programme.pk])
    client.post(credit_url)
    client.post(credit_url)  # a double tap
    no_account.refresh_from_db()
    assert no_account.balance == D("25.00")
    assert BalanceEntry.objects.get().by == manager

    withdraw_url = reverse(
        "allocations:withdraw", args=[hub.slug, programme.pk, Enrolment.objects.get().pk]
    )
    assert client.post(withdraw_url).status_code == 302
    assert Enrolment.objects.get().withdrawn_by == manager


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("monthly_amount", "-5", "supérieure ou égale à 0.01"),
        ("monthly_amount", "0", "supérieure ou égale à 0.01"),
        *[("monthly_amount", value, "") for value in bad_input.NOT_NUMBERS],
        ("first_month", "2026-13", "Saisissez un mois"),
        ("first_month", "13/2026", "Saisissez un mois"),
        ("first_month", "1999-01", "entre 2000 et 2099"),
        ("first_month", "٢٠٢٦-٠١", "Saisissez un mois"),
        ("last_month", f"{month_after(THIS_MONTH, -1):%Y-%m}", "avant le premier"),
        ("name", "", "Ce champ est obligatoire"),
        ("name", "x" * 200, "150 caractères"),
        ("name", "abc\x00def", "caractère NUL"),
        ("funder", "   ", "Ce champ est obligatoire"),
    ],
)
def test_a_bad_programme_is_refused_clearly_and_nothing_written(
    client, hub, manager, field, value, message
):
    client.force_login(manager)
    response = client.post(
        reverse("allocations:programmes", args=[hub.slug]), programme_form(**{field: value})
    )
    assert response.status_code == 400
    assert message in response.content.decode().replace("\u202f", " ").replace("\xa0", " ")
    assert not AllocationProgramme.objects.exists()


def test_bad_households_and_products_are_refused(client, hub, manager, customer, offers):
    programme = new_programme(hub, manager)
    stranger = Customer.objects.create(hub=factories.HubFactory(slug="roubaix"), full_name="Loin")
    foreign = factories.VariantFactory(product__producer=factories.ProducerFactory()).product
    client.force_login(manager)
    url = reverse("allocations:programme", args=[hub.slug, programme.pk])
    for value in [stranger.pk, "", "abc", *bad_input.HUGE_IDS, *bad_input.UNICODE_DIGITS]:
        assert client.post(url, {"customer": value}).status_code == 400, value
    assert not Enrolment.objects.exists()

    url = reverse("allocations:eligible", args=[hub.slug])
    for value in [foreign.pk, "abc", *bad_input.HUGE_IDS, "1\x00"]:
        assert client.post(url, {"products": [value]}).status_code == 400, value
    assert not EligibleProduct.objects.exists()
    response = client.post(url, {"products": [offers["carrots"].variant.product.pk]})
    assert response.status_code == 302
    assert list(EligibleProduct.objects.values_list("product", flat=True)) == [
        offers["carrots"].variant.product.pk
    ]


def test_a_programme_of_another_hub_is_not_found(client, hub, manager, other_hub_manager):
    programme = new_programme(hub, manager)
    other = factories.HubFactory(slug="tourcoing")
    factories.HubMembershipFactory(hub=other, user=manager)
    client.force_login(manager)
    url = reverse("allocations:programme", args=[other.slug, programme.pk])
    assert client.get(url).status_code == 404


# 5. Every euro accounted for


def test_the_period_report_counts_the_aid_as_money_from_the_funder(
    client, hub, manager, customer, household, cycle, slot, offers, eligible
):
    credited(customer, new_programme(hub, manager))
    placed = order(cycle, slot, offers, household, carrots=2, bread=1)
    close(cycle)
    counter.record_payment(order=placed, method="cash", amount="4.80", by=None)
    day = timezone.localdate()
    report = reconciliation.for_period(
        hub, timezone.now() - timedelta(days=1), timezone.now() + timedelta(days=1)
    )
    assert report.funded == D("20.00")
    assert report.sold == D("9.60") and report.received == {"cash": D("4.80")}
    assert report.difference == 0
    assert reconciliation.for_cycle(cycle).difference == 0

    client.force_login(manager)
    page = client.get(
        reverse("billing:period_report", args=[hub.slug]), {"start": day, "end": day}
    ).content.decode()
    assert "Plus : aide alimentaire versée par les financeurs" in page


def test_months_are_shown_one_way_in_each_language():
    with translation.override("fr"):
        assert month(date(2026, 12, 1)) == "décembre 2026"
    with translation.override("en"):
        assert month(date(2026, 12, 1)) == "December 2026"
    assert month(None) == ""


def test_the_volunteers_list_asks_what_the_aid_may_not_pay(
    at_pickup, customer, pickup_point, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        [row] = households(pickup_point, at_pickup.cycle)
        due = row.due
    # The aid pays the carrots only: the bread is asked for, as the counter will.
    assert due == counter.owed_today(at_pickup).today == D("4.80")
