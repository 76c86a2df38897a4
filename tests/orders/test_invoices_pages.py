# ruff: noqa: F811 (the fixtures of tests/orders/test_invoices.py, imported by name)
"""Invoice pages: the managers' page of a cycle's invoices (make final, ZIP, sales journal,
credit notes), the households' downloads; who may see what."""

import io
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse

from orders.billing import invoices
from orders.billing.invoices_documents import read_xml
from orders.models import BalanceEntry, CreditNote, Invoice, OrderCycle
from pickup_points.models import PickupPointMembership
from tests import bad_input, factories

# The closed, invoiced week of the invoices' tests.
from tests.orders.test_invoices import chicken, issued, week  # noqa: F401

D = Decimal


def _cycle_url(name, world, *args):
    cycle = world["cycle"]
    return reverse(f"invoices:{name}", args=[cycle.hub.slug, cycle.pk, *args])


@pytest.fixture
def personas(household, manager, other_hub_manager, producer_member, issued, pickup_point):
    volunteer = factories.UserFactory(email="benevole@example.org")
    factories.PickupPointMembershipFactory(
        pickup_point=pickup_point, user=volunteer, role=PickupPointMembership.Role.COORDINATOR
    )
    other_household = factories.UserFactory(email="autre@example.org")
    return {
        "household": household, "other_household": other_household, "manager": manager,
        "other_hub_manager": other_hub_manager, "producer_member": producer_member,
        "volunteer": volunteer,
    }  # fmt: skip


@pytest.fixture
def note(issued, manager):
    invoice = issued["invoices"][0]
    return invoices.issue_credit_note(
        invoice=invoice, amounts={0: D("1.00")}, reason="abîmé", by=manager, key="k"
    )


# The manager's page


def test_the_closed_cycle_page_offers_to_make_the_adjustments_final(client, week, manager):
    client.force_login(manager)
    page = client.get(week["cycle"].get_absolute_url()).content.decode()
    assert _cycle_url("confirm_final", week) in page
    assert _cycle_url("cycle", week) in page


def test_making_the_adjustments_final_issues_the_invoices(
    client, week, manager, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_cycle_url("confirm_final", week))
    assert response.status_code == 302
    assert Invoice.objects.count() == 3
    page = client.get(response.url).content.decode()
    assert "3 factures émises" in page
    # Again: nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_cycle_url("confirm_final", week))
    assert Invoice.objects.count() == 3


def test_a_missing_legal_identity_is_named_and_nothing_is_issued(
    client, week, manager, django_capture_on_commit_callbacks
):
    hub = week["cycle"].hub
    hub.siret = ""
    hub.save()
    client.force_login(manager)
    page = client.get(_cycle_url("cycle", week)).content.decode()
    assert "Manque : SIRET." in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_cycle_url("confirm_final", week), follow=True)
    assert "Manque : SIRET (paramètres du drive)." in response.content.decode()
    assert not Invoice.objects.exists()
    assert OrderCycle.objects.get(pk=week["cycle"].pk).adjustments_final_at is None


def test_the_invoices_page_lists_them_in_a_bounded_number_of_queries(
    client, issued, manager, note, django_assert_max_num_queries
):
    client.force_login(manager)
    with django_assert_max_num_queries(14):
        page = client.get(_cycle_url("cycle", issued)).content.decode()
    for invoice in issued["invoices"]:
        assert invoice.number in page
    assert note.number in page


def test_the_zip_holds_every_invoice_and_credit_note(
    client, issued, manager, note, django_capture_on_commit_callbacks
):
    invoices.attach_pdf(CreditNote.objects.get(pk=note.pk))
    client.force_login(manager)
    response = client.get(_cycle_url("zip", issued))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = sorted(archive.namelist())
    assert names == sorted([f"{i.number}.pdf" for i in issued["invoices"]] + [f"{note.number}.pdf"])
    first = issued["invoices"][0]
    assert first.number.encode() in read_xml(archive.read(f"{first.number}.pdf"))


def test_the_sales_journal_is_a_csv_download(client, issued, manager):
    client.force_login(manager)
    response = client.get(_cycle_url("journal", issued))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("date;numéro;type;client;HT à 5,5 %;TVA à 5,5 %")
    assert issued["invoices"][0].number in text and "48,74" in text


def test_a_manager_issues_a_credit_note_from_the_form(client, issued, manager):
    client.force_login(manager)
    invoice = issued["invoices"][0]
    url = _cycle_url("credit_note_new", issued, invoice.pk)
    form = client.get(url)
    token = form.context["form"].initial["token"]
    response = client.post(url, {"line_0": "2,40", "reason": "Carottes abîmées", "token": token})
    assert response.status_code == 302
    note = CreditNote.objects.get()
    assert note.total_incl_vat == D("2.40")
    assert BalanceEntry.objects.get(kind="credit_note").amount == D("2.40")
    # Sent again (a double click): one credit note.
    client.post(url, {"line_0": "2,40", "reason": "Carottes abîmées", "token": token})
    assert CreditNote.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"line_0": "2,41", "reason": "trop"}, "Au plus 2,40"),
        ({"line_0": "", "reason": "rien"}, "au moins une ligne"),
        ({"line_0": "1", "reason": ""}, "obligatoire"),
        ({"line_0": "-1", "reason": "négatif"}, "plus de 0 €"),
    ],
)
def test_a_credit_note_refused_says_why_and_writes_nothing(client, issued, manager, data, message):
    client.force_login(manager)
    url = _cycle_url("credit_note_new", issued, issued["invoices"][0].pk)
    response = client.post(url, data | {"token": "a" * 32})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not CreditNote.objects.exists() and not BalanceEntry.objects.filter(kind="credit_note")


