"""Pickups as calendar events (iCalendar, RFC 5545): the household's private feed and the
``.ics`` attached to its e-mails.

Small enough to write by hand rather than add a dependency: text is escaped (§3.3.11),
lines are folded at 75 octets without cutting a UTF-8 character (§3.1) and end with CRLF,
times are written in UTC ("Z"), so no VTIMEZONE is needed. An order keeps one UID
everywhere (``order-LIL-2026-000123@host``): a calendar that has the event from an e-mail
updates it from the feed, and the other way round.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from orders import clock
from orders.models import Order, OrderCycle

PRODID = "-//Foodhub//Pickups//EN"
# SEQUENCE must grow with each change: seconds since this date, from ``updated_at``.
SEQUENCE_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def escape(text: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, line breaks as ``\\n``."""
    text = str(text).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str, limit: int = 75) -> str:
    """Cut a content line into lines of at most ``limit`` octets, each continuation
    starting with a space, never inside a multi-byte character."""
    parts, current, size = [], [], 0
    for char in line:
        octets = len(char.encode())
        if size + octets > limit:
            parts.append("".join(current))
            current, size = [" "], 1
        current.append(char)
        size += octets
    parts.append("".join(current))
    return "\r\n".join(parts)


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


@dataclass
class Event:
    uid: str
    starts: datetime
    ends: datetime
    summary: str
    location: str
    description: str
    url: str
    modified: datetime

    def lines(self) -> list[str]:
        sequence = max(int((self.modified - SEQUENCE_EPOCH).total_seconds()), 0)
        return [
            "BEGIN:VEVENT",
            f"UID:{self.uid}",
            f"DTSTAMP:{utc(self.modified)}",
            f"LAST-MODIFIED:{utc(self.modified)}",
            f"SEQUENCE:{sequence}",
            f"DTSTART:{utc(self.starts)}",
            f"DTEND:{utc(self.ends)}",
            f"SUMMARY:{escape(self.summary)}",
            f"LOCATION:{escape(self.location)}",
            f"DESCRIPTION:{escape(self.description)}",
            f"URL:{self.url}",
            "END:VEVENT",
        ]


def calendar(events, *, name: str = "", method: str = "") -> str:
    """A VCALENDAR of the events, lines folded, CRLF line ends."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    if method:
        lines.append(f"METHOD:{method}")
    if name:
        lines.append(f"X-WR-CALNAME:{escape(name)}")
    for event in events:
        lines.extend(event.lines())
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


# Pickups.


def host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def pickup_event(order: Order, *, url: str) -> Event:
    """The pickup of an order (``cycle__hub``, ``cycle_pickup__pickup_point`` and ``slot``
    loaded): its slot, its place, its number; ``url`` opens the order."""
    point = order.cycle_pickup.pickup_point
    slot = order.slot
    place = point.name + (f" ({point.tiers_lieu})" if point.tiers_lieu else "")
    return Event(
        uid=f"order-{order.number}@{host()}",
        # Like PickupSlot.starts(), from the order's own pickup (loaded), not the slot's.
        starts=clock.at(order.cycle_pickup.pickup_date, slot.starts_at),
        ends=clock.at(order.cycle_pickup.pickup_date, slot.ends_at),
        summary=_("Pickup %(hub)s — %(number)s") % {"hub": order.cycle.hub.name, "number": order},
        location=f"{place}, {point.full_address}",
        description="\n".join(
            [
                _("Order %(number)s, to collect between %(start)s and %(end)s.")
                % {
                    "number": order.number,
                    "start": f"{slot.starts_at:%H:%M}",
                    "end": f"{slot.ends_at:%H:%M}",
                },
                url,
            ]
        ),
        url=url,
        modified=order.updated_at,
    )


def pickup_invitation(order: Order, *, url: str) -> str:
    """The ``.ics`` attached to an e-mail about the order (one event, METHOD:PUBLISH)."""
    return calendar([pickup_event(order, url=url)], method="PUBLISH")


# The household's calendar.


def calendar_orders(user, now=None):
    """The orders a household's calendar shows: live ones, in cycles not cancelled, from
    60 days ago on."""
    since = timezone.localdate(now or timezone.now()) - timedelta(days=60)
    return (
        Order.objects.live()
        .filter(user=user, cycle_pickup__pickup_date__gte=since)
        .exclude(cycle__status=OrderCycle.Status.CANCELLED)
        .select_related("cycle__hub", "cycle_pickup__pickup_point", "slot")
        .order_by("cycle_pickup__pickup_date", "slot__starts_at", "pk")
    )


def calendar_feed(user) -> str:
    """The household's pickups as an iCalendar feed (each event opens the order page)."""
    events = [
        pickup_event(order, url=settings.SITE_URL + order.get_absolute_url())
        for order in calendar_orders(user)
    ]
    return calendar(events, name=_("My pickups — %(site)s") % {"site": settings.SITE_NAME})
