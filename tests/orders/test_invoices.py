"""Legal invoices (orders.billing.invoices): issued once a cycle's adjustments are final,
numbered without gaps per hub and year, frozen, Factur-X PDFs with their EN 16931 XML;
credit notes for a correction afterwards."""

import io
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import facturx
import pytest
import time_machine
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone
from lxml import etree
from pypdf import PdfReader

from orders import ledger
from orders.billing import counter, invoices, invoices_documents, weighing
from orders.billing.invoices import InvoiceError
from orders.billing.invoices_documents import read_xml
from orders.checkout import services
from orders.models import (
    BalanceEntry,
    CreditNote,
    Customer,
    Invoice,
    InvoiceSequence,
    Order,
    OrderCycle,
    OrderLine,
)
from orders.worker.scheduler import run_tick
from tests import factories

D = Decimal
YEAR = timezone.now().year
LEGAL = {
    "legal_name": "SCIC Drive fermier de Lille", "legal_form": "SCIC SAS à capital variable",
    "legal_street": "12 rue des Arts", "legal_postcode": "59000", "legal_city": "Lille",
    "siret": "73282932000074", "vat_number": "FR44732829320",
}  # fmt: skip
NS = {"rsm": invoices_documents.RSM, "ram": invoices_documents.RAM}


def set_identity(hub, **fields):
    for name, value in (LEGAL | fields).items():
        setattr(hub, name, value)
    hub.order_prefix = "LIL"
    hub.save()


def close(cycle):
    """The cycle closed an hour ago and the worker processed its closing."""
    OrderCycle.objects.filter(pk=cycle.pk).update(
        opens_at=timezone.now() - timedelta(days=3),
        closes_at=timezone.now() - timedelta(hours=1),
        closed_at=timezone.now() - timedelta(minutes=50),
    )
    cycle.refresh_from_db()


def place(cycle, slot, items, email, name, user=None):
    return services.place_order(
        cycle=cycle, items=items, slot=slot, email=email, full_name=name, user=user, notify=False
    )


@pytest.fixture
def chicken(producer, category):
    return factories.VariantFactory(
        product__producer=producer, product__name="Poulet fermier", product__category=category,
        name="pièce", unit="kg", quantity_per_unit=D("1.5"), sold_by_weight=True,
        price_per_kg=D("12.00"), price=D("1.00"), stock_quantity=20, vat_rate="5.5",
    )  # fmt: skip


@pytest.fixture
def week(hub, cycle, slot, offers, chicken, household, manager):
    """A closed cycle with a hub fee of 5 % + 0.50 €: the household's order (two chickens
    weighed heavier, carrots, bread), two other households' orders, a cancelled order and
    an order of which nothing was delivered."""
    set_identity(hub)
    OrderCycle.objects.filter(pk=cycle.pk).update(fee_percent=D("5"), fee_fixed=D("0.50"))
    cycle.refresh_from_db()
    chicken_offer = factories.OfferFactory(cycle=cycle, variant=chicken)
    items = {chicken_offer.pk: 2, offers["carrots"].pk: 1, offers["bread"].pk: 1}
    orders = [
        place(cycle, slot, items, household.email, household.full_name, household),
        place(cycle, slot, {offers["apples"].pk: 2}, "b@example.org", "Bruno Petit"),
        place(cycle, slot, {offers["bread"].pk: 3}, "c@example.org", "Émile Ängström"),
    ]
    cancelled = place(cycle, slot, {offers["bread"].pk: 1}, "d@example.org", "Denis Annulé")
    services.cancel_order(order=cancelled, by=None)
    nothing = place(cycle, slot, {offers["carrots"].pk: 1}, "e@example.org", "Éva Rien")
    close(cycle)
    OrderLine.objects.filter(order=nothing).update(delivered_quantity=0)
    weighing.record_weight(
        line=orders[0].lines.get(price_per_kg__isnull=False), weight=D("3.240"), by=manager
    )
    return {"cycle": cycle, "orders": orders, "cancelled": cancelled, "nothing": nothing}


