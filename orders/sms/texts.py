"""The SMS themselves, built by the outbox when they leave, in the household's language.

Each is one SMS where it can be: 160 GSM-7 characters (``gsm``), the stop link included.
Our words are written in GSM-7 (no "ç", "ê", curly apostrophe: a test checks both
languages); names (hubs, places) are fitted to it (``gsm.fit``). A builder raises
``outbox.Skip`` when the SMS is no longer wanted: the household stopped SMS, changed its
choice or its number since, or the order or the cycle no longer needs it.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders import outbox
from orders.models import Customer, Order, OrderCycle
from producers.templatetags.money import clock, short_day

from . import gsm, services
from .backends import SmsMessage, get_connection

# The outbox sends rows of channel "sms" through the configured SMS backend.
outbox.channel(services.SMS, get_connection)


def link(path: str) -> str:
    """An address of the site as an SMS shows it: without "https://", which phones do not
    need to make it a link (eight characters of 160)."""
    url = settings.SITE_URL.rstrip("/") + path
    return url.removeprefix("https://")


def stop_url(customer_id: int) -> str:
    """The link of each SMS that stops them (in the active language)."""
    return link(reverse("sms_stop", args=[services.stop_token(customer_id)]))


def _message(*texts, **values) -> SmsMessage:
    """The first of ``texts`` (the longest first) that makes one SMS, else the last."""
    for text in texts:
        body = gsm.fit(str(text) % values)
        if gsm.parts(body) == 1:
            break
    return SmsMessage(body)


def _customer(params: dict, kind: str) -> Customer:
    """The household, if it still wants this SMS at this number."""
    customer = Customer.objects.select_related("user").filter(pk=params["customer_id"]).first()
    if not services.wants(customer, kind) or services.sms_number(customer) != params["phone"]:
        raise outbox.Skip
    return customer


def _order(params: dict) -> Order:
    order = (
        Order.objects.select_related("cycle__hub", "cycle_pickup__pickup_point", "slot")
        .filter(pk=params["order_id"])
        .first()
    )
    if order is None or not order.is_live or order.cycle.status == OrderCycle.Status.CANCELLED:
        raise outbox.Skip
    return order


def _pickup(order: Order) -> dict:
    return {
        "hub": order.cycle.hub.name,
        "number": order.number,
        "day": short_day(order.cycle_pickup.pickup_date),
        "start": clock(order.slot.starts_at),
        "end": clock(order.slot.ends_at),
        "point": order.cycle_pickup.pickup_point.name,
    }


# Each SMS says the hub's name when it fits in one SMS, and leaves it out when it does not
# (the order number and the shop's address name the hub too).
CONFIRMATION = (
    _("%(hub)s: order %(number)s confirmed. Pickup %(day)s %(start)s-%(end)s, %(point)s. "
      "STOP: %(stop)s"),
    _("Order %(number)s confirmed. Pickup %(day)s %(start)s-%(end)s, %(point)s. "
      "STOP: %(stop)s"),
)  # fmt: skip
REMINDER = (
    _("%(hub)s: pickup %(day)s %(start)s-%(end)s, %(point)s, order %(number)s. "
      "STOP: %(stop)s"),
    _("Reminder: pickup %(day)s %(start)s-%(end)s, %(point)s, order %(number)s. "
      "STOP: %(stop)s"),
)  # fmt: skip
SHOP_OPEN = (
    _("%(hub)s: the shop is open until %(day)s %(time)s. %(url)s STOP: %(stop)s"),
    _("The shop is open until %(day)s %(time)s: %(url)s STOP: %(stop)s"),
)
TEXTS = (*CONFIRMATION, *REMINDER, *SHOP_OPEN)


@outbox.builder("sms_confirmation")
def build_confirmation(params: dict) -> SmsMessage:
    customer = _customer(params, "confirmation")
    order = _order(params)
    return _message(*CONFIRMATION, **_pickup(order), stop=stop_url(customer.pk))


@outbox.builder("sms_reminder")
def build_reminder(params: dict) -> SmsMessage:
    customer = _customer(params, "reminder")
    order = _order(params)
    if order.collected_at is not None or order.cycle_pickup.pickup_date < timezone.localdate():
        raise outbox.Skip
    return _message(*REMINDER, **_pickup(order), stop=stop_url(customer.pk))


@outbox.builder("sms_shop_open")
def build_shop_open(params: dict) -> SmsMessage:
    customer = _customer(params, "shop_open")
    cycle = OrderCycle.objects.select_related("hub").filter(pk=params["cycle_id"]).first()
    if cycle is None or not cycle.is_open():  # cancelled or closed since
        raise outbox.Skip
    return _message(
        *SHOP_OPEN,
        hub=cycle.hub.name,
        day=short_day(cycle.closes_at),
        time=clock(cycle.closes_at),
        url=link(reverse("hub_public", args=[cycle.hub.slug])),
        stop=stop_url(customer.pk),
    )
