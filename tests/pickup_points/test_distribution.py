"""Distribution day: who may see a pickup point's list, and what a volunteer's taps do."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from foodhub.text import french_sort_key
from orders import ledger
from orders.checkout.services import cancel_order, place_order
from orders.models import Order, OrderEvent, Payment
from tests import factories

D = Decimal


@pytest.fixture
def other_volunteer(hub):
    elsewhere = factories.PickupPointFactory(name="Maison de quartier", slug="maison-quartier")
    elsewhere.hubs.add(hub)
    user = factories.UserFactory(email="ailleurs@example.org", full_name="Léa Ailleurs")
    factories.PickupPointMembershipFactory(pickup_point=elsewhere, user=user)
    return user


def order_for(cycle, slot, offers, name, email, **kwargs):
    return place_order(
        cycle=cycle,
        slot=slot,
        items={offers["bread"].pk: 2, offers["carrots"].pk: 1},
        email=email,
        full_name=name,
        notify=False,
        **kwargs,
    )


@pytest.fixture
def orders(cycle, slot, offers):
    """Four households; one cancelled order that must not show."""
    made = {
        name: order_for(cycle, slot, offers, name, f"{n}@example.org")
        for n, name in enumerate(["Fabien Martin", "élodie Durand", "Denis Petit", "Émile Zola"])
    }
    cancel_order(order=order_for(cycle, slot, offers, "Annulé Bis", "x@example.org"))
    close(cycle)
    return made


def close(cycle):
    """The cycle has closed: distribution day."""
    cycle.closes_at = timezone.now() - timedelta(minutes=1)
    cycle.save(update_fields=["closes_at"])


def distribution_url(point, cycle):
    return reverse("pickup_points:distribution", args=[point.slug, cycle.pk])


def test_french_order_ignores_accents_and_case():
    names = ["Fabien", "élodie", "Denis", "Émile", "Eve", "zoé", "Zoe"]
    assert sorted(names, key=french_sort_key) == [
        "Denis", "élodie", "Émile", "Eve", "Fabien", "Zoe", "zoé",
    ]  # fmt: skip


def test_the_list_shows_every_household_sorted_with_counts(
    client, volunteer, pickup_point, cycle, orders, django_assert_max_num_queries
):
    client.force_login(volunteer)
    with django_assert_max_num_queries(14):
        response = client.get(distribution_url(pickup_point, cycle))

    assert response.status_code == 200
    names = [row.order.full_name for row in response.context["rows"]]
    assert names == ["Denis Petit", "élodie Durand", "Émile Zola", "Fabien Martin"]
    assert response.context["counts"] == {"expected": 4, "collected": 0, "left": 4}
    html = response.content.decode()
    order = orders["Denis Petit"]
    assert order.number in html
    assert "3 articles" in html  # 2 loaves + 1 carrot bundle
    assert "Annulé Bis" not in html


def test_the_search_finds_by_name_or_number(client, volunteer, pickup_point, cycle, orders):
    client.force_login(volunteer)
    url = distribution_url(pickup_point, cycle)
    by_name = client.get(url, {"q": "zola"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="households")
    assert [row.order.full_name for row in by_name.context["rows"]] == ["Émile Zola"]
    without_accent = client.get(url, {"q": "emile"})
    assert [row.order.full_name for row in without_accent.context["rows"]] == ["Émile Zola"]
    with_accent = client.get(url, {"q": "ÉLODIE"})
    assert [row.order.full_name for row in with_accent.context["rows"]] == ["élodie Durand"]
    assert b"<h1>" not in by_name.content  # just the list, for htmx
    number = orders["Denis Petit"].number
    by_number = client.get(url, {"q": number})
    assert [row.order.number for row in by_number.context["rows"]] == [number]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("volunteer", 200),
        ("coordinator", 200),
        ("manager", 200),
        ("other_volunteer", 404),
        ("other_hub_manager", 404),
        ("household", 404),
        ("producer_member", 404),
    ],
)
def test_only_the_points_team_and_its_hub_managers_see_distribution_day(
    client, request, who, status, pickup_point, cycle, orders
):
    client.force_login(request.getfixturevalue(who))
    order = orders["Denis Petit"]
    urls = [
        distribution_url(pickup_point, cycle),
        reverse("pickup_points:order", args=[pickup_point.slug, cycle.pk, order.pk]),
        reverse("pickup_points:team", args=[pickup_point.slug]),
    ]
    for url in urls:
        assert client.get(url).status_code == status, url
    posted = client.post(
        reverse("pickup_points:collected", args=[pickup_point.slug, cycle.pk, order.pk]),
        {"collected": "1"},
    )
    assert posted.status_code == (302 if status == 200 else 404)
    order.refresh_from_db()
    assert (order.collected_at is not None) == (status == 200)


def test_anonymous_visitors_are_sent_to_log_in(client, pickup_point, cycle):
    response = client.get(distribution_url(pickup_point, cycle))
    assert response.status_code == 302
    assert reverse("account_login") in response.url


def test_a_volunteer_lists_only_their_own_points(
    client, volunteer, pickup_point, other_volunteer, cycle, slot
):
    client.force_login(volunteer)
    response = client.get(reverse("pickup_points:my_points"))
    assert [row["point"] for row in response.context["rows"]] == [pickup_point]
    assert [[p.cycle for p in row["pickups"]] for row in response.context["rows"]] == [[cycle]]
    assert "Maison de quartier" not in response.content.decode()


def test_my_points_costs_the_same_queries_for_many_points(
    client, manager, hub, cycle, django_assert_max_num_queries
):
    for _ in range(6):
        point = factories.PickupPointFactory()
        point.hubs.add(hub)
        factories.CyclePickupPointFactory(cycle=cycle, pickup_point=point)
    client.force_login(manager)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("pickup_points:my_points"))
    assert all([p.cycle for p in row["pickups"]] == [cycle] for row in response.context["rows"])


def test_ticking_collected_records_who_and_when_and_untick_undoes_it(
    client, volunteer, pickup_point, cycle, orders
):
    client.force_login(volunteer)
    order = orders["Fabien Martin"]
    url = reverse("pickup_points:collected", args=[pickup_point.slug, cycle.pk, order.pk])

    response = client.post(url, {"collected": "1"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="order-{order.pk}"' in html and "is-collected" in html
    assert 'id="counts"' in html and 'hx-swap-oob="true"' in html
    assert "1 retiré" in html and "3 restants" in html
    order.refresh_from_db()
    assert order.collected_by == volunteer and order.collected_at is not None

    client.post(url, {"collected": "1"}, HTTP_HX_REQUEST="true")  # a double tap: no change
    client.post(url, {"collected": "0"}, HTTP_HX_REQUEST="true")
    order.refresh_from_db()
    assert order.collected_at is None and order.collected_by is None
    kinds = list(order.events.filter(by=volunteer).values_list("kind", flat=True))
    assert kinds == [OrderEvent.Kind.COLLECTED, OrderEvent.Kind.UNCOLLECTED]


def test_a_cash_payment_is_recorded_in_one_tap(client, volunteer, pickup_point, cycle, orders):
    client.force_login(volunteer)
    order = orders["Denis Petit"]
    url = reverse("pickup_points:payment", args=[pickup_point.slug, cycle.pk, order.pk])

    response = client.post(
        url, {"method": "cash", "amount": f"{order.total}".replace(".", ",")},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip

    assert response.status_code == 200
    [payment] = order.payments.all()
    assert (payment.method, payment.amount, payment.recorded_by) == ("cash", order.total, volunteer)
    assert "payé" in response.content.decode()
    assert 'name="amount"' not in response.content.decode()  # nothing left to pay


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"method": "cash", "amount": "abc"}, "nombre"),
        ({"method": "cash", "amount": "-3"}, "supérieure ou égale à 0"),
        ({"method": "cash", "amount": "0"}, "supérieure ou égale à 0"),
        ({"method": "bitcoin", "amount": "5"}, "Sélectionnez un choix valide"),
        ({"method": "cash", "amount": "9999"}, "dus aujourd’hui"),
    ],
)
def test_a_wrong_payment_is_refused_clearly_and_changes_nothing(
    client, volunteer, pickup_point, cycle, orders, data, message
):
    client.force_login(volunteer)
    order = orders["Denis Petit"]
    url = reverse("pickup_points:payment", args=[pickup_point.slug, cycle.pk, order.pk])

    response = client.post(url, data, HTTP_HX_REQUEST="true")

    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Payment.objects.exists()


def test_a_payment_entered_by_mistake_can_be_undone(client, volunteer, pickup_point, cycle, orders):
    client.force_login(volunteer)
    order = orders["Denis Petit"]
    client.post(
        reverse("pickup_points:payment", args=[pickup_point.slug, cycle.pk, order.pk]),
        {"method": "cheque", "amount": "5"},
    )
    payment = order.payments.get()

    client.post(
        reverse(
            "pickup_points:payment_cancel",
            args=[pickup_point.slug, cycle.pk, order.pk, payment.pk],
        )
    )

    payment.refresh_from_db()
    assert payment.status == Payment.Status.CANCELLED
    assert order.events.filter(kind=OrderEvent.Kind.PAYMENT_CANCELLED, by=volunteer).exists()
    page = client.get(reverse("pickup_points:order", args=[pickup_point.slug, cycle.pk, order.pk]))
    assert page.context["row"].paid == D("0.00")


def test_the_order_page_lists_what_to_hand_over(client, volunteer, pickup_point, cycle, orders):
    client.force_login(volunteer)
    order = orders["élodie Durand"]
    response = client.get(
        reverse("pickup_points:order", args=[pickup_point.slug, cycle.pk, order.pk])
    )
    html = response.content.decode()
    assert "élodie Durand" in html and order.number in html
    for line in order.lines.all():
        assert line.product_name in html


def test_scanning_an_order_opens_it_for_the_team_only(
    client, volunteer, other_volunteer, household, pickup_point, cycle, orders
):
    order = orders["Émile Zola"]
    url = reverse("pickup_points:scan", args=[order.number])
    client.force_login(volunteer)
    response = client.get(url)
    assert response.url == reverse(
        "pickup_points:order", args=[pickup_point.slug, cycle.pk, order.pk]
    )
    for outsider in (other_volunteer, household):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    client.force_login(volunteer)
    assert client.get(reverse("pickup_points:scan", args=["LIL-2026-999999"])).status_code == 404


def test_a_household_scanning_its_own_code_sees_its_order(
    client, household, pickup_point, cycle, slot, offers
):
    order = place_order(
        cycle=cycle, slot=slot, items={offers["bread"].pk: 1}, email=household.email,
        full_name="Camille Foyer", user=household, notify=False,
    )  # fmt: skip
    client.force_login(household)
    response = client.get(reverse("pickup_points:scan", args=[order.number]))
    assert response.url == reverse("orders:order_detail", args=[order.number])


def test_access_information_is_shown_to_the_team(client, volunteer, pickup_point):
    pickup_point.access_info = "Code porte 4512B"
    pickup_point.save()
    client.force_login(volunteer)
    page = client.get(reverse("pickup_points:team", args=[pickup_point.slug]))
    assert "4512B" in page.content.decode()


def test_a_cancelled_order_cannot_be_ticked(client, volunteer, pickup_point, cycle, orders):
    client.force_login(volunteer)
    cancelled = Order.objects.get(full_name="Annulé Bis")
    response = client.post(
        reverse("pickup_points:collected", args=[pickup_point.slug, cycle.pk, cancelled.pk]),
        {"collected": "1"},
    )
    assert response.status_code == 404


def test_nothing_is_handed_over_while_the_cycle_is_open(
    client, volunteer, pickup_point, cycle, slot, offers
):
    order = order_for(cycle, slot, offers, "Tôt Venu", "tot@example.org")
    client.force_login(volunteer)
    response = client.post(
        reverse("pickup_points:collected", args=[pickup_point.slug, cycle.pk, order.pk]),
        {"collected": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "encore ouvert" in response.content.decode()
    order.refresh_from_db()
    assert order.collected_at is None


# Change kept as credit (orders.billing.counter)


def test_paying_more_with_the_change_kept_gives_the_household_credit(
    client, volunteer, pickup_point, cycle, orders
):
    """20 € in cash for the order: the payment is the 20 € received, the rest is the
    household's credit with the hub, shown in its ledger."""
    client.force_login(volunteer)
    order = orders["Denis Petit"]
    url = reverse("pickup_points:payment", args=[pickup_point.slug, cycle.pk, order.pk])
    given = order.total + D("0.60")
    response = client.post(
        url, {"method": "cash", "amount": f"{given}".replace(".", ","), "keep_change": "1"},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert response.status_code == 200
    [payment] = order.payments.all()
    assert payment.amount == given
    [entry] = order.customer.balance_entries.all()
    assert (entry.kind, entry.amount, entry.payment, entry.by) == (
        "overpayment",
        D("0.60"),
        payment,
        volunteer,
    )
    order.customer.refresh_from_db()
    assert order.customer.balance == D("0.60")
    assert 'name="amount"' not in response.content.decode()  # nothing left to pay


def test_paying_more_without_keeping_the_change_is_still_refused(
    client, volunteer, pickup_point, cycle, orders
):
    client.force_login(volunteer)
    order = orders["Denis Petit"]
    url = reverse("pickup_points:payment", args=[pickup_point.slug, cycle.pk, order.pk])
    response = client.post(url, {"method": "cash", "amount": "500"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert not Payment.objects.exists() and order.customer.balance == 0


def test_cancelling_a_payment_takes_its_change_back(client, volunteer, pickup_point, cycle, orders):
    client.force_login(volunteer)
    order = orders["Denis Petit"]
    client.post(
        reverse("pickup_points:payment", args=[pickup_point.slug, cycle.pk, order.pk]),
        {"method": "cash", "amount": f"{order.total + 1}".replace(".", ","), "keep_change": "1"},
    )
    payment = order.payments.get()
    cancel = reverse(
        "pickup_points:payment_cancel", args=[pickup_point.slug, cycle.pk, order.pk, payment.pk]
    )
    client.post(cancel)
    client.post(cancel)  # a second tap changes nothing
    order.customer.refresh_from_db()
    assert order.customer.balance == 0
    entries = order.customer.balance_entries.order_by("pk")
    assert [(e.kind, e.amount, e.payment) for e in entries] == [
        ("overpayment", D("1"), payment), ("overpayment", D("-1"), payment)
    ]  # fmt: skip


def test_the_distribution_page_shows_each_households_balance(
    client, volunteer, pickup_point, cycle, orders
):
    ledger.add_entry(
        customer=orders["Denis Petit"].customer, kind="manual", amount=D("-3.10"),
        key="seed", reason="Reprise du cahier",
    )  # fmt: skip
    client.force_login(volunteer)
    url = reverse("pickup_points:distribution", args=[pickup_point.slug, cycle.pk])
    html = client.get(url).content.decode()
    row = html[html.index("Denis Petit") :]
    assert "doit 3,10\u00a0€" in row[: row.index("</li>")]
    assert html.count("doit ") == 1
