"""Weekly baskets (standing orders): a household's usual order, placed for it each time a
cycle of its hub opens.

How a basket becomes an order (``place_baskets``, called by the tick once a cycle is
marked opened):

1. Each basket of the hub that is live (active, or paused until a day the cycle's opening
   has reached) and has no run in this cycle gets one, written first: a second worker
   finds it and moves on, so a basket is never placed twice in a cycle.
2. A week the household skipped gives a "skipped" run, nothing more.
3. The lines are matched to the cycle's offers by variant; what is not offered, off sale
   or sold out is left out, and what is short is placed as far as the stock goes.
4. The order is placed like any other (``services.place_order``): stock allocated, slot
   booked. Stock may move meanwhile: on ``InsufficientStock`` we try again with what is
   left, a few times, then give up and say so.
5. The run records what was placed, what was left out and why; the household is owed one
   e-mail saying exactly that (``orders.outbox``). The manager sees the cycle's runs, those
   that went wrong first.

Card baskets: the card is saved once with a SetupIntent (``start_card_setup``, confirmed by
the ``setup_intent.succeeded`` webhook, never by the browser); the order is placed at once
and the card charged off-session when the cycle closes (``charge_at_close``). A refused card
switches the order to payment at pickup, and the household is told.

Only the basket's household may change it: every use case takes ``by`` and checks it.
"""

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from foodhub.inputs import parse_id
from orders import clock, outbox
from orders.checkout import services
from orders.models import (
    Offer,
    Order,
    OrderCycle,
    OrderEvent,
    Payment,
    PickupSlot,
    WeeklyBasket,
    WeeklyBasketLine,
    WeeklyBasketRun,
    WeeklyBasketSkip,
)
from orders.money import payments, stripe_api
from orders.pricing import from_cents, to_cents
from orders.sms import services as sms
from orders.stock import InsufficientStock, OrderError, SlotFull, lock_order
from producers.models import Variant

logger = logging.getLogger(__name__)

# Stock that keeps moving under us: this many tries, then the household is told.
PLACE_ATTEMPTS = 3
MAX_LINES = 100
MAX_PAUSE = timedelta(days=366)

Status = WeeklyBasket.Status
RunStatus = WeeklyBasketRun.Status

# Why an item was left out or cut (``run.problems[*]["reason"]``), and why a basket was not
# placed at all (``run.reason``; an unforeseen refusal is stored as its message).
PROBLEM_REASONS = {
    "not_offered": gettext_lazy("not on sale this week"),
    "off_sale": gettext_lazy("no longer sold"),
    "sold_out": gettext_lazy("sold out"),
    "short": gettext_lazy("not enough left"),
}
RUN_REASONS = {
    "not_served": gettext_lazy("The pickup point is not served by this cycle."),
    "slots_full": gettext_lazy("Every pickup slot at the pickup point is full."),
    "nothing_available": gettext_lazy("None of the basket's products is available this week."),
    "already_ordered": gettext_lazy("The household had already ordered in this cycle."),
    "stock_moving": gettext_lazy("The stock kept changing while the basket was placed."),
    "error": gettext_lazy("A technical problem stopped it."),
}


class WeeklyBasketError(OrderError):
    """A change to a weekly basket that cannot be made; the message says why."""


def reason_text(code: str) -> str:
    return str(RUN_REASONS.get(code, code))


def problem_reason_text(code: str) -> str:
    return str(PROBLEM_REASONS.get(code, code))


# Weeks


def week_of(cycle: OrderCycle) -> date:
    """A cycle's week: the Monday (Europe/Paris) of the week it opens."""
    return clock.monday_of(timezone.localdate(cycle.opens_at))


def next_week(basket: WeeklyBasket, now: datetime | None = None) -> date:
    """The week the basket will next be placed in, the one "skip next week" skips: that
    of the hub's next published cycle the tick has not opened yet, else next week."""
    now = now or timezone.now()
    cycle = (
        OrderCycle.objects.filter(
            hub_id=basket.hub_id,
            status=OrderCycle.Status.PUBLISHED,
            opened_at__isnull=True,
            closes_at__gt=now,
        )
        .order_by("opens_at", "pk")
        .first()
    )
    if cycle is not None:
        return week_of(cycle)
    return clock.monday_of(timezone.localdate(now)) + timedelta(weeks=1)


def is_paused(basket: WeeklyBasket, day: date | None = None) -> bool:
    """Paused on ``day`` (today): a pause ends on its ``paused_until`` day."""
    day = day or timezone.localdate()
    return basket.status == Status.PAUSED and (
        basket.paused_until is None or basket.paused_until > day
    )


# Setting a basket up and changing it


