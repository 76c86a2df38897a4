"""Invoices: issued once a cycle's adjustments are final, numbered without gaps, frozen.

When the hub says a closed cycle's weights, shortages and corrections are final
(``confirm_adjustments_final``), or once its pickup day is over (the worker's tick,
``finalise_due_cycles``), each placed order that still delivers something gets an
invoice, in the background, chunk by chunk (``issue_cycle_invoices``):

1. The cycle is claimed with a lease (a conditional UPDATE of ``invoices_lease_until``),
   renewed between chunks: two workers never issue one cycle at once, and one killed
   midway is taken over once its lease is over.
2. Each order of the chunk is invoiced in its own transaction (``issue_invoice``): the
   order's row locked, then its hub's sequence row; the number is taken in the
   transaction that writes the invoice, so it is used if and only if the invoice is
   written (no gap), and an order already invoiced is left as it is (no duplicate).
3. The chunk's PDFs (Factur-X) are rendered and attached to their invoices, once each.
4. When no order is left to invoice and every invoice has its PDF, the cycle is marked
   ``invoices_issued_at``.

Run again after a crash, it picks up where it stopped: orders without invoice, invoices
without PDF.

An invoice's amounts are what the household gets after the close (each line's
``final_total``) plus the hub fee: ``order.total`` less the order's adjustments.
"""

import logging
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import override
from huey.contrib.djhuey import db_task

from orders import ledger
from orders.checkout.services import paid_amount
from orders.ledger import BillingError
from orders.models import (
    BalanceEntry,
    CreditNote,
    Invoice,
    InvoiceSequence,
    Order,
    OrderCycle,
    OrderLine,
)
from orders.pricing import money
from orders.printouts.documents import without_gc_pauses

from . import counter, refunds
from .invoices_documents import buyer_of, document_pdf, invoice_content, priced, seller_of

logger = logging.getLogger(__name__)

# Invoices per chunk: each is one small WeasyPrint page; a chunk's work stays well within
# the lease.
CHUNK = 50
LEASE = timedelta(minutes=5)
PREFIXES = {InvoiceSequence.Kind.INVOICE: "F", InvoiceSequence.Kind.CREDIT_NOTE: "AV"}


class InvoiceError(BillingError):
    """Invoices that cannot be issued (yet); the message says why."""


def check_legal_identity(hub) -> None:
    """Refuse to invoice for a hub whose legal identity is incomplete, naming what is
    missing."""
    missing = hub.missing_legal_identity()
    if missing:
        raise InvoiceError(
            _("Invoices cannot be issued until the hub's legal identity is complete. "
              "Missing: %(fields)s (hub settings).") % {"fields": ", ".join(missing)}
        )  # fmt: skip


def take_number(hub, year: int, kind: str) -> tuple[int, str]:
    """The next number of the hub's series of ``kind`` for ``year``: (position, number
    such as "F-LIL-2026-00042"). Must run in the transaction that writes the document:
    the sequence row stays locked until it commits, and a rollback gives the number back."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("a number is taken in the transaction that writes its document")
    InvoiceSequence.objects.bulk_create(
        [InvoiceSequence(hub=hub, year=year, kind=kind)], ignore_conflicts=True
    )
    sequence = InvoiceSequence.objects.select_for_update().get(hub=hub, year=year, kind=kind)
    position = sequence.last + 1
    InvoiceSequence.objects.filter(pk=sequence.pk).update(last=F("last") + 1)
    return position, f"{PREFIXES[kind]}-{hub.order_prefix}-{year}-{position:05d}"


def orders_to_invoice(cycle: OrderCycle):
    """The cycle's placed orders without an invoice that deliver something."""
    delivers = OrderLine.objects.filter(order=OuterRef("pk")).filter(
        Q(delivered_quantity__isnull=True) | Q(delivered_quantity__gt=0)
    )
    return (
        cycle.orders.filter(status=Order.Status.PLACED, customer__isnull=False)
        .filter(Exists(delivers))
        .exclude(Exists(Invoice.objects.filter(order=OuterRef("pk"))))
        .order_by("pk")
    )


def payment_note(order: Order, total: Decimal, left: Decimal) -> str:
    """What the invoice says of its payment, in French: ``left`` is what the household
    still owes (``dues``: the order's price not paid, after its credit, and its debt)."""
    with override(settings.LANGUAGE_CODE):
        if left <= 0:
            return _("Paid.")
        return _("Left to pay: %(amount)s €, at pickup or from your balance with the hub.") % {
            "amount": number_format(min(left, total), 2)
        }


