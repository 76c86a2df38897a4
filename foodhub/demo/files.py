"""The demo's data files, read into plain records.

What the demo says (places, people, farms and products, the shape of the weeks, the pages'
words) is in the TOML files of ``data/`` beside this module; the loaders say how it becomes
rows. Decimal numbers are read as ``Decimal`` (prices, fees), TOML times as ``time``. Each
kind of entry is a record class: a key missing from a file, or one its record does not know,
stops the import with the file's name. Whether the entries agree with each other (every
product's category exists, every account's hub...) is checked by tests/demo/test_demo_files.py.
"""

import dataclasses
import tomllib
import typing
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from importlib import resources

from django.utils.text import slugify


def read(name: str) -> dict:
    """One data file (``"world.toml"``), its decimal numbers as ``Decimal``."""
    text = (resources.files(__package__) / "data" / name).read_text(encoding="utf-8")
    return tomllib.loads(text, parse_float=Decimal)


def build(cls, row: dict, where: str):
    """A record from one table of a file, its nested tables (and lists of them) too."""
    hints = typing.get_type_hints(cls)
    values = {}
    for name, value in row.items():
        kind = hints.get(name)
        if dataclasses.is_dataclass(kind):
            value = build(kind, value, f"{where}.{name}")
        elif typing.get_origin(kind) is list and dataclasses.is_dataclass(typing.get_args(kind)[0]):
            value = [build(typing.get_args(kind)[0], item, f"{where}.{name}") for item in value]
        values[name] = value
    try:
        return cls(**values)
    except TypeError as error:  # a key missing or unknown
        raise ValueError(f"foodhub/demo/data/{where}: {error}") from None


def blocks(rows: list[dict]) -> list[tuple]:
    """A page body's ``[{heading = "..."}, {quote = {...}}]`` as StreamField's ``(type, value)``."""
    return [next(iter(row.items())) for row in rows]


# --- world.toml: aisles, quality signs, hubs, pickup points --------------------------------

_world = read("world.toml")
CATEGORIES: dict[str, str] = _world["categories"]  # slug: name, in the shop's order
LABELS: dict[str, str] = _world["labels"]
HUBS: list[dict] = _world["hub"]  # Hub's fields
PICKUP_POINTS: list[dict] = _world["pickup_point"]  # PickupPoint's fields, and "hubs"


# --- people.toml: the role accounts and the households ------------------------------------


@dataclass(frozen=True)
class Account:
    role: str
    email: str
    full_name: str
    note: str = ""
    staff: bool = False  # a platform admin
    manages: str = ""  # a hub's slug
    member_of: str = ""  # a producer's slug
    volunteers_at: str = ""  # a pickup point's slug
    household: bool = False  # orders in the demo cycles
    relay_of: str = ""  # a hub's slug: orders there for households without e-mail


_people = read("people.toml")
DEMO_PASSWORD: str = _people["password"]
DEMO_EMAIL_DOMAIN: str = _people["email_domain"]
ACCOUNTS = {
    key: build(Account, row, f"people.toml: accounts.{key}")
    for key, row in _people["accounts"].items()
}
DEMO_ACCOUNTS = list(ACCOUNTS.values())
ADMIN, MANAGER, MANAGER_VDA = ACCOUNTS["admin"], ACCOUNTS["manager"], ACCOUNTS["manager_vda"]
PRODUCER_MEMBER = ACCOUNTS["producer_member"]
HOUSEHOLD_NAMES: list[str] = _people["households"]
RELAY = ACCOUNTS["relay"]


@dataclass(frozen=True)
class HelpedHousehold:
    full_name: str
    phone: str
    consent: str  # "in_person" or "by_phone"
    orders: bool = False  # the relay orders for it in this week's cycle, in the shop
    paper_form: bool = False  # ... from a paper form she keys in


HELPED_HOUSEHOLDS = [
    build(HelpedHousehold, row, f"people.toml: helped_households[{n}]")
    for n, row in enumerate(_people["helped_households"])
]


@dataclass(frozen=True)
class FoodAid:
    name: str
    funder: str
    monthly_amount: Decimal
    eligible_categories: list[str]
    helped: list[str]  # helped households' names
    accounts: list[str]  # households' names (accounts)


FOOD_AID = build(FoodAid, _people["food_aid"], "people.toml: food_aid")


@dataclass(frozen=True)
class Solidarity:
    lower_percent: int
    upper_percent: int
    support_cap: Decimal
    upper_every: int
    lower_every: int


SOLIDARITY = build(Solidarity, _people["solidarity"], "people.toml: solidarity")


def household_email(full_name: str) -> str:
    """``"Jérôme Da Silva"`` → ``jerome.da-silva@demo.foodhub.test``."""
    first, last = full_name.split(" ", 1)
    return f"{slugify(first)}.{slugify(last)}@{DEMO_EMAIL_DOMAIN}"


def household_accounts() -> list[Account]:
    return [
        Account("household", household_email(name), name, household=True)
        for name in HOUSEHOLD_NAMES
    ]


# --- producers.toml: farms and their catalogues --------------------------------------------


@dataclass(frozen=True)
class Variant:
    code: str  # last part of the SKU: "MEL-PDT-5K"
    name: str
    unit: str
    quantity: Decimal
    price: Decimal | None = None  # incl. VAT, EUR; or, sold by weight:
    per_kg: Decimal | None = None  # the price per kg (incl. VAT, EUR)
    vat: str | None = None  # defaults to the product's, then the producer's rate
    on_demand: bool | None = None  # defaults to the product's, then the producer's mode

    def __post_init__(self):
        if (self.price is None) == (self.per_kg is None):
            raise TypeError("a variant has either a 'price' or a 'per_kg'")


