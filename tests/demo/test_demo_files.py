"""The demo's data files are complete and agree with each other, without a database: every
slug a file names exists, every code and value is one the models accept, and every file
is packaged. Each check is shown to fail on a copy of the data edited wrongly."""

import dataclasses
import fnmatch
import tomllib
from collections import Counter
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from foodhub.content.blocks import BodyBlock
from foodhub.demo import files
from foodhub.demo.photos import GROUNDS, SKIES
from foodhub.hubs.models import Hub
from orders.models import Weekday, WeeklySchedule
from producers.models import Unit, VatRate

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "foodhub" / "demo" / "data"


def _repeated(values) -> list:
    return [value for value, count in Counter(values).items() if count > 1]


def _body_problems(where: str, body: list[dict]) -> list[str]:
    """A page body's blocks, checked by the page's own StreamField block."""
    stream = BodyBlock()
    if any(len(row) != 1 or next(iter(row)) not in stream.child_blocks for row in body):
        return [f"{where}: body has a block of an unknown kind"]
    try:
        stream.clean(stream.to_python([{"type": k, "value": v} for k, v in files.blocks(body)]))
    except ValidationError as error:
        return [f"{where}: body {error}"]
    return []


def problems(data) -> list[str]:
    """What is wrong with the demo's data (``files``, or a copy of it), as messages."""
    found = []
    hubs = {row["slug"] for row in data.HUBS}
    points = {row["slug"] for row in data.PICKUP_POINTS}
    producers = {producer.slug for producer in data.PRODUCERS}
    looks = [
        (words.ground, words.sky)
        for words in [*data.PORTRAITS.values(), *data.HUB_STORIES.values()]
    ]
    looks += [
        (words.ground, "clair")
        for words in [data.HOME, data.PRODUCER_INDEX, *data.PLACES.values(), *data.NEWS.pages]
    ]

    # world.toml
    for kind, rows in [("hub", data.HUBS), ("pickup point", data.PICKUP_POINTS)]:
        found += [f"{kind} {slug} twice" for slug in _repeated(row["slug"] for row in rows)]
    found += [
        f"order prefix {p} twice" for p in _repeated(row["order_prefix"] for row in data.HUBS)
    ]
    for row in data.PICKUP_POINTS:
        if not row["hubs"]:
            found.append(f"pickup point {row['slug']} serves no hub")
        found += [f"pickup point {row['slug']}: no hub {h}" for h in row["hubs"] if h not in hubs]
        if not (row["access_info"] and row["opening_notes"]):
            found.append(f"pickup point {row['slug']}: access or opening hours missing")
    # producers.toml
    found += [f"producer {slug} twice" for slug in _repeated(p.slug for p in data.PRODUCERS)]
    found += [f"producer code {code} twice" for code in _repeated(p.code for p in data.PRODUCERS)]
    for producer in data.PRODUCERS:
        where = f"producer {producer.slug}"
        if not producer.hubs:
            found.append(f"{where} sells through no hub")
        found += [f"{where}: no hub {h}" for h in producer.hubs if h not in hubs]
        found += [f"{where}: no label {s}" for s in producer.labels if s not in data.LABELS]
        found += [
            f"{where}: product {c} twice" for c in _repeated(i.code for i in producer.products)
        ]
        found += [f"{where}: {n} twice" for n in _repeated(i.name for i in producer.products)]
        for item in producer.products:
            product = f"{where} {item.code}"
            if item.category not in data.CATEGORIES:
                found.append(f"{product}: no category {item.category}")
            found += [f"{product}: no label {s}" for s in item.labels if s not in data.LABELS]
            if not item.variants:
                found.append(f"{product} has no variant")
            found += [
                f"{product}: variant {c} twice" for c in _repeated(v.code for v in item.variants)
            ]
            found += [f"{product}: {n} twice" for n in _repeated(v.name for v in item.variants)]
            for variant in item.variants:
                vat = variant.vat or item.vat or producer.vat
                if vat not in VatRate.values:
                    found.append(f"{product} {variant.code}: VAT {vat}")
                if variant.unit not in Unit.values:
                    found.append(f"{product} {variant.code}: unit {variant.unit}")
                price = Decimal(variant.price if variant.per_kg is None else variant.per_kg)
                if price <= 0 or price != price.quantize(Decimal("0.01")):
                    found.append(f"{product} {variant.code}: price {price}")
                if variant.per_kg is not None and variant.unit not in ("kg", "g"):
                    found.append(f"{product} {variant.code}: by weight in {variant.unit}")
                if Decimal(variant.quantity) <= 0:
                    found.append(f"{product} {variant.code}: quantity {variant.quantity}")
    # people.toml
    accounts = [*data.DEMO_ACCOUNTS, *data.household_accounts()]
    found += [f"e-mail {email} twice" for email in _repeated(a.email for a in accounts)]
    for account in data.DEMO_ACCOUNTS:
        for slug, known in [
            (account.manages, hubs),
            (account.member_of, producers),
            (account.volunteers_at, points),
        ]:
            if slug and slug not in known:
                found.append(f"account {account.email}: no {slug}")
    if not any(account.household for account in data.DEMO_ACCOUNTS):
        found.append("no household among the role accounts")
    # cycles.toml
    for key, cycle in data.CYCLES.items():
        if (cycle.closes.day, cycle.closes.at) <= (cycle.opens.day, cycle.opens.at):
            found.append(f"cycle {key} closes before it opens")
        if cycle.pickup_day <= cycle.closes.day:
            found.append(f"cycle {key}: pickup before the close")
    found += [f"cycle {name} twice" for name in _repeated(c.name for c in data.CYCLES.values())]
    found += [f"slot {s.starts}-{s.ends}" for s in data.WEEKS.slots if not s.starts < s.ends]
    schedule = data.WEEKS.schedule
    for day in (schedule.opens.weekday, schedule.closes.weekday, schedule.pickup_weekday):
        if day.upper() not in Weekday.names:
            found.append(f"schedule: no weekday {day}")
    if schedule.mode not in WeeklySchedule.Mode.values:
        found.append(f"schedule: mode {schedule.mode}")
    found += _settled_problems(data, hubs)
    # pages.toml and portraits.toml
    if set(data.PORTRAITS) != producers:
        found.append(f"portraits and producers differ: {set(data.PORTRAITS) ^ producers}")
    if set(data.HUB_STORIES) != hubs:
        found.append(f"hub pages and hubs differ: {set(data.HUB_STORIES) ^ hubs}")
    if set(data.PLACES) != points:
        found.append(f"pickup point pages and points differ: {set(data.PLACES) ^ points}")
    found += [f"no photo look {g}/{s}" for g, s in looks if g not in GROUNDS or s not in SKIES]
    found += [f"news {slug} twice" for slug in _repeated(a.slug for a in data.NEWS.pages)]
    for where, body in [
        ("home", data.HOME.body),
        ("home (English)", data.HOME.body_en),
        ("about", data.ABOUT.body),
        *[(f"news {a.slug}", a.body) for a in data.NEWS.pages],
    ]:
        found += _body_problems(where, body)
    return found