def issue_invoice(*, order: Order | int, now: datetime | None = None) -> Invoice:
    """The order's invoice, issued now if it has none (else the one it has)."""
    now = now or timezone.now()
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(of=("self",))
            .select_related("cycle__hub", "customer")
            .get(pk=getattr(order, "pk", order))
        )
        issued = Invoice.objects.filter(order=order).first()
        if issued is not None:
            return issued
        cycle, hub = order.cycle, order.cycle.hub
        if cycle.adjustments_final_at is None:
            raise InvoiceError(_("This cycle's adjustments are not final yet."))
        if order.status != Order.Status.PLACED or order.customer_id is None:
            raise InvoiceError(_("Only a placed order is invoiced."))
        check_legal_identity(hub)
        content = invoice_content(order)
        if not content.lines:
            raise InvoiceError(_("Nothing of this order was delivered: nothing to invoice."))
        # What the credit may pay of it (food aid restricted to some products included).
        owed = counter.owed_today(order, paid=paid_amount(order))
        year = timezone.localtime(now).year
        position, number = take_number(hub, year, InvoiceSequence.Kind.INVOICE)
        invoice = Invoice(
            hub=hub, cycle=cycle, order=order, customer=order.customer, number=number,
            year=year, position=position, issued_at=now, seller=seller_of(hub),
            buyer=buyer_of(order), lines=content.lines, vat_rows=content.vat_rows,
            total_excl_vat=content.total_excl_vat, total_vat=content.total_vat,
            total_incl_vat=content.total_incl_vat,
            payment_note=payment_note(order, content.total_incl_vat, owed.today),
        )  # fmt: skip
        invoice.save(force_insert=True)
    return invoice


def attach_pdf(document) -> bool:
    """Render the Factur-X PDF of an issued invoice or credit note and attach it, unless
    it has one (False when another worker attached it first)."""
    if document.pdf:
        return False
    content = document_pdf(document)
    storage = storages["private"]
    folder = "invoices" if isinstance(document, Invoice) else "credit-notes"
    name = storage.save(f"{folder}/{document.year}/{document.number}.pdf", ContentFile(content))
    if document.attach_pdf(name):
        return True
    storage.delete(name)
    return False


# The adjustments made final, and the cycle's invoices issued in the background


def confirm_adjustments_final(*, cycle: OrderCycle, by=None, now: datetime | None = None) -> bool:
    """The hub says the closed cycle's adjustments are final: the invoices are issued in
    the background. Refused (and nothing changed) while the hub's legal identity is
    incomplete. True when this call made them final, False when they already were."""
    now = now or timezone.now()
    if cycle.phase(now) != OrderCycle.Phase.CLOSED or cycle.closed_at is None:
        raise InvoiceError(_("A cycle's invoices are issued once its closing is processed."))
    check_legal_identity(cycle.hub)
    made = _make_final(cycle, now)
    cycle.refresh_from_db(fields=["adjustments_final_at", "invoices_issued_at"])
    if cycle.invoices_issued_at is None:
        queue_issuing(cycle.pk, now=now)
    return made


def _make_final(cycle: OrderCycle, now: datetime) -> bool:
    """Mark the cycle's adjustments final, once: True when this call did. What they owe
    households paid by card then goes back to the card, if that is the hub's choice (else
    it stays their credit)."""
    with transaction.atomic():
        made = OrderCycle.objects.filter(pk=cycle.pk, adjustments_final_at__isnull=True).update(
            adjustments_final_at=now
        )
        if made:
            refunds.refund_owed(cycle=cycle)
    return bool(made)


def queue_issuing(cycle_pk: int, *, now: datetime | None = None) -> bool:
    """Claim the cycle's issuing (unless a live worker holds it) and queue it after the
    commit. True when queued."""
    token = _claim(cycle_pk, now or timezone.now())
    if token is None:
        return False
    transaction.on_commit(lambda: issue_invoices_task(cycle_pk, token), robust=True)
    return True


def _claim(cycle_pk: int, now: datetime) -> datetime | None:
    # Each claim writes a value of its own: it is also the holder's token.
    lease = now + LEASE + timedelta(microseconds=secrets.randbelow(10**6))
    claimed = (
        OrderCycle.objects.filter(
            pk=cycle_pk, adjustments_final_at__isnull=False, invoices_issued_at__isnull=True
        )
        .filter(Q(invoices_lease_until__isnull=True) | Q(invoices_lease_until__lt=now))
        .update(invoices_lease_until=lease)
    )
    return lease if claimed else None


def _renew(cycle_pk: int, token: datetime) -> datetime | None:
    lease = timezone.now() + LEASE + timedelta(microseconds=secrets.randbelow(10**6))
    renewed = OrderCycle.objects.filter(pk=cycle_pk, invoices_lease_until=token).update(
        invoices_lease_until=lease
    )
    return lease if renewed else None


