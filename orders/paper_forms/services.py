"""Printing paper order forms, reading a keyed form, and placing its order for a household.

Numbers and forms are explained in the package's docstring (``orders.paper_forms``).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from foodhub.collation import french
from foodhub.hubs.models import Hub
from foodhub.inputs import MAX_ID
from orders import pricing
from orders.checkout.selectors import shop_offers
from orders.checkout.services import MAX_LINE_QUANTITY, AlreadyOrdered, OrderError, place_order
from orders.models import (
    CyclePickupPoint,
    Order,
    OrderCycle,
    PaperForm,
    PaperFormBatch,
    PaperFormLine,
    PickupSlot,
)
from orders.models.paper_forms import check_digit
from orders.relays import selectors as relay_selectors
from orders.relays.services import RelayError, create_household

# More copies than this in one go is a mistake. Up to IN_REQUEST copies are built while
# the person waits (a form of 40 lines, two pages, takes about a second); more are built by
# the worker (``documents.build_batch``).
MAX_COPIES = 60
IN_REQUEST = 2

QUANTITY = re.compile(r"[0-9]{1,6}")
LINE_NUMBER = re.compile(r"[0-9]{1,6}")
# A form number as printed ("1234-5"), typed with spaces or without its dash, or the
# address of its keying screen as a scanner types what the QR code holds.
FORM_NUMBER = re.compile(r"([0-9]{1,18})[\s-]*([0-9])")
FORM_IN_ADDRESS = re.compile(r"/paper-forms/([0-9]{1,18}-[0-9])/")


class PaperFormError(Exception):
    """What cannot be done with a paper form; the message says why."""


class FormAlreadyKeyed(PaperFormError):
    """The form's order was placed already: keying it again would order twice."""

    def __init__(self, order: Order):
        self.order = order
        super().__init__(
            _(
                "This form was already keyed: order %(number)s for %(name)s. "
                "It is not placed a second time."
            )
            % {"number": order.number, "name": order.full_name}
        )


# Numbering and printing


def number_lines(cycle: OrderCycle, now: datetime | None = None) -> None:
    """Give a line number to each offer on sale in ``cycle`` that has none yet: the next
    free numbers, in the form's order. The caller holds the cycle's row lock, so two
    prints never give one number twice."""
    numbered = set(
        PaperFormLine.objects.filter(cycle=cycle, offer__isnull=False).values_list(
            "offer_id", flat=True
        )
    )
    new = [offer for offer in shop_offers(cycle, group_by="category") if offer.pk not in numbered]
    if not new:
        return
    last = PaperFormLine.objects.filter(cycle=cycle).aggregate(last=Max("number"))["last"] or 0
    PaperFormLine.objects.bulk_create(
        PaperFormLine(cycle=cycle, offer=offer, number=last + n, created_at=now or timezone.now())
        for n, offer in enumerate(new, start=1)
    )


def printable_pickups(hub: Hub, now: datetime | None = None) -> QuerySet[CyclePickupPoint]:
    """The pickup points of the hub's published cycles not closed yet: forms are printed
    for them (before the opening, to hand them out, or while the cycle is open)."""
    now = now or timezone.now()
    return (
        CyclePickupPoint.objects.filter(
            cycle__hub=hub, cycle__status=OrderCycle.Status.PUBLISHED, cycle__closes_at__gt=now
        )
        .select_related("cycle", "pickup_point")
        .order_by("cycle__opens_at", "cycle_id", "pickup_date", french("pickup_point__name"))
    )


@transaction.atomic
def print_forms(
    *, cycle_pickup: CyclePickupPoint, by, copies: int, now: datetime | None = None
) -> list[PaperForm]:
    """``copies`` new forms of the cycle for the point, each with its own number, the
    cycle's offers numbered first (``number_lines``). More than ``IN_REQUEST`` make a
    batch (``forms[0].batch``) for the worker to build (``documents.request_batch``)."""
    now = now or timezone.now()
    if not 1 <= copies <= MAX_COPIES:
        raise PaperFormError(
            _("Print between 1 and %(max)d forms at a time.") % {"max": MAX_COPIES}
        )
    # FOR NO KEY UPDATE: two prints of the cycle number its offers one after the other,
    # while orders (FOR KEY SHARE of the cycle, ``place_order``) go on being placed.
    cycle = OrderCycle.objects.select_for_update(no_key=True).get(pk=cycle_pickup.cycle_id)
    if cycle.phase(now) not in (OrderCycle.Phase.UPCOMING, OrderCycle.Phase.OPEN):
        raise PaperFormError(_("Forms are printed only for a cycle that is not closed."))
    number_lines(cycle, now)
    batch = None
    if copies > IN_REQUEST:
        batch = PaperFormBatch.objects.create(
            cycle_pickup=cycle_pickup, requested_by=by, created_at=now
        )
    forms = [
        PaperForm(cycle_pickup=cycle_pickup, printed_at=now, printed_by=by, batch=batch)
        for _n in range(copies)
    ]
    # One by one: every database gives each its id back (bulk_create does not on SQLite <3.35).
    for form in forms:
        form.save(force_insert=True)
    return forms