def _settled_problems(data, hubs: set[str]) -> list[str]:
    """cycles.toml's settled week: its hub can invoice, its orders are of households and
    products of that hub, every line sold by weight has its weight, and its shortage is
    one."""
    settled, found = data.SETTLED, []
    if settled.hub not in hubs:
        return [f"settled week: no hub {settled.hub}"]
    hub = next(row for row in data.HUBS if row["slug"] == settled.hub)
    found += [f"settled week: hub without {f}" for f in Hub.LEGAL_IDENTITY if not hub.get(f)]
    if not settled.closes.day < settled.pickup_day < 0:
        found.append("settled week: pickup not between the close and today")
    by_weight = {}
    for producer in data.PRODUCERS:
        if settled.hub in producer.hubs:
            for item in producer.products:
                for v in item.variants:
                    by_weight[f"{producer.code}-{item.code}-{v.code}"] = v.per_kg is not None
    households = set(data.HOUSEHOLD_NAMES)
    orders = settled.orders
    found += [f"settled week: {n} orders twice" for n in _repeated(o.household for o in orders)]
    for order in orders:
        where = f"settled week: {order.household}"
        if order.household not in households:
            found.append(f"{where} is no household")
        found += [f"{where}: {sku} not sold at {settled.hub}" for sku in order.items
                  if sku not in by_weight]  # fmt: skip
        found += [f"{where}: {n} of {sku}" for sku, n in order.items.items() if n <= 0]
        weighed = {sku for sku in order.items if by_weight.get(sku)}
        if set(order.weights) != weighed:
            found.append(f"{where}: weights for {sorted(order.weights)}, not {sorted(weighed)}")
        found += [f"{where}: weight {w}" for w in order.weights.values() if Decimal(w) <= 0]
        named = order.pays in (None, "due", "order")
        if not (named or isinstance(order.pays, Decimal) and order.pays > 0):
            found.append(f"{where}: pays {order.pays}")
        if order.method not in ("cash", "cheque"):
            found.append(f"{where}: method {order.method}")
    ordered = sum(order.items.get(settled.shortage.sku, 0) for order in orders)
    if not 0 <= settled.shortage.delivered < ordered:
        found.append(f"settled week: {settled.shortage.delivered} of {ordered} is no shortage")
    return found


def test_the_demo_data_files_are_complete_and_agree_with_each_other():
    assert problems(files) == []
    assert len(files.HUBS) == 2 and len(files.PRODUCERS) == 13 and len(files.PICKUP_POINTS) == 4
    assert sum(len(producer.products) for producer in files.PRODUCERS) >= 150
    assert len(files.household_accounts()) == 60


