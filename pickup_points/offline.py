"""Distribution day without a network: the changes a volunteer's phone queued, applied
once each, and what happens when two volunteers changed the same order.

The phone keeps the point's list for the cycle (``snapshot``) and, offline, queues each
tap ("collected", "not collected", money received, "pay with its credit") with an id of
its own, a UUID made on the phone. When the network is back it sends the queue in the
order the taps were made (``apply_actions``); every change is answered on its own.

Exactly once
    A change is applied in the same transaction that records its id
    (``ClientAction``, unique). Sending an id again (a lost answer, a second tab, another
    account on the same phone) answers what the first time answered and changes nothing.
    An id sent again with other details (another order, another kind) is refused. Two
    copies of one change arriving at the same instant: the order's row lock makes one
    wait, and it finds the first one's record; the unique id is the last guard (the
    loser's transaction, its payment included, is rolled back).

Who may send what
    The phone sends to the list of one point and one cycle, checked like the page (404
    for anyone outside its team or its hubs). A change naming an order that is not on
    that list (another point, another hub, an id made up) is refused as "not on this
    list" and changes nothing, not even the record of its id; so is an id already used
    for an order of another list.

When two volunteers changed the same order (the rules)
    1. "Collected" wins. A tick is applied unless the order is already collected; then
       the first tick stays (who and when) and the answer says who ticked it.
    2. "Not collected" (undoing a wrong tap) undoes only the tick the volunteer saw: the
       phone sends the "collected" time it showed (or the id of its own tick not yet
       sent). If the order was ticked again since, by anyone, it stays collected and the
       answer says so. Phones' clocks are never compared: only what the server recorded.
    3. Money received offline is money in the cash box: it is recorded unless it cannot
       be. Payments are told apart by their id only: two payments of the same amount
       for the same order, with two ids, are two payments (two volunteers took money
       twice: the household gets it back or keeps it as credit). When another volunteer
       recorded a payment meanwhile, what this one pays beyond what is owed now is kept
       as the household's credit (like the "change kept" button) and the answer says
       so. More than the phone showed as due is refused unless the change was to be
       kept, as online.
    4. A payment for an order cancelled meanwhile (or paid by card, or without a
       household record to keep the credit) is refused; the answer says the money was
       not recorded and must be given back: the phone shows it until the volunteer has
       read it. Nothing is ever dropped without a word.
    5. "Pay with its credit" uses the credit once, whoever taps it and however often.
"""

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from foodhub import inputs
from orders.billing import counter
from orders.checkout import services as checkout
from orders.models import Order, OrderCycle, Payment
from orders.stock import lock_order
from producers.templatetags.money import clock, euros

from .models import ClientAction, PickupPoint

Kind = ClientAction.Kind
Outcome = ClientAction.Outcome

# How many changes one request may carry (a phone sends its queue in batches).
MAX_BATCH = 100

NOT_ON_THIS_LIST = gettext_lazy("This order is not on this list.")


