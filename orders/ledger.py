"""Each customer's balance with its hub: entries added, never changed (the base of
``orders``: checkout uses credit for an order, billing adjusts after the close).

``add_entry`` writes an entry and moves ``Customer.balance`` by its amount in the same
transaction, the customer's row locked first, so entries of one customer are added one
after the other and the balance is always the sum of its entries (``recount`` checks it).
An entry is written once for its cause (``key``): a request or a worker run again adds
nothing twice, and gets the entry already written.
"""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import (
    AllocationPurse,
    BalanceEntry,
    Customer,
    EligibleProduct,
    OrderLine,
    PurseMovement,
)
from orders.stock import OrderError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# What a balance entry holds (DecimalField(max_digits=10, decimal_places=2)).
LIMIT = Decimal("99999999.99")


class BillingError(OrderError):
    """A balance movement that cannot be made; the message says why."""


def add_entry(
    *,
    customer: Customer,
    kind: str,
    amount: Decimal,
    key: str,
    order=None,
    payment=None,
    reason: str = "",
    by=None,
    purses: dict[int, Decimal] | None = None,
    month: date | None = None,
) -> BalanceEntry:
    """Add ``amount`` (what the hub owes the household after it; negative: what the
    household owes) to the customer's balance, for the cause named by ``key``.

    Runs in the caller's transaction when there is one (a weighing, a payment recorded:
    the entry stands or falls with it), else in its own.

    ``purses``: the part of ``amount`` that is food allocation, by purse (credited, spent,
    given back; ``month``: the month credited), moved with the entry (``_move_purses``).
    """
    entry = _new_entry(
        customer=customer, kind=kind, amount=amount, key=key, order=order, payment=payment,
        reason=reason, by=by,
    )  # fmt: skip
    amount = entry.amount
    with transaction.atomic():
        locked = Customer.objects.select_for_update().only("pk", "balance").get(pk=customer.pk)
        written = BalanceEntry.objects.filter(key=key).first()
        if written is not None:
            if written.customer_id != locked.pk:
                raise ValueError(f"the key {key!r} is another customer's")
            return written
        entry.customer = locked
        entry.save(force_insert=True)
        Customer.objects.filter(pk=locked.pk).update(balance=_moved(amount))
        if purses:
            _move_purses(entry, purses, month)
    # The row was locked: its balance then, plus this entry, is what it holds now.
    customer.balance = locked.balance + amount
    return entry


def _moved(amount: Decimal):
    """The balance plus ``amount``, in cents: SQLite adds decimals as floating-point
    numbers (0.10 + 0.20 − 0.30 is not 0 there), and a balance of −8.9e-16 would count as
    a debt in a query."""
    return Round(F("balance") + amount, 2, output_field=Customer._meta.get_field("balance"))


def use_credit(*, customer: Customer, order, up_to: Decimal, by=None) -> BalanceEntry | None:
    """Pay ``order`` with the customer's credit, up to ``up_to`` €: the entry of what was
    used (None when the balance is not positive). The balance is read under the customer's
    lock, so two orders never spend the same credit. Food allocation pays first, within
    what its programmes allow (``credit_available``)."""
    if up_to <= 0:
        return None
    with transaction.atomic():
        balance = Customer.objects.select_for_update().values_list("balance", flat=True)
        used, parts = credit_available(
            customer=customer, balance=balance.get(pk=customer.pk), order=order, up_to=up_to
        )
        if used <= 0:
            return None
        return add_entry(
            customer=customer, kind=BalanceEntry.Kind.CREDIT_USED, amount=-used,
            key=next_key(f"credit_used:order:{order.pk}"), order=order, by=by,
            purses={pk: -part for pk, part in parts.items()},
        )  # fmt: skip


def give_back_credit(*, customer: Customer, order, amount: Decimal, by=None) -> None:
    """Give back ``amount`` € of the credit used for ``order`` (it costs less, or nothing):
    the household's own credit first, then its food allocation, to the purses it came
    from."""
    if amount <= 0:
        return
    spent = _spent_on(order)
    own = credit_used(order) - sum(spent.values(), ZERO)
    parts = _take(spent, amount - max(own, ZERO))
    add_entry(
        customer=customer, kind=BalanceEntry.Kind.CREDIT_USED, amount=amount,
        key=next_key(f"credit_used:order:{order.pk}"), order=order, by=by, purses=parts,
    )  # fmt: skip