@pytest.fixture
def issued(week, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invoices.confirm_adjustments_final(cycle=week["cycle"], by=manager)
    return week | {"invoices": list(Invoice.objects.order_by("position"))}


def adjustments(order) -> Decimal:
    kinds = [BalanceEntry.Kind.WEIGHT, BalanceEntry.Kind.SHORTAGE, BalanceEntry.Kind.CORRECTION]
    return sum(
        BalanceEntry.objects.filter(order=order, kind__in=kinds).values_list("amount", flat=True),
        D("0.00"),
    )


def xml_of(document) -> etree._Element:
    return etree.fromstring(read_xml(document.pdf.open("rb").read()))


# Issuing


def test_each_placed_order_delivering_something_gets_one_invoice_numbered_from_one(issued):
    numbers = [invoice.number for invoice in issued["invoices"]]
    assert numbers == [f"F-LIL-{YEAR}-{n:05d}" for n in (1, 2, 3)]
    assert {invoice.order_id for invoice in issued["invoices"]} == {
        order.pk for order in issued["orders"]
    }
    assert not Invoice.objects.filter(order__in=[issued["cancelled"], issued["nothing"]]).exists()
    cycle = OrderCycle.objects.get(pk=issued["cycle"].pk)
    assert cycle.invoices_issued_at is not None and cycle.invoices_lease_until is None
    assert all(invoice.pdf for invoice in Invoice.objects.all())


def test_an_invoice_is_what_the_household_gets_the_order_total_less_its_adjustments(issued):
    for invoice in issued["invoices"]:
        order = Order.objects.get(pk=invoice.order_id)
        lines = order.lines.all()
        # The invariant of the money model, then the invoice's total.
        assert sum(line.final_total for line in lines) == order.goods_total - adjustments(order)
        assert invoice.total_incl_vat == order.total - adjustments(order)
        assert invoice.total_excl_vat + invoice.total_vat == invoice.total_incl_vat
    household = issued["invoices"][0]
    assert household.total_incl_vat == D("48.74")  # 45.86 ordered, the chickens 2.88 heavier


def test_the_invoice_lists_the_weighed_line_in_kg_and_the_hub_fee(issued):
    lines = {line["description"]: line for line in issued["invoices"][0].lines}
    chicken = next(line for name, line in lines.items() if name.startswith("Poulet"))
    assert (chicken["quantity"], chicken["unit"], chicken["unit_price"], chicken["total"]) == (
        "3.240", "kg", "12.00", "38.88",
    )  # fmt: skip
    fee = lines["Frais du drive"]
    assert (fee["total"], fee["vat_rate"]) == ("2.66", "20.0")
    rows = {row["rate"]: row for row in issued["invoices"][0].vat_rows}
    assert rows["20.0"] == {"rate": "20.0", "net": "2.22", "vat": "0.44", "total": "2.66"}
    assert rows["5.5"]["total"] == "46.08"
    # The lines of a rate add up to its amount excl. VAT (EN 16931 checks it).
    for rate, row in rows.items():
        of_rate = [D(line["net"]) for line in lines.values() if line["vat_rate"] == rate]
        assert sum(of_rate) == D(row["net"])


def test_an_invoice_says_whether_its_household_still_owes_anything(
    week, manager, django_capture_on_commit_callbacks
):
    heavier, unpaid = week["orders"][0], week["orders"][1]
    # At the pickup point: the order and the heavier chickens' debt, in one payment.
    owed = counter.owed_today(heavier).today
    assert owed > heavier.total
    counter.record_payment(order=heavier, method="cash", amount=owed, by=manager)
    with django_capture_on_commit_callbacks(execute=True):
        invoices.confirm_adjustments_final(cycle=week["cycle"], by=manager)

    assert Invoice.objects.get(order=heavier).payment_note == "Acquittée."
    invoice = Invoice.objects.get(order=unpaid)
    amount = f"{invoice.total_incl_vat}".replace(".", ",")
    assert invoice.payment_note.startswith(f"Reste à payer : {amount}")


def test_confirming_again_issues_nothing_more(issued, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert invoices.confirm_adjustments_final(cycle=issued["cycle"], by=manager) is False
    assert invoices.issue_cycle_invoices(issued["cycle"].pk) == 0
    assert Invoice.objects.count() == 3
    assert invoices.issue_invoice(order=issued["orders"][0]) == issued["invoices"][0]
    assert InvoiceSequence.objects.get().last == 3


def test_once_invoiced_a_weight_goes_through_a_credit_note(issued, manager):
    line = issued["orders"][0].lines.get(price_per_kg__isnull=False)
    with pytest.raises(weighing.WeighingError, match="avoir|credit note"):
        weighing.record_weight(line=line, weight=D("3.000"), by=manager)


def test_without_the_legal_identity_nothing_is_issued_and_the_message_names_what_is_missing(
    week, manager, django_capture_on_commit_callbacks
):
    hub = week["cycle"].hub
    hub.siret = hub.vat_number = ""
    hub.save()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(InvoiceError) as refusal:
        invoices.confirm_adjustments_final(cycle=week["cycle"], by=manager)
    assert "SIRET" in str(refusal.value) and "numéro de TVA" in str(refusal.value)
    week["cycle"].refresh_from_db()
    assert week["cycle"].adjustments_final_at is None
    assert not Invoice.objects.exists() and not InvoiceSequence.objects.exists()


def test_a_cycle_not_closed_yet_is_not_invoiced(hub, cycle, manager):
    set_identity(hub)
    with pytest.raises(InvoiceError):
        invoices.confirm_adjustments_final(cycle=cycle, by=manager)
    cycle.refresh_from_db()
    assert cycle.adjustments_final_at is None


def test_numbers_go_on_from_cycle_to_cycle_and_start_again_each_year(
    issued, hub, pickup_point, offers, household
):
    def invoiced_cycle(when):
        with time_machine.travel(when, tick=False):
            cycle = factories.OrderCycleFactory(hub=hub, name=f"Semaine {when:%W}")
            pickup = factories.CyclePickupPointFactory(cycle=cycle, pickup_point=pickup_point)
            slot = factories.PickupSlotFactory(cycle_pickup=pickup)
            offer = factories.OfferFactory(cycle=cycle, variant=offers["bread"].variant)
            place(cycle, slot, {offer.pk: 1}, "z@example.org", "Zoé")
            close(cycle)
            OrderCycle.objects.filter(pk=cycle.pk).update(adjustments_final_at=timezone.now())
            invoices.issue_cycle_invoices(cycle.pk)
            return Invoice.objects.get(cycle=cycle).number

    assert invoiced_cycle(timezone.now() + timedelta(days=1)) == f"F-LIL-{YEAR}-00004"
    next_year = datetime(YEAR + 1, 1, 20, 10, tzinfo=UTC)
    assert invoiced_cycle(next_year) == f"F-LIL-{YEAR + 1}-00001"


def test_a_number_taken_by_an_invoice_that_fails_is_given_back(week, monkeypatch):
    OrderCycle.objects.filter(pk=week["cycle"].pk).update(adjustments_final_at=timezone.now())
    real_save = Invoice.save

    def failing_save(self, *args, **kwargs):
        real_save(self, *args, **kwargs)
        raise IntegrityError("the disk is full")

    monkeypatch.setattr(Invoice, "save", failing_save)
    with pytest.raises(IntegrityError):
        invoices.issue_invoice(order=week["orders"][1])
    monkeypatch.undo()
    assert not Invoice.objects.exists()
    assert invoices.issue_invoice(order=week["orders"][2]).number == f"F-LIL-{YEAR}-00001"


def test_issuing_interrupted_midway_resumes_without_gap_nor_duplicate(week, monkeypatch):
    """The worker dies while rendering the second PDF of the first chunk (a crash: the
    exception goes through everything); the next run, once the lease is over, finishes."""
    OrderCycle.objects.filter(pk=week["cycle"].pk).update(adjustments_final_at=timezone.now())
    real_pdf = invoices.document_pdf
    rendered = []

    def dying_pdf(document, **kwargs):
        if len(rendered) == 1:
            raise SystemExit("killed")
        rendered.append(document.number)
        return real_pdf(document, **kwargs)

    monkeypatch.setattr(invoices, "document_pdf", dying_pdf)
    with pytest.raises(SystemExit):
        invoices.issue_cycle_invoices(week["cycle"].pk, chunk=2)
    assert Invoice.objects.count() == 2 and Invoice.objects.exclude(pdf="").count() == 1
    # Held by the dead worker's lease: another run leaves it alone until the lease is over.
    assert invoices.issue_cycle_invoices(week["cycle"].pk) == 0
    monkeypatch.setattr(invoices, "document_pdf", real_pdf)
    with time_machine.travel(timezone.now() + invoices.LEASE + timedelta(seconds=1)):
        assert invoices.issue_cycle_invoices(week["cycle"].pk, chunk=2) == 1
    positions = sorted(Invoice.objects.values_list("position", flat=True))
    assert positions == [1, 2, 3]
    assert Invoice.objects.filter(pdf="").count() == 0
    assert Invoice.objects.values("order").distinct().count() == 3
    assert OrderCycle.objects.get(pk=week["cycle"].pk).invoices_issued_at is not None


def _at(day, hour, minute=0):
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


def test_once_the_pickup_is_over_the_tick_makes_the_adjustments_final_and_issues_the_invoices(
    week, django_capture_on_commit_callbacks
):
    """The slot is 17:00-19:30 on the pickup day: the packers still weigh that morning;
    at the end of the slot the adjustments are final and the invoices issued."""
    cycle = week["cycle"]
    slot = cycle.pickups.get().slots.get()
    day = cycle.pickups.get().pickup_date
    for moment in (_at(day, 8), slot.ends() - timedelta(minutes=1)):
        with time_machine.travel(moment, tick=False):
            run_tick()
    assert not Invoice.objects.exists()
    with (
        time_machine.travel(slot.ends() + timedelta(minutes=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        run_tick()
    cycle.refresh_from_db()
    assert cycle.adjustments_final_at is not None and cycle.invoices_issued_at is not None
    assert Invoice.objects.count() == 3


def test_the_tick_leaves_a_hub_without_legal_identity_alone(week):
    hub = week["cycle"].hub
    hub.legal_name = ""
    hub.save()
    day = week["cycle"].pickups.get().pickup_date
    with time_machine.travel(_at(day, 23), tick=False):
        run_tick()
    week["cycle"].refresh_from_db()
    assert week["cycle"].adjustments_final_at is None and not Invoice.objects.exists()


def test_a_hub_emptying_its_identity_midway_leaves_the_rest_for_later(week, monkeypatch):
    """Issuing stops for the orders it cannot invoice (no endless loop), keeps the cycle
    unfinished, and a later run, once the identity is back, issues them."""
    cycle = week["cycle"]
    OrderCycle.objects.filter(pk=cycle.pk).update(adjustments_final_at=timezone.now())
    invoices.issue_invoice(order=week["orders"][0])
    hub = cycle.hub
    hub.siret = ""
    hub.save()
    assert invoices.issue_cycle_invoices(cycle.pk) == 0
    cycle.refresh_from_db()
    assert cycle.invoices_issued_at is None and cycle.invoices_lease_until is None
    assert Invoice.objects.count() == 1 and not Invoice.objects.filter(pdf="").exists()
    set_identity(hub)
    assert invoices.issue_cycle_invoices(cycle.pk) == 2
    assert OrderCycle.objects.get(pk=cycle.pk).invoices_issued_at is not None


# Frozen


def test_an_issued_invoice_is_never_changed_nor_removed(issued, hub):
    invoice = issued["invoices"][0]
    with pytest.raises(TypeError):
        invoice.save()
    with pytest.raises(TypeError):
        Invoice.objects.filter(pk=invoice.pk).update(total_incl_vat=D("1.00"))
    with pytest.raises(TypeError):
        Invoice.objects.filter(pk=invoice.pk).delete()
    with pytest.raises(TypeError):
        invoice.delete()
    # The PDF is attached once: a second one is refused.
    assert invoice.attach_pdf("invoices/other.pdf") is False
    # The hub moves and renames itself: the invoice says what was true when issued.
    hub.legal_name, hub.legal_city = "Autre nom", "Roubaix"
    hub.save()
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert (invoice.seller["name"], invoice.seller["city"]) == (LEGAL["legal_name"], "Lille")
    assert invoice.pdf.name.endswith(".pdf")


# The Factur-X file


def test_the_pdf_carries_its_en16931_xml_which_says_what_the_invoice_says(issued):
    invoice = issued["invoices"][0]
    pdf = invoice.pdf.open("rb").read()
    xml = read_xml(pdf)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert facturx.get_level(etree.fromstring(xml)) == "en16931"
    root = etree.fromstring(xml)

    def text(path):
        return root.findtext(path, namespaces=NS)

    assert text("rsm:ExchangedDocument/ram:ID") == f"F-LIL-{YEAR}-00001"
    assert text("rsm:ExchangedDocument/ram:TypeCode") == "380"
    trade = "rsm:SupplyChainTradeTransaction/"
    seller = trade + "ram:ApplicableHeaderTradeAgreement/ram:SellerTradeParty/"
    assert text(seller + "ram:Name") == "SCIC Drive fermier de Lille"
    assert text(seller + "ram:SpecifiedLegalOrganization/ram:ID") == "73282932000074"
    assert text(seller + "ram:SpecifiedTaxRegistration/ram:ID") == "FR44732829320"
    buyer = trade + "ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty/"
    assert text(buyer + "ram:Name") == "Camille Foyer"
    totals = trade + "ram:ApplicableHeaderTradeSettlement/"
    totals += "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    assert text(totals + "ram:GrandTotalAmount") == "48.74"
    assert text(totals + "ram:TaxTotalAmount") == str(invoice.total_vat)
    assert text(totals + "ram:TaxBasisTotalAmount") == str(invoice.total_excl_vat)
    lines = root.findall(trade + "ram:IncludedSupplyChainTradeLineItem", NS)
    assert len(lines) == 4  # carrots, bread, chickens, the hub fee
    # The PDF itself: one page, PDF/A-3 as Factur-X wants it, the XML named as it wants.
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    metadata = reader.xmp_metadata
    assert metadata is not None and b"pdfaid" in metadata.stream.get_data()
    assert "<pdfaid:part>3</pdfaid:part>" in metadata.stream.get_data().decode()
    assert "factur-x.xml" in reader.attachments


def test_the_page_shows_the_french_legal_mentions(issued):
    html = invoices_documents.document_html(issued["invoices"][0])
    mentions = ("SCIC Drive fermier de Lille", "12 rue des Arts", "59000 Lille",
                "73282932000074", "FR44732829320", "Camille Foyer", f"F-LIL-{YEAR}-00001",
                "Prix unitaire HT", "TVA", "38,88", "48,74", "Pas d&#x27;escompte")  # fmt: skip
    for mention in mentions:
        assert mention in html, mention


# Credit notes


def test_a_credit_note_credits_a_line_and_the_households_balance(
    issued, manager, django_capture_on_commit_callbacks
):
    invoice = issued["invoices"][0]
    customer = Customer.objects.get(pk=invoice.customer_id)
    before = customer.balance
    carrots = next(
        n for n, line in enumerate(invoice.lines) if line["description"].startswith("Car")
    )
    with django_capture_on_commit_callbacks(execute=True):
        note = invoices.issue_credit_note(
            invoice=invoice, amounts={carrots: D("2.40")}, reason="Carottes abîmées",
            by=manager, key="credit-note:a",
        )  # fmt: skip
    assert note.number == f"AV-LIL-{YEAR}-00001"
    assert note.total_incl_vat == D("2.40") and note.lines[0]["invoice_line"] == carrots
    entry = BalanceEntry.objects.get(kind=BalanceEntry.Kind.CREDIT_NOTE)
    assert (entry.amount, entry.order_id) == (D("2.40"), invoice.order_id)
    assert Customer.objects.get(pk=customer.pk).balance == before + D("2.40")
    assert not ledger.recount()
    note = CreditNote.objects.get(pk=note.pk)
    root = xml_of(note)
    facturx.xml_check_xsd(etree.tostring(root), flavor="factur-x", level="en16931")
    assert root.findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "381"
    referenced = root.findtext(
        "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
        "ram:InvoiceReferencedDocument/ram:IssuerAssignedID",
        namespaces=NS,
    )
    assert referenced == invoice.number


def test_a_credit_note_never_exceeds_what_is_left_of_the_invoice(issued, manager):
    invoice = issued["invoices"][0]
    invoices.issue_credit_note(
        invoice=invoice, amounts={0: D("2.00")}, reason="abîmé", by=manager, key="credit-note:a"
    )
    with pytest.raises(InvoiceError, match="0,40"):
        invoices.issue_credit_note(
            invoice=invoice, amounts={0: D("0.41")}, reason="encore", by=manager, key="b"
        )
    for amounts, reason in (({0: D("-1")}, "x"), ({99: D("1")}, "x"), ({0: D("0.001")}, "x"),
                            ({0: D("1")}, "   "), ({}, "x")):  # fmt: skip
        with pytest.raises(InvoiceError):
            invoices.issue_credit_note(
                invoice=invoice, amounts=amounts, reason=reason, by=manager, key="c"
            )
    assert CreditNote.objects.count() == 1
    assert BalanceEntry.objects.filter(kind=BalanceEntry.Kind.CREDIT_NOTE).count() == 1
    assert InvoiceSequence.objects.get(kind="credit_note").last == 1
    assert invoices.credit_left(invoice)[0] == D("0.40")


def test_the_same_credit_note_sent_twice_is_issued_once(issued, manager):
    invoice = issued["invoices"][1]
    first = invoices.issue_credit_note(
        invoice=invoice, amounts={0: D("1.00")}, reason="x", by=manager, key="credit-note:same"
    )
    again = invoices.issue_credit_note(
        invoice=invoice, amounts={0: D("1.00")}, reason="x", by=manager, key="credit-note:same"
    )
    assert first == again and CreditNote.objects.count() == 1


def test_a_credit_note_is_frozen_too(issued, manager):
    note = invoices.issue_credit_note(
        invoice=issued["invoices"][1], amounts={0: D("1.00")}, reason="x", by=manager, key="k"
    )
    with pytest.raises(TypeError):
        note.save()
    with pytest.raises(TypeError):
        CreditNote.objects.all().delete()


# The sales journal


def test_the_sales_journal_has_a_row_per_invoice_and_credit_note_with_vat_per_rate(issued, manager):
    invoices.issue_credit_note(
        invoice=issued["invoices"][0], amounts={0: D("2.40")}, reason="x", by=manager, key="k"
    )
    header, rows = invoices.sales_journal(issued["cycle"])
    assert len(header) == 4 + 2 * 2 + 3  # two rates: 5.5 and 20
    assert [row[1] for row in rows] == [
        *(invoice.number for invoice in issued["invoices"]),
        f"AV-LIL-{YEAR}-00001",
    ]
    assert rows[-1][-1] == D("-2.40")
    for row in rows:
        assert sum(row[4:8:2]) == row[-3] and sum(row[5:9:2]) == row[-2]
    invoiced = sum(row[-1] for row in rows)
    assert invoiced == sum(i.total_incl_vat for i in issued["invoices"]) - D("2.40")


# Concurrency (PostgreSQL)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent writers are tested"
)
@pytest.mark.django_db(transaction=True)
def test_parallel_issuing_leaves_no_gap_and_no_duplicate(hub, cycle, slot, offers):
    """Eight connections invoice twenty orders of a hub at once, each order twice: each
    order gets one invoice, and the numbers are 1 to 20."""
    set_identity(hub)
    orders = [
        place(cycle, slot, {offers["bread"].pk: 1}, f"f{n}@example.org", f"Foyer {n}")
        for n in range(20)
    ]
    close(cycle)
    OrderCycle.objects.filter(pk=cycle.pk).update(adjustments_final_at=timezone.now())
    barrier = threading.Barrier(8)

    def work(pks):
        try:
            barrier.wait(timeout=30)
            for pk in pks:
                invoices.issue_invoice(order=pk)
        finally:
            connections.close_all()

    pks = [order.pk for order in orders]
    shares = [pks[n::4] for n in range(4)] * 2
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, shares))
    assert sorted(Invoice.objects.values_list("position", flat=True)) == list(range(1, 21))
    assert Invoice.objects.values("order").distinct().count() == 20
    assert InvoiceSequence.objects.get().last == 20


# A worker issuing in another process, a little slowed down so that it is killed midway.
WORKER = """
import sys, time
import django
django.setup()
from orders.billing import invoices
real = invoices.document_pdf
def slowed(document, **kwargs):
    time.sleep(0.2)
    return real(document, **kwargs)
invoices.document_pdf = slowed
invoices.issue_cycle_invoices(int(sys.argv[1]), chunk=2)
"""


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: another process is killed"
)
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_midway_leaves_no_gap_and_the_next_run_finishes(hub, cycle, slot, offers):
    """A worker process is SIGKILLed while issuing a cycle's invoices; once its lease is
    over, the next run finishes: every order one invoice, numbers 1 to 8, every PDF."""
    set_identity(hub)
    for n in range(8):
        place(cycle, slot, {offers["bread"].pk: 1}, f"f{n}@example.org", f"Foyer {n}")
    close(cycle)
    OrderCycle.objects.filter(pk=cycle.pk).update(adjustments_final_at=timezone.now())
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(cycle.pk)],
        env={**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "tests.settings"},
    )
    deadline = time.monotonic() + 120
    while Invoice.objects.exclude(pdf="").count() < 3:
        assert worker.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    assert 3 <= Invoice.objects.count() < 8
    with time_machine.travel(timezone.now() + invoices.LEASE + timedelta(seconds=1)):
        invoices.issue_cycle_invoices(cycle.pk)
    assert sorted(Invoice.objects.values_list("position", flat=True)) == list(range(1, 9))
    assert Invoice.objects.values("order").distinct().count() == 8
    assert not Invoice.objects.filter(pdf="").exists()
    assert OrderCycle.objects.get(pk=cycle.pk).invoices_issued_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_number_is_taken_only_inside_the_documents_transaction(hub):
    with pytest.raises(RuntimeError):
        invoices.take_number(hub, YEAR, InvoiceSequence.Kind.INVOICE)
    with transaction.atomic():
        assert invoices.take_number(hub, YEAR, "invoice") == (
            1,
            f"F-{hub.order_prefix}-{YEAR}-00001",
        )
