"""The public pages: what each shows of the hubs' life, in French and in English."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.conf import settings
from django.core.files.images import ImageFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image as PillowImage
from wagtail.images.models import Image
from wagtail.models import Locale

from foodhub.content import editors
from foodhub.content.editors import publish
from foodhub.content.models import (
    NewsIndexPage,
    NewsPage,
    PickupPointPage,
    StandardPage,
)
from orders.models import OrderCycle
from tests import factories


def english(page):
    return page.get_translation(Locale.objects.get(language_code="en"))


def a_photo(name="champ.jpg") -> Image:
    buffer = BytesIO()
    PillowImage.new("RGB", (1600, 900), (90, 140, 60)).save(buffer, "JPEG")
    return Image.objects.create(title=name, file=ImageFile(buffer, name=name))


# The home page ---------------------------------------------------------------------------


def test_home_lists_each_hub_with_its_open_cycle_and_pickup_days(
    client, hub_page, cycle, slot, django_assert_max_num_queries
):
    with django_assert_max_num_queries(16):
        response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="fr"' in html
    assert "Drive fermier de Lille" in html
    assert f'href="{hub_page.url}"' in html
    assert 'href="/lille/"' in html and "Commander" in html
    closes = timezone.localtime(cycle.closes_at)
    assert f"{closes.day} " in html and "commandes jusqu’au" in html
    assert "La Ruche de Fives" in html  # where to collect


def test_the_home_pages_queries_do_not_grow_with_the_hubs(client, hub_page, cycle, slot):
    client.get("/")  # Wagtail caches the site's root paths on the first request
    with CaptureQueriesContext(connection) as one_hub:
        client.get("/")
    for n in range(4):
        other = factories.HubFactory(name=f"Drive {n}", slug=f"drive-{n}")
        editors.set_up_hub(other)
        other_cycle = factories.OrderCycleFactory(hub=other, name=f"Semaine {n}")
        point = factories.PickupPointFactory(slug=f"point-{n}")
        factories.CyclePickupPointFactory(cycle=other_cycle, pickup_point=point)
    with CaptureQueriesContext(connection) as five_hubs:
        html = client.get("/").content.decode()
    assert all(f"Drive {n}" in html for n in range(4))
    assert len(five_hubs) == len(one_hub)


def test_a_hub_without_an_open_cycle_says_when_the_next_opens(client, hub_page, cycle):
    cycle.opens_at = timezone.now() + timedelta(days=2)
    cycle.closes_at = timezone.now() + timedelta(days=5)
    cycle.save()
    html = client.get("/").content.decode()
    assert "Prochaine ouverture des commandes le" in html
    assert "Voir la boutique" in html


def test_the_home_page_in_english(client, hub_page, cycle, slot):
    response = client.get("/en/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="en"' in html
    assert "Our food hubs" in html and "Order now" in html
    # Links stay in English: the hub's page (its English alias) and its shop.
    assert f'href="{english(hub_page).url}"' in html and english(hub_page).url.startswith("/en/")
    assert 'href="/en/lille/"' in html


def test_home_sends_someone_who_chose_english_to_the_english_site(client, home_page):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/")
    assert response.status_code == 302 and response.url == "/en/"
    assert "Cookie" in response["Vary"]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert client.get("/").status_code == 200


# A hub's page ----------------------------------------------------------------------------


def test_hub_page_shows_the_cycle_and_a_call_to_the_shop(
    client, hub_page, cycle, slot, producer, portrait, django_assert_max_num_queries
):
    hub_page.story = "<p>Né en 2019 dans une cour d’école de Fives.</p>"
    publish(hub_page)
    with django_assert_max_num_queries(20):
        response = client.get(hub_page.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Drive fermier de Lille</h1>" in html
    assert "Les commandes sont ouvertes" in html
    assert '<a class="button" href="/lille/">Aller à la boutique</a>' in html
    assert "Né en 2019 dans une cour d’école de Fives." in html
    # Its producers, each linked to its portrait.
    assert f'<a href="{portrait.url}">Ferme du Mélantois</a>' in html


def test_hub_page_lists_its_pickup_points_pages(client, hub_page, cycle, slot, pickup_point):
    pickup_point.access_info = "Code du portail 4521"  # for the team and households only
    pickup_point.save()
    point_page = hub_page.add_child(
        instance=PickupPointPage(
            title="La Ruche de Fives",
            slug="ruche-de-fives",
            pickup_point=pickup_point,
            hours="Le jeudi de 17 h à 19 h 30",
            directions="<p>Métro Marbrerie, sortie rue Pierre-Legrand.</p>",
        )
    )
    publish(point_page)
    html = client.get(hub_page.url).content.decode()
    assert f'<a href="{point_page.url}">La Ruche de Fives</a>' in html

    response = client.get(point_page.url)
    assert response.status_code == 200
    page_html = response.content.decode()
    assert "Métro Marbrerie" in page_html and "Le jeudi de 17 h à 19 h 30" in page_html
    assert pickup_point.map_url.replace("&", "&amp;") in page_html
    assert "Prochains jours de retrait" in page_html
    assert "Drive fermier de Lille" in page_html  # the pickup day's hub
    assert "4521" not in page_html


# A producer's portrait ---------------------------------------------------------------------


def test_portrait_shows_this_weeks_offers_and_leads_to_them_in_the_shop(
    client, portrait, hub, cycle, offers, django_assert_max_num_queries
):
    with django_assert_max_num_queries(16):
        response = client.get(portrait.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "En vente cette semaine" in html
    assert "Carottes" in html and "2,40\u00a0€" in html
    shop_link = "/lille/?producer=ferme-du-melantois"
    assert f'href="{shop_link}"' in html

    # The link shows that producer's products in the shop.
    other = factories.ProducerFactory(name="Brasserie", slug="brasserie")
    beer = factories.VariantFactory(product__producer=other, product__name="Bière blonde")
    factories.OfferFactory(cycle=cycle, variant=beer)
    shop = client.get(shop_link).content.decode()
    assert "Carottes" in shop and "Bière blonde" not in shop


def test_portrait_in_english_shows_prices_the_english_way(client, portrait, cycle, offers):
    response = client.get(english(portrait).url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "On sale this week" in html and "€2.40" in html
    assert 'href="/en/lille/?producer=ferme-du-melantois"' in html


def test_portrait_says_when_nothing_is_on_sale(client, portrait, cycle, offers):
    cycle.status = OrderCycle.Status.CANCELLED
    cycle.save()
    html = client.get(portrait.url).content.decode()
    assert "Rien en vente pour le moment" in html


def test_photos_are_served_resized_in_several_widths(client, portrait):
    portrait.image = a_photo()
    portrait.image_alt = "Les serres au lever du soleil"
    publish(portrait)
    html = client.get(portrait.url).content.decode()
    assert 'alt="Les serres au lever du soleil"' in html
    assert "srcset=" in html and " 360w" in html and " 1200w" in html
    assert ".format-webp" in html or ".webp" in html
    assert "/media/original_images/" not in html  # never the uploaded original


# Addresses and languages -----------------------------------------------------------------


def test_a_top_level_page_is_not_hidden_by_the_shops(client, home_page, hub):
    page = home_page.add_child(instance=StandardPage(title="Qui sommes-nous ?", slug="qui"))
    publish(page)
    assert client.get("/qui/").status_code == 200
    assert client.get("/lille/").templates[0].name.startswith("orders/")  # the shop
    assert client.get("/nulle-part/").status_code == 404


def test_language_buttons_lead_to_the_pages_own_translation(client, hub_page):
    translated = english(hub_page)
    translated.alias_of = None
    translated.title = "Lille farm drive"
    translated.slug = "lille-farm-drive"
    translated.save()
    publish(translated)

    html = client.get(hub_page.url).content.decode()
    assert f'<input name="next" type="hidden" value="{translated.url}">' in html
    assert translated.url == "/en/lille-farm-drive/"
    response = client.post(reverse("set_language"), {"language": "en", "next": translated.url})
    assert response.url == translated.url
    english_html = client.get(translated.url).content.decode()
    assert 'lang="en"' in english_html and "<h1>Lille farm drive</h1>" in english_html
    assert f'<input name="next" type="hidden" value="{hub_page.url}">' in english_html


def test_application_pages_keep_their_language_in_the_address(client, household):
    client.force_login(household)
    with translation.override("en"):
        url = reverse("orders:my_orders")
    assert url.startswith("/en/")
    html = client.get(url).content.decode()
    assert 'lang="en"' in html
    # Switching to French goes to the same page, without the prefix.
    response = client.post(reverse("set_language"), {"language": "fr", "next": url})
    assert response.url == url.removeprefix("/en")


# News ------------------------------------------------------------------------------------


def test_news_are_listed_newest_first_and_paginated(client, home_page):
    index = publish(home_page.add_child(instance=NewsIndexPage(title="Actualités", slug="actus")))
    today = timezone.localdate()
    for n in range(12):
        news = index.add_child(
            instance=NewsPage(title=f"Nouvelle {n}", slug=f"n{n}", date=today - timedelta(n))
        )
        publish(news)
    html = client.get(index.url).content.decode()
    assert html.index("Nouvelle 0") < html.index("Nouvelle 1")
    assert "Nouvelle 11" not in html and "Page 1 sur 2" in html
    editors.add_aliases(index)
    second = client.get(index.url + "?page=2").content.decode()
    assert "Nouvelle 11" in second
    # Switching language keeps the page of the list.
    assert f'value="{english(index).url}?page=2"' in second
    assert client.get("/").content.decode().count("Nouvelle ") == 3  # the latest on the home


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_page_kind_renders(client, hub_page, portrait, pickup_point, language):
    pages = [hub_page, portrait, hub_page.get_parent().specific]
    point_page = publish(
        hub_page.add_child(
            instance=PickupPointPage(title="Ruche", slug="ruche", pickup_point=pickup_point)
        )
    )
    standard = publish(hub_page.add_child(instance=StandardPage(title="Charte", slug="charte")))
    pages += [point_page, standard]
    for page in pages:
        if language == "en":
            editors.add_aliases(page)
            page = english(page)
        response = client.get(page.url)
        assert response.status_code == 200, page.url
        assert f'lang="{language}"' in response.content.decode()


def test_my_spaces_lead_managers_and_producers_to_the_pages_editor(
    client, hub_page, portrait, manager, producer_member, household
):
    for user in (manager, producer_member):
        client.force_login(user)
        html = client.get(reverse("spaces")).content.decode()
        assert f'href="{reverse("wagtailadmin_home")}"' in html
        assert client.get(reverse("wagtailadmin_home")).status_code == 200
    client.force_login(household)
    assert (
        f'href="{reverse("wagtailadmin_home")}"'
        not in client.get(reverse("spaces")).content.decode()
    )
    assert client.get(reverse("wagtailadmin_home")).status_code == 302  # no access


@pytest.mark.parametrize(
    "slug, refused",
    [
        ("orders", True),  # an application address
        ("en", True),  # the English site
        ("en-vrac", True),  # read as English by Django: its shop would never be found
        ("qui-sommes-nous", True),  # a public page's address (created below)
        ("fr-infos", False),
        ("roubaix", False),
    ],
)
def test_a_hub_cannot_take_an_address_the_site_answers_at(home_page, slug, refused):
    from django.core.exceptions import ValidationError

    from foodhub.hubs.models import Hub

    publish(home_page.add_child(instance=StandardPage(title="Qui ?", slug="qui-sommes-nous")))
    hub = Hub(name="Nouveau drive", slug=slug, order_prefix="NEW")
    if refused:
        with pytest.raises(ValidationError) as error:
            hub.full_clean()
        assert "slug" in error.value.message_dict
    else:
        hub.full_clean()


def test_an_untranslated_english_copy_says_its_text_is_french(client, hub_page):
    hub_page.story = "<p>Né à Fives.</p>"
    publish(hub_page)
    alias = english(hub_page)
    assert alias.alias_of_id == hub_page.pk
    html = client.get(alias.url).content.decode()
    assert '<html lang="en">' in html  # the interface is English...
    assert '<header class="page-header" lang="fr">' in html  # ...the editors' text French
    assert '<div class="prose" lang="fr"><p>Né à Fives.</p></div>' in html
    # A page in its own language needs no such mark.
    assert ' lang="fr"' not in client.get(hub_page.url).content.decode().split("<main", 1)[1]