@dataclass(frozen=True)
class Product:
    code: str
    name: str
    category: str  # a category's slug
    variants: list[Variant]
    labels: list[str] = field(default_factory=list)  # added to the producer's
    vat: str | None = None
    on_demand: bool | None = None
    description: str = ""
    active: bool = True


@dataclass(frozen=True)
class Producer:
    slug: str
    code: str  # first part of the SKU
    name: str
    address: str
    postcode: str
    city: str
    description: str
    hubs: list[str]  # hubs' slugs
    vat: str
    products: list[Product]
    labels: list[str] = field(default_factory=list)
    on_demand: bool = False


PRODUCERS = [
    build(Producer, row, f"producers.toml: {row.get('slug')}")
    for row in read("producers.toml")["producer"]
]


# --- cycles.toml: the shape of each hub's weeks ---------------------------------------------


@dataclass(frozen=True)
class Moment:
    day: int  # from the loading day
    at: time  # Paris wall-clock


@dataclass(frozen=True)
class Cycle:
    name: str
    opens: Moment
    closes: Moment
    pickup_day: int


@dataclass(frozen=True)
class Slot:
    starts: time
    ends: time
    capacity: int


@dataclass(frozen=True)
class Orders:
    seed: int
    households_every: int
    offers: int
    quantity: list[int]  # at least, at most
    paid_share: Decimal
    capped_every: int
    cap: int
    alerts_every: int


@dataclass(frozen=True)
class WeeklyMoment:
    weekday: str  # "friday"
    at: time


@dataclass(frozen=True)
class Schedule:
    name: str
    opens: WeeklyMoment
    closes: WeeklyMoment
    pickup_weekday: str
    mode: str
    weeks_ahead: int


@dataclass(frozen=True)
class Shortage:
    sku: str
    delivered: int


@dataclass(frozen=True)
class SettledOrder:
    household: str  # one of people.toml's households
    items: dict[str, int]  # SKU: quantity
    weights: dict[str, Decimal] = field(default_factory=dict)  # SKU: kg weighed
    pays: Decimal | str | None = None  # cash handed over, "due", "order", or nothing
    method: str = "cash"


@dataclass(frozen=True)
class Settled:
    """A past week of one hub gone through to the end: weighed, short of one product, paid
    at the pickup point, invoiced."""

    hub: str
    name: str
    opens: Moment
    closes: Moment
    pickup_day: int
    shortage: Shortage
    orders: list[SettledOrder]


@dataclass(frozen=True)
class Weeks:
    fee_percent: Decimal
    fee_fixed: Decimal
    message: str
    slots: list[Slot]
    cycles: dict[str, dict]
    orders: Orders
    schedule: Schedule
    settled: Settled


WEEKS = build(Weeks, read("cycles.toml"), "cycles.toml")
CYCLES = {key: build(Cycle, row, f"cycles.toml: cycles.{key}") for key, row in WEEKS.cycles.items()}
PAST_CYCLE, OPEN_CYCLE = CYCLES["past"].name, CYCLES["open"].name
SETTLED = WEEKS.settled


# --- portraits.toml and pages.toml: the public pages' words ---------------------------------


@dataclass(frozen=True)
class Portrait:
    """What a demo producer says of itself, in French, then in English."""

    ground: str
    intro: str
    portrait: str
    practices: str
    alt: str
    photo_alt: str
    caption: str
    intro_en: str
    portrait_en: str
    practices_en: str
    alt_en: str
    photo_alt_en: str
    caption_en: str
    sky: str = "clair"


@dataclass(frozen=True)
class Intro:
    """A page the set-up created (home, our producers), given a photo and words."""

    image_title: str
    ground: str
    intro: str
    alt: str
    title_en: str
    intro_en: str
    alt_en: str
    body: list[dict] = field(default_factory=list)  # see blocks()
    body_en: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class TeamMember:
    name: str
    role: str
    about: str
    role_en: str
    about_en: str


@dataclass(frozen=True)
class HubStory:
    ground: str
    intro: str
    story: str
    values: str
    how_it_works: str
    team: list[TeamMember]
    alt: str
    title_en: str
    intro_en: str
    story_en: str
    values_en: str
    how_it_works_en: str
    alt_en: str
    sky: str = "clair"


@dataclass(frozen=True)
class Place:
    """A pickup point's page (its hours come from the point itself)."""

    ground: str
    about: str
    alt: str
    directions: str  # what a public page may say of the way there: no door codes


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    days_ago: int
    ground: str
    intro: str
    body: list[dict]


@dataclass(frozen=True)
class News:
    title: str
    slug: str
    intro: str
    image_alt: str
    pages: list[Article]


@dataclass(frozen=True)
class About:
    title: str
    slug: str
    intro: str
    body: list[dict]


PORTRAITS = {
    slug: build(Portrait, row, f"portraits.toml: portraits.{slug}")
    for slug, row in read("portraits.toml")["portraits"].items()
}
_pages = read("pages.toml")
HOME = build(Intro, _pages["home"], "pages.toml: home")
PRODUCER_INDEX = build(Intro, _pages["producers"], "pages.toml: producers")
HUB_STORIES = {
    slug: build(HubStory, row, f"pages.toml: hubs.{slug}") for slug, row in _pages["hubs"].items()
}
PLACES = {
    slug: build(Place, row, f"pages.toml: places.{slug}") for slug, row in _pages["places"].items()
}
NEWS = build(News, _pages["news"], "pages.toml: news")
ABOUT = build(About, _pages["about"], "pages.toml: about")
