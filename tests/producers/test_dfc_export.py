"""A producer's catalogue served as DFC JSON-LD: what Open Food Network's importer reads,
checked on the document expanded by pyld with the DFC context shipped in the repository."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse
from pyld import jsonld

from producers import dfc, dfc_access
from producers.models import StockMode, Unit, VatRate
from tests import factories

B = dfc.DFC_B
M = dfc.DFC_M


@pytest.fixture
def catalogue(producer, category):
    apples = factories.ProductFactory(
        producer=producer, name="Pommes Jonagold", description="Croquantes.", category=category
    )
    bag = factories.VariantFactory(
        product=apples,
        name="sac 2 kg",
        quantity_per_unit=Decimal("2"),
        price=Decimal("5.40"),
        stock_quantity=12,
        sku="POM-2",
    )
    juice = factories.VariantFactory(
        product=apples,
        name="jus 75 cl",
        unit=Unit.CL,
        quantity_per_unit=Decimal("75"),
        price=Decimal("4.00"),
        vat_rate=VatRate.REDUCED,
        stock_mode=StockMode.ON_DEMAND,
    )
    withdrawn = factories.VariantFactory(product=apples, name="caisse 10 kg", is_active=False)
    return {"bag": bag, "juice": juice, "withdrawn": withdrawn}


def expand(document: dict) -> dict:
    """The document expanded (full IRIs), indexed by ``@id``; no network: the loader serves
    only the shipped context."""
    nodes = jsonld.expand(document, {"documentLoader": dfc.document_loader})
    return {node["@id"]: node for node in nodes}


def value(node: dict, prop: str):
    return node[B + prop][0].get("@value", node[B + prop][0].get("@id"))


def read(client, producer, **extra):
    return client.get(reverse("producers:dfc_catalogue", args=[producer.slug]), **extra)


def test_each_variant_on_sale_is_a_supplied_product_an_item_and_an_offer(catalogue, producer):
    nodes = expand(dfc.catalogue_document(producer))
    bag = catalogue["bag"]

    product = nodes[dfc.supplied_product_id(bag.pk)]
    assert product["@type"] == [B + "SuppliedProduct"]
    assert value(product, "name") == "Pommes Jonagold — sac 2 kg"
    assert value(product, "description") == "Croquantes."
    assert value(product, "hasType") == dfc.DFC_PT + "vegetable"
    quantity = nodes[value(product, "hasQuantity")]
    assert quantity["@type"] == [B + "QuantitativeValue"]
    assert value(quantity, "hasUnit") == M + "Kilogram"
    assert Decimal(value(quantity, "value")) == Decimal("2")

    item = nodes[value(product, "referencedBy")]
    assert item["@type"] == [B + "CatalogItem"]
    assert value(item, "sku") == "POM-2"
    assert value(item, "stockLimitation") == "12"

    offer = nodes[value(item, "offeredThrough")]
    assert offer["@type"] == [B + "Offer"]
    price = nodes[value(offer, "hasPrice")]
    assert price["@type"] == [B + "Price"]
    assert Decimal(value(price, "value")) == Decimal("5.40")
    assert Decimal(value(price, "VATrate")) == Decimal("5.5")
    assert value(price, "hasUnit") == M + "Euro"


def test_on_demand_stock_is_minus_one_and_centilitres_are_a_dfc_measure(catalogue, producer):
    nodes = expand(dfc.catalogue_document(producer))
    product = nodes[dfc.supplied_product_id(catalogue["juice"].pk)]
    item = nodes[value(product, "referencedBy")]
    assert value(item, "stockLimitation") == "-1"
    assert B + "sku" not in item  # no reference given: none invented
    offer = nodes[value(item, "offeredThrough")]
    assert value(offer, "stockLimitation") == "-1"
    assert value(nodes[value(product, "hasQuantity")], "hasUnit") == M + "Centilitre"


def test_withdrawn_variants_and_other_producers_are_not_in_the_catalogue(
    catalogue, producer, other_producer
):
    factories.VariantFactory(product__producer=other_producer)
    supplied = [
        node
        for node in expand(dfc.catalogue_document(producer)).values()
        if node.get("@type") == [B + "SuppliedProduct"]
    ]
    assert sorted(node["@id"] for node in supplied) == sorted(
        dfc.supplied_product_id(catalogue[name].pk) for name in ("bag", "juice")
    )


def test_ids_stay_the_same_when_the_variant_changes(catalogue, producer):
    bag = catalogue["bag"]
    before = {n["@id"] for n in dfc.catalogue_document(producer)["@graph"]}
    bag.name, bag.price, bag.sku = "sac 3 kg", Decimal("7.00"), "POM-3"
    bag.save()
    bag.product.name = "Pommes"
    bag.product.save()
    assert {n["@id"] for n in dfc.catalogue_document(producer)["@graph"]} == before


def test_the_loader_serves_only_the_dfc_context():
    with pytest.raises(jsonld.JsonLdError):
        jsonld.expand(
            {"@context": "https://example.org/other", "@id": "x"},
            {"documentLoader": dfc.document_loader},
        )


def test_a_private_catalogue_is_not_found_without_a_key(client, catalogue, producer):
    assert read(client, producer).status_code == 404
    assert read(client, producer, HTTP_AUTHORIZATION="Bearer not-a-key").status_code == 404


def test_a_public_catalogue_is_served_as_json_ld(client, catalogue, producer):
    producer.dfc_catalogue_public = True
    producer.save()
    response = read(client, producer)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    document = json.loads(response.content)
    assert document["@context"] == "https://www.datafoodconsortium.org"
    assert dfc.supplied_product_id(catalogue["bag"].pk) in expand(document)


def test_a_read_key_opens_a_private_catalogue_until_it_is_revoked(
    client, catalogue, producer, producer_member
):
    token, key = dfc_access.create_read_token(producer=producer, name="OFN", by=producer_member)
    assert key not in token.key_hash  # only its hash is kept
    assert read(client, producer, HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    assert (
        client.get(
            reverse("producers:dfc_catalogue", args=[producer.slug]), {"key": key}
        ).status_code
        == 200
    )

    assert dfc_access.revoke_read_token(token=token) is True
    assert dfc_access.revoke_read_token(token=token) is False
    assert read(client, producer, HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 404


def test_a_key_of_another_producer_opens_nothing(
    client, catalogue, producer, other_producer, other_producer_member
):
    _, key = dfc_access.create_read_token(
        producer=other_producer, name="OFN", by=other_producer_member
    )
    assert read(client, producer, HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 404


def test_members_read_their_own_private_catalogue_only(
    client, catalogue, producer, producer_member, other_producer_member
):
    client.force_login(other_producer_member)
    assert read(client, producer).status_code == 404
    client.force_login(producer_member)
    assert read(client, producer).status_code == 200


def test_the_catalogue_takes_a_fixed_number_of_queries(
    client, catalogue, producer, category, django_assert_max_num_queries
):
    producer.dfc_catalogue_public = True
    producer.save()
    for _ in range(20):
        factories.VariantFactory(product__producer=producer, product__category=category)
    with django_assert_max_num_queries(3):
        assert read(client, producer).status_code == 200