def _first_producer(**changes) -> list[files.Producer]:
    return [dataclasses.replace(files.PRODUCERS[0], **changes), *files.PRODUCERS[1:]]


def _first_product(**changes) -> list[files.Producer]:
    producer = files.PRODUCERS[0]
    product = dataclasses.replace(producer.products[0], **changes)
    return _first_producer(products=[product, *producer.products[1:]])


def _first_variant(**changes) -> list[files.Producer]:
    product = files.PRODUCERS[0].products[0]
    variant = dataclasses.replace(product.variants[0], **changes)
    return _first_product(variants=[variant, *product.variants[1:]])


def _settled(**changes) -> files.Settled:
    return dataclasses.replace(files.SETTLED, **changes)


def _settled_order(**changes) -> files.Settled:
    """The settled week, its first order changed (one with a line sold by weight)."""
    first = dataclasses.replace(files.SETTLED.orders[0], **changes)
    return _settled(orders=[first, *files.SETTLED.orders[1:]])


POINT = files.PICKUP_POINTS[0]
WRONG_EDITS = [
    ("PRODUCERS", _first_product(category="legume"), "no category legume"),
    ("PRODUCERS", _first_product(labels=["bio"]), "no label bio"),
    ("PRODUCERS", _first_variant(unit="kilo"), "unit kilo"),
    ("PRODUCERS", _first_variant(vat="5.50"), "VAT 5.50"),
    ("PRODUCERS", _first_variant(price=Decimal("2.205")), "price 2.205"),
    (
        "PRODUCERS",
        _first_variant(price=None, per_kg=Decimal("9.70"), unit="piece"),
        "by weight in piece",
    ),
    ("PRODUCERS", _first_variant(code="5K"), "variant 5K twice"),
    ("PRODUCERS", _first_producer(hubs=["lille"]), "no hub lille"),
    ("PRODUCERS", [*files.PRODUCERS, files.PRODUCERS[0]], "jardins-du-melantois twice"),
    ("PICKUP_POINTS", [{**POINT, "hubs": ["vda"]}, *files.PICKUP_POINTS[1:]], "no hub vda"),
    ("DEMO_ACCOUNTS", [dataclasses.replace(files.MANAGER, manages="lille")], "no lille"),
    ("PORTRAITS", {**files.PORTRAITS, "ferme": files.PORTRAITS["caves-de-lezennes"]}, "ferme"),
    ("PLACES", {k: v for k, v in files.PLACES.items() if k != POINT["slug"]}, POINT["slug"]),
    ("HOME", dataclasses.replace(files.HOME, body=[{"video": "x"}]), "home: body"),
    ("HOME", dataclasses.replace(files.HOME, body=[{"quote": {"author": "x"}}]), "home: body"),
    ("CYCLES", {"open": dataclasses.replace(files.CYCLES["open"], pickup_day=2)}, "pickup"),
    ("SETTLED", _settled(hub="lille"), "no hub lille"),
    ("SETTLED", _settled(pickup_day=-9), "pickup not between"),
    ("SETTLED", _settled_order(household="Jean Inconnu"), "is no household"),
    ("SETTLED", _settled_order(items={"MEL-XXX-1": 1}), "MEL-XXX-1 not sold"),
    ("SETTLED", _settled_order(weights={}), "weights for []"),
    ("SETTLED", _settled_order(pays="tout"), "pays tout"),
    ("SETTLED", _settled(shortage=files.Shortage(sku="MEL-CAR-BO", delivered=12)), "12 of 12"),
    ("HUBS", [{**files.HUBS[0], "siret": ""}, *files.HUBS[1:]], "hub without siret"),
]


@pytest.mark.parametrize(("name", "value", "expected"), WRONG_EDITS)
def test_each_check_catches_a_wrongly_edited_file(name, value, expected):
    edited = SimpleNamespace(**{**vars(files), name: value})

    assert any(expected in problem for problem in problems(edited)), problems(edited)


def test_a_misspelt_or_missing_key_names_its_file():
    row = files.read("producers.toml")["producer"][0]
    misspelt = {**row, "cty": row["city"]}
    del misspelt["city"]
    with pytest.raises(ValueError, match=r"^foodhub/demo/data/producers\.toml: .*'cty'"):
        files.build(files.Producer, misspelt, "producers.toml: jardins-du-melantois")
    without_price = {**row["products"][0]["variants"][0]}
    del without_price["price"]
    with pytest.raises(ValueError, match=r"producers\.toml: .*'price'"):
        files.build(files.Variant, without_price, "producers.toml: jardins-du-melantois")


def test_the_data_files_are_packaged_and_read_through_importlib_resources():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["foodhub.demo"]
    names = sorted(path.relative_to(DATA.parent).as_posix() for path in DATA.iterdir())
    assert names and all(any(fnmatch.fnmatch(n, p) for p in patterns) for n in names), names
    for path in DATA.iterdir():
        assert files.read(path.name) == tomllib.loads(path.read_text(), parse_float=Decimal)
