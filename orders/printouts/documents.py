"""Printed documents of a cycle: plain data, then HTML templates (``templates/documents/``)
rendered to PDF by WeasyPrint, and the same data as CSV.

Every PDF starts with the same header (``header``, ``documents/_header.html``) and repeats
it at the foot of each page: which hub, which cycle, which pickup day and point, and when
it was printed (Paris time), so that a sheet found on a crate says where it belongs.

- packing sheets (the hub): one block per order, grouped by pickup point and slot;
- pick list (a producer): totals per variant, per pickup point, and per household when
  the hub lets producers see names;
- crate labels (the hub): order number, name, point, slot and a QR code;
- receipt (a household): lines and VAT per rate.
"""

import gc
import io
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from huey.contrib.djhuey import db_task

from foodhub import spreadsheets
from foodhub.collation import french
from foodhub.text import french_sort_key
from orders import pricing
from orders.checkout.services import amounts_of, paid_amount, rows_of
from orders.models import CycleDocument, Order, OrderCycle, OrderLine

# Rendering


@dataclass
class PickupDay:
    day: date
    points: list[str]


@dataclass
class Header:
    """What the top of every printed document says."""

    hub: object
    cycle: OrderCycle
    pickups: list  # CyclePickupPoint with its point, by day then point name
    printed_at: datetime

    @cached_property
    def pickup_days(self) -> list[PickupDay]:
        """The pickup days, each with its points: "Tuesday 1 October 2030 — A, B"."""
        days: dict[date, PickupDay] = {}
        for pickup in self.pickups:
            days.setdefault(pickup.pickup_date, PickupDay(pickup.pickup_date, []))
            days[pickup.pickup_date].points.append(pickup.pickup_point.name)
        return list(days.values())

    @cached_property
    def several_days(self) -> bool:
        """Whether the points collect on different days (then each point's day is
        repeated next to it; else the header's one day says it)."""
        return len(self.pickup_days) > 1

    @cached_property
    def day_of(self) -> dict[str, date]:
        """{point name: its pickup day}."""
        return {pickup.pickup_point.name: pickup.pickup_date for pickup in self.pickups}


def header(cycle: OrderCycle, *, point=None) -> Header:
    """The header of a cycle's document (``point``: only that pickup point's day)."""
    pickups = cycle.pickups.select_related("pickup_point").order_by(
        "pickup_date", french("pickup_point__name")
    )
    if point is not None:
        pickups = pickups.filter(pickup_point=point)
    return Header(hub=cycle.hub, cycle=cycle, pickups=list(pickups), printed_at=timezone.now())


def render_html(template: str, context: dict) -> str:
    return render_to_string(template, {"site_name": settings.SITE_NAME, **context})


def render_pdf(template: str, context: dict) -> bytes:
    """The document as PDF. Fonts are the system's (DejaVu: accents, €); the print CSS is
    inline, so nothing is fetched."""
    from weasyprint import HTML  # imported when a PDF is made: not every process needs it

    return HTML(string=render_html(template, context)).write_pdf()


# Column titles of the CSV files, in the reader's language.
COLUMNS = {
    "date": gettext_lazy("date"),
    "order": gettext_lazy("order"),
    "household": gettext_lazy("household"),
    "hub": gettext_lazy("hub"),
    "email": gettext_lazy("e-mail"),
    "phone": gettext_lazy("phone"),
    "pickup_point": gettext_lazy("pickup point"),
    "slot": gettext_lazy("slot"),
    "producer": gettext_lazy("producer"),
    "product": gettext_lazy("product"),
    "variant": gettext_lazy("variant"),
    "quantity": gettext_lazy("quantity"),
    "units": gettext_lazy("units"),
    "items": gettext_lazy("items"),
    "payment": gettext_lazy("payment"),
    "method": gettext_lazy("method"),
    "kind": gettext_lazy("kind"),
    "status": gettext_lazy("status"),
    "amount": gettext_lazy("amount"),
    "goods": gettext_lazy("goods"),
    "fee": gettext_lazy("hub fee"),
    "total": gettext_lazy("total"),
    "paid": gettext_lazy("paid"),
    "due": gettext_lazy("due"),
    "collected": gettext_lazy("collected"),
    "note": gettext_lazy("note"),
    "recorded_by": gettext_lazy("recorded by"),
    "stripe_payment_intent": gettext_lazy("Stripe payment"),
    "vat_rate": gettext_lazy("VAT rate"),
    "excl_vat": gettext_lazy("excl. VAT"),
    "vat": gettext_lazy("VAT"),
    "incl_vat": gettext_lazy("incl. VAT"),
    "total_incl_vat": gettext_lazy("total incl. VAT"),
    "fee_incl_vat": gettext_lazy("hub fee incl. VAT"),
    "fee_vat_rate": gettext_lazy("hub fee VAT rate"),
    "fee_vat": gettext_lazy("hub fee VAT"),
}


