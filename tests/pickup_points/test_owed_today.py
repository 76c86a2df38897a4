"""What a household owes at the pickup point today: its order after its credit, plus its
debt (orders.billing.dues, orders.billing.counter), on the volunteers' page, the manager's
payment page and the printed list."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from orders import ledger
from orders.billing import counter, dues
from orders.checkout.services import paid_amount, place_order
from orders.ledger import BillingError
from orders.models import BalanceEntry, Order, Payment
from orders.planning.cycles import cycle_orders
from pickup_points import documents
from tests import factories

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def order(cycle, slot, offers):
    """A loaf (4.80 €), to pay at pickup; the cycle has closed."""
    made = place_order(
        cycle=cycle, slot=slot, items={offers["bread"].pk: 1}, email="camille@example.org",
        full_name="Camille Foyer", notify=False,
    )  # fmt: skip
    cycle.closes_at = timezone.now() - timedelta(minutes=1)
    cycle.save(update_fields=["closes_at"])
    return made


def seed(order, amount, key="seed"):
    """The household's balance before today: + credit, − debt."""
    ledger.add_entry(
        customer=order.customer, kind="manual", amount=D(amount), key=key, reason="cahier"
    )


def balance(order) -> Decimal:
    order.customer.refresh_from_db()
    assert ledger.recount(order.customer.hub) == []
    return order.customer.balance


def kinds(payment):
    return sorted((e.kind, e.amount) for e in BalanceEntry.objects.filter(payment=payment))


# What is owed, and how money received is shared


@pytest.mark.parametrize(
    ("left", "balance_", "received", "today", "shared"),
    [
        # order left, balance, received → owed today, (credit used, order, debt, change)
        ("19.40", "0", "20", "19.40", ("0", "19.40", "0", "0.60")),
        ("19.40", "-2.40", "22", "21.80", ("0", "19.40", "2.40", "0.20")),
        ("19.40", "5", "14.40", "14.40", ("5", "14.40", "0", "0")),
        ("19.40", "30", "1", "0", ("19.40", "0", "0", "1")),
        ("0", "-3.10", "3.10", "3.10", ("0", "0", "3.10", "0")),
        ("19.40", "-2.40", "10", "21.80", ("0", "10", "0", "0")),
    ],
)
def test_money_pays_the_order_after_the_credit_then_the_debt_then_is_change(
    left, balance_, received, today, shared
):
    owed = dues.Owed(order_left=D(left), balance=D(balance_))
    assert owed.today == D(today)
    assert owed.share(D(received)) == dues.Shared(*map(D, shared))


def test_a_card_orders_price_is_not_owed_at_the_pickup_point(order):
    Order.objects.filter(pk=order.pk).update(payment_method=Order.PaymentMethod.CARD)
    order.refresh_from_db()
    owed = dues.owed(order, paid=D("0"), balance=D("-1.20"))
    assert (owed.order_left, owed.card_left, owed.today) == (D("0"), order.total, D("1.20"))


# The counter


def test_a_debt_is_paid_with_the_order_and_the_change_kept(order):
    seed(order, "-2.40")  # last week's heavier chicken
    payment, entries = counter.record_payment(
        order=order, method="cash", amount="8", by=None, keep_change=True
    )
    assert payment.amount == D("8.00")
    assert kinds(payment) == [("overpayment", D("0.80")), ("settled", D("2.40"))]
    assert balance(order) == D("0.80")
    assert paid_amount(order) == order.total == D("4.80")


def test_more_than_owed_today_without_keeping_the_change_is_refused(order):
    seed(order, "-2.40")
    with pytest.raises(BillingError, match="7,20\u00a0€ dus aujourd’hui"):
        counter.record_payment(order=order, method="cash", amount="8", by=None)
    assert not Payment.objects.exists() and balance(order) == D("-2.40")

    counter.record_payment(order=order, method="cash", amount="7,20", by=None)
    assert balance(order) == 0 and paid_amount(order) == order.total


def test_credit_pays_part_of_the_order_and_the_rest_is_received(order):
    seed(order, "3")
    assert counter.owed_today(order).today == D("1.80")
    payment, _ = counter.record_payment(order=order, method="cash", amount="1.80", by=None)
    assert kinds(payment) == [("credit_used", D("-3.00"))]
    assert balance(order) == 0 and paid_amount(order) == D("4.80")
    assert counter.owed_today(order).today == 0


def test_credit_that_covers_the_order_pays_it_in_one_tap_once(order):
    seed(order, "10")
    entry = counter.pay_with_credit(order=order, by=None)
    assert (entry.kind, entry.amount, entry.order) == ("credit_used", D("-4.80"), order)
    assert counter.pay_with_credit(order=order, by=None) is None  # a second tap
    assert balance(order) == D("5.20") and paid_amount(order) == order.total