def _check_terms(hub, pickup_point, payment_method: str) -> None:
    if pickup_point is None or not hub.pickup_points.filter(pk=pickup_point.pk).exists():
        raise WeeklyBasketError(_("Choose a pickup point of this hub."))
    if payment_method not in Order.PaymentMethod.values:
        raise WeeklyBasketError(_("Choose a payment method."))
    if payment_method == Order.PaymentMethod.CARD and not hub.card_payments_available:
        raise WeeklyBasketError(_("This hub does not take card payments: choose to pay at pickup."))


def _check_lines(hub, lines: Mapping) -> dict[int, int]:
    """{variant (or its id): quantity} → {variant id: quantity}, for products the hub's
    producers sell; quantities are whole numbers up to 999 and 0 drops a line."""
    by_id = {}
    for key, quantity in lines.items():
        try:
            by_id[int(getattr(key, "pk", key))] = quantity
        except (TypeError, ValueError):
            raise WeeklyBasketError(_("This product is not sold at this hub.")) from None
    try:
        quantities = services.check_quantities(by_id)
    except OrderError as exc:
        raise WeeklyBasketError(str(exc)) from None
    quantities = {pk: qty for pk, qty in quantities.items() if qty}
    if not quantities:
        raise WeeklyBasketError(_("Choose at least one product for your weekly basket."))
    if len(quantities) > MAX_LINES:
        raise WeeklyBasketError(
            _("A weekly basket holds %(max)d different products at most.") % {"max": MAX_LINES}
        )
    sold = set(_sold_at(hub).filter(pk__in=quantities).values_list("pk", flat=True))
    if sold != set(quantities):
        raise WeeklyBasketError(_("This product is not sold at this hub."))
    return quantities


def _sold_at(hub):
    return Variant.objects.filter(
        product__producer__hubs=hub, is_active=True, product__is_active=True
    )


def _write_lines(basket: WeeklyBasket, quantities: dict[int, int]) -> None:
    basket.lines.all().delete()
    WeeklyBasketLine.objects.bulk_create(
        WeeklyBasketLine(basket=basket, variant_id=pk, quantity=qty)
        for pk, qty in sorted(quantities.items())
    )


def _already_one():
    return WeeklyBasketError(_("You already have a weekly basket at this hub: change it instead."))


def create_basket(
    *,
    user,
    hub,
    pickup_point,
    lines: Mapping,
    slot_starts_at: time | None = None,
    payment_method: str = Order.PaymentMethod.AT_PICKUP,
    full_name: str = "",
    phone: str = "",
    note: str = "",
    created_from: Order | None = None,
    now: datetime | None = None,
) -> WeeklyBasket:
    """A household's new weekly basket at a hub (one live basket per hub)."""
    if user is None or not user.is_authenticated:
        raise WeeklyBasketError(_("Log in to keep a weekly basket."))
    _check_terms(hub, pickup_point, payment_method)
    quantities = _check_lines(hub, lines)
    try:
        with transaction.atomic():
            basket = WeeklyBasket.objects.create(
                user=user,
                hub=hub,
                pickup_point=pickup_point,
                slot_starts_at=slot_starts_at,
                payment_method=payment_method,
                full_name=(full_name or user.full_name).strip()[:150],
                phone=(phone or user.phone).strip()[:30],
                note=note.strip()[:1000],
                created_from=created_from,
                created_at=now or timezone.now(),
            )
            _write_lines(basket, quantities)
    except IntegrityError:
        # The unique constraint: a live basket at this hub already (or a double click).
        raise _already_one() from None
    return basket


def basket_from_order(order: Order, by, now: datetime | None = None) -> WeeklyBasket:
    """ "Repeat every week": a weekly basket made of a live order (its products and
    quantities, pickup point, slot time and payment). Products no longer sold are left out."""
    if by is None or order.user_id is None or order.user_id != by.pk:
        raise WeeklyBasketError(_("Only the household who placed this order can repeat it."))
    if not order.is_live:
        raise WeeklyBasketError(_("This order was cancelled."))
    hub = order.cycle.hub
    lines = dict(order.lines.values_list("variant_id", "quantity"))
    sold = set(_sold_at(hub).filter(pk__in=lines).values_list("pk", flat=True))
    lines = {pk: qty for pk, qty in lines.items() if pk in sold}
    if not lines:
        raise WeeklyBasketError(_("None of the products of this order is still sold."))
    payment_method = order.payment_method
    if not hub.card_payments_available:
        payment_method = Order.PaymentMethod.AT_PICKUP
    return create_basket(
        user=by,
        hub=hub,
        pickup_point=order.cycle_pickup.pickup_point,
        lines=lines,
        slot_starts_at=order.slot.starts_at,
        payment_method=payment_method,
        full_name=order.full_name,
        phone=order.phone,
        note=order.note,
        created_from=order,
        now=now,
    )


