"""A producer's pages on a 360 px phone: nothing wider than the screen (no sideways
scrolling), with the long names, photos and e-mail addresses of real catalogues."""

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from PIL import Image
from playwright.sync_api import Page

from orders.checkout.services import place_order
from tests import factories
from tests.e2e.browser import log_in

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/tmp/foodhub-screenshots")
LONG_PRODUCER = "Les Jardins maraîchers biologiques du Mélantois et de la Pévèle"


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def catalogue(producer, producer_member, category, hub, cycle, slot):
    producer.name = LONG_PRODUCER
    producer.email = "contact.administratif.des-jardins-maraichers@exemple-tres-long.org"
    producer.save()
    producer.photo.save("photo-de-la-ferme-vue-du-ciel-au-printemps-2026.jpg", ContentFile(_jpeg()))
    labels = [
        factories.LabelFactory(name=name)
        for name in ("Agriculture biologique (AB)", "Nature & Progrès", "Bienvenue à la ferme")
    ]
    product = factories.ProductFactory(
        producer=producer,
        category=category,
        name="Confiture-gelée-de-groseilles-à-maquereau-maison extra (pot en verre consigné)",
        description="Une très longue description " * 20,
    )
    product.labels.set(labels)
    product.photo.save("pot-de-confiture-groseilles-maquereau-2026-photo.jpg", ContentFile(_jpeg()))
    variants = [
        factories.VariantFactory(
            product=product,
            name=name,
            price=Decimal("1234.56"),
            stock_quantity=99999,
            sku="REF-CONFITURE-GROSEILLE-0001-LONGUE",
        )  # fmt: skip
        for name in ("pot de 370 grammes, édition limitée de printemps", "1 kg", "caisse de 12")
    ]
    offer = factories.OfferFactory(cycle=cycle, variant=variants[0])
    place_order(
        cycle=cycle, slot=slot, items={offer.pk: 1}, email="foyer@example.org",
        full_name="Marie-Christine de la Grande-Maison-Ängström", notify=False,
    )  # fmt: skip
    factories.UserFactory(email="une.adresse.vraiment.tres.longue.de.benevole@exemple.org")
    return product


def _fits(page: Page, name: str) -> bool:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"producer-{name}.png"), full_page=True)
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_every_producer_page_fits_a_360_px_phone(
    page: Page, live_server, producer, producer_member, catalogue, tmp_path
):
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, live_server, producer_member)
    base = f"{live_server.url}/producers/{producer.slug}"
    pages = {
        "catalogue": f"{base}/",
        "quick-editor": f"{base}/stock/",
        "product-form": f"{base}/products/{catalogue.pk}/",
        "new-product": f"{base}/products/new/",
        "import": f"{base}/import/",
        "pick-lists": f"{base}/pick-lists/",
        "team": f"{base}/team/",
        "profile": f"{base}/profile/",
    }
    wide = []
    for name, url in pages.items():
        page.goto(url)
        if not _fits(page, name):
            wide.append(name)
    # The import page with every problem listed.
    bad = tmp_path / "catalogue.csv"
    bad.write_text(
        "product;category;variant;unit;price\n"
        + "".join(f"{'Produit-au-nom-interminable-' * 4}{n};légumes;x;kg;abc\n" for n in range(5))
    )
    page.goto(pages["import"])
    page.set_input_files("input[type=file]", str(bad))
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    if not _fits(page, "import-errors"):
        wide.append("import-errors")
    assert wide == []
