"""Use cases of ordering: place, change and cancel an order; record a payment.

Each takes domain objects and keyword arguments and runs in one transaction; the e-mails it
owes the household are recorded in that transaction (``orders.order_emails``, sent through
the outbox), its Stripe work queued once it has committed. Views, tasks and commands call
these, nothing else.
Stock moves only through ``orders.stock.apply_stock_changes``.
"""

import hashlib
import re
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from foodhub.inputs import parse_id
from orders import ledger, pricing
from orders.customers import customer_for
from orders.models import (
    CycleChange,
    Offer,
    Order,
    OrderCycle,
    OrderEvent,
    OrderLine,
    OrderNumberSequence,
    Payment,
    PickupSlot,
    PriceTier,
)
from orders.money import payments
from orders.order_emails import owe_order_email, owe_order_link_email
from orders.solidarity import services as solidarity
from orders.stock import (
    InsufficientStock,
    OrderError,
    SlotFull,
    apply_stock_changes,
    book_slot,
    lock_order,
    move_slot,
    release_slot,
)

from .selectors import live_order, paid_by_order

__all__ = [
    "MAX_LINE_QUANTITY",
    "AlreadyOrdered",
    "InsufficientStock",
    "OrderError",
    "cancel_order",
    "place_order",
    "record_payment",
    "send_order_link",
    "update_order",
]

# More than this many of one item in a household order is a typo, not a basket.
MAX_LINE_QUANTITY = 999
WHOLE_NUMBER = re.compile(r"-?[0-9]+")


class AlreadyOrdered(OrderError):
    """The address already has a live order in this cycle (a double submission, or someone
    typing another household's address).

    The message names no order: whoever reads it has not necessarily proved the order is
    theirs (``orders.ownership``). ``order`` is for the caller to check that, or to e-mail
    the order's link to its address (``send_order_link``).
    """

    def __init__(self, order: Order):
        self.order = order
        super().__init__(_("An order with this e-mail address already exists in this cycle."))


# Someone checking out with an address that already ordered gets its link e-mailed to that
# address: at most once per address and cycle in this time, so the form cannot flood a
# mailbox (each e-mail says the same thing anyway).
ORDER_LINK_EVERY = timedelta(hours=1)


def send_order_link(*, order: Order) -> bool:
    """E-mail the household the secret link of its order, once the caller's transaction
    has committed; at most once per ``ORDER_LINK_EVERY`` for an address and cycle.

    Returns False when an e-mail already left within that time (none is sent then).
    """
    digest = hashlib.sha256(order.email.encode()).hexdigest()[:32]
    key = f"orders:order-link:{order.cycle_id}:{digest}"
    if not cache.add(key, True, timeout=int(ORDER_LINK_EVERY.total_seconds())):
        return False
    # Each request that passes the limit owes its own e-mail (a key of its own).
    owe_order_link_email(order, key=f"order-link:{order.pk}:{secrets.token_hex(8)}")
    return True


def check_quantities(items: Mapping) -> dict[int, int]:
    """Turn {offer id: quantity} from a form into clean integers, or say what is wrong.

    Zero removes an item; negative, fractional, huge and non-numeric quantities are refused.
    """
    clean: dict[int, int] = {}
    for key, raw in items.items():
        offer_id = parse_id(key)
        if offer_id is None:
            raise OrderError(_("This product is not on sale in this cycle."))
        text = str(raw).strip()
        # ASCII digits only: str.isdigit() also accepts "²" and other digits int() refuses.
        if not WHOLE_NUMBER.fullmatch(text):
            raise OrderError(
                _("“%(value)s” is not a quantity: enter a whole number such as 1, 2 or 3.")
                % {"value": text[:20]}
            )
        if text.startswith("-") and text.strip("-0"):
            raise OrderError(_("A quantity cannot be negative."))
        # Compare lengths before int(): a 5,000-digit number is refused without parsing it.
        digits = text.lstrip("-").lstrip("0") or "0"
        quantity = int(digits) if len(digits) <= 6 else MAX_LINE_QUANTITY + 1
        if quantity > MAX_LINE_QUANTITY:
            raise OrderError(
                _("%(count)d is too many: at most %(max)d of one item per order.")
                % {"count": quantity, "max": MAX_LINE_QUANTITY}
            )
        clean[offer_id] = quantity
    return clean


