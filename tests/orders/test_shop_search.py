"""The shop's search ignores accents, case and ligatures, on SQLite and PostgreSQL alike:
"oeufs", "Oeufs" and "œufs" find "Œufs", "pate" finds "Pâté". It looks in the product,
variant, producer, category and label names, and stays right when any of them changes."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse

from producers import services as catalogue
from producers.catalogue_csv import import_catalogue
from producers.models import Variant
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def eggs_and_pate(cycle, slot, producer, organic):
    dairy = factories.CategoryFactory(name="Crèmerie", slug="cremerie")
    eggs = factories.VariantFactory(
        product__producer=producer, product__name="Œufs plein air", product__category=dairy,
        name="boîte de 6", price=Decimal("2.10"),
    )  # fmt: skip
    eggs.product.labels.add(organic)
    pate = factories.VariantFactory(
        product__producer=producer, product__name="Pâté de campagne", product__category=dairy,
        name="terrine 180 g", price=Decimal("4.50"),
    )  # fmt: skip
    other = factories.VariantFactory(
        product__name="Miel de tilleul", name="pot 500 g", price=Decimal("8.00")
    )
    return {
        name: factories.OfferFactory(cycle=cycle, variant=variant)
        for name, variant in {"eggs": eggs, "pate": pate, "honey": other}.items()
    }


def found(client, hub, query) -> set[str]:
    response = client.get(reverse("hub_public", args=[hub.slug]), {"q": query})
    assert response.status_code == 200
    return {offer.variant.product.name for offer in response.context["page"].object_list}


@pytest.mark.parametrize("query", ["oeufs", "Oeufs", "OEUFS", "œufs", "Œufs", "oeufs plein"])
def test_eggs_are_found_however_the_word_is_typed(client, hub, eggs_and_pate, query):
    assert found(client, hub, query) == {"Œufs plein air"}


@pytest.mark.parametrize("query", ["pate", "PATE", "pâté", "Pâte", "pâté campagne"])
def test_pate_is_found_with_or_without_accents(client, hub, eggs_and_pate, query):
    assert found(client, hub, query) == {"Pâté de campagne"}


def test_the_search_looks_in_variants_producers_categories_and_labels(client, hub, eggs_and_pate):
    assert found(client, hub, "boite") == {"Œufs plein air"}  # the variant: "boîte de 6"
    assert found(client, hub, "melantois") == {"Œufs plein air", "Pâté de campagne"}
    assert found(client, hub, "cremerie") == {"Œufs plein air", "Pâté de campagne"}
    assert found(client, hub, "biologique") == {"Œufs plein air"}  # its label
    assert found(client, hub, "oeufs tilleul") == set()  # every word must match
    assert found(client, hub, "100%_") == set()  # LIKE wildcards are plain characters


def test_the_search_follows_renamed_products_variants_producers_and_labels(
    client, hub, eggs_and_pate, producer, organic
):
    eggs = eggs_and_pate["eggs"].variant
    eggs.product.name = "Œufs extra-frais"
    eggs.product.save()
    assert found(client, hub, "extra-frais") == {"Œufs extra-frais"}
    assert found(client, hub, "plein air") == set()

    eggs.name = "plateau de 30"
    eggs.save()
    assert found(client, hub, "plateau") == {"Œufs extra-frais"}

    producer.name = "Ferme des Églantiers"
    producer.save()
    assert found(client, hub, "eglantiers") == {"Œufs extra-frais", "Pâté de campagne"}

    organic.name = "Nature & Progrès"
    organic.save()
    assert found(client, hub, "progres") == {"Œufs extra-frais"}
    eggs.product.labels.remove(organic)
    assert found(client, hub, "progres") == set()
    organic.products.add(eggs_and_pate["pate"].variant.product)
    assert found(client, hub, "progres") == {"Pâté de campagne"}


def test_a_duplicated_product_and_an_imported_catalogue_are_found(
    client, hub, cycle, eggs_and_pate, producer
):
    copy = catalogue.duplicate_product(product=eggs_and_pate["pate"].variant.product)
    assert all("pate de campagne (copie)" in v.search_text for v in copy.variants.all())

    header = "product;category;variant;unit;quantity;price;vat_rate;stock_mode;stock\n"
    import_catalogue(
        producer=producer,
        data=(header + "Crème fraîche;Crèmerie;pot 20 cl;cl;20;3,10;5,5;compté;4\n").encode(),
    )
    cream = Variant.objects.get(product__name="Crème fraîche")
    factories.OfferFactory(cycle=cycle, variant=cream)
    assert found(client, hub, "creme fraiche") == {"Crème fraîche"}


def test_the_migration_fills_the_search_text_of_existing_variants(eggs_and_pate):
    Variant.objects.update(search_text="")
    migration = importlib.import_module("producers.migrations.0002_variant_search_text")
    migration.fill_search_texts(apps, None)
    eggs = Variant.objects.get(pk=eggs_and_pate["eggs"].variant_id)
    assert eggs.search_text == catalogue.search_text(
        product="Œufs plein air", variant="boîte de 6", producer="Ferme du Mélantois",
        category="Crèmerie", labels=["Agriculture biologique (AB)"],
    )  # fmt: skip
    assert "oeufs plein air" in eggs.search_text


def test_a_search_runs_the_same_number_of_queries_as_the_plain_shop(
    client, hub, eggs_and_pate, django_assert_max_num_queries
):
    with django_assert_max_num_queries(11):
        client.get(reverse("hub_public", args=[hub.slug]), {"q": "oeufs plein air"})