def _locked(basket: WeeklyBasket, by) -> WeeklyBasket:
    """The basket, locked for the rest of the transaction, if ``by`` is its household and
    it is not cancelled."""
    basket = (
        WeeklyBasket.objects.select_for_update(of=("self",)).select_related("hub").get(pk=basket.pk)
    )
    if by is None or basket.user_id != by.pk:
        raise WeeklyBasketError(_("This weekly basket is not yours."))
    if basket.status == Status.CANCELLED:
        raise WeeklyBasketError(_("This weekly basket was cancelled."))
    return basket


def set_lines(basket: WeeklyBasket, lines: Mapping, by) -> WeeklyBasket:
    """Replace the basket's products and quantities (0 drops one)."""
    with transaction.atomic():
        basket = _locked(basket, by)
        _write_lines(basket, _check_lines(basket.hub, lines))
        basket.save(update_fields=["updated_at"])
    return basket


def update_basket(
    basket: WeeklyBasket,
    by,
    *,
    pickup_point,
    lines: Mapping,
    slot_starts_at: time | None = None,
    payment_method: str = Order.PaymentMethod.AT_PICKUP,
    full_name: str = "",
    phone: str = "",
    note: str = "",
) -> WeeklyBasket:
    """Change everything the build page shows: products, pickup point, time, payment."""
    with transaction.atomic():
        basket = _locked(basket, by)
        _check_terms(basket.hub, pickup_point, payment_method)
        quantities = _check_lines(basket.hub, lines)
        basket.pickup_point = pickup_point
        basket.slot_starts_at = slot_starts_at
        basket.payment_method = payment_method
        basket.full_name = (full_name or by.full_name).strip()[:150]
        basket.phone = phone.strip()[:30]
        basket.note = note.strip()[:1000]
        basket.save()
        _write_lines(basket, quantities)
    return basket


def _week_to_change(basket: WeeklyBasket, week: date | None, now: datetime | None) -> date:
    now = now or timezone.now()
    if week is None:
        return next_week(basket, now)
    week = clock.monday_of(week)
    if week < clock.monday_of(timezone.localdate(now)):
        raise WeeklyBasketError(_("This week is over."))
    return week


def skip_week(
    basket: WeeklyBasket, by, week: date | None = None, now: datetime | None = None
) -> date:
    """Skip a week (by default the next one the basket would be placed in). Returns it."""
    with transaction.atomic():
        basket = _locked(basket, by)
        week = _week_to_change(basket, week, now)
        if basket.runs.filter(cycle__in=_cycles_of_week(basket.hub_id, week)).exists():
            raise WeeklyBasketError(
                _("Your basket of that week is already placed: cancel that order instead.")
            )
        WeeklyBasketSkip.objects.get_or_create(basket=basket, week=week)
    return week


def unskip_week(
    basket: WeeklyBasket, by, week: date | None = None, now: datetime | None = None
) -> date:
    """Take a skipped week back (by default the next one)."""
    with transaction.atomic():
        basket = _locked(basket, by)
        week = _week_to_change(basket, week, now)
        basket.skips.filter(week=week).delete()
    return week


def _cycles_of_week(hub_id: int, week: date):
    start, end = clock.week_span(week)
    return OrderCycle.objects.filter(hub_id=hub_id, opens_at__gte=start, opens_at__lt=end)


def pause(basket: WeeklyBasket, by, until: date, now: datetime | None = None) -> WeeklyBasket:
    """No basket until ``until``: the first cycle opening on that day or later gets one."""
    today = timezone.localdate(now or timezone.now())
    if not isinstance(until, date) or until <= today:
        raise WeeklyBasketError(_("Choose a date after today."))
    if until > today + MAX_PAUSE:
        raise WeeklyBasketError(_("Pause for a year at most, or cancel the basket."))
    with transaction.atomic():
        basket = _locked(basket, by)
        basket.status = Status.PAUSED
        basket.paused_until = until
        basket.save(update_fields=["status", "paused_until", "updated_at"])
    return basket


def resume(basket: WeeklyBasket, by) -> WeeklyBasket:
    with transaction.atomic():
        basket = _locked(basket, by)
        if basket.status == Status.PAUSED:
            basket.status = Status.ACTIVE
            basket.paused_until = None
            basket.save(update_fields=["status", "paused_until", "updated_at"])
    return basket


def cancel(basket: WeeklyBasket, by, now: datetime | None = None) -> WeeklyBasket:
    """Stop the basket for good. Orders already placed stay (they are cancelled apart)."""
    with transaction.atomic():
        basket = _locked(basket, by)
        basket.status = Status.CANCELLED
        basket.cancelled_at = now or timezone.now()
        basket.save(update_fields=["status", "cancelled_at", "updated_at"])
    return basket


# Placing the baskets when a cycle opens


