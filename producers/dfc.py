"""A producer's catalogue in the Data Food Consortium format (DFC JSON-LD, business ontology).

What Open Food Network's DFC importer reads (read in its `dfc_provider` engine and its
`fdc-catalog.json` fixture, December 2026), and therefore what we serve:

- A JSON-LD document whose ``@context`` is ``https://www.datafoodconsortium.org`` (the DFC
  connector resolves it to its bundled context, version 1.16.0) and whose ``@graph`` is flat:
  every node at the top level, nodes pointing at each other by ``@id``. Blank nodes (``_:``)
  are used for quantities and prices.
- ``dfc-b:SuppliedProduct``: ``dfc-b:name``, ``dfc-b:description``, ``dfc-b:image`` (a URL),
  ``dfc-b:hasType`` (a ``dfc-pt:`` product type, optional), ``dfc-b:hasQuantity`` -> a
  ``dfc-b:QuantitativeValue`` (``dfc-b:hasUnit`` a ``dfc-m:`` measure such as ``dfc-m:Kilogram``,
  ``dfc-m:Gram``, ``dfc-m:Litre``, ``dfc-m:Centilitre``, ``dfc-m:Piece``; ``dfc-b:value``
  written as a string), and ``dfc-b:referencedBy`` -> its catalogue item. OFN imports every
  SuppliedProduct that is not itself grouping variants, and keeps its ``@id`` as the link
  with the variant it creates (so the ``@id`` must never change).
- ``dfc-b:CatalogItem``: ``dfc-b:sku``, ``dfc-b:stockLimitation`` (a string; negative, by
  custom ``-1``, or absent means unlimited: OFN then sells "on demand"), and
  ``dfc-b:offeredThrough`` -> the offer. OFN reads the first item and its first offer.
- ``dfc-b:Offer``: ``dfc-b:hasPrice`` -> a ``dfc-b:Price`` (``dfc-b:value``, ``dfc-b:VATrate``,
  ``dfc-b:hasUnit`` the currency as a measure, ``dfc-m:Euro`` here), and optionally its own
  ``dfc-b:stockLimitation``, applied like the item's.

Foodhub's prices include VAT (DESIGN.md): the Price's value is the price including VAT and
``dfc-b:VATrate`` says which rate (5.5, 10 or 20). Ids are addresses under SITE_URL built from
the variant's primary key, which never changes for a variant.

The context document in ``producers/data/`` is NOT the published 1.16.0 file (this machine
cannot reach it): it is the part of it this module relies on, written here, the ``dfc-b``,
``dfc-m`` and ``dfc-pt`` prefixes and the properties whose values are ids (``dfc-b:hasUnit``
...). ``document_loader`` serves it so that expanding a document (the tests, the import) never
reaches the network. Replace it with the published file when it can be fetched.
"""

import json
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage

from .models import Producer, StockMode, Unit, Variant

CONTEXT_URL = "https://www.datafoodconsortium.org"
CONTEXT_VERSION = "1.16.0"
CONTEXT_FILE = Path(__file__).resolve().parent / "data" / f"dfc_context_{CONTEXT_VERSION}.jsonld"
# Other addresses under which the same context is published (the versioned file).
CONTEXT_URLS = (
    CONTEXT_URL,
    CONTEXT_URL + "/",
    "https://www.datafoodconsortium.org/wp-content/plugins/wordpress-context-jsonld/"
    f"context/{CONTEXT_VERSION}/context.jsonld",
)
MEDIA_TYPE = "application/ld+json"

DFC_B = "https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#"
DFC_M = "https://github.com/datafoodconsortium/taxonomies/releases/latest/download/measures.rdf#"
DFC_PT = (
    "https://github.com/datafoodconsortium/taxonomies/releases/latest/download/productTypes.rdf#"
)

UNLIMITED = -1

UNIT_MEASURES = {
    Unit.PIECE: "dfc-m:Piece",
    Unit.KG: "dfc-m:Kilogram",
    Unit.G: "dfc-m:Gram",
    Unit.L: "dfc-m:Litre",
    Unit.CL: "dfc-m:Centilitre",
    Unit.BUNCH: "dfc-m:Piece",
}

# Categories of the demo world (foodhub/demo/data/world.toml) whose DFC product type is
# known; other categories say nothing rather than something wrong.
CATEGORY_TYPES = {
    "legumes": "dfc-pt:vegetable",
    "fruits": "dfc-pt:fruit",
    "produits-laitiers": "dfc-pt:dairy-product",
    "fromages": "dfc-pt:other-cheese",
    "viandes-charcuterie": "dfc-pt:meat-product",
    "oeufs-volailles": "dfc-pt:egg",
    "boissons": "dfc-pt:drink",
    "miel-confitures": "dfc-pt:sweet-groceries",
    "epicerie": "dfc-pt:savory-groceries",
}


