"""factory_boy factories for volume; named personas live in conftest.py."""

from decimal import Decimal

import factory
from allauth.account.models import EmailAddress

from foodhub.accounts.models import User
from foodhub.hubs.models import Hub, HubMembership
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
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name", locale="fr_FR")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or DEFAULT_PASSWORD)
        if create:
            self.save(update_fields=["password"])
            EmailAddress.objects.get_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )


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