def csv_bytes(header: list[str], rows) -> bytes:
    """A CSV file (``foodhub.spreadsheets``, the one writer) whose columns are keys of
    ``COLUMNS``, titled in the reader's language."""
    return spreadsheets.csv_bytes([COLUMNS[column] for column in header], rows)


def _live_lines(cycle: OrderCycle):
    return OrderLine.objects.filter(order__cycle=cycle, order__status__in=Order.LIVE_STATUSES)


# Packing sheets


@dataclass
class PackingGroup:
    point: object
    slot: object
    day: date
    orders: list = field(default_factory=list)


def packing_sheets(cycle: OrderCycle, *, orders=None) -> list[PackingGroup]:
    """Every live order (or ``orders``, a chunk of them) with its lines, grouped by pickup
    point then slot, households in name order within a slot."""
    if orders is None:
        orders = cycle.orders.live()
    orders = (
        orders.select_related("cycle_pickup__pickup_point", "slot")
        .prefetch_related("lines")
        .order_by(french("cycle_pickup__pickup_point__name"), "slot__starts_at", "slot_id")
    )
    groups: dict[tuple[int, int], PackingGroup] = {}
    for order in orders:
        key = (order.cycle_pickup_id, order.slot_id)
        if key not in groups:
            pickup = order.cycle_pickup
            groups[key] = PackingGroup(
                point=pickup.pickup_point, slot=order.slot, day=pickup.pickup_date
            )
        groups[key].orders.append(order)
    for group in groups.values():
        group.orders.sort(key=lambda order: french_sort_key(order.full_name))
    return list(groups.values())


def packing_sheets_csv(cycle: OrderCycle) -> bytes:
    rows = (
        [group.point.name, str(group.slot), order.number, order.full_name,
         line.final_quantity, line.product_name, line.variant_name, line.producer_name]
        for group in packing_sheets(cycle)
        for order in group.orders
        for line in order.lines.all()
    )  # fmt: skip
    return csv_bytes(
        ["pickup_point", "slot", "order", "household", "quantity", "product", "variant",
         "producer"],
        rows,
    )  # fmt: skip


def packing_sheets_pdf(cycle: OrderCycle, *, groups=None, numbered: bool = True) -> bytes:
    groups = packing_sheets(cycle) if groups is None else groups
    return render_pdf(
        "documents/packing_sheets.html",
        {"cycle": cycle, "groups": groups, "header": header(cycle), "numbered": numbered},
    )


# Pick lists


@dataclass
class PickRow:
    product: str
    variant: str
    total: int
    per_point: dict  # point name -> quantity
    per_household: list  # (order number, name, point, quantity), when names are shown
    estimated_kg: Decimal | None = None  # sold by weight: the lines' estimated weight
    ordered: int = 0  # what was ordered; ``total`` is what is delivered (after a shortage)


def pick_list(cycle: OrderCycle, producer, *, with_names: bool) -> list[PickRow]:
    """What ``producer`` prepares for the cycle: per variant, the total and the crates per
    pickup point (and per household when ``with_names``), in units delivered: after a
    shortage or a correction, what comes, not what was ordered (``ordered``)."""
    lines = (
        _live_lines(cycle)
        .filter(producer=producer)
        .order_by(french("product_name"), french("variant_name"), french("order__full_name"))
        .values_list(
            "variant_id", "product_name", "variant_name", "quantity", "order__number",
            "order__full_name", "order__cycle_pickup__pickup_point__name", "estimated_weight",
            "delivered_quantity",
        )
    )  # fmt: skip
    rows: dict[int, PickRow] = {}
    # Plain tuples, not model instances: a producer of a big cycle has thousands of lines.
    for (
        variant_id, product, variant, ordered, number, full_name, point, kg, delivered
    ) in lines.iterator(chunk_size=5000):  # fmt: skip
        row = rows.get(variant_id)
        if row is None:
            row = rows[variant_id] = PickRow(product, variant, 0, defaultdict(int), [])
        quantity = ordered if delivered is None else delivered
        row.total += quantity
        row.ordered += ordered
        if kg is not None:
            row.estimated_kg = (row.estimated_kg or 0) + (kg * quantity / ordered).quantize(kg)
        row.per_point[point] += quantity
        if with_names:
            row.per_household.append((number, full_name, point, quantity))
    for row in rows.values():
        row.per_point = dict(
            sorted(row.per_point.items(), key=lambda item: french_sort_key(item[0]))
        )
    return list(rows.values())


