"""The demo world, loaded from the data files: the use case behind ``load_demo_data``.

``load_demo_data`` creates whatever is missing, keyed on slugs, e-mail addresses,
(producer, product name) and (product, variant name). It never updates a row that exists, so
running it again changes nothing and keeps what people edited; a deleted row or link is
created again. Photos are left blank: the templates show a placeholder.
"""

import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TextIO

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.utils import timezone

from foodhub.accounts.models import User
from foodhub.hubs.models import Hub, HubMembership
from pickup_points.models import PickupPoint, PickupPointMembership
from producers.models import (
    Category,
    Label,
    Producer,
    ProducerMembership,
    Product,
    StockMode,
    Variant,
)
from producers.services import refresh_search_texts

from . import files
from .cycles import load_demo_cycles
from .inclusion import enable_solidarity_prices, load_inclusion
from .settled import load_settled_week


@dataclass
class DemoSummary:
    """How many rows of each kind were created, and how many were already there."""

    created: dict[str, int] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)

    def record(self, kind: str, *, created: int, existing: int) -> None:
        self.created[kind] = self.created.get(kind, 0) + created
        self.existing[kind] = self.existing.get(kind, 0) + existing

    @property
    def total_created(self) -> int:
        return sum(self.created.values())

    def lines(self) -> list[str]:
        return [
            f"{kind}: {self.created[kind]} created, {self.existing[kind]} already loaded"
            for kind in self.created
        ]


@transaction.atomic
def load_demo_data(*, stdout: TextIO | None = None, now: datetime | None = None) -> DemoSummary:
    """Create the demo world, or whatever part of it is missing.

    1. Categories, labels, hubs, producers and pickup points, keyed on their slugs.
    2. Products keyed on (producer, name), their labels, then variants keyed on
       (product, name), in bulk.
    3. Users keyed on e-mail, all sharing one password hash (hashing sixty times would take
       longer than everything else), their verified primary e-mail addresses for allauth,
       and the hub and producer memberships of the role accounts.
    4. For one hub, a week two weeks ago gone through to the end: weighed, short of one
       product, paid at the pickup point, invoiced (``settled.py``).
    5. For each hub, a closed cycle ready to distribute and an open one, with orders
       (``cycles.py``), as the worker would have left them at ``now`` (the clock's
       time unless given): the first tick has nothing to do for the past cycle.
    6. Households far from digital tools (``inclusion.py``): a relay, the households
       without e-mail she orders for, their orders.
    """
    summary = DemoSummary()
    categories = _create_missing_by_slug(summary, "categories", Category, _category_rows())
    labels = _create_missing_by_slug(summary, "labels", Label, _label_rows())
    hubs = _create_missing_by_slug(summary, "hubs", Hub, files.HUBS)
    producers = _create_missing_by_slug(summary, "producers", Producer, _producer_rows())
    _link(
        summary,
        "hub producers",
        Hub.producers.through,
        "hub_id",
        "producer_id",
        [(hubs[h].pk, producers[d.slug].pk) for d in files.PRODUCERS for h in d.hubs],
    )
    points = _create_missing_by_slug(
        summary,
        "pickup points",
        PickupPoint,
        # Run by the first hub named; the others share it (La Chaudronnerie: both hubs).
        [
            {**{k: v for k, v in row.items() if k != "hubs"}, "owner_hub": hubs[row["hubs"][0]]}
            for row in files.PICKUP_POINTS
        ],
    )
    _link(
        summary,
        "pickup point hubs",
        PickupPoint.hubs.through,
        "pickuppoint_id",
        "hub_id",
        [(points[row["slug"]].pk, hubs[h].pk) for row in files.PICKUP_POINTS for h in row["hubs"]],
    )
    _load_catalogue(summary, producers, categories, labels)
    users = _load_people(summary, hubs, producers)
    _memberships(
        summary,
        "pickup point volunteers",
        PickupPointMembership,
        "pickup_point",
        [(points[a.volunteers_at], users[a.email]) for a in files.DEMO_ACCOUNTS if a.volunteers_at],
    )
    households = [users[account.email] for account in _accounts() if account.household]
    now = now or timezone.now()
    settled_hub = hubs[files.SETTLED.hub]
    load_settled_week(
        hub=settled_hub,
        households={user.full_name: user for user in households},
        manager=next(
            users[account.email]
            for account in files.DEMO_ACCOUNTS
            if account.manages == settled_hub.slug
        ),
        summary=summary,
        now=now,
    )
    enable_solidarity_prices(hubs=hubs, summary=summary)
    load_demo_cycles(
        hubs=[hubs[row["slug"]] for row in files.HUBS],
        households=households,
        summary=summary,
        now=now,
    )
    load_inclusion(hubs=hubs, users=users, summary=summary, now=now)

    if stdout is not None:
        for line in summary.lines():
            stdout.write(line + "\n")
    return summary