@dataclass
class _Outcome:
    order: Order | None = None
    problems: list[dict] = field(default_factory=list)
    reason: str = ""
    card_not_used: bool = False


def place_baskets(cycle: OrderCycle, now: datetime | None = None) -> dict[str, int]:
    """Place the weekly baskets of the cycle's hub in the cycle (see the module's doc).

    Safe to call again and by two workers at once: a basket with a run in the cycle is
    left alone. A basket created after the cycle was opened waits for the next one.
    Returns how many runs of each status this call made.
    """
    now = now or timezone.now()
    counts = dict.fromkeys(RunStatus.values, 0)
    cycle = OrderCycle.objects.select_related("hub").get(pk=cycle.pk)
    if cycle.status != OrderCycle.Status.PUBLISHED:
        return counts
    opening_day = timezone.localdate(cycle.opens_at)
    lines = WeeklyBasketLine.objects.select_related("variant__product").order_by("pk")
    baskets = list(
        WeeklyBasket.objects.filter(hub=cycle.hub, created_at__lte=cycle.opened_at or now)
        .filter(Q(status=Status.ACTIVE) | Q(status=Status.PAUSED, paused_until__lte=opening_day))
        .exclude(runs__cycle=cycle)
        .select_related("user", "pickup_point")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("pk")
    )
    skipping = set(
        WeeklyBasketSkip.objects.filter(
            basket__hub=cycle.hub, week=clock.monday_of(opening_day)
        ).values_list("basket_id", flat=True)
    )
    for basket in baskets:
        try:
            status = _run(basket, cycle, skipped=basket.pk in skipping, now=now)
        except OperationalError:
            # The database was busy (a lock, a deadlock): nothing was written, the next
            # tick tries this basket again.
            logger.warning("Weekly basket %s: database busy, tried again later", basket.pk)
            continue
        except Exception:  # one basket must not hold up the others
            logger.exception("Could not place weekly basket %s in cycle %s", basket.pk, cycle.pk)
            status = _run_failed(basket, cycle, now=now)
        if status:
            counts[status] += 1
    return counts


