"""The hub managers' balances pages: list, filter, export, one customer's entries and a
manager's correction (orders.billing.views)."""

import csv
import io
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from orders import ledger
from orders.customers import customer_for
from orders.models import BalanceEntry
from tests import bad_input, factories

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def people(hub):
    """Three customers of the hub: one owed 4.50 €, one owing 2.30 €, one at zero."""
    owed = customer_for(hub_id=hub.pk, email="avoir@example.org", full_name="Alice Avoir")
    owing = customer_for(hub_id=hub.pk, email="dette@example.org", full_name="Bruno Dette")
    zero = customer_for(hub_id=hub.pk, email="zero@example.org", full_name="Chloé Zéro")
    for customer, amount in ((owed, D("4.50")), (owing, D("-2.30"))):
        ledger.add_entry(
            customer=customer, kind="manual", amount=amount, key=f"seed:{customer.pk}",
            reason="Reprise des soldes",
        )  # fmt: skip
    return {"owed": owed, "owing": owing, "zero": zero}


def url(hub, name="list", *args):
    return reverse(f"billing:{name}", args=[hub.slug, *args])


def correction(**fields):
    return {"direction": "credit", "amount": "1,50", "reason": "Monnaie rendue en trop",
            "token": uuid.uuid4().hex} | fields  # fmt: skip


def test_the_list_shows_every_balance_and_the_totals(client, hub, manager, people):
    client.force_login(manager)
    response = client.get(url(hub))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Alice Avoir") < html.index("Bruno Dette") < html.index("Chloé Zéro")
    assert "4,50\u00a0€ d’avoir" in html and "doit 2,30\u00a0€" in html
    assert "1 foyer a un avoir : le drive lui doit 4,50\u00a0€." in html
    assert "1 foyer doit 2,30\u00a0€ au drive." in html


@pytest.mark.parametrize(
    ("show", "shown", "hidden"),
    [("debt", "Bruno Dette", "Alice Avoir"), ("credit", "Alice Avoir", "Bruno Dette")],
)
def test_the_list_filters_those_in_debt_or_in_credit(
    client, hub, manager, people, show, shown, hidden
):
    client.force_login(manager)
    html = client.get(url(hub), {"show": show}).content.decode()
    assert shown in html and hidden not in html and "Chloé Zéro" not in html


def test_the_list_searches_names_addresses_and_phones(client, hub, manager, people):
    client.force_login(manager)
    html = client.get(url(hub), {"q": "dette@"}).content.decode()
    assert "Bruno Dette" in html and "Alice Avoir" not in html


@pytest.mark.parametrize("value", bad_input.ALL)
def test_bad_filters_show_everyone_and_never_fail(client, hub, manager, people, value):
    client.force_login(manager)
    response = client.get(url(hub), {"show": value, "q": value[:200], "page": value})
    assert response.status_code in (200, 400)


def test_the_list_costs_the_same_queries_for_3_or_60_households(
    client, hub, manager, people, django_assert_max_num_queries
):
    client.force_login(manager)
    for n in range(57):
        customer_for(hub_id=hub.pk, email=f"f{n}@example.org", full_name=f"Foyer {n}")
    with django_assert_max_num_queries(8):
        assert client.get(url(hub)).status_code == 200


def test_the_export_is_the_filtered_list_in_a_spreadsheet(client, hub, manager, people):
    client.force_login(manager)
    response = client.get(url(hub, "export"), {"show": "debt"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["Nom", "Adresse e-mail", "Téléphone", "Solde (€)"],
        ["Bruno Dette", "dette@example.org", "", "-2,30"],
    ]


def test_a_manager_corrects_a_balance_with_a_reason(client, hub, manager, people):
    client.force_login(manager)
    owing = people["owing"]
    response = client.post(url(hub, "detail", owing.pk), correction(amount="2,30"))
    assert response.status_code == 302
    owing.refresh_from_db()
    assert owing.balance == 0
    entry = owing.balance_entries.latest("pk")
    assert (entry.kind, entry.amount, entry.by, entry.reason) == (
        "manual",
        D("2.30"),
        manager,
        "Monnaie rendue en trop",
    )
    html = client.get(url(hub, "detail", owing.pk)).content.decode()
    assert "Monnaie rendue en trop" in html and "Reprise des soldes" in html


def test_a_correction_sent_twice_corrects_once(client, hub, manager, people):
    client.force_login(manager)
    data = correction(direction="debit")
    client.post(url(hub, "detail", people["zero"].pk), data)
    client.post(url(hub, "detail", people["zero"].pk), data)
    people["zero"].refresh_from_db()
    assert people["zero"].balance == D("-1.50")
    assert people["zero"].balance_entries.count() == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"reason": ""},
        {"reason": "   "},
        {"amount": "0"},
        {"amount": "-3"},
        {"amount": "1,234"},
        {"direction": "both"},
        {"token": "not-a-token"},
        *({"amount": value} for value in bad_input.NOT_NUMBERS + bad_input.UNICODE_DIGITS),
        {"reason": "x\x00y"},
    ],
)
def test_a_bad_correction_gets_a_message_and_changes_nothing(client, hub, manager, people, fields):
    client.force_login(manager)
    response = client.post(url(hub, "detail", people["zero"].pk), correction(**fields))
    assert response.status_code == 400
    assert BalanceEntry.objects.count() == 2
    people["zero"].refresh_from_db()
    assert people["zero"].balance == 0


def test_only_the_hubs_managers_see_its_balances(
    client, hub, people, other_hub_manager, household, pickup_point, producer
):
    volunteer = factories.UserFactory(email="benevole@example.org")
    factories.PickupPointMembershipFactory(pickup_point=pickup_point, user=volunteer)
    producer_member = factories.UserFactory(email="ferme@example.org")
    factories.ProducerMembershipFactory(producer=producer, user=producer_member)
    urls = [url(hub), url(hub, "export"), url(hub, "detail", people["owed"].pk)]
    for user in (household, other_hub_manager, volunteer, producer_member):
        client.force_login(user)
        for address in urls:
            assert client.get(address).status_code == 404, (user, address)
        response = client.post(url(hub, "detail", people["owed"].pk), correction())
        assert response.status_code == 404
    client.logout()
    for address in urls:
        assert client.get(address).status_code == 302  # to the log-in page
    assert BalanceEntry.objects.count() == 2


def test_a_customer_of_another_hub_is_not_found(client, hub, manager, other_hub_manager):
    other = factories.HubFactory(slug="ailleurs")
    stranger = customer_for(hub_id=other.pk, email="x@example.org", full_name="X")
    client.force_login(manager)
    assert client.get(url(hub, "detail", stranger.pk)).status_code == 404
    assert client.post(url(hub, "detail", stranger.pk), correction()).status_code == 404
    assert not stranger.balance_entries.exists()