def form_lines(cycle: OrderCycle, *, printed_at: datetime | None = None) -> list[PaperFormLine]:
    """The numbered lines of the cycle's forms, in the form's order (category, then line
    number), each with its offer, variant, product, producer and category loaded; only
    those numbered by ``printed_at`` (what a form printed then shows)."""
    lines = PaperFormLine.objects.filter(cycle=cycle).select_related(
        "offer__variant__product__producer", "offer__variant__product__category"
    )
    if printed_at is not None:
        lines = lines.filter(created_at__lte=printed_at)
    return list(
        lines.order_by(
            "offer__variant__product__category__position",
            french("offer__variant__product__category__name"),
            "number",
        )
    )


def on_sale(line: PaperFormLine) -> bool:
    offer = line.offer
    return offer is not None and offer.variant.is_active and offer.variant.product.is_active


def available(line: PaperFormLine) -> int | None:
    """Units left of the line's offer (None: no limit; 0 when it is off sale)."""
    return line.offer.available() if on_sale(line) else 0


# Finding a form from its number


def parse_form_number(text: str) -> int | None:
    """The id of the form whose number is ``text`` ("1234-5", "1234 5", "12345", or the
    address of its keying screen), or None when it is not a form number (its check digit
    wrong: a digit mistyped)."""
    text = str(text).strip()[:300]
    if match := FORM_IN_ADDRESS.search(text):
        text = match.group(1)
    match = FORM_NUMBER.fullmatch(text)
    if not match:
        return None
    pk, check = int(match.group(1)), int(match.group(2))
    if not 0 < pk <= MAX_ID or check_digit(pk) != check:
        return None
    return pk


def paper_form_of(hub: Hub, code: str) -> PaperForm | None:
    """The hub's form numbered ``code``, with its cycle, point and order, or None."""
    pk = parse_form_number(code)
    if pk is None:
        return None
    return (
        PaperForm.objects.select_related(
            "cycle_pickup__cycle__hub", "cycle_pickup__pickup_point", "order"
        )
        .filter(cycle_pickup__cycle__hub=hub, pk=pk)
        .first()
    )


def keyed_order(paper_form: PaperForm) -> Order | None:
    """The live order already placed from this form, if any."""
    order = paper_form.order
    return order if order is not None and order.is_live else None


# Reading what was keyed


@dataclass
class KeyedLine:
    line: PaperFormLine
    typed: str = ""
    quantity: int = 0
    error: str = ""
    available: int | None = None

    @property
    def total(self) -> Decimal:
        return self.line.offer.price * self.quantity if self.quantity else Decimal("0.00")


@dataclass
class Keyed:
    """A keyed form: every line of the form in its order, what was typed on each and what
    is wrong with it; errors that belong to no line (a line number not on the form)."""

    lines: list[KeyedLine]
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not any(line.error for line in self.lines)

    @property
    def ordered(self) -> list[KeyedLine]:
        return [line for line in self.lines if line.quantity]

    @property
    def quantities(self) -> dict[int, int]:
        return {keyed.line.offer_id: keyed.quantity for keyed in self.ordered}

    @property
    def total(self) -> Decimal:
        return sum((keyed.total for keyed in self.ordered), Decimal("0.00"))

    @property
    def all_errors(self) -> list[str]:
        return self.errors + [
            _("Line %(number)d: %(error)s") % {"number": keyed.line.number, "error": keyed.error}
            for keyed in self.lines
            if keyed.error
        ]


FIELD = re.compile(r"l(.*)", re.DOTALL)


def line_field(number: int) -> str:
    """The name of a line's quantity field in the keying form."""
    return f"l{number}"


def read_keyed(lines: list[PaperFormLine], data: Mapping[str, str]) -> Keyed:
    """What was keyed for each line of a form: ``data`` holds ``l<line number>`` fields
    (a form's POST). Empty means none; a quantity must be a whole number, at most
    ``MAX_LINE_QUANTITY`` and what is left in stock. Nothing is written."""
    keyed = Keyed(lines=[KeyedLine(line=line, available=available(line)) for line in lines])
    by_number = {keyed_line.line.number: keyed_line for keyed_line in keyed.lines}
    for name in data:
        match = FIELD.fullmatch(name)
        if not match:
            continue
        number_text = match.group(1)
        number = int(number_text) if LINE_NUMBER.fullmatch(number_text) else None
        if number not in by_number:
            keyed.errors.append(
                _("Line %(number)s is not on this form: check the number.")
                % {"number": number_text[:8]}
            )
    for keyed_line in keyed.lines:
        raw = data.get(line_field(keyed_line.line.number), "")
        _read_quantity(keyed_line, str(raw))
    return keyed