def pick_list_pdf(cycle: OrderCycle, producer, *, rows: list[PickRow]) -> bytes:
    return render_pdf(
        "documents/pick_list.html",
        {"cycle": cycle, "producer": producer, "rows": rows, "header": header(cycle)},
    )


def pick_list_csv(cycle: OrderCycle, producer, *, with_names: bool) -> bytes:
    """The pick list's detail, one kind of row: a row per household's line when names
    are shown, else a row per pickup point (the totals per variant are in the PDF)."""
    rows = pick_list(cycle, producer, with_names=with_names)
    if with_names:
        return csv_bytes(
            ["product", "variant", "pickup_point", "order", "household", "quantity"],
            (
                [row.product, row.variant, point, number, name, quantity]
                for row in rows
                for number, name, point, quantity in row.per_household
            ),
        )
    return csv_bytes(
        ["product", "variant", "pickup_point", "quantity"],
        (
            [row.product, row.variant, point, quantity]
            for row in rows
            for point, quantity in row.per_point.items()
        ),
    )


# Crate labels


@dataclass
class Label:
    order: Order
    qr_svg: str


def crate_labels(cycle: OrderCycle, *, orders=None) -> list[Label]:
    """One label per order, in packing order; the QR code opens the order on distribution
    day (for the pickup point's team only)."""
    import segno  # imported when labels are made: not every process needs it

    labels = []
    for group in packing_sheets(cycle, orders=orders):
        for order in group.orders:
            url = settings.SITE_URL + reverse("pickup_points:scan", args=[order.number])
            svg = segno.make(url, error="m").svg_inline(scale=3, border=1)
            labels.append(Label(order=order, qr_svg=svg))
    return labels


def crate_labels_pdf(cycle: OrderCycle, *, labels=None, numbered: bool = True) -> bytes:
    labels = crate_labels(cycle) if labels is None else labels
    return render_pdf(
        "documents/crate_labels.html",
        {"labels": labels, "header": header(cycle), "numbered": numbered},
    )


def crate_labels_csv(cycle: OrderCycle) -> bytes:
    """The labels' text, in packing order (no QR codes to draw)."""
    rows = (
        [order.number, order.full_name, group.point.name, str(group.slot)]
        for group in packing_sheets(cycle)
        for order in group.orders
    )
    return csv_bytes(["order", "household", "pickup_point", "slot"], rows)


# Receipt


@dataclass
class Receipt:
    order: Order
    rows: list
    amounts: pricing.OrderAmounts
    paid: Decimal
    issued_at: object
    header: Header


def receipt(order: Order) -> Receipt:
    order = (
        Order.objects.select_related("cycle__hub", "cycle_pickup__pickup_point", "slot")
        .prefetch_related("lines")
        .get(pk=order.pk)
    )
    amounts = amounts_of(order)
    return Receipt(
        order=order,
        rows=rows_of(order, amounts),
        amounts=amounts,
        paid=paid_amount(order),
        issued_at=timezone.now(),
        header=header(order.cycle, point=order.cycle_pickup.pickup_point),
    )


def receipt_pdf(order: Order) -> bytes:
    return render_pdf("documents/receipt.html", {"doc": receipt(order)})


# Big documents, built in the background in chunks

# Orders per chunk: each chunk is one WeasyPrint rendering (about 40 pages of packing
# sheets, 25 of labels), so memory stays bounded whatever the size of the cycle.
CHUNK_ORDERS = 200
# Up to this many orders, a document is simply rendered when asked for.
ON_DEMAND_ORDERS = 150
STALE_AFTER = timedelta(minutes=30)


def packing_order(cycle: OrderCycle) -> list[int]:
    """Live orders' ids in the order of the packing sheets (point, slot, then name)."""
    rows = cycle.orders.live().values_list(
        "pk", "full_name", "cycle_pickup__pickup_point__name", "slot__starts_at", "slot_id"
    )
    rows = sorted(rows, key=lambda r: (french_sort_key(r[2]), r[3], r[4], french_sort_key(r[1])))
    return [row[0] for row in rows]


