"""What the public pages show of the hubs' life, read in a bounded number of queries."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone, translation
from django.utils.html import format_html
from wagtail.models import Page

from foodhub.collation import french
from foodhub.hubs.models import Hub
from foodhub.text import french_sort_key
from orders.models import CyclePickupPoint, Offer, OrderCycle
from producers.models import Producer


@dataclass
class HubCard:
    """A hub as the home page shows it."""

    hub: Hub
    page: object | None  # its live HubPage in this language tree, if any
    cycle: OrderCycle | None  # open now, else the next one
    is_open: bool
    pickups: list = field(default_factory=list)  # CyclePickupPoint of that cycle

    @property
    def shop_url(self) -> str:
        return self.hub.get_absolute_url()


def _current_cycles(hubs, now: datetime) -> dict[int, OrderCycle]:
    """Each hub's open cycle (closing first if several), else its next one: one query."""
    cycles = (
        OrderCycle.objects.filter(
            hub__in=hubs, status=OrderCycle.Status.PUBLISHED, closes_at__gt=now
        )
        .order_by("closes_at")
        .prefetch_related(
            Prefetch(
                "pickups",
                queryset=CyclePickupPoint.objects.select_related("pickup_point").order_by(
                    "pickup_date", french("pickup_point__name")
                ),
            )
        )
    )
    current: dict[int, OrderCycle] = {}
    for cycle in cycles:
        chosen = current.get(cycle.hub_id)
        if (
            chosen is None
            or not chosen.is_open(now)
            and (cycle.is_open(now) or cycle.opens_at < chosen.opens_at)
        ):
            current[cycle.hub_id] = cycle
    return current


def hub_cards(hub_pages: QuerySet, now: datetime) -> list[HubCard]:
    """Every hub, with its page among ``hub_pages`` (the home page's, in its language),
    its cycle and pickup days. The page models hand their querysets in: they build on
    this module, not the other way round."""
    hubs = list(Hub.objects.order_by(french("name")))
    pages = {page.hub_id: page for page in hub_pages.live().select_related("image")}
    cycles = _current_cycles(hubs, now)
    cards = []
    for hub in hubs:
        cycle = cycles.get(hub.pk)
        cards.append(
            HubCard(
                hub=hub,
                page=pages.get(hub.pk),
                cycle=cycle,
                is_open=bool(cycle and cycle.is_open(now)),
                pickups=list(cycle.pickups.all()) if cycle else [],
            )
        )
    return cards


def hub_page_context(
    page, now: datetime, *, point_pages: QuerySet, portraits: QuerySet, news: QuerySet
) -> dict:
    """The cycle, pickup days, producers (with portraits) and news a hub page shows: its
    points' pages, the producers' portraits in its language and its news are the
    querysets the page hands in."""
    hub = page.hub
    cycle = _current_cycles([hub], now).get(hub.pk)
    point_pages = {p.pickup_point_id: p for p in point_pages.live()}
    producers = list(hub.producers.order_by(french("name")))
    portraits = {
        p.producer_id: p
        for p in portraits.live().filter(producer__in=producers).select_related("image")
    }
    return {
        "cycle": cycle,
        "is_open": bool(cycle and cycle.is_open(now)),
        "pickups": [
            (pickup, point_pages.get(pickup.pickup_point_id))
            for pickup in (cycle.pickups.all() if cycle else [])
        ],
        "point_pages": sorted(point_pages.values(), key=lambda p: french_sort_key(p.title)),
        "producers": [(producer, portraits.get(producer.pk)) for producer in producers],
        "news": list(news.live().order_by("-date", "-pk")[:3]),
        "shop_url": hub.get_absolute_url(),
    }


@dataclass
class WeekOffers:
    cycle: OrderCycle
    offers: list
    shop_url: str


def offers_this_week(producer: Producer, now: datetime) -> list[WeekOffers]:
    """What the producer sells in the cycles open now, hub by hub: one query."""
    offers = (
        Offer.objects.filter(
            variant__product__producer=producer,
            variant__is_active=True,
            variant__product__is_active=True,
            cycle__status=OrderCycle.Status.PUBLISHED,
            cycle__opens_at__lte=now,
            cycle__closes_at__gt=now,
        )
        .select_related("variant__product", "cycle__hub")
        .order_by("cycle__closes_at", "cycle_id", french("variant__product__name"), "pk")
    )
    weeks: list[WeekOffers] = []
    for offer in offers:
        if not weeks or weeks[-1].cycle.pk != offer.cycle_id:
            url = f"{offer.cycle.hub.get_absolute_url()}?producer={producer.slug}"
            weeks.append(WeekOffers(offer.cycle, [], url))
        weeks[-1].offers.append(offer)
    return weeks


def next_pickups_at(point, now: datetime) -> list[CyclePickupPoint]:
    """The pickup days coming at a point, with their hub's cycle: one query."""
    return list(
        CyclePickupPoint.objects.filter(
            pickup_point=point,
            cycle__status=OrderCycle.Status.PUBLISHED,
            pickup_date__gte=timezone.localdate(now),
        )
        .select_related("cycle__hub")
        .order_by("pickup_date", french("cycle__hub__name"))[:6]
    )


def latest_news(news: QuerySet, *, limit: int):
    return list(news.live().select_related("image").order_by("-date", "-pk")[:limit])


def content_lang_attribute(page) -> str:
    """`` lang="fr"`` for the editors' text of an alias showing another language's page
    (an English copy not translated yet), so screen readers read it in the right voice;
    "" for a page in its own language."""
    if not page.alias_of_id:
        return ""
    language = (
        Page.objects.filter(pk=page.alias_of_id)
        .values_list("locale__language_code", flat=True)
        .first()
    )
    if not language or language == translation.get_language():
        return ""
    return format_html(' lang="{}"', language)
