"""Who gets which SMS, what a step owes, and STOP.

- ``set_sms_choices``: a household's choice of SMS (order confirmation, reminder the day
  before pickup, "the shop is open"), made by itself from its account or by a relay for it
  (who and when recorded). Only a household itself lifts a STOP.
- ``confirmation``, ``reminders``, ``opening``: the SMS a step owes, handed to
  ``outbox.owe`` in the step's transaction next to its e-mails, keyed ``sms:<cycle>:...``
  (the cycle's page counts them by that start).
- ``stop_number`` / ``resume_number``: a reply STOP (or the link of an SMS) stops every SMS
  to that number, for every customer with it; a reply START is the household asking again.
"""

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import base36_to_int, int_to_base36
from django.utils.translation import gettext_lazy as _

from foodhub.phones import is_mobile, to_e164
from orders import outbox
from orders.models import Customer, OrderCycle, OutgoingEmail

SMS = OutgoingEmail.Channel.SMS
# The choice of each kind, on the customer.
CHOICES = {
    "confirmation": "sms_confirmation",
    "reminder": "sms_reminder",
    "shop_open": "sms_shop_open",
}
NO_MOBILE = _("SMS need a mobile phone number, such as 06 12 34 56 78.")

# The words that stop the SMS, and start them again, in a reply (its first word).
STOP_WORDS = {"STOP", "STOPALL", "ARRET", "ARRÊT", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
START_WORDS = {"START", "UNSTOP", "YES"}


def sms_number(customer: Customer) -> str:
    """The customer's number in E.164 if it can receive SMS, else ""."""
    try:
        number = to_e164(customer.phone)
    except ValidationError:
        return ""
    return number if number and is_mobile(number) else ""


def wants(customer: Customer | None, kind: str) -> bool:
    """Whether the household chose SMS of ``kind`` and gets SMS (not stopped, a mobile)."""
    return bool(
        customer is not None
        and getattr(customer, CHOICES[kind])
        and customer.sms_stopped_at is None
        and sms_number(customer)
    )


def language_of(customer: Customer, fallback: str = "") -> str:
    """The language of the household's SMS: its own, its account's, else ``fallback``."""
    account = customer.user.language if customer.user_id and customer.user else ""
    return customer.language or account or fallback or settings.LANGUAGE_CODE


@transaction.atomic
def set_sms_choices(customer: Customer, *, confirmation: bool, reminder: bool,
                    shop_open: bool, by) -> Customer:  # fmt: skip
    """Record which SMS the household gets, chosen by ``by`` (the household's own account,
    or a relay for it). Choosing any SMS needs a mobile number (ValidationError).

    The household choosing SMS itself lifts a STOP of its number; a relay does not (the
    household replies START, or chooses in its account), and a number stopped for another
    customer stays stopped for this one.
    """
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    chosen = confirmation or reminder or shop_open
    number = sms_number(customer)
    if chosen and not number:
        raise ValidationError(NO_MOBILE, code="no_mobile")
    if number:
        # Kept in E.164 from now on, so a STOP from this number finds this customer.
        customer.phone = number
    now = timezone.now()
    itself = by is not None and customer.user_id is not None and by.pk == customer.user_id
    if chosen and itself:
        customer.sms_stopped_at = None
    elif chosen and customer.sms_stopped_at is None:
        stopped = (
            Customer.objects.filter(phone=customer.phone)
            .exclude(sms_stopped_at=None)
            .values_list("sms_stopped_at", flat=True)
            .first()
        )
        customer.sms_stopped_at = stopped
    customer.sms_confirmation, customer.sms_reminder = bool(confirmation), bool(reminder)
    customer.sms_shop_open = bool(shop_open)
    customer.sms_chosen_at, customer.sms_chosen_by = now, by
    customer.save(update_fields=[*CHOICES.values(), "phone", "sms_stopped_at", "sms_chosen_at",
                                 "sms_chosen_by"])  # fmt: skip
    return customer


def stop_number(number: str, *, now=None) -> int:
    """No more SMS to ``number`` (E.164), for every customer with it. Doing it again (a
    replayed reply) changes nothing. How many customers it stopped now."""
    if not number:
        return 0
    return Customer.objects.filter(phone=number, sms_stopped_at=None).update(
        sms_stopped_at=now or timezone.now()
    )


def resume_number(number: str) -> int:
    """The household replied START: its number gets the SMS it chose again."""
    if not number:
        return 0
    return (
        Customer.objects.filter(phone=number)
        .exclude(sms_stopped_at=None)
        .update(sms_stopped_at=None)
    )


def handle_reply(number: str, text: str) -> str:
    """A household's reply: "stop", "start", or "" (anything else, kept by nobody)."""
    words = str(text).split()
    word = words[0].strip(".!").upper() if words else ""
    if word in STOP_WORDS:
        stop_number(number)
        return "stop"
    if word in START_WORDS:
        resume_number(number)
        return "start"
    return ""


# The link in each SMS: /sms/stop/<token>/, short (an SMS has 160 characters): the
# customer's id in base 36 and 48 bits of a keyed hash of it.

STOP_SALT = "orders.sms.stop"


def stop_token(customer_id: int) -> str:
    tag = salted_hmac(STOP_SALT, str(customer_id)).digest()[:6]
    return f"{int_to_base36(customer_id)}-{signing.b64_encode(tag).decode()}"


def read_stop_token(token: str) -> int | None:
    """The customer id of a link, or None when it was cut, altered or is not ours."""
    head, _dash, _tag = str(token).partition("-")
    if not head or len(head) > 13 or not head.isascii() or not head.isalnum():
        return None
    try:
        customer_id = base36_to_int(head.lower())
    except ValueError:
        return None
    if customer_id <= 0 or customer_id > 2**63 - 1:
        return None
    return customer_id if constant_time_compare(stop_token(customer_id), token) else None


# What each step owes.


def _owed(customer: Customer, number: str, *, kind: str, key: str, params: dict,
          fallback: str = "") -> outbox.Owed:  # fmt: skip
    return outbox.Owed(
        key=key,
        kind=kind,
        to=number,
        params={**params, "customer_id": customer.pk, "phone": number},
        language=language_of(customer, fallback),
        channel=SMS,
        hub_id=customer.hub_id,
    )


def confirmation(order, event) -> list[outbox.Owed]:
    """The SMS confirming an order placed (or paid), if its household chose it."""
    if order.customer_id is None:
        return []
    customer = Customer.objects.select_related("user").filter(pk=order.customer_id).first()
    if not wants(customer, "confirmation"):
        return []
    return [
        _owed(
            customer, sms_number(customer), kind="sms_confirmation",
            key=f"sms:{order.cycle_id}:order:{event.pk}", params={"order_id": order.pk},
            fallback=order.language,
        )
    ]  # fmt: skip


def reminders(orders, pickup_date) -> list[outbox.Owed]:
    """The reminders the day before pickup of ``orders`` (a queryset), for the households
    that chose them."""
    rows = (
        orders.filter(customer__sms_reminder=True, customer__sms_stopped_at=None)
        .exclude(customer__phone="")
        .select_related("customer__user")
        .order_by("pk")
    )
    owed = []
    for order in rows:
        if number := sms_number(order.customer):
            owed.append(
                _owed(
                    order.customer, number, kind="sms_reminder",
                    key=f"sms:{order.cycle_id}:remind:{order.pk}:{pickup_date}",
                    params={"order_id": order.pk}, fallback=order.language,
                )
            )  # fmt: skip
    return owed


def opening(cycle: OrderCycle) -> list[outbox.Owed]:
    """One "the shop is open" SMS per household of the hub that chose it."""
    customers = (
        Customer.objects.filter(hub=cycle.hub_id, sms_shop_open=True, sms_stopped_at=None)
        .exclude(phone="")
        .select_related("user")
        .order_by("pk")
    )
    owed = []
    for customer in customers:
        if number := sms_number(customer):
            owed.append(
                _owed(
                    customer, number, kind="sms_shop_open",
                    key=f"sms:{cycle.pk}:open:{customer.pk}", params={"cycle_id": cycle.pk},
                )
            )  # fmt: skip
    return owed


# What managers see.


def cycle_prefix(cycle_id: int) -> str:
    """What the keys of a cycle's SMS start with."""
    return f"sms:{cycle_id}:"


def sent_per_month(hub, *, months: int = 12) -> list[dict]:
    """[{"month": date, "sent": n, "failed": n}] for the hub's last ``months`` months
    with SMS, newest first, in one query (a skipped SMS never left: not counted)."""
    left = Q(status=OutgoingEmail.Status.SENT) & ~Q(error="skipped")
    rows = (
        OutgoingEmail.objects.filter(hub=hub, channel=SMS)
        .annotate(month=TruncMonth("created_at", tzinfo=timezone.get_default_timezone()))
        .values("month")
        .annotate(
            sent=Count("pk", filter=left),
            failed=Count("pk", filter=Q(status=OutgoingEmail.Status.FAILED)),
            waiting=Count(
                "pk",
                filter=Q(status__in=[OutgoingEmail.Status.PENDING, OutgoingEmail.Status.BUILDING]),
            ),
        )
        .order_by("-month")
    )
    return [row for row in rows[:months] if row["sent"] or row["failed"] or row["waiting"]]