def release_ineligible_allocation(*, customer: Customer, order, by=None) -> Decimal:
    """Give back to their purses the restricted allocation paying more of ``order`` than
    its eligible lines cost now (an eligible line removed, a quantity lowered): the
    household's other credit, or the household, pays that part. Returns what was given
    back."""
    spent = _spent_on(order, restricted=True)
    if not spent:
        return ZERO
    over = sum(spent.values(), ZERO) - _eligible_amount(order)
    if over <= 0:
        return ZERO
    add_entry(
        customer=customer, kind=BalanceEntry.Kind.CREDIT_USED, amount=over,
        key=next_key(f"credit_used:order:{order.pk}"), order=order, by=by,
        purses=_take(spent, over),
    )  # fmt: skip
    return over


def credit_available(
    *, customer: Customer, balance: Decimal, order, up_to: Decimal
) -> tuple[Decimal, dict[int, Decimal]]:
    """What the customer's credit can pay of ``order``, at most ``up_to``, and the part of
    it each food allocation purse pays. Read under the customer's lock by whoever writes
    the entry.

    1. The balance's food allocation (its purses, restricted ones first) pays first.
    2. A restricted purse pays only the order's eligible lines: their amount, less what
       restricted purses pay of the order already (the hub fee is never eligible).
    3. The rest of the balance (the balance less every purse) pays as before.
    """
    up = min(max(balance, ZERO), up_to)
    if up <= 0:
        return ZERO, {}
    purses = list(
        AllocationPurse.objects.filter(customer_id=customer.pk, left__gt=0)
        .order_by("-programme__eligible_only", "pk")
        .values_list("pk", "left", "programme__eligible_only")
    )
    parts, room = {}, None
    for pk, left, restricted in purses:
        part = min(left, up - sum(parts.values(), ZERO))
        if restricted:
            if room is None:
                room = _eligible_amount(order) - sum(
                    _spent_on(order, restricted=True).values(), ZERO
                )
            part = min(part, max(room, ZERO))
            room -= part
        if part > 0:
            parts[pk] = part
    allocation = sum(parts.values(), ZERO)
    own = max(balance - sum((left for _pk, left, _r in purses), ZERO), ZERO)
    return allocation + min(own, up - allocation), parts


def allocation_left(customer: Customer) -> Decimal:
    """The food allocation part of the customer's balance: its purses' credit left, within
    its credit (a debt is paid before the allocation is counted spendable)."""
    left = AllocationPurse.objects.filter(customer_id=customer.pk).aggregate(sum=Sum("left"))
    return min(Decimal(left["sum"] or 0).quantize(CENT), max(customer.balance, ZERO))


def own_credit(customer: Customer) -> Decimal:
    """The credit that is the household's own money: the balance less its food
    allocation (which is never paid out)."""
    left = AllocationPurse.objects.filter(customer_id=customer.pk).aggregate(sum=Sum("left"))
    return max(customer.balance - Decimal(left["sum"] or 0).quantize(CENT), ZERO)


def credit_allocation(*, purse: AllocationPurse, month: date, by=None) -> BalanceEntry:
    """Credit a household its programme's allocation of ``month`` (the first day of it):
    written once per programme, household and month, whoever asks and however often."""
    programme = purse.programme
    amount = programme.monthly_amount
    return add_entry(
        customer=purse.customer, kind=BalanceEntry.Kind.ALLOCATION, amount=amount,
        key=f"allocation:{programme.pk}:{purse.customer_id}:{month:%Y-%m}",
        reason=f"{programme.name} · {month:%m/%Y}"[:500], by=by, purses={purse.pk: amount},
        month=month,
    )  # fmt: skip


def purses_of(entry: BalanceEntry) -> dict[int, Decimal]:
    """The food allocation parts of ``entry``, by purse (to add it again the other way)."""
    return dict(entry.purse_movements.values_list("purse_id", "amount"))


