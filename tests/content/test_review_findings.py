"""Defects found reviewing the public site (Wagtail pages, editors, addresses, languages)."""

import os
import subprocess
import sys
from io import BytesIO
from pathlib import Path

from django.core.files.images import ImageFile
from django.urls import reverse
from PIL import Image as PillowImage
from wagtail.images.models import Image
from wagtail.models import Collection, Locale
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from foodhub.content import editors
from foodhub.content.models import EditorGroup, HubPage, StandardPage
from foodhub.hubs.models import Hub
from tests.content.admin_pages import hub_page_form_data

ROOT = Path(__file__).resolve().parents[2]


def _standard_page_form(parent, user, slug, *, image=None, body=()):
    form_class = StandardPage.get_edit_handler().get_form_class()
    data = nested_form_data(
        {
            "title": "En bref",
            "slug": slug,
            "intro": "",
            "image": image.pk if image else "",
            "image_alt": "",
            "body": streamfield(list(body)),
            "comments": inline_formset([]),
        }
    )
    return form_class(data, instance=StandardPage(), parent_page=parent, for_user=user)


# 1. "/en-bref/" is read as English by Django (it falls back from "en-bref" to "en"), so a
#    French top-level page there is never found.


def test_a_top_level_page_cannot_take_an_address_read_as_another_language(
    client, home_page, admin_user
):
    page = home_page.add_child(
        instance=StandardPage(title="En bref", slug="en-bref", locale=home_page.locale)
    )
    page.save_revision().publish()
    assert client.get(page.url).status_code == 404  # what such a page would give

    form = _standard_page_form(home_page, admin_user, "en-pratique")

    assert not form.is_valid()
    assert list(form.errors) == ["slug"]


def test_a_top_level_page_may_start_with_the_default_language_or_a_word_like_it(
    home_page, admin_user
):
    for slug in ("fr-infos", "engagements", "entre-voisins"):
        form = _standard_page_form(home_page, admin_user, slug)
        assert form.is_valid(), (slug, form.errors)


# 2. The post-migrate hook must not crash a migration that leaves the pages' tables out.


def _migrate(database: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "foodhub.settings",
        "DATABASE_URL": f"sqlite:///{database}",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "migrate", *args, "--no-input"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_migrating_one_app_of_a_new_database_does_not_need_the_pages_tables(tmp_path):
    result = _migrate(tmp_path / "new.sqlite3", "hubs")

    assert result.returncode == 0, result.stderr[-2000:]


# 3. An editor chooses photos in the collection of the hub or producer only; the admin's
#    photo field took any photo's number, another hub's unpublished photos included.


def _photo(collection, name="photo.jpg"):
    buffer = BytesIO()
    PillowImage.new("RGB", (40, 30), (90, 140, 60)).save(buffer, "JPEG")
    return Image.objects.create(
        title=name, file=ImageFile(buffer, name=name), collection=collection
    )


def _collection(**owner):
    return EditorGroup.objects.get(**owner).collection


def _hub_page_form(page, user, *, image):
    form_class = HubPage.get_edit_handler().get_form_class()
    data = hub_page_form_data(page, image=image.pk)  # what the editor sends
    page = page.get_latest_revision_as_object()
    return form_class(data, instance=page, parent_page=page.get_parent(), for_user=user)


def test_an_editor_cannot_use_a_photo_of_another_hubs_collection(
    manager, hub_page, other_hub_manager
):
    editors.set_up_hub(Hub.objects.get(slug="roubaix"))
    theirs = _photo(_collection(hub__slug="roubaix"))
    ours = _photo(_collection(hub=hub_page.hub))

    refused = _hub_page_form(hub_page, manager, image=theirs)

    assert not refused.is_valid()
    assert list(refused.errors) == ["image"]
    assert _hub_page_form(hub_page, manager, image=ours).is_valid()


def test_an_editor_cannot_put_another_collections_photo_in_a_block(
    manager, hub_page, other_hub_manager
):
    editors.set_up_hub(Hub.objects.get(slug="roubaix"))
    theirs = _photo(_collection(hub__slug="roubaix"))
    block = ("photo", {"image": theirs.pk, "alt": "", "caption": ""})

    form = _standard_page_form(hub_page, manager, "nouvelles", body=[block])

    assert not form.is_valid()
    assert list(form.errors) == ["body"]


def test_an_editor_keeps_a_photo_the_platform_put_on_the_page(manager, hub_page, admin_user):
    """The demo and the administrators may use photos of the site's own collection."""
    site_photo = _photo(Collection.get_first_root_node())
    hub_page.image = site_photo
    hub_page.save_revision().publish()

    assert _hub_page_form(hub_page, manager, image=site_photo).is_valid()
    assert _standard_page_form(hub_page, admin_user, "page", image=site_photo).is_valid()
    assert not _standard_page_form(hub_page, manager, "page", image=site_photo).is_valid()


# 4. The language buttons of a page whose translation is unpublished led to a 404.


def _choices(response):
    return {choice["code"]: choice["next"] for choice in response.context["languages"]}


def test_the_language_button_leads_to_the_nearest_published_page_in_that_language(client, hub_page):
    english = hub_page.get_translation(Locale.objects.get(language_code="en"))
    english.unpublish()

    response = client.get(hub_page.url)

    assert _choices(response) == {"fr": hub_page.url, "en": "/en/"}
    switched = client.post(reverse("set_language"), {"language": "en", "next": "/en/"})
    assert client.get(switched.url).status_code == 200


def test_the_language_buttons_read_a_bounded_number_of_queries(
    client, hub_page, django_assert_max_num_queries
):
    client.get(hub_page.url)  # warm the site's caches
    with django_assert_max_num_queries(17):
        client.get(hub_page.url)