def _category_rows() -> list[dict]:
    return [
        {"slug": slug, "name": name, "position": (index + 1) * 10}
        for index, (slug, name) in enumerate(files.CATEGORIES.items())
    ]


def _label_rows() -> list[dict]:
    return [{"slug": slug, "name": name} for slug, name in files.LABELS.items()]


def _producer_rows() -> list[dict]:
    return [
        {
            "slug": d.slug,
            "name": d.name,
            "address": d.address,
            "postcode": d.postcode,
            "city": d.city,
            "description": d.description,
            "email": f"{d.slug}@{files.DEMO_EMAIL_DOMAIN}",
        }
        for d in files.PRODUCERS
    ]


def _create_missing_by_slug(summary, kind, model, rows: list[dict]) -> dict[str, models.Model]:
    """Create the rows whose slug is missing; return every row by slug."""
    found = model.objects.in_bulk([row["slug"] for row in rows], field_name="slug")
    missing = [model(**row) for row in rows if row["slug"] not in found]
    model.objects.bulk_create(missing)
    summary.record(kind, created=len(missing), existing=len(rows) - len(missing))
    return {**found, **{obj.slug: obj for obj in missing}}


def _link(summary, kind, through, left: str, right: str, pairs: Iterable[tuple[int, int]]):
    """Create the missing rows of a many-to-many table given (left pk, right pk) pairs."""
    pairs = list(dict.fromkeys(pairs))
    lefts = {a for a, _ in pairs}
    found = set(through.objects.filter(**{f"{left}__in": lefts}).values_list(left, right))
    missing = [pair for pair in pairs if pair not in found]
    through.objects.bulk_create([through(**{left: a, right: b}) for a, b in missing])
    summary.record(kind, created=len(missing), existing=len(pairs) - len(missing))


def _load_catalogue(summary, producers, categories, labels) -> None:
    # Products, keyed on (producer, name).
    found = {
        (product.producer_id, product.name): product
        for product in Product.objects.filter(producer__in=producers.values())
    }
    new_products = []
    for demo in files.PRODUCERS:
        producer = producers[demo.slug]
        for item in demo.products:
            if (producer.pk, item.name) not in found:
                new_products.append(
                    Product(
                        producer=producer,
                        name=item.name,
                        description=item.description,
                        category=categories[item.category],
                        is_active=item.active,
                    )
                )
    Product.objects.bulk_create(new_products)
    products = {
        **found,
        **{(product.producer_id, product.name): product for product in new_products},
    }
    total = sum(len(demo.products) for demo in files.PRODUCERS)
    summary.record("products", created=len(new_products), existing=total - len(new_products))

    _link(
        summary,
        "product labels",
        Product.labels.through,
        "product_id",
        "label_id",
        [
            (products[producers[demo.slug].pk, item.name].pk, labels[slug].pk)
            for demo in files.PRODUCERS
            for item in demo.products
            for slug in (*demo.labels, *item.labels)
        ],
    )

    # Variants, keyed on (product, name).
    found_variants = set(
        Variant.objects.filter(product__in=[p.pk for p in products.values()]).values_list(
            "product_id", "name"
        )
    )
    new_variants = []
    total = 0
    for demo in files.PRODUCERS:
        producer = producers[demo.slug]
        for item in demo.products:
            product = products[producer.pk, item.name]
            for variant in item.variants:
                total += 1
                if (product.pk, variant.name) in found_variants:
                    continue
                new_variants.append(_build_variant(demo, item, variant, product))
    Variant.objects.bulk_create(new_variants)
    summary.record("variants", created=len(new_variants), existing=total - len(new_variants))
    # Bulk writes send no signals: the shop's search texts are written here.
    refresh_search_texts(Variant.objects.filter(product__producer__in=producers.values()))