def test_cancelling_a_payment_adds_each_of_its_entries_the_other_way(order):
    seed(order, "-2.40")
    seed(order, "1", key="seed-2")  # balance −1.40
    payment, _ = counter.record_payment(
        order=order, method="cash", amount="10", by=None, keep_change=True
    )
    assert balance(order) == D("3.80")
    counter.cancel_payment(payment=payment, by=None)
    counter.cancel_payment(payment=payment, by=None)  # a second tap changes nothing
    assert balance(order) == D("-1.40") and paid_amount(order) == 0
    assert sum(e.amount for e in BalanceEntry.objects.filter(payment=payment)) == 0


def test_a_card_orders_debt_is_paid_in_cash_without_touching_what_the_card_paid(order):
    Order.objects.filter(pk=order.pk).update(payment_method=Order.PaymentMethod.CARD)
    order.refresh_from_db()
    Payment.objects.create(
        order=order, method="card", amount=order.total, status=Payment.Status.SUCCEEDED
    )
    with pytest.raises(BillingError, match="payée par carte"):
        counter.record_payment(order=order, method="cash", amount="1", by=None)

    seed(order, "-1.10")
    counter.record_payment(order=order, method="cash", amount="1.10", by=None)
    assert balance(order) == 0
    # What the order itself is paid is still the card's: nothing to refund to it.
    assert paid_amount(order) == order.total
    (row,) = cycle_orders(order.cycle)
    assert row.paid == order.total


def test_the_cycle_list_counts_credit_and_change_as_the_order_page_does(order):
    seed(order, "2")
    counter.record_payment(order=order, method="cash", amount="5", by=None, keep_change=True)
    (row,) = cycle_orders(order.cycle)
    assert row.paid == paid_amount(order) == order.total


# The pages


def test_the_volunteers_row_shows_what_is_owed_today_and_takes_it(
    client, volunteer, pickup_point, cycle, order
):
    seed(order, "-2.40")
    client.force_login(volunteer)
    url = reverse("pickup_points:distribution", args=[pickup_point.slug, cycle.pk])
    html = client.get(url).content.decode()
    assert "7,20\u00a0€ à payer aujourd’hui" in html
    assert "dont 2,40\u00a0€ dus sur le solde" in html
    assert 'value="7,20"' in html

    pay = reverse("pickup_points:payment", args=[pickup_point.slug, cycle.pk, order.pk])
    response = client.post(pay, {"method": "cash", "amount": "7,20"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "payé 4,80\u00a0€" in response.content.decode()
    assert balance(order) == 0


def test_the_volunteer_pays_with_credit_in_one_tap(
    client, volunteer, other_volunteer_elsewhere, pickup_point, cycle, order
):
    seed(order, "6")
    url = reverse("pickup_points:pay_with_credit", args=[pickup_point.slug, cycle.pk, order.pk])

    client.force_login(other_volunteer_elsewhere)
    assert client.post(url).status_code == 404
    client.logout()
    assert client.post(url).status_code == 302  # to the log-in page
    assert balance(order) == D("6")

    client.force_login(volunteer)
    html = client.get(
        reverse("pickup_points:distribution", args=[pickup_point.slug, cycle.pk])
    ).content.decode()
    assert "son avoir couvre 4,80\u00a0€" in html and "Payer avec son avoir" in html
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Payer avec son avoir" not in response.content.decode()
    assert balance(order) == D("1.20")
    assert client.get(url).status_code == 405


def test_the_managers_payment_page_says_what_is_owed_today(client, manager, hub, cycle, order):
    seed(order, "-2.40")
    client.force_login(manager)
    page = client.get(reverse("cycles:record_payment", args=[hub.slug, cycle.pk, order.pk]))
    assert page.context["form"].initial["amount"] == D("7.20")
    assert "À payer aujourd’hui : 7,20\u00a0€" in page.content.decode()


def test_the_printed_list_asks_for_what_is_owed_today(pickup_point, cycle, order):
    seed(order, "-2.40")
    doc = documents.distribution_list(pickup_point, cycle)
    assert doc.total_due == D("7.20")
    csv = documents.distribution_list_csv(pickup_point, cycle, doc=doc).decode("utf-8-sig")
    assert csv.splitlines()[1].endswith(";4,80;0,00;7,20;;")
    text = (
        PdfReader(io.BytesIO(documents.distribution_list_pdf(pickup_point, cycle, doc=doc)))
        .pages[0]
        .extract_text()
    )
    assert "7,20" in text and "dont 2,40" in text


@pytest.fixture
def other_volunteer_elsewhere(hub):
    elsewhere = factories.PickupPointFactory(name="Maison de quartier", slug="maison-quartier")
    elsewhere.hubs.add(hub)
    user = factories.UserFactory(email="ailleurs@example.org", full_name="Léa Ailleurs")
    factories.PickupPointMembershipFactory(pickup_point=elsewhere, user=user)
    return user