@pytest.mark.parametrize("value", bad_input.NUMERIC)
def test_bad_amounts_in_the_credit_note_form_change_nothing(client, issued, manager, value):
    client.force_login(manager)
    url = _cycle_url("credit_note_new", issued, issued["invoices"][0].pk)
    response = client.post(url, {"line_0": value, "reason": "x", "token": "b" * 32})
    assert response.status_code in (400, 422)  # 400: a NUL character, refused before the form
    assert not CreditNote.objects.exists()


# Who may see what


def test_a_household_downloads_its_own_invoice_and_credit_note(client, issued, household, note):
    client.force_login(household)
    invoice = issued["invoices"][0]
    page = client.get(reverse("orders:my_orders")).content.decode()
    assert reverse("invoices:my_invoice", args=[invoice.pk]) in page
    detail = client.get(invoice.order.get_absolute_url()).content.decode()
    token = invoice.order.access_token
    assert reverse("invoices:credit_note_by_token", args=[token, note.pk]) in detail
    response = client.get(reverse("invoices:my_invoice", args=[invoice.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert invoice.number.encode() in read_xml(b"".join(response.streaming_content))
    response = client.get(reverse("invoices:my_credit_note", args=[note.pk]))
    assert response.status_code == 200


def test_my_orders_lists_invoices_in_a_bounded_number_of_queries(
    client, issued, household, django_assert_max_num_queries
):
    client.force_login(household)
    with django_assert_max_num_queries(12):
        client.get(reverse("orders:my_orders"))


MANAGER_PAGES = ["cycle", "zip", "journal"]


@pytest.mark.parametrize(
    "who", ["household", "other_household", "other_hub_manager", "producer_member", "volunteer"]
)
def test_nobody_else_gets_an_invoice_or_the_managers_pages(client, issued, personas, note, who):
    client.force_login(personas[who])
    invoice = issued["invoices"][1]  # another household's (Bruno's)
    urls = [reverse("invoices:my_invoice", args=[invoice.pk])]
    if who != "household":
        urls += [
            reverse("invoices:my_invoice", args=[issued["invoices"][0].pk]),
            reverse("invoices:my_credit_note", args=[note.pk]),
        ]
    urls += [_cycle_url(name, issued) for name in MANAGER_PAGES]
    urls += [
        _cycle_url("invoice_pdf", issued, invoice.pk),
        _cycle_url("credit_note_new", issued, invoice.pk),
        _cycle_url("credit_note_pdf", issued, note.pk),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(_cycle_url("confirm_final", issued)).status_code == 404
    assert client.post(_cycle_url("credit_note_new", issued, invoice.pk)).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, issued, note):
    invoice = issued["invoices"][0]
    for url in [
        reverse("invoices:my_invoice", args=[invoice.pk]),
        reverse("invoices:my_credit_note", args=[note.pk]),
        _cycle_url("cycle", issued),
        _cycle_url("invoice_pdf", issued, invoice.pk),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("account_login"))


def test_a_manager_gets_only_the_invoices_of_the_cycle_in_the_address(client, issued, manager, hub):
    other = factories.OrderCycleFactory(hub=hub, name="Autre")
    client.force_login(manager)
    url = reverse("invoices:invoice_pdf", args=[hub.slug, other.pk, issued["invoices"][0].pk])
    assert client.get(url).status_code == 404
    url = _cycle_url("invoice_pdf", issued, issued["invoices"][0].pk)
    assert client.get(url).status_code == 200


def test_a_guest_gets_its_invoice_by_the_secret_link_of_its_order(client, issued, note):
    """Bruno ordered without an account: his order's link (from his e-mails) shows his
    invoice; another order's token gets nothing."""
    invoice = issued["invoices"][1]
    token = invoice.order.access_token
    page = client.get(invoice.order.get_secret_url()).content.decode()
    assert reverse("invoices:by_token", args=[token]) in page
    response = client.get(reverse("invoices:by_token", args=[token]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert client.get(reverse("invoices:by_token", args=["x" * 32])).status_code == 404
    # Camille's credit note is not under Bruno's link.
    url = reverse("invoices:credit_note_by_token", args=[token, note.pk])
    assert client.get(url).status_code == 404
    own = issued["invoices"][0].order.access_token
    url = reverse("invoices:credit_note_by_token", args=[own, note.pk])
    assert client.get(url).status_code == 200
