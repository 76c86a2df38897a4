"""Every CSV file the project hands out follows one convention (README, "CSV files"),
because every one is written by ``foodhub.spreadsheets``.

Each download (and the e-mailed attachment) is fetched as the person allowed to get it,
in French and in English, over data chosen to trip each rule: a household and a product
whose names start like formulas, a note starting with "-", an order placed at 00:30 in
Paris (23:30 UTC the day before), money with cents. A new export must be added to
``EXPORTS``; one that writes CSV without the shared writer is caught by the source scan
below.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.urls import get_resolver, reverse
from django.utils import timezone, translation

from orders.allocations import services as allocations
from orders.billing import invoices
from orders.checkout.services import place_order, record_payment, set_collected
from orders.models import AllocationProgramme, Customer, OrderCycle
from pickup_points.models import PickupPointMembership
from pickup_points.notifications import build_volunteer_list
from tests import factories

# 23:30 UTC on Wednesday 25 November 2026 is 00:30 on Thursday 26 in Paris.
NOW = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
PARIS_NOW = "2026-11-26 00:30"
EVIL_NAME = '=HYPERLINK("http://evil.example/","Zoé")'
EVIL_PRODUCT = "+Carottes"
EVIL_NOTE = "-5 sans sel"
EVIL_EMAIL = "@evil.example"


@pytest.fixture(autouse=True)
def _at_night():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(hub, manager, producer, producer_member, household, category):
    """A cycle with one pickup point and slot, a coordinator, and three orders: one by
    ``household`` (the evil name, a note), one paid in cash and collected, one plain."""
    point = factories.PickupPointFactory(name="La Ruche de Fives", slug="ruche-fives")
    point.hubs.add(hub)
    cycle = factories.OrderCycleFactory(hub=hub, name="Semaine 48")
    pickup = factories.CyclePickupPointFactory(cycle=cycle, pickup_point=point)
    slot = factories.PickupSlotFactory(cycle_pickup=pickup)
    coordinator = factories.UserFactory(email="coord@example.org")
    factories.PickupPointMembershipFactory(
        pickup_point=point, user=coordinator, role=PickupPointMembership.Role.COORDINATOR
    )
    carrots = factories.VariantFactory(
        product__producer=producer, product__name=EVIL_PRODUCT, product__category=category,
        product__description="-fraîches", name="botte", price=Decimal("2.45"),
        stock_quantity=30, sku="@CAR",
    )  # fmt: skip
    bread = factories.VariantFactory(
        product__producer=producer, product__name="Pain", product__category=category,
        name="1 kg", price=Decimal("4.80"), stock_mode="on_demand", stock_quantity=0,
    )  # fmt: skip
    offers = [
        factories.OfferFactory(cycle=cycle, variant=carrots),
        factories.OfferFactory(cycle=cycle, variant=bread),
    ]
    cycle.fee_percent = Decimal("5")
    cycle.save()
    orders = [
        place_order(
            cycle=cycle, slot=slot, items={offers[0].pk: 2, offers[1].pk: 1},
            email=household.email, full_name=EVIL_NAME, note=EVIL_NOTE, user=household,
            phone="+33 6 12 34 56 78", notify=False,
        ),
        place_order(
            cycle=cycle, slot=slot, items={offers[0].pk: 3}, email="b@example.org",
            full_name="Bruno Petit", notify=False,
        ),
        place_order(
            cycle=cycle, slot=slot, items={offers[1].pk: 1}, email="c@example.org",
            full_name="Émile Ängström", notify=False,
        ),
    ]  # fmt: skip
    record_payment(order=orders[0], method="cash", amount=orders[0].total, by=manager)
    set_collected(
        order=orders[1], collected=True, by=manager, now=cycle.closes_at + timedelta(minutes=1)
    )
    return {"cycle": cycle, "point": point, "pickup": pickup, "coordinator": coordinator}


@dataclass
class Export:
    name: str
    fetch: object  # (client, world, personas) -> bytes, in the active language
    optional: set = field(default_factory=set)  # columns some rows may leave empty
    numbers: bool = True  # whether the file holds decimal numbers
    paris_time: bool = False  # whether it shows when the orders were placed or paid
    evil: tuple = (EVIL_NAME,)  # texts it must hold, made inert


def _get(who, url_name, args=None, query=None):
    def fetch(client, world, personas):
        client.force_login(personas[who])
        response = client.get(reverse(url_name, args=args(world) if args else None), query)
        assert response.status_code == 200, response.status_code
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["Content-Disposition"].endswith('.csv"')
        return response.content

    return fetch


def _cycle_args(*extra):
    return lambda world: [world["cycle"].hub.slug, world["cycle"].pk, *extra]


def _volunteer_list(client, world, personas):
    message = build_volunteer_list(
        {"cycle_pickup_id": world["pickup"].pk, "user_id": world["coordinator"].pk}
    )
    [(name, content, mimetype)] = [a for a in message.attachments if a[0].endswith(".csv")]
    assert mimetype == "text/csv"
    return content.encode() if isinstance(content, str) else content


def _report(name, **kwargs):
    return Export(f"report {name}", _get("manager", "cycles:report", _cycle_args(name)), **kwargs)


def _sales_journal(client, world, personas):
    """The cycle closed, its adjustments final, its invoices issued: the sales journal."""
    cycle = world["cycle"]
    hub = cycle.hub
    hub.legal_name, hub.legal_street, hub.legal_postcode = "SCIC Drive", "1 rue", "59000"
    hub.legal_city, hub.siret, hub.vat_number = "Lille", "73282932000074", "FR44732829320"
    hub.save()
    if not cycle.invoices.exists():
        day = timedelta(days=1)
        OrderCycle.objects.filter(pk=cycle.pk).update(
            opens_at=timezone.now() - 3 * day, closes_at=timezone.now() - day,
            closed_at=timezone.now() - day, adjustments_final_at=timezone.now(),
        )  # fmt: skip
        invoices.issue_cycle_invoices(cycle.pk)
    return _get("manager", "invoices:journal", _cycle_args())(client, world, personas)


def _food_aid_report(client, world, personas):
    """A programme of the hub, the household enrolled, credited and spending: the
    funder's report, households under pseudonyms."""
    cycle = world["cycle"]
    programme = AllocationProgramme.objects.filter(hub=cycle.hub).first()
    if programme is None:
        month = allocations.this_month()
        programme = allocations.create_programme(
            hub=cycle.hub, name="Caisse", funder="Ville", monthly_amount=Decimal("20.50"),
            first_month=month, last_month=month, eligible_only=False, by=None,
        )  # fmt: skip
        customer = Customer.objects.get(hub=cycle.hub, user=personas["household"])
        allocations.enrol(programme=programme, customer=customer, by=None)
        allocations.credit_month(programme=programme)
    args = lambda world: [cycle.hub.slug, programme.pk]  # noqa: E731
    return _get("manager", "allocations:report_csv", args)(client, world, personas)