def _build_variant(
    demo: files.Producer, item: files.Product, variant: files.Variant, product: Product
) -> Variant:
    sku = f"{demo.code}-{item.code}-{variant.code}"
    on_demand = next(
        flag for flag in (variant.on_demand, item.on_demand, demo.on_demand) if flag is not None
    )
    built = Variant(
        product=product,
        name=variant.name,
        unit=variant.unit,
        quantity_per_unit=Decimal(variant.quantity),
        price=Decimal(variant.price or 0),
        vat_rate=variant.vat or item.vat or demo.vat,
        stock_mode=StockMode.ON_DEMAND if on_demand else StockMode.COUNTED,
        # A stable, varied stock (6 to 35) so that runs and machines agree.
        stock_quantity=0 if on_demand else 6 + zlib.crc32(sku.encode()) % 30,
        sku=sku,
    )
    if variant.per_kg is not None:
        # Sold by weight: its price is the estimate of a unit (bulk_create skips ``save``).
        built.sold_by_weight, built.price_per_kg = True, Decimal(variant.per_kg)
        built.price = built.estimated_price(built.price_per_kg)
    return built


def _accounts() -> list[files.Account]:
    """The role accounts, then the households."""
    return [*files.DEMO_ACCOUNTS, *files.household_accounts()]


def _load_people(summary, hubs, producers) -> dict[str, User]:
    accounts = _accounts()
    emails = [account.email for account in accounts]
    found = User.objects.in_bulk(emails, field_name="email")
    missing = [account for account in accounts if account.email not in found]
    # Hash once for everyone (and not at all on a re-run): PBKDF2 is slow on purpose.
    password = make_password(files.DEMO_PASSWORD) if missing else ""
    new_users = [
        User(
            email=account.email,
            full_name=account.full_name,
            password=password,
            is_staff=account.staff,
            is_superuser=account.staff,
        )
        for account in missing
    ]
    User.objects.bulk_create(new_users)
    summary.record("users", created=len(new_users), existing=len(accounts) - len(new_users))
    users = {**found, **{user.email: user for user in new_users}}

    # allauth only lets people log in with a verified address when verification is mandatory.
    known = set(EmailAddress.objects.filter(email__in=emails).values_list("email", flat=True))
    with_primary = set(
        EmailAddress.objects.filter(user__in=users.values(), primary=True).values_list(
            "user_id", flat=True
        )
    )
    new_addresses = [
        EmailAddress(
            user=users[email],
            email=email,
            verified=True,
            primary=users[email].pk not in with_primary,
        )
        for email in emails
        if email not in known
    ]
    EmailAddress.objects.bulk_create(new_addresses)
    summary.record(
        "e-mail addresses",
        created=len(new_addresses),
        existing=len(emails) - len(new_addresses),
    )

    _memberships(
        summary,
        "hub managers",
        HubMembership,
        "hub",
        [(hubs[a.manages], users[a.email]) for a in files.DEMO_ACCOUNTS if a.manages],
    )
    _memberships(
        summary,
        "producer members",
        ProducerMembership,
        "producer",
        [(producers[a.member_of], users[a.email]) for a in files.DEMO_ACCOUNTS if a.member_of],
    )
    return users


def _memberships(summary, kind, model, target: str, pairs) -> None:
    created = 0
    for obj, user in pairs:
        _, was_created = model.objects.get_or_create(**{target: obj, "user": user})
        created += was_created
    summary.record(kind, created=created, existing=len(pairs) - created)
