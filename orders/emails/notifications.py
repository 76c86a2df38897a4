"""The e-mails the scheduler's tick owes households and coordinators, and how they are built.

The tick claims a step (a cycle opens, the day before a pickup, the morning of it) and, in
the same transaction, asks this module which e-mails the step owes (``opening_emails``,
``reminder_emails``, ``volunteer_list_emails``) and hands them to ``outbox.owe``. The
outbox later calls the builders registered here, once per e-mail, in its language; a
builder raises ``outbox.Skip`` for an e-mail that no longer makes sense.

The volunteer list is built in ``pickup_points.notifications`` (its rows and documents
live in that app, and ``orders`` does not import it).

Households choose the "the shop is open" e-mail of a hub (``OpeningAlert``), and leave it
from the e-mail itself with a signed link that needs no log-in.

Households that chose SMS get "the shop is open" and the reminder by SMS too, owed in the
same step (``orders.sms``).
"""

import time
from collections import OrderedDict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from foodhub.collation import french
from orders import outbox
from orders.checkout.selectors import pickups_with_slots
from orders.households import ical
from orders.households.alerts import unsubscribe_url
from orders.models import CyclePickupPoint, Offer, OpeningAlert, Order, OrderCycle
from orders.money import payments
from orders.sms import services as sms
from producers.templatetags.money import clock, day, moment

# The pickup point team's role whose members receive the volunteer list (a string: orders
# does not import pickup_points).
COORDINATOR = "coordinator"
# "What's new this week" lists this many products at most; the shop has the rest.
NEW_OFFERS_SHOWN = 20


def _language_of(user) -> str:
    return user.email_language


def _users():
    return get_user_model().objects.filter(is_active=True).exclude(email="")


def _one_each(users, *, key: str, kind: str, params: dict) -> list[outbox.Owed]:
    """One e-mail of ``kind`` to each of ``users``, in the language they read: its key
    and its builder's params end with the user's id."""
    return [
        outbox.Owed(
            key=f"{key}:{user.pk}",
            kind=kind,
            to=user.email,
            params={**params, "user_id": user.pk},
            language=_language_of(user),
        )
        for user in users.only("pk", "email", "language").order_by("pk")
    ]


# The shop is open.


def opening_emails(cycle: OrderCycle) -> list[outbox.Owed]:
    """One "the shop is open" e-mail per household that asked for the hub's, and one SMS
    per household that chose it."""
    return _one_each(
        _users().filter(opening_alerts__hub=cycle.hub_id),
        key=f"open:{cycle.pk}",
        kind="shop_open",
        params={"cycle_id": cycle.pk},
    ) + sms.opening(cycle)


class _SmallCache:
    """The few latest values, each for a few minutes: what every e-mail of a batch shares
    is computed once, and a change to the cycle (a new ``updated_at``) is a new key."""

    def __init__(self, size: int = 8, seconds: float = 300):
        self.size, self.seconds = size, seconds
        self.values: OrderedDict = OrderedDict()

    def get(self, key, compute):
        now = time.monotonic()
        hit = self.values.get(key)
        if hit is not None and now - hit[0] < self.seconds:
            self.values.move_to_end(key)
            return hit[1]
        value = compute()
        self.values[key] = (now, value)
        self.values.move_to_end(key)
        while len(self.values) > self.size:
            self.values.popitem(last=False)
        return value

    def clear(self):
        self.values.clear()


_opening_cache = _SmallCache()


def forget_shared_parts() -> None:
    """Empty the cache of the opening e-mails' shared part (tests)."""
    _opening_cache.clear()


def previous_cycle(cycle: OrderCycle) -> OrderCycle | None:
    """The hub's published cycle that opened last before this one."""
    return (
        OrderCycle.objects.filter(
            hub=cycle.hub_id, status=OrderCycle.Status.PUBLISHED, opens_at__lt=cycle.opens_at
        )
        .order_by("-opens_at", "-pk")
        .first()
    )


def new_offers(cycle: OrderCycle) -> tuple[list[Offer], int]:
    """Offers of products not offered in the hub's previous cycle (at most
    ``NEW_OFFERS_SHOWN``), and how many there are in all. Nothing for a hub's first cycle:
    everything would be new."""
    previous = previous_cycle(cycle)
    if previous is None:
        return [], 0
    offers = (
        Offer.objects.filter(cycle=cycle, variant__is_active=True, variant__product__is_active=True)
        .exclude(
            variant__product__in=Offer.objects.filter(cycle=previous).values("variant__product")
        )
        .select_related("variant__product__producer")
        .order_by(
            french("variant__product__producer__name"),
            french("variant__product__name"),
            "price",
            "pk",
        )
    )
    shown = list(offers[:NEW_OFFERS_SHOWN])
    total = len(shown) if len(shown) < NEW_OFFERS_SHOWN else offers.count()
    return shown, total