def _move_purses(entry: BalanceEntry, purses: dict[int, Decimal], month: date | None) -> None:
    """Move each purse with ``entry`` (its customer locked), and record why: a purse's
    ``left`` is the sum of its movements, never below zero (a constraint)."""
    purses = {pk: amount for pk, amount in purses.items() if amount}
    owned = AllocationPurse.objects.filter(pk__in=purses, customer_id=entry.customer_id).count()
    if owned != len(purses):
        raise ValueError("a purse is another customer's")
    moved = sum(purses.values(), ZERO)
    if abs(moved) > abs(entry.amount) or moved * entry.amount < 0:
        raise ValueError("a purse moves more than its entry")
    kind = (
        PurseMovement.Kind.CREDITED
        if entry.kind == BalanceEntry.Kind.ALLOCATION
        else PurseMovement.Kind.SPENT
    )
    month = month or timezone.localdate().replace(day=1)
    PurseMovement.objects.bulk_create(
        PurseMovement(purse_id=pk, entry=entry, kind=kind, amount=amount, month=month)
        for pk, amount in purses.items()
    )
    for pk, amount in purses.items():
        AllocationPurse.objects.filter(pk=pk).update(
            left=Round(F("left") + amount, 2, output_field=AllocationPurse._meta.get_field("left"))
        )


def _spent_on(order, *, restricted: bool | None = None) -> dict[int, Decimal]:
    """What each purse pays of ``order`` now (spent, less given back), purses paying
    nothing left out."""
    movements = PurseMovement.objects.filter(entry__order=order, kind=PurseMovement.Kind.SPENT)
    if restricted is not None:
        movements = movements.filter(purse__programme__eligible_only=restricted)
    rows = movements.values("purse_id").annotate(sum=Sum("amount")).order_by("purse_id")
    spent = {row["purse_id"]: -Decimal(row["sum"]).quantize(CENT) for row in rows}
    return {pk: amount for pk, amount in spent.items() if amount > 0}


def _take(spent: dict[int, Decimal], amount: Decimal) -> dict[int, Decimal]:
    """``amount`` given back to the purses of ``spent`` (each at most what it pays), in
    purse order: {purse: amount given back}."""
    parts = {}
    for pk in sorted(spent):
        if amount <= 0:
            break
        part = min(spent[pk], amount)
        parts[pk] = part
        amount -= part
    return parts


def _eligible_amount(order) -> Decimal:
    """What the order's lines of products its hub marks as eligible cost (as agreed)."""
    if not order.is_live:
        return ZERO
    eligible = EligibleProduct.objects.filter(hub__order_cycles__orders=order.pk)
    eligible = eligible.values("product_id")
    total = OrderLine.objects.filter(order=order, variant__product_id__in=eligible).aggregate(
        sum=Sum("total")
    )["sum"]
    return Decimal(total or 0).quantize(CENT)


def credit_used(order) -> Decimal:
    """What credit pays of ``order`` now (credit used, less credit given back)."""
    total = BalanceEntry.objects.filter(order=order, kind=BalanceEntry.Kind.CREDIT_USED).aggregate(
        sum=Sum("amount")
    )["sum"]
    return -Decimal(total or 0).quantize(CENT)


def next_key(prefix: str) -> str:
    """``prefix:<n>``, n counting the entries of that prefix: for causes that may come
    again (credit used, then given back, then used again), the caller holding the lock of
    what they are about (the order)."""
    done = BalanceEntry.objects.filter(key__startswith=f"{prefix}:").count()
    return f"{prefix}:{done + 1}"


def check_adjustable(cycle, error: type[BillingError] = BillingError) -> None:
    """Refuse a change of what a cycle's households get (a weight, a shortage, a line
    corrected) once its adjustments are final: its orders are invoiced, and an invoice is
    never changed; a credit note corrects it."""
    if cycle.adjustments_final_at is not None:
        raise error(_("This cycle's invoices are issued: a change now goes through a credit note."))


