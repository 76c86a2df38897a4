"""Bad input in the pages admin (/cms/): a clear refusal (a form error, a 404), nothing
written, never a server error.

- Wagtail reads a page's body (a StreamField) from form data its editor's script writes
  (a count of blocks, each block's type, order and id) and failed with a server error
  when it was missing or malformed, an empty POST to any page editor with a body
  included; the page form now refuses such a field with a message (``forms``).
- The values of ``tests/bad_input.py`` go into every text field of each kind of page.
- Numbers and words where the admin's addresses expect page numbers, and search words
  with quotes (SQLite's full-text search read them as its own syntax: ``search``).
"""

import pytest
from django.db import transaction
from django.test import TestCase
from django.urls import reverse
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file
from wagtail.models import Page, Revision
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from foodhub.content.editors import publish
from foodhub.content.models import (
    EditorGroup,
    StandardPage,
)
from tests import bad_input, personas, worlds
from tests.content.admin_pages import add_news, add_pickup_page, lille_and_its_producer

UNREADABLE = "n’a pas pu être lu"  # "could not be read", the admin being in French


def _build():
    world = lille_and_its_producer()
    hub, hub_page = world["hub"], world["hub_page"]
    with TestCase.captureOnCommitCallbacks(execute=True):  # indexed for search
        standard_page = hub_page.add_child(
            instance=StandardPage(
                title="Notre charte",
                slug="charte",
                locale=hub_page.locale,
                body=[("heading", "Nos engagements"), ("quote", {"text": "Oui"})],
            )
        )
        publish(standard_page)
        photo = get_image_model().objects.create(
            title="Pommes du verger",
            file=get_test_image_file(),
            collection=EditorGroup.objects.get(hub=hub).collection,
        )
    return {
        **world,
        "standard_page": standard_page,
        "news_page": add_news(hub_page),
        "pickup_page": add_pickup_page(hub_page, personas.pickup_point(hub)),
        "photo": photo,  # in the hub's collection, indexed for search
    }


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Every kind of page, a photo and their editors, built once for the module
    (``tests/worlds.py``): each test meets them as they were built."""
    yield from worlds.shared(django_db_blocker, _build)


home_page = worlds.fixture("home_page")
hub = worlds.fixture("hub")
manager = worlds.fixture("manager")
hub_page = worlds.fixture("hub_page")
producer_member = worlds.fixture("producer_member")
portrait = worlds.fixture("portrait")
standard_page = worlds.fixture("standard_page")
news_page = worlds.fixture("news_page")
pickup_page = worlds.fixture("pickup_page")
photo = worlds.fixture("photo")


def _common(page, **fields):
    return {
        "title": page.title,
        "slug": page.slug,
        "intro": page.intro,
        "image_alt": "",
        "comments": inline_formset([]),
        **fields,
    }


# Each kind of page: who edits it, the data its editor sends, its body (StreamField) if
# it has one, the text fields a person types into.
KINDS = {
    "home": {
        "page": "home_page",
        "user": "admin_user",
        "data": lambda page: _common(page, body=streamfield([])),
        "body": "body",
        "text": ["title", "slug", "intro", "image_alt"],
    },
    "hub": {
        "page": "hub_page",
        "user": "manager",
        "data": lambda page: _common(
            page,
            story=rich_text("<p>Depuis 2019.</p>"),
            values=rich_text(""),
            how_it_works=rich_text(""),
            team=streamfield([("member", {"name": "Nadia", "role": "", "about": ""})]),
        ),
        "body": "team",
        "text": ["title", "slug", "intro", "image_alt", "team-0-value-name", "story"],
    },
    "portrait": {
        "page": "portrait",
        "user": "producer_member",
        "data": lambda page: _common(
            page,
            place="Gruson (59)",
            portrait=rich_text(""),
            practices=rich_text(""),
            farm_photos=streamfield([]),
        ),
        "body": "farm_photos",
        "text": ["title", "slug", "intro", "image_alt", "place", "practices"],
    },
    "standard": {
        "page": "standard_page",
        "user": "manager",
        "data": lambda page: _common(
            page, body=streamfield([("heading", "Nos engagements"), ("quote", {"text": "Oui"})])
        ),
        "body": "body",
        "text": ["title", "slug", "intro", "body-0-value", "body-1-value-text", "body-0-id"],
    },
    "news": {
        "page": "news_page",
        "user": "manager",
        "data": lambda page: _common(page, date="2026-06-01", body=streamfield([])),
        "body": "body",
        "text": ["title", "slug", "intro", "date"],
    },
    "pickup": {
        "page": "pickup_page",
        "user": "manager",
        "data": lambda page: _common(
            page,
            pickup_point=page.pickup_point_id,
            directions=rich_text(""),
            hours="mardi 17 h – 19 h",
            about=rich_text(""),
        ),
        "body": None,
        "text": ["title", "slug", "hours", "directions"],
    },
}
WITH_BODY = [kind for kind, spec in KINDS.items() if spec["body"]]


def _edit_url(page):
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def _add_url(page):
    parent = page.get_parent()
    return reverse(
        "wagtailadmin_pages:add", args=[page._meta.app_label, page._meta.model_name, parent.pk]
    )


def _written():
    return Page.objects.count(), Revision.objects.count()


@pytest.fixture
def kind_world(world, db):
    """Every kind of page (the world)."""


# 1. An empty POST, and a body sent incomplete.


@pytest.mark.parametrize("view", ["edit", "add"])
@pytest.mark.parametrize("kind", WITH_BODY)
def test_an_empty_post_to_a_page_editor_is_refused_and_writes_nothing(
    kind_world, client, request, admin_user, kind, view
):
    spec = KINDS[kind]
    page = request.getfixturevalue(spec["page"])
    # A page is added by whoever may add it there: the platform's admins at the top.
    user = request.getfixturevalue(spec["user"] if view == "edit" else "admin_user")
    client.force_login(user)
    url = _edit_url(page) if view == "edit" else _add_url(page)
    before = _written()

    response = client.post(url, {})

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert UNREADABLE in errors[spec["body"]][0]
    assert _written() == before
    page.refresh_from_db()
    assert not page.has_unpublished_changes


def test_a_preview_of_a_page_sent_without_its_body_is_refused(
    client, manager, standard_page, hub_page
):
    client.force_login(manager)
    before = _written()

    for url in (
        reverse("wagtailadmin_pages:preview_on_edit", args=[standard_page.pk]),
        reverse("wagtailadmin_pages:preview_on_add", args=["content", "standardpage", hub_page.pk]),
    ):
        response = client.post(url, {"title": "Aperçu"})  # (an empty one shows the page)

        assert response.status_code == 200, url
        assert response.json()["is_valid"] is False, url
    assert _written() == before


def _without(data, *keys):
    return {key: value for key, value in data.items() if key not in keys}


INCOMPLETE_BODIES = {
    "no count": lambda data, body: _without(data, f"{body}-count"),
    "a count that is a word": lambda data, body: {**data, f"{body}-count": "abc"},
    "a count in other digits": lambda data, body: {**data, f"{body}-count": "²"},
    "more blocks than sent": lambda data, body: {**data, f"{body}-count": "12"},
    "a block without its type": lambda data, body: _without(data, f"{body}-0-type"),
    "an order that is a word": lambda data, body: {**data, f"{body}-0-order": "x"},
    "no deletion mark": lambda data, body: _without(data, f"{body}-0-deleted"),
}


@pytest.mark.parametrize("damage", INCOMPLETE_BODIES)
def test_a_body_sent_incomplete_is_refused_with_a_message_and_changes_nothing(
    client, manager, standard_page, damage
):
    data = nested_form_data(KINDS["standard"]["data"](standard_page))
    data["title"] = "Changé"
    data["body-0-value"] = "Nos nouveaux engagements"
    data = INCOMPLETE_BODIES[damage](data, "body")
    client.force_login(manager)
    before = _written()

    response = client.post(_edit_url(standard_page), data)

    assert response.status_code == 200
    assert response.context["form"].errors["body"] == [
        "Ce champ n’a pas pu être lu (la page a été envoyée incomplète) : rien n’a été "
        "enregistré. Rechargez la page et refaites vos modifications."
    ]
    assert _written() == before
    standard_page.refresh_from_db()
    assert standard_page.title == "Notre charte"
    # The editor shows the page's body as it is, not what was sent.
    body = response.content.decode()
    assert "Nos engagements" in body and "Nos nouveaux engagements" not in body


def test_rich_text_that_is_not_what_the_editor_sends_is_refused(client, manager, hub_page):
    client.force_login(manager)
    before = _written()
    for story in ("not json", "[]", "1", '{"blocks": 5}', '{"blocks": [{"text": 5}]}'):
        data = nested_form_data(KINDS["hub"]["data"](hub_page))
        data["story"] = story

        response = client.post(_edit_url(hub_page), data)

        assert response.status_code == 200, story
        assert UNREADABLE in response.context["form"].errors["story"][0], story
    assert _written() == before


def test_a_complete_post_still_saves(client, manager, standard_page):
    data = nested_form_data(KINDS["standard"]["data"](standard_page))
    data["title"] = "Notre charte, revue"
    data["body-1-value-text"] = "Oui, toujours"
    data["action-publish"] = "action-publish"
    client.force_login(manager)

    response = client.post(_edit_url(standard_page), data)

    assert response.status_code == 302, response.context["form"].errors
    standard_page.refresh_from_db()
    assert standard_page.title == "Notre charte, revue"
    assert standard_page.body[1].value["text"] == "Oui, toujours"


# 2. The shared corpus of bad values, in every text field of each kind of page.


def _form(kind, page, user, field, value):
    data = nested_form_data(KINDS[kind]["data"](page))
    data[field] = value
    form_class = type(page).get_edit_handler().get_form_class()
    return form_class(data, instance=page, parent_page=page.get_parent(), for_user=user)


@pytest.mark.parametrize("kind", list(KINDS))
def test_bad_values_in_every_text_field_are_refused_or_stored_never_a_server_error(
    kind_world, request, kind
):
    spec = KINDS[kind]
    page = request.getfixturevalue(spec["page"]).specific
    user = request.getfixturevalue(spec["user"])
    refused = set()
    for field in spec["text"]:
        for value in bad_input.ALL:
            page = type(page).objects.get(pk=page.pk)  # as the editor loads it
            form = _form(kind, page, user, field, value)
            if not form.is_valid():
                refused.add((field, value))
                continue
            # Accepted: the database stores it (PostgreSQL refuses what SQLite takes).
            with transaction.atomic():
                form.save(commit=False).save_revision(user=user)
                transaction.set_rollback(True)
        for value in bad_input.WITH_NUL:
            assert (field, value) in refused, (field, value)
    assert ("title", "x" * 10_000) in refused
    assert ("slug", "<script>alert(1)</script>") in refused


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_nul_byte_posted_to_a_page_editor_is_refused_and_writes_nothing(
    kind_world, client, request, kind
):
    spec = KINDS[kind]
    page = request.getfixturevalue(spec["page"])
    client.force_login(request.getfixturevalue(spec["user"]))
    data = nested_form_data(spec["data"](page))
    data["title"] = "Pommes\x00"
    data[spec["text"][-1]] = "abc\x00def"
    before = _written()

    response = client.post(_edit_url(page), data)

    # Refused before any view by the NUL guard of every request (foodhub.middleware).
    assert response.status_code == 400
    assert _written() == before


# 3. Numbers, words and quotes where the admin's addresses and search boxes expect others.


def _addresses(home_page):
    """Admin addresses and the parameters each reads as pages, people or words."""
    bulk = reverse("wagtail_bulk_action", args=["wagtailcore", "page", "delete"])
    chooser = reverse("wagtailadmin_choose_page")
    explorer = reverse("wagtailadmin_explore_results", args=[home_page.pk])
    return {
        "chosen": (reverse("wagtailadmin_choose_page_chosen_multiple"), "id", {}),
        "bulk": (bulk, "id", {}),
        "bulk_all": (bulk, "childOf", {"id": "all"}),
        "chooser_targets": (chooser, "target_pages[]", {}),
        "chooser_type": (chooser, "page_type", {}),
        "chooser_page": (chooser, "p", {}),
        "chooser_search": (reverse("wagtailadmin_choose_page_search"), "q", {}),
        "search": (reverse("wagtailadmin_pages:search_results"), "q", {}),
        "explorer": (explorer, ("q", "owner", "edited_by", "content_type", "ordering"), {}),
        "site_history_user": (reverse("wagtailadmin_reports:site_history_results"), "user", {}),
        "locked_by": (reverse("wagtailadmin_reports:locked_pages_results"), "locked_by", {}),
        "photos_search": (reverse("wagtailimages:index_results"), "q", {}),
        "photo_chooser_search": (reverse("wagtailimages_chooser:choose_results"), "q", {}),
    }


ADDRESSES = [
    "chosen",
    "bulk",
    "bulk_all",
    "chooser_targets",
    "chooser_type",
    "chooser_page",
    "chooser_search",
    "search",
    "explorer",
    "site_history_user",
    "locked_by",
    "photos_search",
    "photo_chooser_search",
]


@pytest.mark.parametrize("address", ADDRESSES)
def test_bad_numbers_and_words_in_the_admins_addresses_are_no_server_error(
    standard_page, photo, client, manager, home_page, address
):
    client.force_login(manager)
    url, names, params = _addresses(home_page)[address]
    names = names if isinstance(names, tuple) else (names,)
    for value in bad_input.ALL:
        response = client.get(url, {**params, **dict.fromkeys(names, value)})
        assert response.status_code < 500, (address, value)
    assert StandardPage.objects.filter(pk=standard_page.pk).exists()


@pytest.mark.parametrize("words", ['"Pommes', 'Pommes "du verger"', '=HYPERLINK("http://x")'])
def test_quotes_typed_in_an_admin_search_box_are_searched_as_text(
    standard_page, photo, client, manager, words
):
    client.force_login(manager)

    for url in (
        reverse("wagtailimages:index"),
        reverse("wagtailimages_chooser:choose_results"),
        reverse("wagtailadmin_choose_page_search"),
        reverse("wagtailadmin_explore", args=[standard_page.get_parent().pk]),
    ):
        assert client.get(url, {"q": words}).status_code == 200, url
    if "Pommes" in words:
        found = client.get(reverse("wagtailimages:index"), {"q": words})
        assert "Pommes du verger" in found.content.decode()