def _run(basket: WeeklyBasket, cycle: OrderCycle, *, skipped: bool, now: datetime) -> str:
    """One basket in one transaction: its run first (a worker that already has it makes
    this one fail and move on), then the order, the run's outcome and the e-mail owed."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                run = WeeklyBasketRun.objects.create(
                    basket=basket, cycle=cycle, status=RunStatus.PENDING, created_at=now
                )
        except IntegrityError:
            return ""
        # The household may have skipped, paused or cancelled a moment ago: look again,
        # with the basket locked so that such a change waits for this run.
        opening_day = timezone.localdate(cycle.opens_at)
        status, paused_until, skipped_now = (
            WeeklyBasket.objects.select_for_update(of=("self",))
            .filter(pk=basket.pk)
            .annotate(
                skipped_now=Exists(
                    WeeklyBasketSkip.objects.filter(
                        basket=OuterRef("pk"), week=clock.monday_of(opening_day)
                    )
                )
            )
            .values_list("status", "paused_until", "skipped_now")
            .get()
        )
        wanted = status == Status.ACTIVE or (
            status == Status.PAUSED and paused_until and paused_until <= opening_day
        )
        if not wanted:
            run.delete()  # a cancelled basket leaves no trace; a paused one waits
            return ""
        if skipped or skipped_now:
            run.status = RunStatus.SKIPPED
            run.save(update_fields=["status"])
            return run.status
        outcome = _place(basket, cycle, now=now)
        run.order = outcome.order
        run.problems = outcome.problems
        run.reason = outcome.reason
        if outcome.order is None:
            run.status = RunStatus.NOT_PLACED
        else:
            run.status = RunStatus.PARTIAL if outcome.problems else RunStatus.PLACED
            Order.objects.filter(pk=outcome.order.pk).update(weekly_basket=basket)
        run.save(update_fields=["order", "problems", "reason", "status"])
        owed = [_placed_email(run, basket, cycle, outcome)]
        customer = outcome.order.customer if outcome.order is not None else None
        if sms.wants(customer, "confirmation"):
            # The household that chose SMS confirmations gets this one too (read only
            # then: placing many baskets costs no query more).
            placed = outcome.order.events.filter(kind=OrderEvent.Kind.PLACED).first()
            owed += sms.confirmation(outcome.order, placed) if placed else []
        outbox.owe(owed, now=now)
    return run.status


def _run_failed(basket: WeeklyBasket, cycle: OrderCycle, *, now: datetime) -> str:
    """A basket that crashed is recorded as not placed, so nobody is left wondering."""
    try:
        with transaction.atomic():
            run = WeeklyBasketRun.objects.create(
                basket=basket,
                cycle=cycle,
                status=RunStatus.NOT_PLACED,
                reason="error",
                created_at=now,
            )
            outbox.owe([_placed_email(run, basket, cycle, _Outcome(reason="error"))], now=now)
    except IntegrityError:
        return ""
    return run.status


def _problem(line: WeeklyBasketLine, placed: int, reason: str) -> dict:
    return {
        "name": str(line.variant),
        "wanted": line.quantity,
        "placed": placed,
        "reason": reason,
    }


def _place(basket: WeeklyBasket, cycle: OrderCycle, *, now: datetime) -> _Outcome:
    """Place what can be of the basket in the cycle; say what was left out and why.

    1. The slots at the basket's pickup point (none: the point is not served).
    2. Each line against its offer's availability: left out, cut, or in full.
    3. ``place_order``; when stock moved since (``InsufficientStock``, read under lock)
       cut to what is left and try again; a slot filled meanwhile: the next nearest.
    """
    slots = list(
        PickupSlot.objects.filter(
            cycle_pickup__cycle=cycle, cycle_pickup__pickup_point=basket.pickup_point_id
        ).order_by("starts_at", "pk")
    )
    if not slots:
        return _Outcome(reason="not_served")

    lines = list(basket.lines.all())
    offers = {
        offer.variant_id: offer
        for offer in Offer.objects.filter(
            cycle=cycle, variant__in=[line.variant_id for line in lines]
        ).select_related("variant__product")
    }
    problems: dict[int, dict] = {}  # by line
    wanted: dict[int, int] = {}  # offer id -> quantity
    line_of_offer: dict[int, WeeklyBasketLine] = {}
    for line in lines:
        offer = offers.get(line.variant_id)
        if offer is None:
            problems[line.pk] = _problem(line, 0, "not_offered")
            continue
        available = offer.available()
        if not (offer.variant.is_active and offer.variant.product.is_active):
            problems[line.pk] = _problem(line, 0, "off_sale")
        elif available is not None and available <= 0:
            problems[line.pk] = _problem(line, 0, "sold_out")
        else:
            quantity = line.quantity if available is None else min(line.quantity, available)
            if quantity < line.quantity:
                problems[line.pk] = _problem(line, quantity, "short")
            wanted[offer.pk] = quantity
            line_of_offer[offer.pk] = line

    card = (
        basket.payment_method == Order.PaymentMethod.CARD
        and bool(basket.stripe_payment_method_id)
        and cycle.hub.card_payments_available
    )
    outcome = _Outcome(card_not_used=basket.payment_method == Order.PaymentMethod.CARD and not card)
    user = basket.user
    for _attempt in range(PLACE_ATTEMPTS):
        outcome.problems = list(problems.values())
        if not wanted:
            outcome.reason = "nothing_available"
            return outcome
        slot = _nearest_slot(slots, basket.slot_starts_at)
        if slot is None:
            outcome.reason = "slots_full"
            return outcome
        try:
            outcome.order = services.place_order(
                cycle=cycle,
                items=dict(wanted),
                email=user.email,
                full_name=basket.full_name or user.full_name or user.email,
                phone=basket.phone or user.phone,
                note=basket.note,
                slot=slot,
                payment_method=(
                    Order.PaymentMethod.CARD if card else Order.PaymentMethod.AT_PICKUP
                ),
                user=user,
                language=user.email_language,
                notify=False,
                charge_later=True,
                # The real clock, not the tick's: a long tick must not place an order
                # after the closing time (the closing would then miss it).
            )
            return outcome
        except services.AlreadyOrdered:
            return _Outcome(reason="already_ordered")
        except InsufficientStock as exc:
            for shortage in exc.shortages:
                line = line_of_offer[shortage.offer_id]
                left = max(shortage.available, 0)
                problems[line.pk] = _problem(line, left, "short" if left else "sold_out")
                if left:
                    wanted[shortage.offer_id] = left
                else:
                    del wanted[shortage.offer_id]
        except SlotFull:
            slot.booked = slot.capacity  # taken meanwhile: the next nearest one
        except OrderError as exc:  # the cycle closed or was cancelled meanwhile...
            outcome.reason = str(exc)
            return outcome
    outcome.problems = list(problems.values())
    outcome.reason = "stock_moving"
    return outcome


def _nearest_slot(slots: list[PickupSlot], preferred: time | None) -> PickupSlot | None:
    """The slot starting at the preferred time if it has room, else the nearest with room
    (the earlier one on a tie); the first with room when no time is preferred."""
    free = [slot for slot in slots if slot.booked < slot.capacity]
    if not free or preferred is None:
        return free[0] if free else None

    def minutes(moment: time) -> int:
        return moment.hour * 60 + moment.minute

    return min(free, key=lambda slot: abs(minutes(slot.starts_at) - minutes(preferred)))


# E-mails


def _placed_email(
    run: WeeklyBasketRun, basket: WeeklyBasket, cycle: OrderCycle, outcome: _Outcome
) -> outbox.Owed:
    """Everything the e-mail says, as it is now (what the household then changes in its
    order is its own doing)."""
    order = outcome.order
    params = {
        "run": run.pk,
        "status": run.status,
        "name": basket.full_name or basket.user.full_name,
        "hub": cycle.hub.name,
        "cycle": cycle.name,
        "closes_at": cycle.closes_at.isoformat(),
        "problems": outcome.problems,
        "reason": outcome.reason,
        "card_not_used": outcome.card_not_used,
        "basket_url": settings.SITE_URL + reverse("orders:weekly_detail", args=[basket.pk]),
        "shop_url": settings.SITE_URL + cycle.hub.get_absolute_url(),
    }
    if order is not None:
        slot = order.slot
        params.update(
            number=order.number,
            url=settings.SITE_URL + order.get_secret_url(),
            lines=[
                {"name": f"{line.product_name} — {line.variant_name}", "quantity": line.quantity}
                for line in order.lines.all()
            ],
            total=str(order.total),
            payment=order.payment_method,
            pickup_point=basket.pickup_point.name,
            pickup_date=slot.cycle_pickup.pickup_date.isoformat(),
            slot_start=slot.starts_at.strftime("%H:%M"),
            slot_end=slot.ends_at.strftime("%H:%M"),
        )
    return outbox.Owed(
        key=f"basket:{run.pk}",
        kind="weekly_basket_placed",
        to=basket.user.email,
        params=params,
        language=basket.user.email_language,
    )


# Cards: saved once, charged at close


SETUP_USABLE_STATES = {"requires_payment_method", "requires_confirmation", "requires_action"}


def _basket_key(basket: WeeklyBasket, *parts) -> str:
    # The creation time's digest keeps two installations sharing a Stripe test account
    # (whose basket ids start at 1 alike) from colliding on the same keys.
    digest = hashlib.sha256(basket.created_at.isoformat().encode()).hexdigest()[:12]
    return "-".join(["foodhub-basket", str(basket.pk), digest, *map(str, parts)])


def start_card_setup(basket: WeeklyBasket, by) -> str:
    """The client secret of a SetupIntent saving the household's card for this basket.

    The Stripe customer is made once; an unfinished SetupIntent is reused. The card is
    stored only when Stripe's ``setup_intent.succeeded`` webhook says so.

    1. Read the basket (checking it is ``by``'s), no lock held.
    2. Ask Stripe, no transaction open: the customer if there is none yet, keyed by the
       basket (two pages at once get the same one); the SetupIntent, reused if it can still
       be finished, else a new one keyed by the one it replaces.
    3. Write their ids under the basket's lock, the basket checked again (a customer
       written meanwhile is kept: it is the same, by its key).
    """
    if not basket.hub.card_payments_available:
        raise WeeklyBasketError(_("This hub does not take card payments."))
    with transaction.atomic():
        basket = _locked(basket, by)  # the checks; the lock ends at once
    hub = basket.hub
    customer_id = basket.stripe_customer_id
    if not customer_id:
        customer_id = stripe_api.create_customer(
            hub=hub,
            email=by.email,
            name=basket.full_name or by.full_name,
            idempotency_key=_basket_key(basket, "customer"),
        )["id"]
    intent = None
    if basket.stripe_setup_intent_id:
        intent = stripe_api.retrieve_setup_intent(
            hub=hub, setup_intent_id=basket.stripe_setup_intent_id
        )
        if intent["status"] not in SETUP_USABLE_STATES:
            intent = None
    if intent is None:
        intent = stripe_api.create_setup_intent(
            hub=hub,
            customer_id=customer_id,
            idempotency_key=_basket_key(basket, "setup", basket.stripe_setup_intent_id or "first"),
            metadata={"weekly_basket": str(basket.pk)},
        )
    with transaction.atomic():
        basket = _locked(basket, by)
        basket.stripe_customer_id = basket.stripe_customer_id or customer_id
        # An older SetupIntent of the basket is still recognised by its metadata, should
        # another page finish it.
        basket.stripe_setup_intent_id = intent["id"]
        basket.save(update_fields=["stripe_customer_id", "stripe_setup_intent_id", "updated_at"])
    return intent["client_secret"]


def _basket_of_setup(intent: dict) -> WeeklyBasket | None:
    baskets = WeeklyBasket.objects.select_related("hub")
    basket = baskets.filter(stripe_setup_intent_id=intent["id"]).first()
    if basket is None:
        # An older SetupIntent of the basket, finished on a page left open.
        basket_id = parse_id(str((intent.get("metadata") or {}).get("weekly_basket", "")))
        customer = intent.get("customer") or "-"
        if basket_id is not None:
            basket = baskets.filter(pk=basket_id, stripe_customer_id=customer).first()
    return basket


def card_label(payment_method: dict) -> str:
    """ "Visa •••• 4242 (12/2030)", from a Stripe PaymentMethod."""
    kind = payment_method.get("type") or "card"
    details = payment_method.get(kind) or {}
    label = f"{(details.get('brand') or kind).title()} •••• {details.get('last4', '')}"
    if details.get("exp_month") and details.get("exp_year"):
        label += f" ({details['exp_month']:02d}/{details['exp_year']})"
    return label[:60]


def _with_payment_method(intent: dict, source: payments.Source) -> dict:
    """Webhook intents name their PaymentMethod by id: fetch it, for the card's label
    (a network call: before the handler's transaction; on the hub's account only)."""
    method = intent.get("payment_method")
    if isinstance(method, str) and method:
        basket = _basket_of_setup(intent)
        if basket is not None and payments.is_hubs_account(basket.hub, source):
            method = stripe_api.retrieve_payment_method(hub=basket.hub, payment_method_id=method)
            return {**intent, "payment_method": method}
    return intent


def _setup_succeeded(intent: dict, source: payments.Source) -> None:
    """Stripe says the card is saved: the basket is paid with it from now on (if the card
    was saved on the hub's Stripe account: else the managers are told)."""
    basket = _basket_of_setup(intent)
    method = intent.get("payment_method")
    if basket is None or not method:
        logger.warning("Stripe SetupIntent %s matches no weekly basket", intent.get("id"))
        return
    basket = WeeklyBasket.objects.select_for_update().select_related("hub").get(pk=basket.pk)
    if payments.mismatch(source, hub=basket.hub, stripe_object=intent["id"]):
        return
    if basket.status == Status.CANCELLED:
        return
    if isinstance(method, dict):
        basket.stripe_payment_method_id = method["id"]
        basket.card_label = card_label(method)
    else:
        basket.stripe_payment_method_id = method
        basket.card_label = ""
    basket.payment_method = Order.PaymentMethod.CARD
    basket.save(
        update_fields=["stripe_payment_method_id", "card_label", "payment_method", "updated_at"]
    )


def orders_to_charge(cycle: OrderCycle):
    """The cycle's live orders of weekly baskets paid by saved card (for ``charge_at_close``)."""
    return Order.objects.live().filter(
        cycle=cycle, weekly_basket__isnull=False, payment_method=Order.PaymentMethod.CARD
    )


payments.register("setup_intent.succeeded", _setup_succeeded)
payments.FETCH_FIRST["setup_intent.succeeded"] = _with_payment_method


def charge_at_close(order: Order) -> bool:
    """Charge a weekly basket's order on the saved card when its cycle closes. Returns
    True when the order is paid (or its payment under way), False when the household is
    to pay at pickup.

    1. Nothing is charged when the order owes nothing, or a card payment is under way.
       A payment the household started on the pay page and left unpaid is cancelled.
    2. An off-session PaymentIntent for what is due, keyed by the order and the amount:
       called again (a retry, a second worker), Stripe answers with the same intent, and
       its Payment row is found by intent id (the webhook then finds it succeeded and
       changes nothing).
    3. A refused card (or none saved, or one Stripe no longer knows, or a bank asking for
       the household): the order switches to payment at pickup and the household is owed
       one e-mail saying so.

    Other Stripe errors (network, outage) are raised with nothing written: call again.
    Call it outside any transaction: Stripe is called between two short transactions
    (reading what is owed, then writing what Stripe said), never inside one. Two calls for
    one order (a closing taken over) send the same idempotency key: one charge.
    """
    # 1. What is owed, read under the order's lock (a moment: Stripe is never called while
    #    a transaction is open, which on SQLite would hold every writer up).
    with transaction.atomic():
        order = lock_order(order.pk)
        if not order.is_live or order.payment_method != Order.PaymentMethod.CARD:
            return False
        due = payments.amount_due(order)
        if due <= 0:
            return True
        pending = list(
            order.payments.filter(
                method=Payment.Method.CARD,
                kind=Payment.Kind.PAYMENT,
                status=Payment.Status.PENDING,
            ).exclude(stripe_payment_intent="")
        )
        basket = WeeklyBasket.objects.filter(pk=order.weekly_basket_id).first()
    hub = order.cycle.hub

    # 2. Stripe: a payment already under way is left to its webhook; one left open on a
    #    pay page is cancelled; then the saved card is charged, keyed by order and amount.
    for payment in pending:
        intent = stripe_api.retrieve_payment_intent(
            hub=hub, payment_intent_id=payment.stripe_payment_intent
        )
        if intent["status"] in payments.UNDER_WAY_STATES:
            return True  # the webhook will tell
        if not payments.cancel_intent(order, payment):
            return True
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=Payment.Status.CANCELLED
        )
    if (
        basket is None
        or not (basket.stripe_customer_id and basket.stripe_payment_method_id)
        or not stripe_api.is_configured()
    ):
        _refused(order, "no saved card")
        return False
    cents = to_cents(due)
    try:
        intent = stripe_api.charge_off_session(
            hub=hub,
            amount_cents=cents,
            customer_id=basket.stripe_customer_id,
            payment_method_id=basket.stripe_payment_method_id,
            order_number=order.number,
            idempotency_key=payments.idempotency_key(order, "weekly", cents),
            description=f"{hub.name} {order.number}",
        )
    except (stripe_api.CardError, stripe_api.InvalidRequestError) as exc:
        # Refused, or a card Stripe no longer knows (detached, expired customer): either
        # way the household pays at pickup and is told.
        error = (exc.json_body or {}).get("error") or {}
        _refused(order, error.get("code") or "card_error", error.get("payment_intent") or {})
        return False

    # 3. What Stripe said, written under the order's lock.
    if intent["status"] == "succeeded" or intent["status"] in payments.UNDER_WAY_STATES:
        paid = intent["status"] == "succeeded"
        with transaction.atomic():
            order = lock_order(order.pk)
            _record_charge(
                order, intent, Payment.Status.SUCCEEDED if paid else Payment.Status.PENDING
            )
            if not order.is_live:
                # Cancelled by a manager while Stripe was charging: the money goes back.
                payments.settle_card_difference_on_commit(order)
        return True
    # requires_action and the like: the bank wants the household there. Cancelled, so that
    # it can never be taken later on top of the payment at pickup.
    try:
        stripe_api.cancel_payment_intent(hub=hub, payment_intent_id=intent["id"])
    except stripe_api.StripeError:
        logger.exception("Could not cancel PaymentIntent %s", intent["id"])
    _refused(order, intent["status"], intent)
    return False