def context_document() -> dict:
    return json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))


def document_loader(url: str, options=None) -> dict:
    """A pyld document loader that knows only the DFC context, from the file: anything else
    is refused, so expanding a document never fetches anything."""
    if url not in CONTEXT_URLS:
        raise ValueError(f"Only the DFC context is loaded locally, not {url}")
    return {"contextUrl": None, "documentUrl": url, "document": context_document()}


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def supplied_product_id(variant_pk: int) -> str:
    return f"{settings.SITE_URL}/dfc/supplied-products/{variant_pk}"


def catalog_item_id(variant_pk: int) -> str:
    return f"{settings.SITE_URL}/dfc/catalog-items/{variant_pk}"


def offer_id(variant_pk: int) -> str:
    return f"{settings.SITE_URL}/dfc/offers/{variant_pk}"


def enterprise_id(producer: Producer) -> str:
    return f"{settings.SITE_URL}/dfc/enterprises/{producer.pk}"


def catalogue_rows(producer: Producer):
    """The variants on sale of the producer's active products, as plain rows (what the
    document needs and nothing else: 2,000 model instances cost more than the JSON)."""
    return (
        Variant.objects.filter(product__producer=producer, product__is_active=True, is_active=True)
        .order_by("pk")
        .values(
            "pk",
            "name",
            "unit",
            "quantity_per_unit",
            "price",
            "vat_rate",
            "stock_mode",
            "stock_quantity",
            "sku",
            "product__name",
            "product__description",
            "product__photo",
            "product__category__slug",
        )
    )


def _image(photo: str) -> str | None:
    if not photo:
        return None
    url = default_storage.url(photo)
    return url if url.startswith(("http://", "https://")) else settings.SITE_URL + url


def catalogue_document(producer: Producer) -> dict:
    """The producer's catalogue as a DFC JSON-LD document (a flat graph, see the module's
    docstring): one SuppliedProduct, CatalogItem and Offer per variant on sale."""
    graph: list[dict] = []
    enterprise = {
        "@id": enterprise_id(producer),
        "@type": "dfc-b:Enterprise",
        "dfc-b:name": producer.name,
        "dfc-b:supplies": [],
        "dfc-b:manages": [],
    }
    graph.append(enterprise)
    for row in catalogue_rows(producer):
        pk = row["pk"]
        product_id, item_id, offer = (supplied_product_id(pk), catalog_item_id(pk), offer_id(pk))
        enterprise["dfc-b:supplies"].append(product_id)
        enterprise["dfc-b:manages"].append(item_id)
        stock = str(
            UNLIMITED if row["stock_mode"] == StockMode.ON_DEMAND else row["stock_quantity"]
        )
        supplied = {
            "@id": product_id,
            "@type": "dfc-b:SuppliedProduct",
            "dfc-b:name": f"{row['product__name']} — {row['name']}",
            "dfc-b:description": row["product__description"],
            "dfc-b:hasQuantity": f"_:q{pk}",
            "dfc-b:referencedBy": item_id,
        }
        product_type = CATEGORY_TYPES.get(row["product__category__slug"])
        if product_type:
            supplied["dfc-b:hasType"] = product_type
        image = _image(row["product__photo"])
        if image:
            supplied["dfc-b:image"] = image
        item = {
            "@id": item_id,
            "@type": "dfc-b:CatalogItem",
            "dfc-b:stockLimitation": stock,
            "dfc-b:offeredThrough": offer,
            "dfc-b:references": product_id,
        }
        if row["sku"]:
            item["dfc-b:sku"] = row["sku"]
        graph += [
            supplied,
            {
                "@id": f"_:q{pk}",
                "@type": "dfc-b:QuantitativeValue",
                "dfc-b:hasUnit": UNIT_MEASURES[row["unit"]],
                "dfc-b:value": _text(row["quantity_per_unit"]),
            },
            item,
            {
                "@id": offer,
                "@type": "dfc-b:Offer",
                "dfc-b:hasPrice": f"_:p{pk}",
                "dfc-b:stockLimitation": stock,
                "dfc-b:offeredItem": item_id,
            },
            {
                "@id": f"_:p{pk}",
                "@type": "dfc-b:Price",
                "dfc-b:value": _text(row["price"]),
                "dfc-b:VATrate": _text(Decimal(row["vat_rate"])),
                "dfc-b:hasUnit": "dfc-m:Euro",
            },
        ]
    return {"@context": CONTEXT_URL, "@graph": graph}


def render_catalogue(producer: Producer) -> bytes:
    return json.dumps(
        catalogue_document(producer), ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")
