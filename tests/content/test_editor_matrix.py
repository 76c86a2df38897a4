"""Who sees which page in the pages admin (/cms/): every role of two hubs and two producers
against every page, in each language, through every admin view that shows a page, lists or
searches pages.

The tests read one world, built once for the module (``tests/worlds.py``): the hub of Lille
with its page, a news item, a pickup point's page and a locked draft of its manager; the hub of
Roubaix with its page; two producers with their portraits; a household. Each test runs in its
own savepoint, so what one test writes (a post the admin refuses, a translation) is gone for
the next.
"""

import json

import pytest
from django.urls import reverse
from wagtail import hooks
from wagtail.admin.site_summary import PagesSummaryItem
from wagtail.models import Locale

from foodhub.content import editors
from foodhub.hubs.models import Hub
from tests import personas, worlds
from tests.content.admin_pages import (
    DRAFT_AUTHOR,
    DRAFT_TITLE,
    add_draft,
    add_news,
    add_pickup_page,
    denied,
    edit_url,
    hub_page_form_data,
    lille_and_its_producer,
)


def _build():
    world = lille_and_its_producer()
    hub_page, manager = world["hub_page"], world["manager"]
    pickup_point = personas.pickup_point(world["hub"])
    other_hub_manager = personas.other_hub_manager()
    other_producer = personas.other_producer()
    other_producer_member = personas.other_producer_member(other_producer)
    return {
        **world,
        "hub_news": add_news(hub_page),
        "hub_pickup_page": add_pickup_page(hub_page, pickup_point),
        "hub_draft": add_draft(hub_page, manager),
        "other_hub_manager": other_hub_manager,
        "roubaix_page": editors.set_up_hub(Hub.objects.get(slug="roubaix")),
        "other_producer_member": other_producer_member,
        "other_portrait": editors.set_up_producer(other_producer),
        "household": personas.household(),
    }


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from worlds.shared(django_db_blocker, _build)


home_page = worlds.fixture("home_page")
hub = worlds.fixture("hub")
manager = worlds.fixture("manager")
hub_page = worlds.fixture("hub_page")
hub_news = worlds.fixture("hub_news")
hub_pickup_page = worlds.fixture("hub_pickup_page")
hub_draft = worlds.fixture("hub_draft")
other_hub_manager = worlds.fixture("other_hub_manager")
roubaix_page = worlds.fixture("roubaix_page")
producer_member = worlds.fixture("producer_member")
portrait = worlds.fixture("portrait")
other_producer_member = worlds.fixture("other_producer_member")
other_portrait = worlds.fixture("other_portrait")
household = worlds.fixture("household")


@pytest.fixture
def everyone(world, db):
    """Every role and page of the matrix (the world)."""


@pytest.fixture
def admin_world(world, db):
    """Every role and page of the admin matrix (the world)."""


# 1. Who may edit what: the matrix, then real admin requests.

ROLES = ["manager", "other_hub_manager", "producer_member", "other_producer_member", "household"]
PAGES = ["hub_page", "hub_news", "roubaix_page", "portrait", "other_portrait", "home_page"]
MAY_EDIT = {
    ("manager", "hub_page"),
    ("manager", "hub_news"),
    ("other_hub_manager", "roubaix_page"),
    ("producer_member", "portrait"),
    ("other_producer_member", "other_portrait"),
}
# A news item and a portrait take no pages below them.
MAY_ADD = {("manager", "hub_page"), ("other_hub_manager", "roubaix_page")}


