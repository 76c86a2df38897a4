"""factory_boy factories for volume; named personas live in conftest.py."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from foodhub.accounts.models import User
from foodhub.hubs.models import Hub, HubMembership
from orders.checkout.services import place_order
from pickup_points.models import PickupPoint
from producers.models import (
    Category,
    Label,
    Producer,
    ProducerMembership,
    Product,
    StockMode,
    Unit,
    Variant,
    VatRate,
)

DEFAULT_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True  # email_address saves what it makes itself

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name", locale="fr_FR")

    password = factory.Transformer(DEFAULT_PASSWORD, transform=make_password)

    @factory.post_generation
    def email_address(self, create, extracted, **kwargs):
        """The address is verified: the person may log in (allauth asks for it)."""
        if create:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class HubFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hub

    name = factory.Sequence(lambda n: f"Drive fermier {n}")
    slug = factory.Sequence(lambda n: f"drive-{n}")
    contact_email = "contact@example.org"


class HubMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HubMembership

    hub = factory.SubFactory(HubFactory)
    user = factory.SubFactory(UserFactory)


class ProducerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Producer

    name = factory.Sequence(lambda n: f"Ferme {n}")
    slug = factory.Sequence(lambda n: f"ferme-{n}")
    city = "Lille"


class ProducerMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProducerMembership

    producer = factory.SubFactory(ProducerFactory)
    user = factory.SubFactory(UserFactory)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Catégorie {n}")
    slug = factory.Sequence(lambda n: f"categorie-{n}")


class LabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Label
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Label {n}")
    slug = factory.Sequence(lambda n: f"label-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    producer = factory.SubFactory(ProducerFactory)
    name = factory.Sequence(lambda n: f"Produit {n}")
    category = factory.SubFactory(CategoryFactory)


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    name = "1 kg"
    unit = Unit.KG
    quantity_per_unit = Decimal("1")
    price = Decimal("3.50")
    vat_rate = VatRate.REDUCED
    stock_mode = StockMode.COUNTED
    stock_quantity = 10


class PickupPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PickupPoint

    name = factory.Sequence(lambda n: f"Tiers-lieu {n}")
    slug = factory.Sequence(lambda n: f"tiers-lieu-{n}")
    address = "1 rue de la Paix, Lille"


class PickupPointMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "pickup_points.PickupPointMembership"

    pickup_point = factory.SubFactory(PickupPointFactory)
    user = factory.SubFactory(UserFactory)
    role = "volunteer"


PARIS = ZoneInfo("Europe/Paris")


def paris(*args) -> datetime:
    """A moment on the Paris wall clock: ``paris(2026, 3, 11, 18, 0)``."""
    return datetime(*args, tzinfo=PARIS)


def _in_days(days: int, hour: int = 12):
    return timezone.now().replace(hour=hour, minute=0, second=0, microsecond=0) + timedelta(
        days=days
    )


class OrderCycleFactory(factory.django.DjangoModelFactory):
    """A published cycle, open now (opened two days ago, closes in five days)."""

    class Meta:
        model = "orders.OrderCycle"

    hub = factory.SubFactory(HubFactory)
    name = factory.Sequence(lambda n: f"Semaine {n}")
    opens_at = factory.LazyFunction(lambda: _in_days(-2))
    closes_at = factory.LazyFunction(lambda: _in_days(5))
    status = "published"


class CyclePickupPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "orders.CyclePickupPoint"

    cycle = factory.SubFactory(OrderCycleFactory)
    pickup_point = factory.SubFactory(PickupPointFactory)
    pickup_date = factory.LazyAttribute(
        lambda o: timezone.localdate(o.cycle.closes_at + timedelta(days=2))
    )


class PickupSlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "orders.PickupSlot"

    cycle_pickup = factory.SubFactory(CyclePickupPointFactory)
    starts_at = time(17, 0)
    ends_at = time(19, 30)
    capacity = 50


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "orders.Offer"

    cycle = factory.SubFactory(OrderCycleFactory)
    variant = factory.SubFactory(VariantFactory)
    price = factory.LazyAttribute(lambda o: o.variant.price)
    price_per_kg = factory.LazyAttribute(
        lambda o: o.variant.price_per_kg if o.variant.sold_by_weight else None
    )
    stock_cap = None


def coming_cycle(hub, pickup_point, variants, *, days: int, **fields):
    """A published cycle of ``hub`` opening in ``days`` days (for four days), with a slot at
    ``pickup_point``, offering ``variants``."""
    opens = timezone.now().replace(microsecond=0) + timedelta(days=days)
    cycle = OrderCycleFactory(
        hub=hub, opens_at=opens, closes_at=opens + timedelta(days=4), **fields
    )
    cycle_pickup = CyclePickupPointFactory(cycle=cycle, pickup_point=pickup_point)
    PickupSlotFactory(cycle_pickup=cycle_pickup)
    for variant in variants:
        OfferFactory(cycle=cycle, variant=variant)
    return cycle


def place(cycle, slot, items, *, email="voisin@example.org", full_name="Alex Voisin", **kwargs):
    """An order placed by checkout's ``place_order``; ``items`` maps offers to quantities."""
    return place_order(
        cycle=cycle,
        slot=slot,
        items={offer.pk: qty for offer, qty in items.items()},
        email=email,
        full_name=full_name,
        **kwargs,
    )
