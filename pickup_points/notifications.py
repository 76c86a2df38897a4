"""The volunteer list e-mailed to a pickup point's coordinators the morning of distribution.

``orders.emails.notifications.volunteer_list_emails`` says who is owed it (the tick calls that);
this builds it, with the distribution list of ``documents`` attached: the CSV always (a
spreadsheet opens on any phone), the PDF too unless the list is long enough to make
rendering it slow.
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from foodhub import spreadsheets
from foodhub.collation import french
from orders import outbox
from orders.models import CyclePickupPoint, OrderCycle
from producers.templatetags import money

from . import documents
from .models import PickupPointMembership

# Beyond this many households, the PDF is left out (the CSV and the page have them all).
PDF_MAX_ROWS = 400


def slot_counts(doc: documents.DistributionList) -> list[dict]:
    """[{"slot": slot, "households": n, "to_collect": units}] for every slot of the pickup,
    empty ones too."""
    by_slot: dict[int, dict] = {}
    for slot in doc.pickup.slots.all() if doc.pickup else []:
        by_slot[slot.pk] = {"slot": slot, "households": 0, "to_collect": 0}
    for row in doc.rows:
        entry = by_slot.setdefault(
            row.order.slot_id, {"slot": row.order.slot, "households": 0, "to_collect": 0}
        )
        entry["households"] += 1
        entry["to_collect"] += row.units
    return sorted(by_slot.values(), key=lambda entry: (entry["slot"].starts_at, entry["slot"].pk))


@outbox.builder("volunteer_list")
def build_volunteer_list(params: dict) -> EmailMessage:
    pickup = (
        CyclePickupPoint.objects.select_related("cycle__hub", "pickup_point")
        .filter(pk=params["cycle_pickup_id"])
        .first()
    )
    if (
        pickup is None
        or pickup.cycle.status != OrderCycle.Status.PUBLISHED
        or pickup.pickup_date < timezone.localdate()
    ):
        raise outbox.Skip
    point, cycle = pickup.pickup_point, pickup.cycle
    team = list(
        PickupPointMembership.objects.filter(pickup_point=point)
        .select_related("user")
        .order_by("role", french("user__full_name"), "pk")
    )
    is_coordinator = any(
        member.user_id == params["user_id"]
        and member.role == PickupPointMembership.Role.COORDINATOR
        for member in team
    )
    if not is_coordinator:  # left the team since
        raise outbox.Skip
    doc = documents.distribution_list(point, cycle)
    day = money.day(pickup.pickup_date)
    body = render_to_string(
        "pickup_points/email/volunteer_list.txt",
        {
            "doc": doc,
            "pickup": pickup,
            "point": point,
            "cycle": cycle,
            "day": day,
            "slots": slot_counts(doc),
            "team": team,
            "url": settings.SITE_URL
            + reverse("pickup_points:distribution", args=[point.slug, cycle.pk]),
            "site_name": settings.SITE_NAME,
        },
    )
    count = len(doc.rows)
    if pickup.pickup_date == timezone.localdate():
        subject = ngettext(
            "Distribution today at %(point)s: %(count)s household",
            "Distribution today at %(point)s: %(count)s households",
            count,
        )
    else:
        subject = ngettext(
            "Distribution on %(day)s at %(point)s: %(count)s household",
            "Distribution on %(day)s at %(point)s: %(count)s households",
            count,
        )
    subject %= {"day": day, "point": point.name, "count": count}
    message = EmailMessage(subject, body)
    name = f"{point.slug}-{pickup.pickup_date:%Y-%m-%d}"
    message.attach(
        f"{name}.csv",
        documents.distribution_list_csv(point, cycle, doc=doc),
        spreadsheets.MIME_TYPE,
    )
    if len(doc.rows) <= PDF_MAX_ROWS:
        message.attach(
            f"{name}.pdf", documents.distribution_list_pdf(point, cycle, doc=doc), "application/pdf"
        )
    return message