def _read_quantity(keyed: KeyedLine, raw: str) -> None:
    text = raw.strip()
    keyed.typed = text[:8]
    if not text or text == "0":
        return
    if not QUANTITY.fullmatch(text):
        keyed.error = _("“%(value)s” is not a quantity: type a whole number such as 1, 2 or 3.") % {
            "value": text[:8]
        }
        return
    quantity = int(text)
    if quantity > MAX_LINE_QUANTITY:
        keyed.error = _("%(count)d is too many: at most %(max)d of one item per order.") % {
            "count": quantity,
            "max": MAX_LINE_QUANTITY,
        }
    elif keyed.available == 0:
        keyed.error = _("No more in stock.") if on_sale(keyed.line) else _("No longer on sale.")
    elif keyed.available is not None and quantity > keyed.available:
        keyed.error = ngettext("Only %(count)d left.", "Only %(count)d left.", keyed.available) % {
            "count": keyed.available
        }
    keyed.quantity = 0 if keyed.error else quantity


@dataclass
class PricedLine:
    number: int
    name: str
    quantity: int
    unit_price: Decimal
    total: Decimal
    per_kg: Decimal | None


def priced(cycle: OrderCycle, keyed: Keyed) -> tuple[list[PricedLine], pricing.OrderAmounts]:
    """The keyed lines priced as the order will be (hub fee, VAT), for the review."""
    ordered = keyed.ordered
    amounts = pricing.price_order(
        [
            pricing.LineInput(
                unit_price=k.line.offer.price,
                vat_rate=k.line.offer.variant.vat_rate_decimal,
                quantity=k.quantity,
            )
            for k in ordered
        ],
        fee_percent=cycle.fee_percent,
        fee_fixed=cycle.fee_fixed,
        fee_vat_rate=cycle.fee_vat_rate_decimal,
    )
    rows = [
        PricedLine(
            number=k.line.number,
            name=str(k.line.offer.variant),
            quantity=k.quantity,
            unit_price=line.unit_price,
            total=line.total,
            per_kg=k.line.offer.price_per_kg,
        )
        for k, line in zip(ordered, amounts.lines, strict=True)
    ]
    return rows, amounts


# Placing


@dataclass
class NewHousehold:
    full_name: str
    phone: str
    consent: str


def place_keyed_order(
    *,
    paper_form: PaperForm,
    by,
    quantities: Mapping[int, int],
    slot: PickupSlot,
    customer=None,
    new_household: NewHousehold | None = None,
    now: datetime | None = None,
) -> Order:
    """Place the order keyed from ``paper_form`` for a household ``by`` helps (or makes the
    record of, with its consent, in the same transaction), paid at pickup.

    1. Lock the form: of two people keying it at once, the second waits, then sees it used.
    2. Refuse a form whose order was placed already (and is not cancelled).
    3. The household: one ``by`` may order for (of the form's hub), or a new record.
    4. The order through the normal checkout (same stock rules, same slots), the slot one
       of the form's point; it is kept on the form.
    Nothing is written when anything is refused.
    """
    cycle_pickup = paper_form.cycle_pickup
    cycle = cycle_pickup.cycle
    with transaction.atomic():
        # The form alone, then its order in a statement of its own: on PostgreSQL a join
        # read with the lock would see the order row as it was before the wait (none).
        form = PaperForm.objects.select_for_update().get(pk=paper_form.pk)
        done = Order.objects.live().filter(pk=form.order_id).first() if form.order_id else None
        if done is not None:
            raise FormAlreadyKeyed(done)
        if slot.cycle_pickup_id != cycle_pickup.pk:
            raise OrderError(_("Choose a pickup slot of this form's pickup point."))
        if customer is None:
            if new_household is None:
                raise RelayError(_("Choose the household, or make its record."))
            customer = create_household(
                hub=cycle.hub,
                by=by,
                full_name=new_household.full_name,
                phone=new_household.phone,
                consent=new_household.consent,
            )
        elif customer.hub_id != cycle.hub_id or relay_selectors.right_for(by, customer) is None:
            raise RelayError(_("You cannot order for this household."))
        try:
            order = place_order(
                cycle=cycle,
                items=dict(quantities),
                email="",
                full_name="",
                slot=slot,
                payment_method=Order.PaymentMethod.AT_PICKUP,
                customer=customer,
                placed_by=by,
                now=now,
            )
        except AlreadyOrdered:
            raise OrderError(
                _("This household already has an order in this cycle: change that order instead.")
            ) from None
        form.order = order
        form.save(update_fields=["order"])
    return order
