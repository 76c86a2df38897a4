"""The demo's public pages: every kind written, photographed, translated, and left alone
once someone has edited them. Loading the demo world takes a few seconds: once per module."""

import pytest
from django.db import transaction
from django.utils.html import escape
from wagtail.images import get_image_model
from wagtail.models import Page, Revision

from foodhub.content.models import (
    HomePage,
    HubPage,
    NewsIndexPage,
    NewsPage,
    PickupPointPage,
    ProducerIndexPage,
    ProducerPage,
    StandardPage,
)
from foodhub.demo.files import PORTRAITS, PRODUCERS
from foodhub.demo.pages import load_demo_pages
from foodhub.demo.world import load_demo_data

# Each test runs in its own savepoint inside the module's demo (``demo_pages``).
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_pages(django_db_setup, django_db_blocker):
    """The demo world and its pages, loaded once for this module and rolled back at its
    end; what a test changes is undone with its savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo_data()
        yield load_demo_pages()
        transaction.set_rollback(True)


def _english(page):
    return Page.objects.translation_of(page).get(locale__language_code="en").specific


def test_demo_pages_write_every_kind_of_page_with_a_portrait_for_every_producer(demo_pages):
    for kind in (
        HomePage,
        HubPage,
        ProducerIndexPage,
        ProducerPage,
        PickupPointPage,
        NewsIndexPage,
        NewsPage,
        StandardPage,
    ):
        assert kind.objects.filter(locale__language_code="fr").live().exists(), kind
    assert NewsPage.objects.filter(locale__language_code="fr").count() == 2
    assert StandardPage.objects.filter(slug="qui-sommes-nous").exists()
    assert set(PORTRAITS) == {demo.slug for demo in PRODUCERS}

    portraits = ProducerPage.objects.filter(locale__language_code="fr").live()
    assert {page.producer.slug for page in portraits} == {demo.slug for demo in PRODUCERS}
    for page in portraits.select_related("image"):
        assert page.portrait and page.practices and page.place.endswith("(59)")
        assert page.image is not None and page.image_alt
        assert page.farm_photos[0].value["image"] is not None
        rendition = page.image.get_rendition("fill-320x200|format-webp")
        assert (rendition.width, rendition.height) == (320, 200)
    texts = [page.portrait for page in portraits]
    assert len(set(texts)) == len(texts)

    # Every hub serves its pickup points through a page under its own page.
    for hub_page in HubPage.objects.filter(locale__language_code="fr"):
        assert hub_page.story and hub_page.how_it_works and len(hub_page.team) >= 2
        points = set(hub_page.hub.pickup_points.values_list("pk", flat=True))
        children = PickupPointPage.objects.child_of(hub_page)
        assert set(children.values_list("pickup_point_id", flat=True)) == points


def test_demo_pages_are_translated_into_english_and_render_in_both_languages(demo_pages, client):
    home = HomePage.objects.get(locale__language_code="fr")
    hub_page = HubPage.objects.get(locale__language_code="fr", hub__slug="lille-sud")
    index = ProducerIndexPage.objects.get(locale__language_code="fr")
    english = {
        "home": _english(home),
        "hub": _english(hub_page),
        "index": _english(index),
    }
    assert english["home"].title == "Welcome"
    assert english["hub"].title == "Lille-Sud farm drive"
    assert english["index"].title == "Our producers"
    for page in ProducerPage.objects.filter(locale__language_code="fr"):
        english[page.slug] = _english(page)
        assert english[page.slug].intro == PORTRAITS[page.producer.slug].intro_en
    for name, page in english.items():
        assert page.alias_of_id is None, name
        assert page.live, name
    assert {page.slug for page in english.values()} >= {hub_page.slug, index.slug}

    point = PickupPointPage.objects.child_of(hub_page).first()
    for path, expected in [
        ("/", "Le circuit court"),
        (f"/{hub_page.slug}/", "Faubourg des Postes"),
        ("/producteurs/", "Treize fermes"),
        ("/producteurs/chicons-de-wavrin/", "forcées sous paille"),
        (f"/{hub_page.slug}/{point.slug}/", point.title),
        ("/actualites/", "Un nouveau point de retrait à Roubaix"),
        ("/qui-sommes-nous/", "Nous rejoindre"),
        ("/en/", "Short supply chains"),
        (f"/en/{hub_page.slug}/", "Lille-Sud farm drive"),
        ("/en/producteurs/", "Our producers"),
        ("/en/producteurs/chicons-de-wavrin/", "Field-forced Belgian endives"),
        (f"/en/{hub_page.slug}/{point.slug}/", point.title),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert expected in response.content.decode(), path
    # Door codes and the like are for the team and households with an order only.
    html = client.get(point.url).content.decode()
    access = point.pickup_point.access_info
    assert access and access[:30] not in html and escape(access)[:30] not in html
    assert "Illustration" in html  # the drawn photos say they are drawings


def test_loading_demo_pages_again_creates_nothing_and_keeps_an_editors_change(demo_pages):
    hub_page = HubPage.objects.get(locale__language_code="fr", hub__slug="villeneuve-d-ascq")
    hub_page.story = "<p>Notre histoire, racontée par nous.</p>"
    hub_page.save_revision().publish()
    english_portrait = _english(
        ProducerPage.objects.get(locale__language_code="fr", producer__slug="caves-de-lezennes")
    )
    english_portrait.intro = "Mushrooms from under the city."
    english_portrait.save_revision().publish()
    counts = (Page.objects.count(), Revision.objects.count(), get_image_model().objects.count())

    again = load_demo_pages()

    assert (again.filled, again.created, again.translated, again.images) == ([], [], [], 0)
    assert counts == (
        Page.objects.count(),
        Revision.objects.count(),
        get_image_model().objects.count(),
    )
    hub_page.refresh_from_db()
    english_portrait.refresh_from_db()
    assert hub_page.story == "<p>Notre histoire, racontée par nous.</p>"
    assert english_portrait.intro == "Mushrooms from under the city."
