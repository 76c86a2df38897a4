"""Use cases of the producers' catalogue."""

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import ProtectedError, QuerySet
from django.utils.translation import gettext as _

from foodhub.text import folded

from .models import MAX_STOCK, Producer, Product, Variant


def set_stock(*, variant: Variant, typed: int, shown: int | None) -> int:
    """Apply the stock a producer typed over the figure ``shown`` on its page.

    Households may have ordered since the page was shown: those units are sold, and
    writing ``typed`` as is would sell them twice. So the change the producer made is
    applied to the stock of now (shown 10, typed 15, 3 ordered meanwhile: 12), never below
    zero; an untouched figure writes nothing. Without ``shown`` (an old page, a script),
    ``typed`` is the stock. Returns the units ordered meanwhile, for the producer to see.
    """
    with transaction.atomic():
        current = (
            Variant.objects.select_for_update()
            .values_list("stock_quantity", flat=True)
            .get(pk=variant.pk)
        )
        if shown is None:
            shown = current
        stock = stock_after_edit(current=current, typed=typed, shown=shown)
        if stock != current:
            Variant.objects.filter(pk=variant.pk).update(stock_quantity=stock)
    variant.stock_quantity = stock
    return max(shown - current, 0)


def stock_after_edit(*, current: int, typed: int, shown: int) -> int:
    """The stock once a producer's change from ``shown`` to ``typed`` is applied to the
    ``current`` stock (read on a locked row): never below zero nor above the maximum.
    Shared by ``set_stock`` and the catalogue import."""
    return min(max(current + typed - shown, 0), MAX_STOCK)


@transaction.atomic
def duplicate_product(*, product: Product) -> Product:
    """Copy a product and its variants, as a starting point for a similar one.

    The copy is not on sale until the producer checks it, its references (SKU) are left
    empty because they must stay unique, and it starts with no stock.
    """
    labels = list(product.labels.all())
    variants = list(product.variants.all())
    base_name = _("%(name)s (copy)") % {"name": product.name}
    name, n = base_name, 2
    while Product.objects.filter(producer_id=product.producer_id, name__iexact=name).exists():
        name, n = f"{base_name} {n}", n + 1
    copy = Product.objects.create(
        producer_id=product.producer_id,
        name=name[:150],
        description=product.description,
        category_id=product.category_id,
        photo=product.photo.name if product.photo else "",
        is_active=False,
    )
    copy.labels.set(labels)
    Variant.objects.bulk_create(
        Variant(
            product=copy,
            name=v.name,
            unit=v.unit,
            quantity_per_unit=v.quantity_per_unit,
            price=v.price,
            vat_rate=v.vat_rate,
            stock_mode=v.stock_mode,
            stock_quantity=0,
            sku="",
            is_active=v.is_active,
        )
        for v in variants
    )
    refresh_search_texts(Variant.objects.filter(product=copy))
    return copy


def set_product_active(*, product: Product, active: bool) -> None:
    Product.objects.filter(pk=product.pk).update(is_active=active)
    product.is_active = active


def remove_variant(*, variant: Variant) -> bool:
    """Delete a variant nobody ever ordered; deactivate it otherwise.

    Order lines protect the variants they point to (on_delete=PROTECT), so an ordered
    variant cannot be deleted: we keep it, off sale, for the order history.
    Returns True when the variant was deleted.
    """
    if variant.product.variants.count() <= 1:
        raise LastVariantError(
            _("A product needs at least one variant: take the product off sale instead.")
        )
    try:
        with transaction.atomic():
            variant.delete()
    except ProtectedError:
        Variant.objects.filter(pk=variant.pk).update(is_active=False)
        variant.is_active = False
        return False
    return True


class LastVariantError(Exception):
    pass


def catalogue_counts(producer: Producer) -> dict:
    variants = Variant.objects.filter(product__producer=producer)
    return {
        "products": Product.objects.filter(producer=producer).count(),
        "variants": variants.count(),
        "active_variants": variants.filter(is_active=True, product__is_active=True).count(),
    }


# The shop's search text (Variant.search_text).


def search_text(*, product: str, variant: str, producer: str, category: str, labels: Iterable[str]):
    """The folded words a variant is found by (the migration that filled the column first
    builds the same text)."""
    return " ".join(folded(part) for part in (product, variant, producer, category, *labels))


def refresh_search_texts(variants: QuerySet[Variant]) -> int:
    """Write the search text of ``variants`` again, in a fixed number of queries, after a
    name they are found by changed (a product, variant, producer, category or label).

    The catalogue's receivers call it after each save; code that writes in bulk (the CSV
    import, the demo data) calls it itself. Returns how many rows changed. It reads names
    as rows, not models: a variant's save pays two small reads and, if its text changed,
    one UPDATE.
    """
    rows = list(
        variants.values_list(
            "pk",
            "search_text",
            "product_id",
            "product__name",
            "name",
            "product__producer__name",
            "product__category__name",
        )
    )
    if not rows:
        return 0
    labels = defaultdict(list)
    for product_id, name in Product.labels.through.objects.filter(
        product_id__in=variants.values("product_id")
    ).values_list("product_id", "label__name"):
        labels[product_id].append(name)
    changed = {}
    for pk, old, product_id, product, variant, producer, category in rows:
        text = search_text(
            product=product,
            variant=variant,
            producer=producer,
            category=category,
            labels=sorted(labels[product_id]),
        )
        if text != old:
            changed[pk] = text
    if len(changed) == 1:
        [(pk, text)] = changed.items()
        Variant.objects.filter(pk=pk).update(search_text=text)
    elif changed:
        Variant.objects.bulk_update(
            [Variant(pk=pk, search_text=text) for pk, text in changed.items()],
            ["search_text"],
            batch_size=500,
        )
    return len(changed)