def _refused(order: Order, code: str, intent: dict | None = None) -> None:
    with transaction.atomic():
        order = lock_order(order.pk)
        if order.is_live and order.payment_method == Order.PaymentMethod.CARD:
            _card_refused(order, code, intent)


def give_up_charge(order: Order, code: str) -> None:
    """The closing could not charge the saved card (Stripe unreachable for too long): the
    order is paid at pickup, and the household told, as for a refused card."""
    with transaction.atomic():
        order = lock_order(order.pk)
        if (
            order.is_live
            and order.payment_method == Order.PaymentMethod.CARD
            and payments.amount_due(order) > 0
        ):
            _card_refused(order, code)


def _record_charge(order: Order, intent: dict, status: str) -> Payment:
    payment = payments.card_payment_of(order, intent)
    if payment.status != status and payment.status != Payment.Status.SUCCEEDED:
        payment.status = status
        if status == Payment.Status.SUCCEEDED:
            payment.amount = from_cents(intent.get("amount_received") or intent["amount"])
        payment.save(update_fields=["status", "amount", "updated_at"])
        if status == Payment.Status.SUCCEEDED:
            OrderEvent.objects.create(
                order=order,
                kind=OrderEvent.Kind.PAYMENT,
                detail=f"card {payment.amount} {intent['id']} (saved card, at close)",
            )
    return payment