def _opening_news(cycle: OrderCycle) -> dict:
    """The part of the e-mail that is the same for every household."""

    def compute():
        shown, total = new_offers(cycle)
        return {
            "new_offers": shown,
            "more_new": total - len(shown),
            "pickups": list(pickups_with_slots(cycle)),
            "shop_url": settings.SITE_URL + reverse("hub_public", args=[cycle.hub.slug]),
        }

    return _opening_cache.get((cycle.pk, cycle.updated_at), compute)


def load_opening(batch: list[dict]) -> tuple[dict, dict]:
    """The cycles and subscriptions of a batch of "the shop is open" e-mails, in two
    queries whatever the batch's size (thousands of households may have asked)."""
    cycles = {
        cycle.pk: cycle
        for cycle in OrderCycle.objects.select_related("hub").filter(
            pk__in={params["cycle_id"] for params in batch}
        )
    }
    alerts = {
        (alert.user_id, alert.hub_id): alert
        for alert in OpeningAlert.objects.filter(
            user__in={params["user_id"] for params in batch},
            hub__in={cycle.hub_id for cycle in cycles.values()},
            user__is_active=True,
        ).select_related("user")
    }
    return cycles, alerts


@outbox.builder("shop_open", batch=load_opening)
def build_shop_open(params: dict, loaded: tuple[dict, dict]) -> EmailMessage:
    cycles, alerts = loaded
    cycle = cycles.get(params["cycle_id"])
    # Cancelled or closed since (a worker that was down for long), or deleted.
    if cycle is None or not cycle.is_open():
        raise outbox.Skip
    alert = alerts.get((params["user_id"], cycle.hub_id))
    if alert is None:  # unsubscribed since
        raise outbox.Skip
    hub = cycle.hub
    closes = moment(cycle.closes_at)
    unsubscribe = unsubscribe_url(alert.user_id, hub.pk)
    body = render_to_string(
        "orders/email/shop_open.txt",
        {
            **_opening_news(cycle),
            "cycle": cycle,
            "hub": hub,
            "user": alert.user,
            "closes": closes,
            "unsubscribe_url": unsubscribe,
            "site_name": settings.SITE_NAME,
        },
    )
    subject = _("The shop of %(hub)s is open until %(closes)s") % {
        "hub": hub.name,
        "closes": closes,
    }
    return EmailMessage(
        subject,
        body,
        headers={
            # Mail programs show their own "unsubscribe" button (RFC 2369, RFC 8058).
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


# The day before the pickup.


def reminder_emails(cycle_pickup: CyclePickupPoint) -> list[outbox.Owed]:
    """One reminder per live order to collect at this pickup, and an SMS for the
    households that chose it."""
    orders = (
        Order.objects.live()
        .filter(cycle_pickup=cycle_pickup)
        .exclude(cycle__status=OrderCycle.Status.CANCELLED)
    )
    return outbox.one_per_order(
        orders, kind="pickup_reminder", key=lambda pk: f"remind:{pk}:{cycle_pickup.pickup_date}"
    ) + sms.reminders(orders, cycle_pickup.pickup_date)


@outbox.builder("pickup_reminder")
def build_pickup_reminder(params: dict) -> EmailMessage:
    order = (
        Order.objects.select_related("cycle__hub", "cycle_pickup__pickup_point", "slot")
        .filter(pk=params["order_id"])
        .first()
    )
    if (
        order is None
        or not order.is_live
        or order.cycle.status == OrderCycle.Status.CANCELLED
        or order.collected_at is not None
        or order.cycle_pickup.pickup_date < timezone.localdate()
    ):
        raise outbox.Skip
    url = settings.SITE_URL + order.get_secret_url()
    body = render_to_string(
        "orders/email/pickup_reminder.txt",
        {
            "order": order,
            "hub": order.cycle.hub,
            "pickup_point": order.cycle_pickup.pickup_point,
            "due": payments.amount_due(order),
            "url": url,
            "site_name": settings.SITE_NAME,
        },
    )
    subject = _("Your order %(number)s: pickup %(day)s, %(start)s–%(end)s") % {
        "number": order.number,
        "day": day(order.cycle_pickup.pickup_date),
        "start": clock(order.slot.starts_at),
        "end": clock(order.slot.ends_at),
    }
    message = EmailMessage(subject, body)
    message.attach(f"{order.number}.ics", ical.pickup_invitation(order, url=url), "text/calendar")
    return message


# The morning of distribution.


def volunteer_list_emails(cycle_pickup: CyclePickupPoint) -> list[outbox.Owed]:
    """One volunteer list per coordinator of the pickup point (built by
    ``pickup_points.notifications``)."""
    coordinators = _users().filter(
        pickup_memberships__pickup_point=cycle_pickup.pickup_point_id,
        pickup_memberships__role=COORDINATOR,
    )
    return _one_each(
        coordinators.distinct(),
        key=f"volunteers:{cycle_pickup.pk}",
        kind="volunteer_list",
        params={"cycle_pickup_id": cycle_pickup.pk},
    )
