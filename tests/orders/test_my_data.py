"""A household's own data: it downloads all of it, and deletes its account (its orders
stay for the hubs' accounts, anonymised)."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from foodhub.accounts.models import User
from orders import ledger
from orders.checkout import services
from orders.households import my_data
from orders.models import OpeningAlert, Order, OrderLine, WeeklyBasket
from tests import factories
from tests.factories import DEFAULT_PASSWORD


@pytest.fixture
def ordered(household, cycle, slot, offers, hub, pickup_point):
    order = services.place_order(
        cycle=cycle, slot=slot, items={offers["carrots"].pk: 2}, email=household.email,
        full_name="Camille Foyer", phone="06 12 34 56 78", note="Sonner fort",
        user=household, notify=False,
    )  # fmt: skip
    OpeningAlert.objects.create(user=household, hub=hub)
    basket = WeeklyBasket.objects.create(user=household, hub=hub, pickup_point=pickup_point)
    basket.lines.create(variant=offers["bread"].variant, quantity=1)
    return order


def test_the_download_holds_the_households_data_and_nobody_elses(
    client, household, ordered, cycle, slot, offers
):
    services.place_order(
        cycle=cycle, slot=slot, items={offers["apples"].pk: 1}, email="autre@example.org",
        full_name="Autre Foyer", notify=False,
    )  # fmt: skip
    client.force_login(household)
    response = client.get(reverse("orders:my_data_json"))
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["account"]["email"] == household.email
    [order] = data["orders"]
    assert order["number"] == ordered.number and order["phone"] == "06 12 34 56 78"
    assert order["lines"][0]["quantity"] == 2 and order["total"] == "4.80"
    assert data["weekly_baskets"][0]["lines"][0]["quantity"] == 1
    assert data["shop_opening_emails"] == ["Drive fermier de Lille"]
    assert "autre@example.org" not in response.content.decode()

    csv = client.get(reverse("orders:my_data_csv")).content.decode("utf-8-sig")
    assert ordered.number in csv and "Carottes" in csv and "Autre" not in csv


def test_the_download_holds_the_households_balance_and_its_entries(
    client, household, ordered, cycle
):
    ledger.add_entry(
        customer=ordered.customer, kind="manual", amount=Decimal("3.10"), key="k",
        reason="Monnaie rendue en trop",
    )  # fmt: skip
    OrderLine.objects.filter(order=ordered).update(delivered_quantity=1)
    client.force_login(household)
    data = json.loads(client.get(reverse("orders:my_data_json")).content)
    [customer] = data["customer_of"]
    assert customer["balance"] == "3.10"
    assert [(e["kind"], e["amount"], e["reason"]) for e in customer["balance_entries"]] == [
        ("manual", "3.10", "Monnaie rendue en trop")
    ]
    assert customer["card_payments"] == []
    [order] = data["orders"]
    line = order["lines"][0]
    assert (line["quantity"], line["quantity_delivered"], line["final_total"]) == (2, 1, "2.40")
    assert order["invoice"] is None and order["credit_notes"] == []


def test_the_data_pages_need_a_log_in(client):
    for name in ("my_data", "my_data_json", "my_data_csv"):
        response = client.get(reverse(f"orders:{name}"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(reverse("orders:delete_account")).status_code == 302
    assert client.get(reverse("orders:delete_account")).status_code in (302, 405)


def test_deleting_the_account_keeps_its_orders_anonymised(
    client, household, ordered, cycle, offers
):
    past = factories.OrderCycleFactory(hub=cycle.hub)
    client.force_login(household)
    response = client.post(
        reverse("orders:delete_account"), {"password": DEFAULT_PASSWORD, "confirm": "yes"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert not User.objects.filter(pk=household.pk).exists()
    order = Order.objects.get(pk=ordered.pk)
    # Its cycle was still open: cancelled, and the carrots went back.
    assert order.status == Order.Status.CANCELLED
    offers["carrots"].refresh_from_db()
    assert offers["carrots"].allocated == 0
    assert order.user is None and order.full_name != "Camille Foyer"
    assert order.email.endswith("@invalid.example") and order.phone == "" and order.note == ""
    assert order.total > 0 and order.lines.count() == 1  # the sale stays in the accounts
    assert not WeeklyBasket.objects.exists() and not OpeningAlert.objects.exists()
    assert past.pk  # other cycles untouched
    # Logged out.
    assert client.get(reverse("orders:my_orders")).status_code == 302


def test_an_order_of_a_closed_cycle_stays_placed_anonymised(household, ordered, cycle):
    with time_machine.travel(cycle.closes_at + timedelta(hours=1), tick=False):
        my_data.delete_account(user=household)
    order = Order.objects.get(pk=ordered.pk)
    assert order.status == Order.Status.PLACED and order.user is None
    assert order.full_name not in ("", "Camille Foyer")


def test_a_wrong_password_or_no_confirmation_deletes_nothing(client, household, ordered):
    client.force_login(household)
    client.post(reverse("orders:delete_account"), {"password": "wrong", "confirm": "yes"})
    client.post(reverse("orders:delete_account"), {"password": DEFAULT_PASSWORD})
    assert User.objects.filter(pk=household.pk).exists()
    order = Order.objects.get(pk=ordered.pk)
    assert order.user == household and order.status == Order.Status.PLACED
    page = client.get(reverse("orders:my_data")).content.decode()
    assert "mot de passe" in page.lower()


def test_a_hub_manager_must_hand_over_first(manager, hub):
    with pytest.raises(my_data.AccountError, match=hub.name):
        my_data.delete_account(user=manager)
    assert User.objects.filter(pk=manager.pk).exists()


def test_a_producer_member_must_hand_over_first(producer_member, producer):
    with pytest.raises(my_data.AccountError, match=producer.name):
        my_data.delete_account(user=producer_member)


def test_exported_dates_are_in_paris_time(household, ordered):
    data = json.loads(my_data.export_json(household))
    placed = data["orders"][0]["placed_at"]
    assert placed.endswith(("+01:00", "+02:00"))
    assert timezone.now().year == int(placed[:4])