def _card_refused(order: Order, code: str, intent: dict | None = None) -> None:
    """The order is paid at pickup after all; the household is told once."""
    if intent and intent.get("id") and intent.get("amount"):
        payment = _record_charge(order, intent, Payment.Status.PENDING)
        if payment.status == Payment.Status.PENDING:
            payment.status = Payment.Status.FAILED
            payment.save(update_fields=["status", "updated_at"])
    order.payment_method = Order.PaymentMethod.AT_PICKUP
    order.save(update_fields=["payment_method", "updated_at"])
    OrderEvent.objects.create(
        order=order,
        kind=OrderEvent.Kind.PAYMENT,
        detail=f"saved card refused at close ({code}): to be paid at pickup"[:500],
    )
    slot = order.slot
    language = order.language or settings.LANGUAGE_CODE
    with translation.override(language):  # the link too is in the order's language
        url = settings.SITE_URL + order.get_secret_url()
    outbox.owe(
        [
            outbox.Owed(
                key=f"charge-failed:{order.pk}",
                kind="weekly_basket_card_failed",
                to=order.email,
                params={
                    "number": order.number,
                    "name": order.full_name,
                    "hub": order.cycle.hub.name,
                    "total": str(order.total),
                    "url": url,
                    "pickup_point": order.cycle_pickup.pickup_point.name,
                    "pickup_date": order.cycle_pickup.pickup_date.isoformat(),
                    "slot_start": slot.starts_at.strftime("%H:%M"),
                    "slot_end": slot.ends_at.strftime("%H:%M"),
                },
                language=language,
            )
        ]
    )
