"""Pages and checks shared by the tests of the pages admin (/cms/)."""

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from wagtail.models import GroupPagePermission, Locale
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from foodhub.content import editors
from foodhub.content.editors import publish
from foodhub.content.models import NewsIndexPage, NewsPage, PickupPointPage, StandardPage
from tests import personas

DRAFT_TITLE = "Brouillon secret de Lille"
DRAFT_AUTHOR = "Nadia Gestion"  # the manager's name (tests/personas.py)


def lille_and_its_producer() -> dict:
    """The site, the Lille hub with its manager and its page, its producer with the
    producer's member and portrait: what every world of the pages admin starts from."""
    home_page = editors.ensure_site()
    producer = personas.producer()
    producer_member = personas.producer_member(producer)
    hub = personas.hub(producer)
    manager = personas.manager(hub)
    return {
        "home_page": home_page,
        "hub": hub,
        "manager": manager,
        "hub_page": editors.set_up_hub(hub),
        "producer_member": producer_member,
        "portrait": editors.set_up_producer(producer),
    }


def codenames(group, page):
    return set(
        GroupPagePermission.objects.filter(group=group, page=page).values_list(
            "permission__codename", flat=True
        )
    )


def edit_url(page):
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def denied(response):
    """Wagtail turns a refused admin view into a redirect to the dashboard."""
    return response.status_code == 403 or (
        response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    )


def hub_page_form_data(page, **changes):
    data = {
        "title": page.title,
        "slug": page.slug,
        "intro": page.intro,
        "image_alt": "",
        "story": rich_text(""),
        "values": rich_text(""),
        "how_it_works": rich_text(""),
        "team": streamfield([]),
        "comments": inline_formset([]),
        "action-publish": "action-publish",
    }
    data.update(changes)
    return nested_form_data(data)


def add_news(hub_page):
    """A news item under the hub's page, not yet in English; its index has an English alias
    (as the admin makes when a page is created, WAGTAILSIMPLETRANSLATION_SYNC_PAGE_TREE)."""
    index = hub_page.add_child(
        instance=NewsIndexPage(title="Actualités", slug="actualites", locale=hub_page.locale)
    )
    publish(index)
    index.copy_for_translation(Locale.objects.get(language_code="en"), alias=True)
    news = index.add_child(
        instance=NewsPage(title="Les fraises arrivent", slug="fraises", locale=hub_page.locale)
    )
    return publish(news)


def add_pickup_page(hub_page, pickup_point):
    page = hub_page.add_child(
        instance=PickupPointPage(
            title="La Ruche de Fives",
            slug="ruche-fives-page",
            locale=hub_page.locale,
            pickup_point=pickup_point,
        )
    )
    return publish(page)


def add_draft(hub_page, manager):
    """A draft (never published) under the hub's page, written and locked by its manager,
    with its English alias; indexed for search (the index follows the commit, run here)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        draft = hub_page.add_child(
            instance=StandardPage(
                title=DRAFT_TITLE,
                slug="brouillon",
                locale=hub_page.locale,
                live=False,
                owner=manager,
                intro="Nos projets pour l’an prochain.",
            )
        )
        draft.save_revision(user=manager)
        draft.copy_for_translation(Locale.objects.get(language_code="en"), alias=True)
    StandardPage.objects.filter(pk=draft.pk).update(
        locked=True, locked_by=manager, locked_at=timezone.now()
    )
    return draft