def _check_open(cycle: OrderCycle, now: datetime | None) -> None:
    if cycle.status == OrderCycle.Status.CANCELLED:
        raise OrderError(_("This order cycle was cancelled."))
    if not cycle.is_open(now):
        if cycle.phase(now) == OrderCycle.Phase.CLOSED:
            raise OrderError(_("This order cycle is closed: orders can no longer be changed."))
        raise OrderError(_("This order cycle is not open yet."))


def _cycle_for_ordering(pk: int) -> OrderCycle:
    """The cycle, read again in the order's transaction and kept from being cancelled or
    rescheduled until the order is in: a manager's ``SELECT ... FOR UPDATE`` of the cycle
    waits for orders being placed (and they for it), while orders never wait for each
    other (PostgreSQL's ``FOR KEY SHARE``; SQLite runs one writer at a time anyway)."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(OrderCycle._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR KEY SHARE", [pk])  # noqa: S608
    return OrderCycle.objects.select_related("hub", "hub__solidarity").get(pk=pk)


def _slot_of(cycle: OrderCycle, slot: PickupSlot | int) -> PickupSlot:
    """The slot, if it belongs to the cycle (a tampered form may name another one)."""
    try:
        return PickupSlot.objects.get(pk=getattr(slot, "pk", slot), cycle_pickup__cycle=cycle)
    except (PickupSlot.DoesNotExist, ValueError, TypeError):
        raise OrderError(_("Choose a pickup slot of this order cycle.")) from None


def next_order_number(cycle: OrderCycle, now: datetime | None = None) -> str:
    """The hub's next order number for the year: ``LIL-2026-000123``.

    One ``UPDATE ... RETURNING`` takes the number and locks the hub's sequence row until
    the transaction ends, so numbers are never given twice and never skipped.
    """
    year = timezone.localdate(now or timezone.now()).year
    # The table name is the model's own, quoted; the values go as parameters.
    table = connection.ops.quote_name(OrderNumberSequence._meta.db_table)
    sql = f"UPDATE {table} SET last = last + 1 WHERE hub_id = %s AND year = %s RETURNING last"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [cycle.hub_id, year])
        row = cursor.fetchone()
    if row is None:  # the hub's first order of the year
        OrderNumberSequence.objects.get_or_create(hub_id=cycle.hub_id, year=year)
        return next_order_number(cycle, now)
    return f"{cycle.hub.order_prefix}-{year}-{row[0]:06d}"


def _line_inputs(lines) -> list[pricing.LineInput]:
    return [
        pricing.LineInput(
            unit_price=line.unit_price,
            vat_rate=line.vat_rate,
            quantity=line.quantity,
            percent=line.price_percent,
        )
        for line in lines
    ]


def amounts_of(order: Order, lines=None) -> pricing.OrderAmounts:
    cycle = order.cycle
    return pricing.price_order(
        _line_inputs(order.lines.all() if lines is None else lines),
        fee_percent=cycle.fee_percent,
        fee_fixed=cycle.fee_fixed,
        fee_vat_rate=cycle.fee_vat_rate_decimal,
    )


def rows_of(order: Order, amounts: pricing.OrderAmounts) -> list[pricing.PricedRow]:
    return [
        pricing.PricedRow(
            name=f"{line.product_name} — {line.variant_name}",
            producer=line.producer_name,
            amounts=amounts_line,
            per_kg=line.charged_price_per_kg,
        )
        for line, amounts_line in zip(order.lines.all(), amounts.lines, strict=True)
    ]


def _set_totals(order: Order, lines) -> None:
    amounts = amounts_of(order, lines)
    order.goods_total = amounts.goods_total
    order.fee_total = amounts.fee_total
    order.total = amounts.total


def _save_totals(order: Order) -> None:
    _set_totals(order, list(order.lines.all()))
    order.save(update_fields=["goods_total", "fee_total", "total", "updated_at"])


def _new_line(order: Order, offer: Offer, quantity: int, percent: int = 100) -> OrderLine:
    variant = offer.variant
    return OrderLine(
        order=order,
        offer=offer,
        variant=variant,
        producer=variant.product.producer,
        quantity=quantity,
        producer_name=variant.product.producer.name,
        product_name=variant.product.name,
        variant_name=variant.name,
        unit_price=offer.price,
        vat_rate=variant.vat_rate_decimal,
        total=offer.price * quantity,
        price_percent=percent,
        **_weight_estimate(offer, quantity),
    )


def _weight_estimate(offer: Offer, quantity: int) -> dict:
    """A line sold by weight keeps its price per kg and its estimated weight (kg)."""
    if not offer.is_by_weight:
        return {"price_per_kg": None, "estimated_weight": None}
    return {
        "price_per_kg": offer.price_per_kg,
        "estimated_weight": offer.variant.weight_per_unit * quantity,
    }


def place_order(
    *,
    cycle: OrderCycle,
    items: Mapping,
    email: str,
    full_name: str,
    slot: PickupSlot | int,
    payment_method: str = Order.PaymentMethod.AT_PICKUP,
    phone: str = "",
    note: str = "",
    user=None,
    notify: bool = True,
    charge_later: bool = False,
    language: str | None = None,
    customer=None,
    placed_by=None,
    price_tier: str | None = None,
    now: datetime | None = None,
) -> Order:
    """Place a household's order: allocate stock, snapshot prices, number it, confirm it.

    A relay (or a person the household named) orders for a known household: ``customer``
    is its record (checked by ``orders.relays`` first), ``placed_by`` who orders; the order
    is the household's (its account's, if it has one) and pays at pickup or by its credit.

    1. Check the cycle is open (by the clock), the quantities and that every offer is of
       this cycle. Nothing is written when anything is wrong.
    2. In one transaction: refuse a second live order of the same household, check the
       slot has room, take the stock (all lines or none), give the next order number,
       write the order and its lines with the prices of now, and the totals.
    3. Pay-at-pickup orders are placed at once; card orders wait for Stripe's webhook,
       except with ``charge_later``: a weekly basket's order is placed at once and its
       saved card charged when the cycle closes (``orders.weekly_baskets.weekly.charge_at_close``).
    4. The confirmation e-mail is owed in the same transaction (the worker sends it).
    5. With the hub's solidarity prices, the lines cost the household's ``price_tier``'s
       percentage; the reduced price is refused past the cycle's cap, and the difference
       with the full price goes to the hub's fund (``orders.solidarity.services``).
    """
    _check_open(cycle, now)
    quantities = {k: v for k, v in check_quantities(items).items() if v}
    if not quantities:
        raise OrderError(_("Your basket is empty."))
    if payment_method not in Order.PaymentMethod.values:
        raise OrderError(_("Choose a payment method."))
    if payment_method == Order.PaymentMethod.CARD and not cycle.hub.card_payments_available:
        raise OrderError(_("This hub does not take card payments: choose to pay at pickup."))
    if customer is not None:
        user, email = customer.user, customer.email
        full_name, phone = full_name or customer.full_name, phone or customer.phone
        if payment_method == Order.PaymentMethod.CARD:
            raise OrderError(_("An order placed for a household is paid at pickup."))
        # Its messages (e-mail, SMS, slip) in its own language, not the relay's.
        language = language or customer.language or None
    email = (user.email if user else email).strip().lower()
    if customer is None and not email or not full_name.strip():
        raise OrderError(_("Give your name and e-mail address."))
    try:
        with transaction.atomic():
            # Read the cycle again inside the transaction: a manager may have cancelled or
            # closed it early since the page was shown.
            cycle = _cycle_for_ordering(cycle.pk)
            _check_open(cycle, now)
            # A second live order of the household is refused by the unique constraint
            # (below); checking first would cost every order a query.
            slot = _slot_of(cycle, slot)
            tiers = solidarity.settings_of(cycle.hub)
            tier = solidarity.checked_tier(tiers, price_tier)
            offers = apply_stock_changes(quantities, cycle=cycle)
            card = payment_method == Order.PaymentMethod.CARD
            if customer is None:
                customer = customer_for(
                    hub_id=cycle.hub_id,
                    email=email,
                    full_name=full_name.strip(),
                    phone=phone.strip(),
                    user=user,
                )
            elif customer.hub_id != cycle.hub_id:
                raise OrderError(_("This household is not one of this hub's."))
            order = Order(
                cycle=cycle,
                number=f"new-{secrets.token_hex(12)}",  # numbered last, see below
                user=user,
                customer=customer,
                placed_by=placed_by,
                email=email,
                full_name=full_name.strip()[:150],
                phone=phone.strip()[:30],
                cycle_pickup_id=slot.cycle_pickup_id,
                slot=slot,
                payment_method=payment_method,
                status=(
                    Order.Status.AWAITING_PAYMENT
                    if card and not charge_later
                    else Order.Status.PLACED
                ),
                note=note.strip()[:1000],
                language=language or translation.get_language() or settings.LANGUAGE_CODE,
                price_tier=tier,
                placed_at=now or timezone.now(),
            )
            percent = solidarity.percent_of(tiers, tier)
            lines = [
                _new_line(order, offers[offer_id], quantity, percent)
                for offer_id, quantity in sorted(quantities.items())
            ]
            _set_totals(order, lines)
            solidarity.check_support(
                order=order, settings=tiers, support=_support(lines), before=pricing.ZERO
            )
            order.save(force_insert=True)
            OrderLine.objects.bulk_create(lines)
            solidarity.follow_order(
                order, key=f"order:{order.pk}:placed", lines=lines, placing=True
            )
            if tiers is not None and price_tier:
                solidarity.remember_tier(customer, tier)
            if customer.balance > 0 and _owns_its_record(order, customer):
                used = keep_credit_in_line(order, customer, placing=True)
                if card and not charge_later and used and -used.amount == order.total:
                    # Its credit pays it all: nothing to ask the card for.
                    order.status = Order.Status.PLACED
                    order.save(update_fields=["status"])
                    card = False
            event = OrderEvent.objects.create(
                order=order, kind=OrderEvent.Kind.PLACED, by=placed_by or user
            )
            # The two rows every order of the hub competes for are locked last, so each is
            # held for a moment rather than for the whole transaction: the slot (room left)
            # and the hub's order number sequence.
            book_slot(slot.pk)
            order.number = next_order_number(cycle, now)
            Order.objects.filter(pk=order.pk).update(number=order.number)
            if notify and not card:
                owe_order_email(order, event, "confirmation")
    except solidarity.TierClosed:
        solidarity.close_lower_tier(cycle)
        raise
    except (IntegrityError, InsufficientStock, SlotFull):
        # The household has a live order already (a second submission, or a race between
        # two): the unique constraint kept one, and that is what to say, not what the
        # second attempt ran into.
        existing = live_order(cycle, email) if email else None
        if existing is None and customer is not None and customer.pk is not None:
            existing = Order.objects.live().filter(cycle=cycle, customer=customer).first()
        if existing:
            raise AlreadyOrdered(existing) from None
        raise
    return order


def update_order(
    *,
    order: Order,
    items: Mapping,
    slot: PickupSlot | int | None = None,
    note: str | None = None,
    by=None,
    price_tier: str | None = None,
    now: datetime | None = None,
) -> Order:
    """Change an order until the cycle closes: quantities (0 removes), new items, slot, note,
    solidarity tier (``price_tier``; None keeps the order's).

    ``items`` is the whole new content of the order. The order row is locked first, so two
    edits of the same order run one after the other and each sees the other's result.
    """
    quantities = check_quantities(items)
    try:
        return _update_order(
            order=order, quantities=quantities, slot=slot, note=note, by=by,
            price_tier=price_tier, now=now,
        )  # fmt: skip
    except solidarity.TierClosed:
        solidarity.close_lower_tier(order.cycle)
        raise


def _update_order(*, order, quantities, slot, note, by, price_tier, now) -> Order:
    with transaction.atomic():
        order = lock_order(order.pk)
        cycle = order.cycle
        if not order.is_live:
            raise OrderError(_("This order was cancelled."))
        _check_open(cycle, now)
        lines = {line.offer_id: line for line in order.lines.all()}
        wanted = {offer_id: qty for offer_id, qty in quantities.items() if qty}
        if not wanted:
            raise OrderError(
                _("An order needs at least one item: cancel the order to remove everything.")
            )
        new_offer_ids = set(wanted) - set(lines)
        deltas = {
            offer_id: wanted.get(offer_id, 0)
            - (lines[offer_id].quantity if offer_id in lines else 0)
            for offer_id in set(wanted) | set(lines)
        }
        if slot is not None and getattr(slot, "pk", slot) != order.slot_id:
            slot = _slot_of(cycle, slot)
        else:
            slot = None
        # New items are checked to be of this cycle as their offers are locked; slots are
        # locked after offers (see orders.stock for the order of locks).
        tiers = solidarity.settings_of(cycle.hub)
        tier = solidarity.checked_tier(
            tiers, order.price_tier if price_tier is None else price_tier
        )
        percent = solidarity.percent_of(tiers, tier)
        support_before = (
            -solidarity.recorded(order) if order.price_tier == PriceTier.LOWER else pricing.ZERO
        )
        offers = apply_stock_changes(deltas, cycle=cycle)
        if slot is not None:
            move_slot(order.slot_id, slot.pk)
            order.slot, order.cycle_pickup_id = slot, slot.cycle_pickup_id

        changed = []
        for offer_id, line in lines.items():
            if offer_id not in wanted:
                changed.append(f"-{line.quantity} {line}")
                line.delete()
            elif wanted[offer_id] != line.quantity:
                old = line.quantity
                changed.append(f"{line.quantity}→{wanted[offer_id]} {line.product_name}")
                line.quantity = wanted[offer_id]
                line.total = line.unit_price * line.quantity
                if line.is_by_weight:
                    line.estimated_weight = line.estimated_weight / old * line.quantity
                line.save(update_fields=["quantity", "total", "estimated_weight"])
        # The tier is private: the order's history (which volunteers read) never says it.
        order.price_tier = tier
        kept = [line for offer_id, line in lines.items() if offer_id in wanted]
        if any(line.price_percent != percent for line in kept):
            # The order's lines stand for its tier as the hub sets it now.
            OrderLine.objects.filter(order=order).update(price_percent=percent)
            for line in kept:
                line.price_percent = percent
        new_lines = [_new_line(order, offers[i], wanted[i], percent) for i in sorted(new_offer_ids)]
        OrderLine.objects.bulk_create(new_lines)
        changed += [f"+{line}" for line in new_lines]
        if note is not None:
            order.note = note.strip()[:1000]
        order.save(update_fields=["slot", "cycle_pickup", "note", "price_tier", "updated_at"])
        _save_totals(order)
        solidarity.check_support(
            order=order, settings=tiers, support=_support(kept + new_lines), before=support_before
        )
        keep_credit_in_line(order)
        event = OrderEvent.objects.create(
            order=order, kind=OrderEvent.Kind.CHANGED, by=by, detail="; ".join(changed)
        )
        solidarity.follow_order(order, key=f"order:{order.pk}:event:{event.pk}")
        if tiers is not None and price_tier:
            solidarity.remember_tier(order.customer, tier)
        if order.status == Order.Status.PLACED:
            owe_order_email(order, event, "changed")
        if order.payment_method == Order.PaymentMethod.CARD:
            # After commit: refund what is paid too much, or ask for the difference.
            payments.settle_card_difference_on_commit(order)
    return order


def cancel_order(
    *,
    order: Order,
    by=None,
    reason: str = "",
    force: bool = False,
    notify: bool = True,
    now: datetime | None = None,
) -> Order:
    """Cancel an order: its stock goes back to the cycle and the producers.

    Households may cancel until the cycle closes; ``force`` (a manager, or the cancelling of
    a whole cycle) may cancel later. The order is kept, marked cancelled, never deleted.
    """
    with transaction.atomic():
        order = lock_order(order.pk)
        if not order.is_live:
            return order
        if not force:
            _check_open(order.cycle, now)
        apply_stock_changes({line.offer_id: -line.quantity for line in order.lines.all()})
        release_slot(order.slot_id)
        order.status = Order.Status.CANCELLED
        order.cancelled_at = now or timezone.now()
        order.save(update_fields=["status", "cancelled_at", "updated_at"])
        keep_credit_in_line(order)
        event = OrderEvent.objects.create(
            order=order, kind=OrderEvent.Kind.CANCELLED, by=by, detail=reason[:500]
        )
        # Its fund entries are undone by one more, never removed.
        solidarity.follow_order(order, key=f"order:{order.pk}:event:{event.pk}")
        if notify:
            owe_order_email(order, event, "cancelled", reason=str(reason))
        if order.payment_method == Order.PaymentMethod.CARD:
            payments.refund_card_payments_on_commit(order)
    return order


def _support(lines) -> Decimal:
    """What the lines take from the solidarity fund (positive at the reduced price)."""
    return -sum((solidarity.line_fund(line) for line in lines), pricing.ZERO)


def _owns_its_record(order: Order, customer) -> bool:
    """The order was placed logged in as the account of the household's record, or for
    the household by someone it allowed to (``orders.relays`` checked it): its credit is
    theirs to spend (an address typed at checkout proves nothing)."""
    if order.placed_by_id is not None:
        return order.customer_id == customer.pk
    return order.user_id is not None and customer.user_id == order.user_id


def keep_credit_in_line(order: Order, customer=None, *, placing: bool = False):
    """Credit pays what it can of a live order whose household owns its record, and never
    more than the order costs: given back when it costs less, or is cancelled. Food
    allocation restricted to eligible products never pays more than the order's eligible
    lines: what it paid over them goes back to its purse, and the household's other
    credit pays it if it can. Returns the entry of credit used now, if any.

    Runs in the order's transaction, the order locked (or being written).
    """
    if order.customer_id is None:
        return None
    used = pricing.ZERO if placing else ledger.credit_used(order)
    target = order.total if order.is_live else pricing.ZERO
    gave_back = used > target
    if gave_back:
        customer = customer or order.customer
        ledger.give_back_credit(customer=customer, order=order, amount=used - target)
        used = target
    released = pricing.ZERO
    if used > 0:
        customer = customer or order.customer
        released = ledger.release_ineligible_allocation(customer=customer, order=order)
    if gave_back and not released:
        return None  # the credit left pays the order all
    if order.is_live:
        customer = customer or order.customer
        if customer.balance > 0 and _owns_its_record(order, customer):
            paid = pricing.ZERO if placing else paid_amount(order)
            return ledger.use_credit(customer=customer, order=order, up_to=order.total - paid)
    return None


def paid_amount(order: Order) -> Decimal:
    """What the household has paid, refunds deducted."""
    return paid_by_order([order.pk]).get(order.pk, pricing.ZERO)


def record_payment(*, order: Order, method: str, amount, by) -> Payment:
    """A manager (or a volunteer at the pickup point) records money received for what is
    still due on the order, no more (``orders.billing.counter`` takes more: the change kept
    as credit, a debt paid)."""
    method, amount = checked_payment(method, amount)
    with transaction.atomic():
        order = lock_order(order.pk)
        check_payable_at_pickup(order)
        due = order.total - paid_amount(order)
        if amount > due:
            raise OrderError(
                _("That is more than the %(due)s still due.") % {"due": f"{max(due, 0)} €"}
            )
        return add_payment(order=order, method=method, amount=amount, by=by)


def checked_payment(method: str, amount) -> tuple[str, Decimal]:
    """The method and the amount (euros, "12,50" or a Decimal) of money received by hand."""
    if method not in Payment.AT_PICKUP_METHODS:
        raise OrderError(_("Choose cash, cheque or bank transfer."))
    text = str(amount).strip().replace(",", ".")
    # Plain digits only: Decimal also reads "1_000", "١٢" and "1e3", nobody types those.
    if not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", text):
        raise OrderError(_("Enter an amount in euros, such as 12,50."))
    try:
        amount = pricing.money(Decimal(text))
    except (ArithmeticError, InvalidOperation, ValueError):
        raise OrderError(_("Enter an amount in euros, such as 12,50.")) from None
    if not amount.is_finite() or amount <= 0 or amount > 100_000:
        raise OrderError(_("Enter an amount in euros, such as 12,50."))
    return method, amount


def check_payable_at_pickup(order: Order) -> None:
    if not order.is_live:
        raise OrderError(_("This order was cancelled."))
    if order.payment_method != Order.PaymentMethod.AT_PICKUP:
        raise OrderError(_("This order is paid by card online."))


def add_payment(*, order: Order, method: str, amount: Decimal, by) -> Payment:
    """Write money received by hand, and its event; the order is locked by the caller."""
    payment = Payment.objects.create(
        order=order, method=method, amount=amount, status=Payment.Status.SUCCEEDED, recorded_by=by
    )
    _log_payment(order, payment, OrderEvent.Kind.PAYMENT, by)
    return payment


def _log_payment(order: Order, payment: Payment, kind: str, by) -> None:
    """The order's event for a payment recorded by hand, or for its cancelling."""
    OrderEvent.objects.create(
        order=order, kind=kind, by=by, detail=f"{payment.get_method_display()} {payment.amount}"
    )


def set_collected(*, order: Order, collected: bool, by, now: datetime | None = None) -> Order:
    """Tick (or untick, to undo a wrong tap) an order as handed over at the pickup point.

    Recorded with who and when; ticking twice changes nothing.
    """
    with transaction.atomic():
        order = lock_order(order.pk)
        if collected and not order.is_live:
            raise OrderError(_("This order was cancelled."))
        if collected and order.cycle.phase(now) != OrderCycle.Phase.CLOSED:
            # Until the cycle closes the household may still change or cancel it.
            raise OrderError(
                _("The order cycle is still open: orders are handed over once it has closed.")
            )
        if collected == (order.collected_at is not None):
            return order
        order.collected_at = (now or timezone.now()) if collected else None
        order.collected_by = by if collected else None
        order.save(update_fields=["collected_at", "collected_by", "updated_at"])
        OrderEvent.objects.create(
            order=order,
            kind=OrderEvent.Kind.COLLECTED if collected else OrderEvent.Kind.UNCOLLECTED,
            by=by,
        )
    return order


def cancel_payment(*, payment: Payment, by) -> Payment:
    """Undo a payment recorded at pickup by mistake (the record stays, marked cancelled)."""
    with transaction.atomic():
        order = lock_order(payment.order_id)
        payment = Payment.objects.get(pk=payment.pk, order=order)
        if payment.method not in Payment.AT_PICKUP_METHODS:
            raise OrderError(_("Only a payment recorded at pickup can be undone here."))
        if payment.status != Payment.Status.SUCCEEDED:
            return payment
        payment.status = Payment.Status.CANCELLED
        payment.save(update_fields=["status", "updated_at"])
        _log_payment(order, payment, OrderEvent.Kind.PAYMENT_CANCELLED, by)
    return payment


def log_cycle_change(*, cycle: OrderCycle, by, field: str, old, new) -> None:
    CycleChange.objects.create(
        cycle=cycle, changed_by=by, field=field, old_value=str(old), new_value=str(new)
    )