class ActionForm(forms.Form):
    """One change as the phone sends it (JSON), checked where it enters (the amount as
    the online payment form reads it)."""

    id = forms.UUIDField()
    kind = forms.ChoiceField(choices=Kind.choices)
    order = inputs.IntegerField(min_value=1, max_value=2**31 - 1)
    method = forms.ChoiceField(
        required=False, choices=[(m.value, m.label) for m in Payment.AT_PICKUP_METHODS]
    )
    amount = inputs.DecimalField(
        required=False, min_value=Decimal("0.01"), max_value=Decimal("100000"),
        decimal_places=2, localize=True,
    )  # fmt: skip
    keep_change = forms.BooleanField(required=False)
    # What the phone showed: the amount due today, the "collected" time of the tick to
    # undo (or the id of its own tick not yet sent), when the tap was made.
    due = inputs.DecimalField(
        required=False, min_value=Decimal("0"), max_digits=9, decimal_places=2, localize=True
    )
    seen = inputs.DateTimeField(required=False)
    undoes = forms.UUIDField(required=False)
    made_at = inputs.DateTimeField(required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == Kind.PAYMENT:
            if cleaned.get("amount") is None and "amount" not in self.errors:
                self.add_error("amount", _("Enter an amount in euros, such as 12,50."))
            if not cleaned.get("method") and "method" not in self.errors:
                self.add_error("method", _("Choose cash, cheque or bank transfer."))
        return cleaned


@dataclass
class Result:
    """The answer to one change: ``applied`` or ``refused``, and what to tell the
    volunteer. ``replayed``: the change had already been received. ``code`` says why a
    change was refused without being recorded: ``unreadable``, ``not_found`` (as a 404:
    the order is not on this list, or does not exist), ``reused`` (its id was used for
    another change)."""

    id: str
    status: str
    message: str = ""
    order: int | None = None
    replayed: bool = False
    code: str = ""

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "status": self.status,
            "message": self.message,
            "order": self.order,
            "replayed": self.replayed,
            "code": self.code,
        }


def orders_on_list(point: PickupPoint, cycle: OrderCycle):
    """Every order of the list, the cancelled ones too (a change for an order cancelled
    meanwhile gets a clear answer, not "not found")."""
    return Order.objects.filter(cycle=cycle, cycle_pickup__pickup_point=point)


def apply_actions(*, point: PickupPoint, cycle: OrderCycle, actions: list, by) -> list[Result]:
    """Apply the changes a phone sent for ``point``'s list of ``cycle``, in order, each
    in its own transaction; one answer each."""
    return [apply_action(point=point, cycle=cycle, data=data, by=by) for data in actions]


def apply_action(*, point: PickupPoint, cycle: OrderCycle, data, by) -> Result:
    """One change, applied once (see the module's rules).

    1. Check its form; a malformed change is refused (not recorded).
    2. Its id already recorded: answer the first result (refused if the id was used for
       another change, or for an order of another list).
    3. Its order must be on the list; otherwise refused as not found.
    4. Lock the order, look for the id again (a copy sent at the same time), apply the
       change and record the id with its result, in one transaction.
    """
    if not isinstance(data, dict):
        return Result(
            id="", status=Outcome.REFUSED, message=_("This change is unreadable."),
            code="unreadable",
        )  # fmt: skip
    form = ActionForm(data)
    if not form.is_valid():
        errors = "; ".join(
            f"{name}: {error}" for name, errors in form.errors.items() for error in errors
        )
        return Result(
            id=str(data.get("id", ""))[:40],
            status=Outcome.REFUSED,
            message=_("This change is unreadable (%(errors)s).") % {"errors": errors},
            code="unreadable",
        )
    action = form.cleaned_data
    uid = str(action["id"])
    known = _known(uid, point, cycle, action)
    if known is not None:
        return known
    order = orders_on_list(point, cycle).filter(pk=action["order"]).first()
    if order is None:
        return _not_found(uid)
    try:
        with transaction.atomic():
            order = lock_order(order.pk)  # read again: it may have changed meanwhile
            known = _known(uid, point, cycle, action)
            if known is not None:
                return known
            return _apply(order, action, by)
    except IntegrityError:
        # The same change, recorded by another request since we looked.
        known = _known(uid, point, cycle, action)
        if known is None:
            raise
        return known


def _not_found(uid: str) -> Result:
    return Result(id=uid, status=Outcome.REFUSED, message=str(NOT_ON_THIS_LIST), code="not_found")


def _known(uid: str, point, cycle, action) -> Result | None:
    """The answer already given to change ``uid``, if it was received before."""
    done = ClientAction.objects.filter(uuid=uid).first()
    if done is None:
        return None
    if not orders_on_list(point, cycle).filter(pk=done.order_id).exists():
        return _not_found(uid)
    if (done.order_id, done.kind) != (action["order"], action["kind"]):
        return Result(
            id=uid,
            status=Outcome.REFUSED,
            message=_("This change was already sent with other details: nothing was done."),
            code="reused",
        )
    return Result(
        id=uid, status=done.outcome, message=done.message, order=done.order_id, replayed=True
    )