def issue_cycle_invoices(
    cycle_pk: int, token: datetime | None = None, *, chunk: int = CHUNK
) -> int:
    """Issue the cycle's invoices and their PDFs chunk by chunk (the steps above), holding
    its lease (``token``, from ``queue_issuing``; claimed here when None). Returns how
    many invoices this run issued; stops (returns) when it lost the lease."""
    if token is None:
        token = _claim(cycle_pk, timezone.now())
        if token is None:
            return 0
    cycle = OrderCycle.objects.select_related("hub").get(pk=cycle_pk)
    issued, refused = 0, set()
    while True:
        to_invoice = list(
            orders_to_invoice(cycle).exclude(pk__in=refused).values_list("pk", flat=True)[:chunk]
        )
        for pk in to_invoice:
            try:
                issue_invoice(order=pk)
                issued += 1
            except InvoiceError as refusal:
                # The hub's identity emptied meanwhile, a payment cancelled: left for a
                # later run (the next tick), not tried again in this one.
                logger.warning("Order %s of cycle %s not invoiced: %s", pk, cycle_pk, refusal)
                refused.add(pk)
        without_pdf = list(cycle.invoices.filter(pdf="").order_by("pk")[:chunk])
        with without_gc_pauses():
            for invoice in without_pdf:
                attach_pdf(invoice)
        token = _renew(cycle_pk, token)
        if token is None:
            return issued  # another worker holds the cycle now
        if not to_invoice and not without_pdf:
            break
    done = {"invoices_lease_until": None}
    if not refused:
        done["invoices_issued_at"] = timezone.now()
    OrderCycle.objects.filter(pk=cycle_pk, invoices_lease_until=token).update(**done)
    return issued


@db_task()
def issue_invoices_task(cycle_pk: int, token: datetime | None = None):
    """In the worker: ``issue_cycle_invoices``."""
    issue_cycle_invoices(cycle_pk, token)


def invoicing_progress(cycle: OrderCycle) -> dict:
    """How far the cycle's invoicing is: invoices issued, with their PDF, still to do."""
    issued = cycle.invoices.count()
    with_pdf = cycle.invoices.exclude(pdf="").count()
    return {"issued": issued, "with_pdf": with_pdf, "left": orders_to_invoice(cycle).count()}


# The tick: once its pickup day is over, a cycle's adjustments become final by themselves.


def finalise_due_cycles(now: datetime) -> None:
    """Make final the adjustments of the closed cycles whose last pickup slot has ended
    (the packers weigh on the pickup day itself), when their hub's legal identity is
    complete (else the cycle's invoices page says what is missing, and the tick tries
    again); then queue the issuing of every cycle whose invoices are not all issued and
    that no worker holds."""
    today = timezone.localtime(now).date()
    due = (
        OrderCycle.objects.filter(
            status=OrderCycle.Status.PUBLISHED,
            closed_at__isnull=False,
            adjustments_final_at__isnull=True,
        )
        .annotate(last_pickup=Max("pickups__pickup_date"))
        .filter(last_pickup__lte=today)
        .select_related("hub")
        .prefetch_related("pickups__slots")
    )
    for cycle in due:
        slots = [slot for pickup in cycle.pickups.all() for slot in pickup.slots.all()]
        if any(slot.ends() > now for slot in slots) or cycle.hub.missing_legal_identity():
            continue
        _make_final(cycle, now)
    waiting = OrderCycle.objects.filter(
        adjustments_final_at__isnull=False, invoices_issued_at__isnull=True
    ).filter(Q(invoices_lease_until__isnull=True) | Q(invoices_lease_until__lt=now))
    for pk in list(waiting.values_list("pk", flat=True)):
        try:
            with transaction.atomic():
                queue_issuing(pk, now=now)
        except IntegrityError:
            logger.exception("Cycle %s: could not queue its invoices", pk)


# Credit notes


def credit_left(invoice: Invoice) -> list[Decimal]:
    """What can still be credited on each line of the invoice (incl. VAT): its amount
    less what its credit notes credited."""
    left = [Decimal(line["total"]) for line in invoice.lines]
    for lines in invoice.credit_notes.values_list("lines", flat=True):
        for line in lines:
            left[line["invoice_line"]] -= Decimal(line["total"])
    return left


