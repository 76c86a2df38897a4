from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from foodhub.collation import french
from foodhub.members import managed_by

from .models import Producer, Product, Variant


def producers_of(user) -> QuerySet[Producer]:
    """Producers whose catalogue ``user`` may manage."""
    return managed_by(user, Producer.objects.all(), memberships__user=user)


def get_producer_for(user, slug: str) -> Producer:
    """The producer ``slug`` if ``user`` is one of its members; 404 otherwise."""
    return get_object_or_404(producers_of(user), slug=slug)


def catalogue_products(
    producer: Producer,
    *,
    search: str = "",
    category: str = "",
    label: str = "",
    status: str = "",
) -> QuerySet[Product]:
    """The producer's products with their variants, labels and category in a fixed number of
    queries, whatever the size of the catalogue."""
    products = Product.objects.filter(producer=producer).select_related("category")
    if search:
        products = products.filter(
            Q(name__icontains=search)
            | Q(description__icontains=search)
            | Q(variants__name__icontains=search)
            | Q(variants__sku__icontains=search)
        ).distinct()
    if category:
        products = products.filter(category__slug=category)
    if label:
        products = products.filter(labels__slug=label)
    if status == "active":
        products = products.filter(is_active=True)
    elif status == "inactive":
        products = products.filter(is_active=False)
    elif status == "out_of_stock":
        products = products.filter(
            variants__is_active=True, variants__stock_mode="counted", variants__stock_quantity=0
        ).distinct()
    return products.order_by(french("name"), "pk").prefetch_related(
        "labels",
        Prefetch("variants", queryset=Variant.objects.order_by("quantity_per_unit", "pk")),
    )


def sku_taken(producer: Producer, sku: str, *, exclude_pk: int | None = None) -> bool:
    if not sku:
        return False
    variants = Variant.objects.filter(product__producer=producer, sku__iexact=sku)
    if exclude_pk:
        variants = variants.exclude(pk=exclude_pk)
    return variants.exists()