CSV = {"format": "csv"}
EXPORTS = [
    _report("suppliers", evil=(EVIL_PRODUCT,)),
    _report("customers", optional={3}, evil=(EVIL_NAME, "+33 6 12 34 56 78")),
    _report("payments", optional={8}, paris_time=True),
    _report("vat", evil=()),
    _report("fees"),
    Export(
        "packing sheets",
        _get("manager", "cycles:packing_sheets", _cycle_args(), query=CSV),
        numbers=False,
        evil=(EVIL_NAME, EVIL_PRODUCT),
    ),
    Export(
        "crate labels",
        _get("manager", "cycles:crate_labels", _cycle_args(), query=CSV),
        numbers=False,
    ),
    Export(
        "pick list of the manager",
        _get("manager", "cycles:pick_list", _cycle_args("ferme-du-melantois"), query=CSV),
        numbers=False,
        evil=(EVIL_NAME, EVIL_PRODUCT),
    ),
    Export(
        "pick list of the producer",
        _get(
            "producer_member",
            "producer_pick_list",
            lambda world: ["ferme-du-melantois", world["cycle"].pk],
            query=CSV,
        ),
        numbers=False,
        evil=(EVIL_PRODUCT,),
    ),  # fmt: skip
    Export(
        "distribution list",
        _get(
            "coordinator",
            "pickup_points:distribution_list",
            lambda world: [world["point"].slug, world["cycle"].pk],
            query=CSV,
        ),
        optional={7, 8},
        evil=(EVIL_NAME, EVIL_NOTE),
    ),  # fmt: skip
    Export(
        "volunteer list e-mailed", _volunteer_list, optional={7, 8}, evil=(EVIL_NAME, EVIL_NOTE)
    ),
    Export(
        "my data", _get("household", "orders:my_data_csv"), paris_time=True, evil=(EVIL_PRODUCT,)
    ),
    Export(
        "balances",
        _get("manager", "billing:export", lambda world: [world["cycle"].hub.slug]),
        optional={2},  # the phone
        evil=(EVIL_NAME, "+33 6 12 34 56 78"),
    ),
    Export("sales journal", _sales_journal),
    Export("food aid report", _food_aid_report, evil=()),
    Export(
        "catalogue",
        _get("producer_member", "producers:export", lambda world: ["ferme-du-melantois"]),
        optional={1, 3, 12, 14},  # description, labels, sku, stock shown (on demand)
        evil=(EVIL_PRODUCT, "-fraîches", "@CAR"),
    ),
]