def _apply(order: Order, action: dict, by) -> Result:
    """Apply one change to the locked ``order`` and record it; a refusal is recorded too
    (sending it again answers the same)."""
    record = ClientAction(
        uuid=action["id"],
        kind=action["kind"],
        order=order,
        by=by,
        made_at=action["made_at"],
        payload=_payload(action),
    )
    try:
        with transaction.atomic():
            message = APPLY[action["kind"]](order, action, by, record)
    except checkout.OrderError as error:
        record.outcome, record.message = Outcome.REFUSED, str(error)
        if action["kind"] == Kind.PAYMENT:
            # Rule 4: the volunteer holds money the list does not show.
            record.message += " " + _(
                "The %(amount)s received were not recorded: give them back, or tell the hub."
            ) % {"amount": euros(action["amount"])}
    else:
        record.outcome, record.message = Outcome.APPLIED, message
    record.save()
    return Result(id=str(record.uuid), status=record.outcome, message=record.message,
                  order=order.pk)  # fmt: skip


def _payload(action: dict) -> dict:
    return {
        key: str(value) if value not in (None, "") else None
        for key, value in action.items()
        if key not in ("id", "kind", "order", "made_at")
    }


def _tick(order: Order, action: dict, by, record: ClientAction) -> str:
    """Rule 1: the first tick stays."""
    already = order.collected_at is not None
    order = checkout.set_collected(order=order, collected=True, by=by)
    record.collected_at = order.collected_at
    if already and order.collected_by_id != getattr(by, "pk", None):
        return _("Already ticked by %(name)s at %(time)s.") % _who_when(order)
    return ""


def _untick(order: Order, action: dict, by, record: ClientAction) -> str:
    """Rule 2: undo only the tick the volunteer saw."""
    if order.collected_at is None:
        return ""
    seen = action["seen"]
    if action["undoes"] is not None:
        tick = ClientAction.objects.filter(uuid=action["undoes"], order=order).first()
        seen = tick.collected_at if tick is not None else None
    if seen is None or seen != order.collected_at:
        raise checkout.OrderError(
            _("%(name)s ticked it at %(time)s, after what you saw: it stays collected.")
            % _who_when(order)
        )
    checkout.set_collected(order=order, collected=False, by=by)
    return ""


def _who_when(order: Order) -> dict:
    name = order.collected_by.get_short_name() if order.collected_by else _("someone")
    return {"name": name, "time": clock(order.collected_at)}


def _pay(order: Order, action: dict, by, record: ClientAction) -> str:
    """Rules 3 and 4: money received is recorded; what a payment recorded meanwhile
    makes too much is kept as credit."""
    method, amount = checkout.checked_payment(action["method"], action["amount"])
    owed_now = counter.owed_today(order).today
    shown = action["due"]
    keep = action["keep_change"] or (shown is not None and amount <= shown)
    payment, entries = counter.record_payment(
        order=order, method=method, amount=amount, keep_change=keep, by=by
    )
    record.payment = payment
    if not action["keep_change"] and amount > owed_now:
        return _(
            "A payment was already recorded for this order: the %(change)s over are kept "
            "as the household's credit."
        ) % {"change": euros(amount - owed_now)}
    return ""


def _credit(order: Order, action: dict, by, record: ClientAction) -> str:
    """Rule 5: the credit is used once."""
    if counter.pay_with_credit(order=order, by=by) is None:
        return _("Its credit had already paid the order.")
    return ""


APPLY = {Kind.COLLECTED: _tick, Kind.UNCOLLECTED: _untick, Kind.PAYMENT: _pay, Kind.CREDIT: _credit}
