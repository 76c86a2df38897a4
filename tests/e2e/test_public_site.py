"""A new visitor, on a phone: from the home page to a producer's portrait, then to that
producer's products in the shop, in French and then in English."""

import re

import pytest
from playwright.sync_api import Page, expect
from wagtail.models import Locale

from foodhub.content import editors
from foodhub.content.models import HubPage, ProducerPage
from tests.e2e.test_accessibility import assert_accessible

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def portrait(hub, producer, offers):
    """The producer's portrait, written in French and translated into English."""
    page = editors.set_up_producer(producer)
    page.place = "Sainghin-en-Mélantois (59)"
    page.intro = "Des légumes de saison, cultivés sans pesticides depuis trois générations."
    page.portrait = "<p>Sophie et Marc cultivent quatre hectares entre Lille et la Pévèle.</p>"
    page.save_revision().publish()
    english = page.get_translation(Locale.objects.get(language_code="en"))
    english.alias_of = None
    english.intro = "Seasonal vegetables, grown without pesticides for three generations."
    english.portrait = "<p>Sophie and Marc farm four hectares between Lille and the Pévèle.</p>"
    english.save()
    english.save_revision().publish()
    return page


def test_a_visitor_goes_from_the_home_page_to_a_producers_products_in_french_then_english(
    page: Page, live_server, hub, portrait, offers
):
    page.set_viewport_size({"width": 360, "height": 740})
    assert HubPage.objects.filter(hub=hub).count() == 2  # set up when the hub was created

    # In French, the default.
    page.goto(f"{live_server.url}/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", name="Nos drives")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("^Découvrir le drive")).click()
    expect(page.locator("h1")).to_have_text("Drive fermier de Lille")
    expect(page.get_by_text("Les commandes sont ouvertes")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Ferme du Mélantois").click()
    expect(page.locator("h1")).to_have_text("Ferme du Mélantois")
    expect(page.get_by_text("cultivés sans pesticides depuis trois générations")).to_be_visible()
    expect(page.get_by_text("Carottes")).to_be_visible()
    assert_accessible(page)
    page.get_by_role(
        "link", name="Ferme du Mélantois\xa0: commander ses produits chez Drive fermier de Lille"
    ).click()
    page.wait_for_url(re.compile(r"/lille/\?producer=ferme-du-melantois$"))
    expect(page.locator(f"#offer-{offers['carrots'].pk}")).to_be_visible()
    expect(page.locator("main")).to_contain_text("2,40")

    # Then in English, from the home page's language buttons.
    page.goto(f"{live_server.url}/")
    page.get_by_role("button", name="English").click()
    page.wait_for_url(f"{live_server.url}/en/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Our food hubs")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("^Discover the hub")).click()
    expect(page.get_by_text("Orders are open")).to_be_visible()
    assert "/en/" in page.url
    page.get_by_role("link", name="Ferme du Mélantois").click()
    expect(page.get_by_text("grown without pesticides for three generations")).to_be_visible()
    expect(page.get_by_role("heading", name="On sale this week")).to_be_visible()
    assert_accessible(page)
    page.get_by_role(
        "link", name="Order Ferme du Mélantois's products at Drive fermier de Lille"
    ).click()
    page.wait_for_url(re.compile(r"/en/lille/\?producer=ferme-du-melantois$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("main")).to_contain_text("€2.40")

    # Back to French from an English portrait lands on the French portrait.
    page.go_back()
    page.get_by_role("button", name="Français").click()
    page.wait_for_url(f"{live_server.url}{ProducerPage.objects.get(pk=portrait.pk).url}")
    expect(page.get_by_text("cultivés sans pesticides")).to_be_visible()