SEPARATORS = {"fr": (";", ","), "en": (",", ".")}
NUMBER = {
    "fr": re.compile(r"-?\d+(,\d+)?"),
    "en": re.compile(r"-?\d+(\.\d+)?"),
}
WRONG_DECIMAL = {"fr": re.compile(r"-?\d+\.\d+"), "en": re.compile(r"-?\d+,\d+")}


def assert_convention(data: bytes, language: str, export: Export) -> list[list[str]]:
    delimiter, decimal = SEPARATORS[language]
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark"
    text = data.decode("utf-8-sig")
    assert text.endswith("\r\n")
    header, *rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    assert rows, "the fixture gives every file rows"
    # A header row: titles, not data.
    assert all(title and not NUMBER[language].fullmatch(title) for title in header), header
    for row in rows:
        # One kind of row: as many cells as titles, and every column that one row fills
        # filled by all (a subtotal row leaves the detail columns empty).
        assert len(row) == len(header), (header, row)
        for n, value in enumerate(row):
            assert value or n in export.optional, (header[n], row)
            # Numbers in the reader's style: no 2.50 in French, no 2,50 in English.
            assert not WRONG_DECIMAL[language].fullmatch(value), (header[n], value)
            # Dates in one format, Paris time: no ISO "T", no UTC offset.
            assert not re.search(r"\d{4}-\d{2}-\d{2}T|[+-]\d{2}:\d{2}$|UTC", value), value
            # Text that a spreadsheet would run is inert; numbers may be negative.
            if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
                assert NUMBER[language].fullmatch(value), (header[n], value)
    cells = {value for row in rows for value in row}
    for evil in export.evil:
        assert "'" + evil in cells, (evil, sorted(cells))
    if export.numbers:
        assert any(NUMBER[language].fullmatch(value) and decimal in value for value in cells), (
            "a decimal number, written with the reader's separator"
        )
    if export.paris_time:
        assert any(value.startswith(PARIS_NOW) for value in cells), sorted(cells)
        assert not any(value.startswith("2026-11-25") for value in cells), "a UTC date"
    return [header, *rows]


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("export", EXPORTS, ids=[export.name for export in EXPORTS])
def test_every_csv_export_follows_the_convention(
    client, world, manager, producer_member, household, language, export
):
    personas = {
        "manager": manager,
        "producer_member": producer_member,
        "household": household,
        "coordinator": world["coordinator"],
    }
    with translation.override(language):
        data = export.fetch(client, world, personas)

    assert_convention(data, language, export)


def test_the_french_and_english_files_hold_the_same_table(client, world, manager):
    """The language changes the spelling, never the content."""
    client.force_login(manager)
    tables = {}
    for language in ("fr", "en"):
        with translation.override(language):
            args = [world["cycle"].hub.slug, world["cycle"].pk, "fees"]
            data = client.get(reverse("cycles:report", args=args)).content.decode("utf-8-sig")
        delimiter, decimal = SEPARATORS[language]
        header, *rows = list(csv.reader(io.StringIO(data, newline=""), delimiter=delimiter))
        tables[language] = [
            [value.replace(decimal, "#") if NUMBER[language].fullmatch(value) else value
             for value in row]
            for row in rows
        ]  # fmt: skip
    assert tables["fr"] == tables["en"]


# Nothing writes CSV but the shared writer ----------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
APPS = ["foodhub", "orders", "producers", "pickup_points"]
WRITER = Path("foodhub/spreadsheets.py")


def test_only_the_shared_writer_writes_csv():
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            relative = path.relative_to(ROOT)
            if relative == WRITER or "migrations" in relative.parts:
                continue
            source = path.read_text()
            if re.search(r"csv\.(writer|DictWriter)\b|[\"']text/csv", source):
                offenders.append(str(relative))
    assert offenders == []


def test_every_csv_address_is_in_the_list_of_exports():
    """A new address ending in .csv must join EXPORTS (the ?format=csv documents are
    listed by hand above)."""
    covered = {"cycles:report", "producers:export", "orders:my_data_csv", "billing:export",
               "invoices:journal", "allocations:report_csv"}  # fmt: skip

    def names(resolver, namespace=""):
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from names(pattern, inner)
            elif "csv" in str(pattern.pattern):
                yield f"{namespace}{pattern.name}"

    assert set(names(get_resolver())) == covered


def test_the_time_is_paris_time():
    assert timezone.localtime(NOW).strftime("%Y-%m-%d %H:%M") == PARIS_NOW
