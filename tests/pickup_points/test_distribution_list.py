"""The printed distribution list of a pickup point: content, PDF, CSV, and who gets it."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from orders.checkout.services import place_order, record_payment
from pickup_points.documents import distribution_list
from tests import factories


@pytest.fixture
def placed(cycle, slot, offers):
    names = ["Zoé Lefèvre", "Émile Ängström", "Bruno Petit"]
    orders = [
        place_order(
            cycle=cycle, slot=slot, items={offers["bread"].pk: n + 1}, email=f"{n}@example.org",
            full_name=name, notify=False,
        )
        for n, name in enumerate(names)
    ]  # fmt: skip
    record_payment(order=orders[2], method="cash", amount=orders[2].total, by=None)
    return orders


def list_url(point, cycle, **params):
    url = reverse("pickup_points:distribution_list", args=[point.slug, cycle.pk])
    return url + ("?format=csv" if params.get("csv") else "")


def test_the_list_has_every_household_with_what_is_due_and_totals(pickup_point, cycle, placed):
    doc = distribution_list(pickup_point, cycle)
    assert [row.order.full_name for row in doc.rows] == [
        "Bruno Petit", "Émile Ängström", "Zoé Lefèvre",
    ]  # fmt: skip
    assert doc.units == 1 + 2 + 3
    assert doc.total_due == placed[0].total + placed[1].total  # Bruno has paid
    from orders.printouts.documents import render_html

    html = render_html("documents/distribution_list.html", {"doc": doc})
    assert "Liste de distribution — La Ruche de Fives" in html
    assert "3 foyers" in html
    for order in placed:
        assert order.number in html


def test_a_volunteer_downloads_the_pdf_and_the_csv(client, volunteer, pickup_point, cycle, placed):
    client.force_login(volunteer)
    pdf = client.get(list_url(pickup_point, cycle))
    assert pdf["Content-Type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == 1
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Émile Ängström" in text and "€" in text  # accents and euro sign render
    csv = client.get(list_url(pickup_point, cycle, csv=True)).content.decode()
    assert csv.splitlines()[0] == (
        "\ufeffcommande;foyer;créneau;articles;total;payé;reste dû;retirée;note"
    )
    assert "Zoé Lefèvre" in csv


@pytest.mark.parametrize("who", ["household", "producer_member", "other_hub_manager"])
def test_outsiders_get_no_distribution_list(client, request, who, pickup_point, cycle, placed):
    client.force_login(request.getfixturevalue(who))
    assert client.get(list_url(pickup_point, cycle)).status_code == 404
    assert client.get(list_url(pickup_point, cycle, csv=True)).status_code == 404


def test_a_volunteer_of_another_point_gets_nothing(client, hub, pickup_point, cycle, placed):
    elsewhere = factories.PickupPointFactory()
    elsewhere.hubs.add(hub)
    user = factories.UserFactory()
    factories.PickupPointMembershipFactory(pickup_point=elsewhere, user=user)
    client.force_login(user)
    assert client.get(list_url(pickup_point, cycle)).status_code == 404
