"""The e-mails of a cycle's closing: each producer its totals and pick list, each household
its final order. The scheduler owes them (``orders.worker.scheduler.close_cycle``) and the outbox
builds and sends them (``orders.outbox``)."""

from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from foodhub.collation import french
from orders import outbox
from orders.checkout.selectors import paid_by_order
from orders.models import CyclePickupPoint, Order, OrderCycle, OrderLine, PickupSlot
from orders.pricing import ZERO
from orders.printouts import documents
from producers.models import Producer
from producers.templatetags.money import clock, day, euros


def _managers_emails(hub) -> list[str]:
    # The same managers as every other e-mail to a hub's managers: the active ones.
    return list(
        hub.managers.filter(is_active=True).order_by("email").values_list("email", flat=True)
    )


def producer_recipients(producer: Producer) -> list[str]:
    """The producer's contact address, or else its members' addresses."""
    if producer.email:
        return [producer.email]
    return sorted(set(producer.members.filter(is_active=True).values_list("email", flat=True)))


def producer_emails(cycle: OrderCycle) -> list[outbox.Owed]:
    """One e-mail per producer with something to prepare (to all its addresses at once,
    so the hub managers in copy get it once)."""
    producer_ids = (
        OrderLine.objects.filter(order__cycle=cycle, order__status__in=Order.LIVE_STATUSES)
        .values_list("producer_id", flat=True)
        .distinct()
    )
    owed = []
    for producer in Producer.objects.filter(pk__in=producer_ids).prefetch_related("members"):
        recipients = producer_recipients(producer)
        if recipients:
            owed.append(
                outbox.Owed(
                    key=f"close:{cycle.pk}:producer:{producer.pk}",
                    kind="cycle_closed_producer",
                    to=recipients[0],
                    params={"cycle_id": cycle.pk, "producer_id": producer.pk},
                )
            )
    return owed


def closing_emails(cycle: OrderCycle) -> dict[str, int]:
    """How many of the cycle's closing e-mails are sent, waiting, failed, or not known to
    have left ("unknown": a worker died while sending them)."""
    return outbox.counts(f"close:{cycle.pk}:")


def household_emails(cycle: OrderCycle) -> list[outbox.Owed]:
    """One e-mail per live order: the final order, what is left to pay, where and when."""
    return outbox.one_per_order(
        cycle.orders.live(),
        kind="cycle_closed_household",
        key=lambda pk: f"close:{cycle.pk}:order:{pk}",
    )


@outbox.builder("cycle_closed_producer")
def build_producer_email(params: dict) -> EmailMessage:
    cycle = OrderCycle.objects.select_related("hub").get(pk=params["cycle_id"])
    producer = Producer.objects.get(pk=params["producer_id"])
    rows = documents.pick_list(cycle, producer, with_names=cycle.hub.producers_see_names)
    if not rows:
        raise outbox.Skip  # every order with its products was cancelled since
    lines = OrderLine.objects.filter(
        order__cycle=cycle, order__status__in=Order.LIVE_STATUSES, producer=producer
    )
    sales = lines.aggregate(total=Sum("total"))["total"] or ZERO
    context = {
        "cycle": cycle,
        "hub": cycle.hub,
        "producer": producer,
        "rows": rows,
        "sales": sales,
        "orders": lines.values("order_id").distinct().count(),
        "header": documents.header(cycle),
        "site_name": settings.SITE_NAME,
        "url": settings.SITE_URL + reverse("producer_pick_list", args=[producer.slug, cycle.pk]),
    }
    subject = _("%(hub)s: what to prepare for %(cycle)s") % {
        "hub": cycle.hub.name,
        "cycle": cycle.name,
    }
    message = EmailMessage(
        subject,
        render_to_string("orders/email/cycle_closed_producer.txt", context),
        to=producer_recipients(producer),
        cc=_managers_emails(cycle.hub),
    )
    pdf = documents.pick_list_pdf(cycle, producer, rows=rows)
    message.attach(f"pick-list-{producer.slug}-{cycle.pk}.pdf", pdf, "application/pdf")
    return message


