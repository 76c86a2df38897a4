"""The demo data command on an empty database (the loaded world is in test_demo_data.py)."""

import io
from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone
from pypdf import PdfWriter

from foodhub.demo import files
from foodhub.demo.files import OPEN_CYCLE, SETTLED
from foodhub.demo.world import load_demo_data
from foodhub.hubs.models import Hub
from orders.billing import invoices
from orders.models import OrderCycle, OutgoingEmail
from orders.printouts import documents
from orders.worker import scheduler
from tests import factories
from tests.demo.test_demo_data import count_every_model, run_command

pytestmark = pytest.mark.django_db


@pytest.fixture
def pdfs_without_layout(monkeypatch):
    """The printed documents' templates rendered, but a blank page for their PDF, and a
    blank file for the settled week's invoices, which the worker issues once the demo is
    committed.

    These tests are about e-mails and cycles; laying out the demo's packing sheets, crate
    labels, pick lists and invoices with WeasyPrint would take most of their time
    (tests/orders/test_documents.py and test_invoices.py check the PDFs themselves)."""
    blank = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.write(blank)

    def render_pdf(template: str, context: dict) -> bytes:
        documents.render_html(template, context)
        return blank.getvalue()

    monkeypatch.setattr(documents, "render_pdf", render_pdf)
    monkeypatch.setattr(invoices, "document_pdf", lambda document: blank.getvalue())


def test_if_empty_does_nothing_when_a_hub_exists():
    factories.HubFactory()
    before = count_every_model()

    output = run_command("--if-empty")

    assert count_every_model() == before
    assert "not loaded" in output


def test_if_empty_loads_an_empty_database():
    run_command("--if-empty")

    assert Hub.objects.count() == 2


def test_demo_orders_send_no_e_mail(
    mailoutbox, django_capture_on_commit_callbacks, pdfs_without_layout
):
    with django_capture_on_commit_callbacks(execute=True):
        run_command()
    assert mailoutbox == []
    # Once committed, the worker attached the settled week's invoices' PDFs.
    settled = OrderCycle.objects.get(name=SETTLED.name)
    assert settled.invoices.count() == 10
    assert not settled.invoices.filter(pdf="").exists()
    assert settled.invoices_issued_at is not None


def test_the_first_tick_after_loading_sends_nothing_and_closes_nothing(
    mailoutbox, pdfs_without_layout
):
    """The demo is loaded as the worker would have left it: the past cycle is already
    processed (closed, its e-mails counted as sent, its reminders too once due), so the
    first tick of ``make run`` has nothing to do for it. The open cycle closes when due."""
    paris = timezone.get_default_timezone()
    # After 10:00, when the reminders of tomorrow's pickups (the past cycle's) are due.
    now = datetime.combine(timezone.localdate() + timedelta(days=3), time(11, 0), paris)
    load_demo_data(now=now)
    closed = dict(OrderCycle.objects.values_list("pk", "closed_at"))
    past = OrderCycle.objects.filter(closes_at__lt=now)
    assert past.count() == 3  # last week's at each hub, and the settled week
    assert not past.filter(closed_at=None).exists()

    with time_machine.travel(now, tick=False):
        scheduler.run_tick(now)
        scheduler.run_tick(now + timedelta(minutes=1))

    assert mailoutbox == []
    assert dict(OrderCycle.objects.filter(pk__in=closed).values_list("pk", "closed_at")) == closed
    assert not OutgoingEmail.objects.exclude(status=OutgoingEmail.Status.SENT).exists()

    open_cycles = OrderCycle.objects.filter(name=OPEN_CYCLE)
    assert open_cycles.count() == 2 and not open_cycles.filter(closed_at__isnull=False).exists()
    later = max(open_cycles.values_list("closes_at", flat=True)) + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        scheduler.run_tick(later)
    assert not OrderCycle.objects.filter(pk__in=open_cycles, closed_at=None).exists()
    assert any("Cycle de la semaine" in message.body for message in mailoutbox)


def test_a_hub_loaded_before_it_had_a_legal_identity_gets_its_settled_week_uninvoiced():
    """A database loaded by an older demo: the hub exists without a legal identity, and
    the loader never changes a row that exists. The week is settled all the same; its
    invoices wait until the hub's settings are complete."""
    row = next(row for row in files.HUBS if row["slug"] == SETTLED.hub)
    Hub.objects.create(**{k: v for k, v in row.items() if k not in Hub.LEGAL_IDENTITY})

    load_demo_data()

    settled = OrderCycle.objects.get(name=SETTLED.name)
    assert settled.closed_at is not None and settled.shortages.get().applied_at is not None
    assert settled.adjustments_final_at is None
    assert not settled.invoices.exists()