@pytest.mark.parametrize("page_name", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_who_may_edit_and_publish_which_page(everyone, request, role, page_name):
    user = request.getfixturevalue(role)
    page = request.getfixturevalue(page_name)
    permissions = page.permissions_for_user(user)

    expected = (role, page_name) in MAY_EDIT
    assert permissions.can_edit() is expected
    assert permissions.can_publish() is expected
    assert permissions.can_add_subpage() is ((role, page_name) in MAY_ADD)


@pytest.mark.parametrize(("role", "page_name"), sorted(MAY_EDIT))
def test_the_admin_edit_view_opens_for_the_pages_editors(
    everyone, client, request, role, page_name
):
    client.force_login(request.getfixturevalue(role))
    page = request.getfixturevalue(page_name)

    response = client.get(edit_url(page))

    assert response.status_code == 200
    assert response.context["page"].pk == page.pk


@pytest.mark.parametrize(
    ("role", "page_name"),
    [
        (role, page_name)
        for role in ROLES
        for page_name in PAGES
        if role != "household" and (role, page_name) not in MAY_EDIT
    ],
)
def test_the_admin_edit_view_refuses_everyone_else(everyone, client, request, role, page_name):
    client.force_login(request.getfixturevalue(role))
    page = request.getfixturevalue(page_name)

    assert denied(client.get(edit_url(page)))


def test_another_hubs_manager_cannot_open_the_hubs_child_pages(
    everyone, client, other_hub_manager, hub_news, hub_pickup_page, hub_page
):
    client.force_login(other_hub_manager)

    for page in (hub_news, hub_news.get_parent(), hub_pickup_page):
        assert denied(client.get(edit_url(page)))
        assert not page.permissions_for_user(other_hub_manager).can_edit()
    add_news = reverse("wagtailadmin_pages:add", args=["content", "standardpage", hub_page.pk])
    assert denied(client.get(add_news))


def test_a_household_cannot_enter_the_admin(everyone, client, household, hub_page):
    client.force_login(household)

    for url in (reverse("wagtailadmin_home"), edit_url(hub_page)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_a_producer_member_cannot_add_a_page_anywhere(
    everyone, client, producer_member, portrait, hub_page
):
    client.force_login(producer_member)

    for parent, model in ((portrait, "standardpage"), (hub_page, "standardpage")):
        url = reverse("wagtailadmin_pages:add", args=["content", model, parent.pk])
        assert denied(client.get(url))


def test_an_editor_cannot_post_to_a_page_of_another_hub(
    everyone, client, other_hub_manager, hub_page
):
    client.force_login(other_hub_manager)
    title = hub_page.title

    response = client.post(edit_url(hub_page), hub_page_form_data(hub_page, title="Pris"))

    assert denied(response)
    hub_page.refresh_from_db()
    assert hub_page.title == title


def test_a_translation_made_later_is_editable_by_the_hubs_managers(
    everyone, manager, other_hub_manager, hub_news
):
    english = Locale.objects.get(language_code="en")

    translated = hub_news.copy_for_translation(english, copy_parents=True)

    assert translated.locale == english
    assert translated.permissions_for_user(manager).can_edit()
    assert translated.permissions_for_user(manager).can_publish()
    assert not translated.permissions_for_user(other_hub_manager).can_edit()


def test_another_hubs_manager_cannot_translate_the_hubs_pages(
    everyone, client, other_hub_manager, hub_page, hub_news
):
    client.force_login(other_hub_manager)

    for page in (hub_page, hub_news):
        url = reverse("simple_translation:submit_page_translation", args=[page.pk])
        response = client.get(url)
        assert denied(response), response.status_code


# 2. What editors see in the admin: their own pages' subtrees, in both languages, and the
# pages above them only to walk through (the home page). Every admin view that shows a
# page, for every role, on every kind of page; an unpublished draft under the Lille hub's
# page never shows its title or its author to anyone but the hub's editors.

ADMIN_ROLES = [*ROLES, "anonymous"]
ADMIN_PAGES = ["hub_page", "hub_draft", "roubaix_page", "portrait", "home_page"]
OWNS = {
    ("manager", "hub_page"),
    ("manager", "hub_draft"),
    ("other_hub_manager", "roubaix_page"),
    ("producer_member", "portrait"),
}
EDITORS = {"manager", "other_hub_manager", "producer_member", "other_producer_member"}
# What the owners of a page open (the rest of their rights is tested above).
OWNER_VIEWS = {"explore", "edit", "history", "choose"}
# The views that open a page only to walk below it.
PASSAGE_VIEWS = {"explore", "explore_results", "choose", "chosen", "api", "api_children"}
# The views that answer a list, empty for a page one may not see.
LIST_VIEWS = {"chosen", "api_children"}


def _user(request, role):
    return None if role == "anonymous" else request.getfixturevalue(role)


def _language_copies(page):
    return [page, page.get_translation(Locale.objects.get(language_code="en"))]


def _page_urls(page):
    """Every admin address that shows this page, by a short name."""
    bulk = reverse("wagtail_bulk_action", args=["wagtailcore", "page", "ACTION"])
    urls = {
        "explore": reverse("wagtailadmin_explore", args=[page.pk]),
        "explore_results": reverse("wagtailadmin_explore_results", args=[page.pk]),
        "edit": reverse("wagtailadmin_pages:edit", args=[page.pk]),
        "view_draft": reverse("wagtailadmin_pages:view_draft", args=[page.pk]),
        "preview": reverse("wagtailadmin_pages:preview_on_edit", args=[page.pk]),
        "history": reverse("wagtailadmin_pages:history", args=[page.pk]),
        "history_results": reverse("wagtailadmin_pages:history_results", args=[page.pk]),
        "compare": reverse(
            "wagtailadmin_pages:revisions_compare", args=[page.pk, "earliest", "latest"]
        ),
        "workflow_history": reverse("wagtailadmin_pages:workflow_history", args=[page.pk]),
        "usage": reverse("wagtailadmin_pages:usage", args=[page.pk]),
        "copy": reverse("wagtailadmin_pages:copy", args=[page.pk]),
        "move": reverse("wagtailadmin_pages:move", args=[page.pk]),
        "add_subpage": reverse("wagtailadmin_pages:add_subpage", args=[page.pk]),
        "add": reverse("wagtailadmin_pages:add", args=["content", "standardpage", page.pk]),
        "preview_on_add": reverse(
            "wagtailadmin_pages:preview_on_add", args=["content", "standardpage", page.pk]
        ),
        "delete": reverse("wagtailadmin_pages:delete", args=[page.pk]),
        "unpublish": reverse("wagtailadmin_pages:unpublish", args=[page.pk]),
        "privacy": reverse("wagtailadmin_pages:set_privacy", args=[page.pk]),
        "convert_alias": reverse("wagtailadmin_pages:convert_alias", args=[page.pk]),
        "translate": reverse("simple_translation:submit_page_translation", args=[page.pk]),
        "choose": reverse("wagtailadmin_choose_page_child", args=[page.pk]),
        "chosen": reverse("wagtailadmin_choose_page_chosen_multiple") + f"?id={page.pk}",
        "api": reverse("wagtailadmin_api:pages:detail", args=[page.pk]),
        "api_children": reverse("wagtailadmin_api:pages:listing") + f"?child_of={page.pk}",
    }
    if page.latest_revision_id:  # an alias has none
        urls["revision"] = reverse(
            "wagtailadmin_pages:revisions_view", args=[page.pk, page.latest_revision_id]
        )
    for action in ("delete", "publish", "unpublish", "move"):
        urls[f"bulk_{action}"] = bulk.replace("ACTION", action) + f"?id={page.pk}&next=/cms/"
    return urls


def _site_urls(home_page):
    """The admin addresses that list or search pages."""
    reports = ("locked_pages", "aging_pages", "site_history", "workflow", "workflow_tasks")
    return {
        "explore_root": reverse("wagtailadmin_explore_root"),
        "explore_search": reverse("wagtailadmin_explore", args=[home_page.pk])
        + "?q=Brouillon&search_all=1",
        "search": reverse("wagtailadmin_pages:search") + "?q=Brouillon",
        "search_results": reverse("wagtailadmin_pages:search_results") + "?q=secret",
        "type_use": reverse("wagtailadmin_pages:type_use", args=["content", "standardpage"]),
        "choose_root": reverse("wagtailadmin_choose_page"),
        "choose_type": reverse("wagtailadmin_choose_page") + "?page_type=content.standardpage",
        "choose_search": reverse("wagtailadmin_choose_page_search") + "?q=Brouillon",
        "api_search": reverse("wagtailadmin_api:pages:listing") + "?search=Brouillon",
        "dashboard": reverse("wagtailadmin_home"),
        "page_types": reverse("wagtailadmin_reports:page_types_usage"),
        **{report: reverse(f"wagtailadmin_reports:{report}") for report in reports},
    }


def _refused(response):
    return response.status_code in (403, 404) or (
        response.status_code == 302
        and (
            response.url == reverse("wagtailadmin_home")
            or response.url.startswith(reverse("account_login"))
        )
    )


def _body(response):
    if response.get("Content-Type", "").startswith("application/json"):
        return json.dumps(response.json(), ensure_ascii=False)
    return response.content.decode(errors="replace")


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_an_editor_opens_only_their_own_pages_and_walks_through_the_home_page(
    admin_world, client, request, role
):
    user = _user(request, role)
    if user is not None:
        client.force_login(user)
    for page_name in ADMIN_PAGES:
        owned = (role, page_name) in OWNS
        passage = page_name == "home_page" and role in EDITORS
        for page in _language_copies(request.getfixturevalue(page_name)):
            for view, url in _page_urls(page).items():
                if owned and view not in OWNER_VIEWS:
                    continue
                response = client.get(url)
                where = f"{role} {view} {page_name} ({page.locale.language_code})"
                if owned:
                    assert response.status_code == 200, where
                    assert page.title in _body(response), where
                elif passage and view in PASSAGE_VIEWS:
                    assert response.status_code == 200, where
                elif view in LIST_VIEWS:
                    assert _refused(response) or page.title not in _body(response), where
                else:
                    assert _refused(response), (where, response.status_code)
                if role != "manager":
                    assert DRAFT_TITLE not in _body(response), where
                    assert DRAFT_AUTHOR not in _body(response), where


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_lists_searches_and_reports_show_an_editor_their_own_pages_only(
    admin_world, client, request, role, home_page
):
    user = _user(request, role)
    if user is not None:
        client.force_login(user)
    seen = set()
    for view, url in _site_urls(home_page).items():
        response = client.get(url)
        assert response.status_code < 500, (role, view)
        assert role in EDITORS or _refused(response), (role, view)
        if DRAFT_TITLE in _body(response):
            seen.add(view)
        if role != "manager":
            assert DRAFT_TITLE not in _body(response), (role, view)
            assert DRAFT_AUTHOR not in _body(response), (role, view)
    if role == "manager":  # the hub's own editors find their draft everywhere
        assert {
            "explore_search",
            "search",
            "search_results",
            "type_use",
            "choose_search",
            "api_search",
            "locked_pages",
            "site_history",
        } <= seen


def test_the_page_types_report_is_for_the_platforms_administrators(
    admin_world, client, manager, admin_user
):
    url = reverse("wagtailadmin_reports:page_types_usage")
    client.force_login(manager)
    assert _refused(client.get(url))
    reports = client.get(reverse("wagtailadmin_home")).content.decode()
    assert url not in reports

    client.force_login(admin_user)
    response = client.get(url)
    assert response.status_code == 200
    assert DRAFT_TITLE in response.content.decode()


def test_the_platforms_administrators_still_see_every_page(
    admin_world, client, admin_user, hub_draft, roubaix_page, home_page
):
    client.force_login(admin_user)

    for page in (hub_draft, roubaix_page):
        assert client.get(reverse("wagtailadmin_explore", args=[page.pk])).status_code == 200
        response = client.get(reverse("wagtailadmin_choose_page_child", args=[page.pk]))
        assert response.status_code == 200
    search = client.get(reverse("wagtailadmin_pages:search") + "?q=Brouillon")
    assert DRAFT_TITLE in search.content.decode()
    history = client.get(reverse("wagtailadmin_reports:site_history"))
    assert DRAFT_TITLE in history.content.decode()


def test_the_home_page_lists_only_the_way_to_an_editors_own_pages(
    admin_world, client, other_hub_manager, roubaix_page, hub_page, home_page
):
    client.force_login(other_hub_manager)

    for home, own in zip(_language_copies(home_page), _language_copies(roubaix_page), strict=True):
        for url in (
            reverse("wagtailadmin_explore", args=[home.pk]),
            reverse("wagtailadmin_choose_page_child", args=[home.pk]),
        ):
            body = client.get(url).content.decode()
            assert own.title in body
            assert hub_page.title not in body
            assert "Nos producteurs" not in body and "Our producers" not in body


def test_the_dashboard_counts_an_editors_own_pages(admin_world, rf, other_hub_manager):
    request = rf.get(reverse("wagtailadmin_home"))
    request.user = other_hub_manager
    items = []
    for hook in hooks.get_hooks("construct_homepage_summary_items"):
        hook(request, items)

    pages = next(item for item in items if isinstance(item, PagesSummaryItem))

    # The hub's page in French and in English.
    assert pages.get_context_data({})["total_pages"] == 2