def _new_entry(
    *,
    customer: Customer,
    kind: str,
    amount,
    key: str,
    order=None,
    payment=None,
    reason: str = "",
    by=None,
) -> BalanceEntry:
    """The entry ``add_entry`` (or ``add_entries``) is asked for, checked, not saved."""
    amount = _checked(amount)
    if kind not in BalanceEntry.Kind.values:
        raise ValueError(f"unknown kind {kind!r}")
    reason = reason.strip()
    if kind == BalanceEntry.Kind.MANUAL and not reason:
        raise BillingError(_("Say why the balance is corrected."))
    if order is not None and order.customer_id != customer.pk:
        raise ValueError("the order is another customer's")
    return BalanceEntry(
        customer_id=customer.pk, kind=kind, amount=amount, order=order, payment=payment,
        reason=reason[:500], by=by, key=key,
    )  # fmt: skip


def _checked(amount) -> Decimal:
    """A Decimal amount of euros and cents, not zero, within what an entry holds. Text is
    read by the forms (``foodhub.inputs.DecimalField``), never here."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise BillingError(_("Enter an amount in euros, such as 12.50."))
    amount = Decimal(amount)
    if not amount.is_finite():
        raise BillingError(_("Enter an amount in euros, such as 12.50."))
    if abs(amount) > LIMIT:
        raise BillingError(_("This amount is too large."))
    if amount != amount.quantize(CENT):
        raise BillingError(_("An amount has at most two decimals (cents)."))
    if not amount:
        raise BillingError(_("An entry of 0.00 € would change nothing."))
    return amount


def recount(hub=None) -> list[tuple[Customer, Decimal, Decimal]]:
    """The customers whose kept balance is not the sum of their entries, as (customer,
    kept, sum): none, unless a row was changed outside these functions."""
    customers = Customer.objects.annotate(entries_sum=Sum("balance_entries__amount"))
    if hub is not None:
        customers = customers.filter(hub=hub)
    found = []
    for customer in customers.order_by("pk"):
        # SQLite adds decimals as floating-point numbers: back to cents (exact while a
        # balance stays under 10**13 €).
        total = Decimal(customer.entries_sum or 0).quantize(CENT)
        if customer.balance != total:
            found.append((customer, customer.balance, total))
    return found


def add_entries(entries: list[dict]) -> list[BalanceEntry]:
    """Several entries at once, each given as ``add_entry``'s keyword arguments (a
    shortage shared over 500 orders): the same checks and the same result as adding them
    one by one, in a few statements. The customers are locked in id order (no deadlock
    with another batch), an entry whose key is already written is not written again, the
    new entries are inserted together, and each balance moves by the sum of its new ones.
    Returns the entries, new or already written, in the order given."""
    prepared = [_new_entry(**fields) for fields in entries]
    keys = [entry.key for entry in prepared]
    if len(set(keys)) != len(keys):
        raise ValueError("a key is given twice")
    if not prepared:
        return []
    with transaction.atomic():
        ids = sorted({entry.customer_id for entry in prepared})
        locked = {
            customer.pk: customer
            for customer in Customer.objects.select_for_update()
            .only("pk", "balance")
            .filter(pk__in=ids)
            .order_by("pk")
        }
        written = {entry.key: entry for entry in BalanceEntry.objects.filter(key__in=keys)}
        for key, entry in written.items():
            if entry.customer_id != next(e.customer_id for e in prepared if e.key == key):
                raise ValueError(f"the key {key!r} is another customer's")
        new = [entry for entry in prepared if entry.key not in written]
        BalanceEntry.objects.bulk_create(new, batch_size=500)
        moves = {}
        for entry in new:
            moves[entry.customer_id] = moves.get(entry.customer_id, Decimal("0")) + entry.amount
        by_amount = {}
        for customer_id, amount in moves.items():
            by_amount.setdefault(amount, []).append(customer_id)
        # Households losing the same thing move by the same amount: one UPDATE for them.
        for amount, customer_ids in by_amount.items():
            if amount:
                Customer.objects.filter(pk__in=customer_ids).update(balance=_moved(amount))
    for fields in entries:
        customer = fields["customer"]
        customer.balance = locked[customer.pk].balance + moves.get(customer.pk, 0)
    return [written.get(entry.key, entry) for entry in prepared]
