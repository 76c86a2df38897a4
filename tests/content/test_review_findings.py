"""Defects found reviewing the public site (Wagtail pages, editors, addresses, languages)."""

import os
import subprocess
import sys
from pathlib import Path

from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from foodhub.content.models import StandardPage

ROOT = Path(__file__).resolve().parents[2]


def _standard_page_form(parent, user, slug):
    form_class = StandardPage.get_edit_handler().get_form_class()
    data = nested_form_data(
        {
            "title": "En bref",
            "slug": slug,
            "intro": "",
            "image_alt": "",
            "body": streamfield([]),
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