def issue_credit_note(
    *,
    invoice: Invoice,
    amounts: dict[int, Decimal],
    reason: str,
    by,
    key: str,
    now: datetime | None = None,
) -> CreditNote:
    """Credit ``amounts`` (incl. VAT, by index of the invoice's line) of an issued
    invoice, for ``reason``: a credit note numbered in the hub's "AV-" series, and its
    amount added to the household's balance (an entry ``credit_note`` naming the order),
    in one transaction. Never more than what is left of a line. ``key`` (the form's) makes
    sending the same request twice issue one credit note."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise InvoiceError(_("Say why the invoice is credited."))
    amounts = {index: amount for index, amount in amounts.items() if amount}
    if not amounts:
        raise InvoiceError(_("Enter an amount to credit on at least one line."))
    with transaction.atomic():
        # The order's row is the lock of its invoice's credit notes: what is left is read
        # and written one credit note after the other.
        Order.objects.select_for_update().filter(pk=invoice.order_id).first()
        written = CreditNote.objects.filter(key=key).first()
        if written is not None:
            return written
        invoice = Invoice.objects.select_related("hub", "customer", "order").get(pk=invoice.pk)
        left = credit_left(invoice)
        rows = []
        for index, amount in sorted(amounts.items()):
            if not 0 <= index < len(left):
                raise InvoiceError(_("This line is not on the invoice."))
            line = invoice.lines[index]
            if amount < 0 or amount != money(amount):
                raise InvoiceError(_("Enter an amount in euros, such as 12.50."))
            if amount > left[index]:
                raise InvoiceError(
                    _("At most %(left)s € can still be credited on “%(line)s”.")
                    % {"left": number_format(left[index], 2), "line": line["description"]}
                )
            whole = amount == Decimal(line["total"])
            rows.append({
                "description": line["description"],
                "quantity": Decimal(line["quantity"]) if whole else 1,
                "unit": line["unit"] if whole else "piece",
                "unit_price": Decimal(line["unit_price"]) if whole else amount,
                "vat_rate": Decimal(line["vat_rate"]), "total": amount, "invoice_line": index,
            })  # fmt: skip
        content = priced(rows)
        year = timezone.localtime(now).year
        position, number = take_number(invoice.hub, year, InvoiceSequence.Kind.CREDIT_NOTE)
        note = CreditNote(
            hub=invoice.hub, invoice=invoice, order=invoice.order, customer=invoice.customer,
            number=number, year=year, position=position, issued_at=now, seller=invoice.seller,
            buyer=invoice.buyer, lines=content.lines, vat_rows=content.vat_rows,
            total_excl_vat=content.total_excl_vat, total_vat=content.total_vat,
            total_incl_vat=content.total_incl_vat, reason=reason[:500], by=by, key=key,
        )  # fmt: skip
        note.save(force_insert=True)
        ledger.add_entry(
            customer=invoice.customer, kind=BalanceEntry.Kind.CREDIT_NOTE,
            amount=content.total_incl_vat, key=f"credit_note:{note.pk}", order=invoice.order,
            reason=f"{number} — {reason}", by=by,
        )  # fmt: skip
        transaction.on_commit(lambda: attach_credit_note_pdf(note.pk), robust=True)
        # Refunded to the card that paid the order, if that is the hub's choice.
        refunds.refund_owed(order=invoice.order)
    return note


@db_task()
def attach_credit_note_pdf(pk: int):
    """In the worker: the credit note's Factur-X PDF (its download renders it if asked
    for before)."""
    attach_pdf(CreditNote.objects.get(pk=pk))


# The sales journal


def sales_journal(cycle: OrderCycle) -> tuple[list[str], list[list]]:
    """(header, rows) of the cycle's sales journal: one row per invoice and per credit
    note of its invoices (amounts negative), by date of issue: date, number, kind,
    customer, then excl. VAT and VAT for each rate, and the totals. A rate a document
    does not have is 0."""
    documents = sorted(
        [
            *cycle.invoices.all(),
            *CreditNote.objects.filter(invoice__cycle=cycle).select_related("invoice"),
        ],
        key=lambda document: (document.issued_at, isinstance(document, CreditNote), document.pk),
    )
    rates = sorted({Decimal(row["rate"]) for document in documents for row in document.vat_rows})
    header = [_("date"), _("number"), _("kind"), _("customer")]
    for rate in rates:
        shown = number_format(rate.normalize(), use_l10n=True)
        header += [
            _("excl. VAT at %(rate)s %%") % {"rate": shown},
            _("VAT at %(rate)s %%") % {"rate": shown},
        ]
    header += [_("total excl. VAT"), _("total VAT"), _("total incl. VAT")]
    rows = []
    for document in documents:
        is_credit = isinstance(document, CreditNote)
        sign = -1 if is_credit else 1
        by_rate = {Decimal(row["rate"]): row for row in document.vat_rows}
        row = [
            timezone.localtime(document.issued_at).date(),
            document.number,
            _("credit note") if is_credit else _("invoice"),
            document.buyer["name"],
        ]
        for rate in rates:
            found = by_rate.get(rate)
            row += [
                sign * Decimal(found["net"]) if found else Decimal("0.00"),
                sign * Decimal(found["vat"]) if found else Decimal("0.00"),
            ]
        row += [
            sign * document.total_excl_vat,
            sign * document.total_vat,
            sign * document.total_incl_vat,
        ]
        rows.append(row)
    return header, rows