def render_chunk(kind: str, cycle: OrderCycle, order_ids: list[int], *, numbered: bool) -> bytes:
    """The PDF of some orders of the cycle, in packing order."""
    orders = Order.objects.filter(pk__in=order_ids)
    if kind == CycleDocument.Kind.PACKING_SHEETS:
        groups = packing_sheets(cycle, orders=orders)
        position = {pk: n for n, pk in enumerate(order_ids)}
        groups.sort(key=lambda group: position[group.orders[0].pk])
        return packing_sheets_pdf(cycle, groups=groups, numbered=numbered)
    return crate_labels_pdf(cycle, labels=crate_labels(cycle, orders=orders), numbered=numbered)


def orders_state(cycle: OrderCycle) -> str:
    """A fingerprint of the cycle's orders: it changes when one is placed, changed,
    cancelled or handed over."""
    state = cycle.orders.aggregate(
        live=Count("pk", filter=Q(status__in=Order.LIVE_STATUSES)), last=Max("updated_at")
    )
    last = state["last"].isoformat() if state["last"] else "-"
    return f"{state['live']}@{last}"


def current_document(cycle: OrderCycle, kind: str) -> CycleDocument | None:
    """The latest finished document of this kind, if the orders have not changed since."""
    latest = (
        cycle.documents.filter(kind=kind, status=CycleDocument.Status.DONE)
        .order_by("-finished_at", "-pk")
        .first()
    )
    if latest is not None and latest.source == orders_state(cycle):
        return latest
    return None


def request_document(*, cycle: OrderCycle, kind: str, by) -> CycleDocument:
    """Queue a document to build (after commit), unless an up-to-date one is ready; one
    build at a time per cycle and kind."""
    ready = current_document(cycle, kind)
    if ready is not None:
        return ready
    unfinished = cycle.documents.filter(
        kind=kind, status__in=[CycleDocument.Status.PENDING, CycleDocument.Status.RUNNING]
    )
    # One left running by a worker that died is given up after a while.
    unfinished.filter(created_at__lt=timezone.now() - STALE_AFTER).update(
        status=CycleDocument.Status.FAILED, error="abandoned", finished_at=timezone.now()
    )
    running = unfinished.first()
    if running:
        return running
    document = CycleDocument.objects.create(cycle=cycle, kind=kind, requested_by=by)
    transaction.on_commit(lambda: build_cycle_document(document.pk), robust=True)
    return document


@contextmanager
def without_gc_pauses():
    """Lay a chunk out without Python's cycle collector running again and again over
    WeasyPrint's many small objects (1,000 orders: 32.6 s -> 28.5 s); the chunk's garbage
    is collected once at the end, so memory stays bounded per chunk (240 MB at most)."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


def build_document(document_id: int, *, chunk_orders: int = CHUNK_ORDERS) -> CycleDocument:
    """Build a queued document chunk by chunk, recording progress; merge the chunks and
    store the file. Claimed with a conditional UPDATE, so two workers never build it
    twice; a failure is recorded on the document."""
    from pypdf import PdfReader, PdfWriter  # imported when a document is built (the worker)

    claimed = CycleDocument.objects.filter(
        pk=document_id, status=CycleDocument.Status.PENDING
    ).update(status=CycleDocument.Status.RUNNING)
    document = CycleDocument.objects.select_related("cycle__hub").get(pk=document_id)
    if not claimed:
        return document
    try:
        source = orders_state(document.cycle)
        ids = packing_order(document.cycle)
        chunks = [ids[i : i + chunk_orders] for i in range(0, len(ids), chunk_orders)] or [[]]
        CycleDocument.objects.filter(pk=document.pk).update(
            chunks_total=len(chunks), orders=len(ids)
        )
        writer = PdfWriter()
        for n, chunk in enumerate(chunks, start=1):
            with without_gc_pauses():
                pdf = render_chunk(document.kind, document.cycle, chunk, numbered=len(chunks) == 1)
            writer.append(PdfReader(io.BytesIO(pdf)))
            CycleDocument.objects.filter(pk=document.pk).update(chunks_done=n)
        out = io.BytesIO()
        writer.write(out)
        cycle = document.cycle
        name = f"{cycle.hub.order_prefix}-{cycle.pk}-{document.kind}.pdf".lower()
        document.file.save(name, ContentFile(out.getvalue()), save=False)
        document.status = CycleDocument.Status.DONE
        document.chunks_done = document.chunks_total = len(chunks)
        document.orders = len(ids)
        document.source = source
        document.finished_at = timezone.now()
        document.save()
    except Exception as error:
        CycleDocument.objects.filter(pk=document.pk).update(
            status=CycleDocument.Status.FAILED, error=repr(error)[:2000], finished_at=timezone.now()
        )
        raise
    return document


@db_task()
def build_cycle_document(document_id: int):
    """In the worker: build a big printed document of a cycle (``build_document``)."""
    build_document(document_id)