def load_orders(batch: list[dict]) -> dict[int, tuple[Order, Decimal]]:
    """The orders of a batch of household e-mails, with their lines and what is paid, in a
    few queries whatever the batch's size. The cycle, its pickups and slots are loaded once
    and shared by the orders (not one copy per order: ten thousand e-mails leave together)."""
    ids = [params["order_id"] for params in batch]
    orders = list(
        Order.objects.filter(pk__in=ids).only(
            "cycle_id", "number", "email", "full_name", "cycle_pickup_id", "slot_id",
            "payment_method", "status", "total", "fee_total", "access_token",
        )
    )  # fmt: skip
    # The lines as they were sold (their totals are stored), as plain tuples.
    rows = defaultdict(list)
    lines = (
        OrderLine.objects.filter(order_id__in=ids)
        .order_by(french("producer_name"), french("product_name"), french("variant_name"), "pk")
        .values_list("order_id", "quantity", "product_name", "variant_name", "producer_name",
                     "total")
    )  # fmt: skip
    for order_id, quantity, product, variant, producer, total in lines:
        rows[order_id].append((quantity, f"{product} — {variant}", producer, total))
    cycles = {c.pk: c for c in OrderCycle.objects.filter(
        pk__in={o.cycle_id for o in orders}).select_related("hub")}  # fmt: skip
    pickups = {p.pk: p for p in CyclePickupPoint.objects.filter(
        pk__in={o.cycle_pickup_id for o in orders}).select_related("pickup_point")}  # fmt: skip
    slots = {s.pk: s for s in PickupSlot.objects.filter(pk__in={o.slot_id for o in orders})}
    for order in orders:
        order.rows = rows[order.pk]
        order.cycle = cycles[order.cycle_id]
        order.cycle_pickup = pickups[order.cycle_pickup_id]
        order.slot = slots[order.slot_id]
    paid = paid_by_order(ids)
    return {order.pk: (order, paid.get(order.pk, ZERO)) for order in orders}


@outbox.builder("cycle_closed_household", batch=load_orders)
def build_household_email(params: dict, orders: dict) -> EmailMessage:
    found = orders.get(params["order_id"])
    if found is None:
        raise outbox.Skip
    order, paid = found
    if not order.is_live:
        raise outbox.Skip  # cancelled since the cycle closed
    due = order.total - paid
    day = _pickup_day(order)
    subject = _("Your order %(number)s is ready to be prepared: pickup on %(day)s") % {
        "number": order.number,
        "day": day,
    }
    return EmailMessage(subject, final_order_text(order, due=due, day=day))


def final_order_text(order: Order, *, due: Decimal, day: str) -> str:
    """The body of a household's closing e-mail, in the active language.

    Written in Python rather than a template: ten thousand of them leave when a big cycle
    closes, and Django's template tags cost most of the time (0.4 ms of 0.6 per e-mail)."""
    hub, point, slot = order.cycle.hub, order.cycle_pickup.pickup_point, order.slot
    lines = [
        _(
            "Hello %(name)s,\n\nThe shop has closed: your order is final and the producers "
            "are preparing it."
        )
        % {"name": order.full_name},
        "",
        f"{_('Order %(number)s') % {'number': order.number}} — {hub.name}, {order.cycle.name}",
        "",
    ]
    lines += [
        _labelled(f"- {quantity} × {name} ({producer})", euros(total))
        for quantity, name, producer, total in order.rows
    ]
    lines.append("")
    if order.fee_total:
        lines.append(_labelled(_("Hub fee"), euros(order.fee_total)))
    lines.append(_labelled(_("Total"), euros(order.total)))
    if due > 0:
        lines.append(_("Left to pay at pickup: %(due)s") % {"due": euros(due)})
    else:
        lines.append(_("Already paid: nothing to pay at pickup."))
    lines += [
        "",
        _labelled(_("Pickup"), point.name + (f" ({point.tiers_lieu})" if point.tiers_lieu else "")),
        " ".join(part for part in (point.address, point.postcode, point.city) if part),
        _("%(day)s, between %(start)s and %(end)s")
        % {"day": day, "start": clock(slot.starts_at), "end": clock(slot.ends_at)},
    ]
    if point.access_info:
        lines.append(point.access_info)
    lines += [
        "",
        f"{_('Your order:')} {settings.SITE_URL + order.get_secret_url()}",
        "",
        _("— %(hub)s, with %(site_name)s") % {"hub": hub.name, "site_name": settings.SITE_NAME},
        "",
    ]
    return "\n".join(lines)


def _labelled(label: str, value: str) -> str:
    # "Total: 12,50 €" in English, "Total : 12,50 €" in French.
    return _("%(label)s: %(value)s") % {"label": label, "value": value}


def _pickup_day(order: Order) -> str:
    return day(order.cycle_pickup.pickup_date)
