"""Who edits which public pages in the Wagtail admin (/cms/).

A hub's managers edit their hub's page and what is below it, in every language; a
producer's members edit its portrait only; nobody edits another hub's or producer's pages;
a household never gets into the admin. All of it set up through Wagtail groups and page
permissions when a hub or producer is created (``editors``, ``receivers``).
"""

import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone, translation
from wagtail import hooks
from wagtail.admin.site_summary import PagesSummaryItem
from wagtail.models import (
    Collection,
    GroupCollectionPermission,
    GroupPagePermission,
    Locale,
    Page,
)
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from foodhub.content import editors
from foodhub.content.editors import publish
from foodhub.content.models import (
    EditorGroup,
    HubPage,
    NewsIndexPage,
    NewsPage,
    PickupPointPage,
    ProducerIndexPage,
    ProducerPage,
    StandardPage,
)
from foodhub.hubs.models import Hub
from tests import factories


def _codenames(group, page):
    return set(
        GroupPagePermission.objects.filter(group=group, page=page).values_list(
            "permission__codename", flat=True
        )
    )


def _in(user, editor_group):
    return editor_group.group.user_set.filter(pk=user.pk).exists()


def _fresh(user):
    return type(user).objects.get(pk=user.pk)


def _edit_url(page):
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def _denied(response):
    """Wagtail turns a refused admin view into a redirect to the dashboard."""
    return response.status_code == 403 or (
        response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    )


# 1. Creating a hub or a producer sets up its editors.


def test_creating_a_hub_gives_it_a_group_a_published_page_in_both_languages_and_permissions(
    home_page, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        hub = factories.HubFactory(name="Drive de Tourcoing", slug="tourcoing")

    editor_group = EditorGroup.objects.get(hub=hub)
    page = HubPage.objects.get(hub=hub, locale=home_page.locale)
    assert page.live
    assert page.get_parent().pk == home_page.pk
    assert page.slug == "tourcoing-presentation"
    english = HubPage.objects.get(hub=hub, locale__language_code="en")
    assert english.alias_of_id == page.pk
    assert english.get_parent().pk == home_page.get_translation(english.locale).pk
    for copy in (page, english):
        assert {"add_page", "change_page", "publish_page"} <= _codenames(editor_group.group, copy)
    image_codenames = set(
        GroupCollectionPermission.objects.filter(
            group=editor_group.group, collection=editor_group.collection
        ).values_list("permission__codename", flat=True)
    )
    assert image_codenames == {"add_image", "change_image", "choose_image"}
    assert editor_group.group.permissions.filter(codename="access_admin").exists()


def test_creating_a_producer_gives_it_a_portrait_its_members_may_change_but_not_grow(
    home_page, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        producer = factories.ProducerFactory(name="Verger de Comines", slug="verger-comines")

    editor_group = EditorGroup.objects.get(producer=producer)
    page = ProducerPage.objects.get(producer=producer, locale=home_page.locale)
    assert page.live
    assert isinstance(page.get_parent().specific, ProducerIndexPage)
    english = ProducerPage.objects.get(producer=producer, locale__language_code="en")
    assert english.alias_of_id == page.pk
    for copy in (page, english):
        assert _codenames(editor_group.group, copy) == {"change_page", "publish_page"}
    assert GroupCollectionPermission.objects.filter(
        group=editor_group.group, collection=editor_group.collection
    ).count() == len(editors.IMAGE_PERMISSIONS)


def _what_set_up_makes():
    return (
        Page.objects.count(),
        EditorGroup.objects.count(),
        Group.objects.count(),
        GroupPagePermission.objects.count(),
        GroupCollectionPermission.objects.count(),
        Collection.objects.count(),
    )


def test_setting_up_a_hub_or_a_producer_twice_creates_nothing_more(
    hub, manager, producer, producer_member, home_page
):
    editors.set_up_hub(hub)
    editors.set_up_producer(producer)
    before = _what_set_up_makes()

    editors.set_up_hub(hub)
    editors.set_up_producer(producer)
    editors.set_up_all()

    assert _what_set_up_makes() == before
    assert _in(manager, EditorGroup.objects.get(hub=hub))


def test_a_new_hub_never_takes_over_a_group_that_has_its_name(
    hub_page, hub, manager, home_page, django_capture_on_commit_callbacks
):
    """The hub "lille" moved to another address; a new hub takes "lille": it gets a group
    of its own, and the first hub's managers are not its editors."""
    hub.slug = "lille-centre"
    hub.save()

    with django_capture_on_commit_callbacks(execute=True):
        newcomer = factories.HubFactory(name="Drive de Lille-Sud", slug="lille")

    first, second = EditorGroup.objects.get(hub=hub), EditorGroup.objects.get(hub=newcomer)
    assert first.group_id != second.group_id
    assert not _in(_fresh(manager), second)
    new_page = HubPage.objects.get(hub=newcomer, locale=home_page.locale)
    assert not new_page.permissions_for_user(_fresh(manager)).can_edit()


def test_a_new_hub_never_adopts_a_group_made_by_hand(
    home_page, household, django_capture_on_commit_callbacks
):
    lookalike = Group.objects.create(name="Hub tourcoing: editors")
    lookalike.user_set.add(household)

    with django_capture_on_commit_callbacks(execute=True):
        hub = factories.HubFactory(name="Drive de Tourcoing", slug="tourcoing")

    assert EditorGroup.objects.get(hub=hub).group_id != lookalike.pk
    page = HubPage.objects.get(hub=hub, locale=home_page.locale)
    assert not page.permissions_for_user(household).can_edit()


def test_setting_up_a_hub_runs_a_bounded_number_of_queries(
    hub, manager, home_page, django_assert_max_num_queries
):
    # Measured: 200 queries for a new hub (group, collection, page, revision,
    # publication, English alias, permissions), 32 when all is already there.
    with django_assert_max_num_queries(230):
        editors.set_up_hub(hub)
    with django_assert_max_num_queries(40):
        editors.set_up_hub(hub)


# 2. Membership follows the hub's managers and the producer's members.


def test_a_new_hub_manager_joins_the_editors_and_leaves_with_the_membership(
    hub_page, hub, django_capture_on_commit_callbacks
):
    editor_group = EditorGroup.objects.get(hub=hub)
    user = factories.UserFactory(email="nouvelle@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        membership = factories.HubMembershipFactory(hub=hub, user=user)
    assert _in(user, editor_group)

    with django_capture_on_commit_callbacks(execute=True):
        membership.delete()
    assert not _in(user, editor_group)


def test_a_new_producer_member_joins_the_portrait_group_and_leaves_with_the_membership(
    portrait, producer, django_capture_on_commit_callbacks
):
    editor_group = EditorGroup.objects.get(producer=producer)
    user = factories.UserFactory(email="associe@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        membership = factories.ProducerMembershipFactory(producer=producer, user=user)
    assert _in(user, editor_group)

    with django_capture_on_commit_callbacks(execute=True):
        membership.delete()
    assert not _in(user, editor_group)


def test_managers_of_a_hub_created_with_its_team_are_editors(
    home_page, django_capture_on_commit_callbacks
):
    user = factories.UserFactory(email="fondatrice@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        hub = factories.HubFactory(name="Drive de Lomme", slug="lomme")
        factories.HubMembershipFactory(hub=hub, user=user)

    assert _in(user, EditorGroup.objects.get(hub=hub))
    assert (
        HubPage.objects.get(hub=hub, locale=home_page.locale).permissions_for_user(user).can_edit()
    )


def test_leaving_one_hub_keeps_the_editing_rights_on_another(
    hub_page, hub, manager, home_page, django_capture_on_commit_callbacks
):
    other = factories.HubFactory(name="Drive de Roubaix", slug="roubaix")
    other_page = editors.set_up_hub(other)
    with django_capture_on_commit_callbacks(execute=True):
        membership = factories.HubMembershipFactory(hub=other, user=manager)
    assert other_page.permissions_for_user(manager).can_edit()

    with django_capture_on_commit_callbacks(execute=True):
        membership.delete()

    manager = _fresh(manager)  # Wagtail caches a user's page permissions on the instance
    assert not other_page.permissions_for_user(manager).can_edit()
    assert hub_page.permissions_for_user(manager).can_edit()


# 3. Who may edit what: the matrix, then real admin requests.


@pytest.fixture
def roubaix_page(other_hub_manager):
    return editors.set_up_hub(Hub.objects.get(slug="roubaix"))


@pytest.fixture
def other_portrait(other_producer, other_producer_member, home_page):
    return editors.set_up_producer(other_producer)


@pytest.fixture
def hub_news(hub_page):
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


@pytest.fixture
def hub_pickup_page(hub_page, pickup_point):
    page = hub_page.add_child(
        instance=PickupPointPage(
            title="La Ruche de Fives",
            slug="ruche-fives-page",
            locale=hub_page.locale,
            pickup_point=pickup_point,
        )
    )
    return publish(page)


@pytest.fixture
def everyone(
    hub_page,
    hub_news,
    hub_pickup_page,
    roubaix_page,
    portrait,
    other_portrait,
    household,
    home_page,
):
    """Every role and page of the matrix, set up together."""


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

    response = client.get(_edit_url(page))

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

    assert _denied(client.get(_edit_url(page)))


def test_another_hubs_manager_cannot_open_the_hubs_child_pages(
    everyone, client, other_hub_manager, hub_news, hub_pickup_page, hub_page
):
    client.force_login(other_hub_manager)

    for page in (hub_news, hub_news.get_parent(), hub_pickup_page):
        assert _denied(client.get(_edit_url(page)))
        assert not page.permissions_for_user(other_hub_manager).can_edit()
    add_news = reverse("wagtailadmin_pages:add", args=["content", "standardpage", hub_page.pk])
    assert _denied(client.get(add_news))


def test_a_household_cannot_enter_the_admin(everyone, client, household, hub_page):
    client.force_login(household)

    for url in (reverse("wagtailadmin_home"), _edit_url(hub_page)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_a_manager_sees_the_hubs_pages_in_the_explorer(client, manager, hub_page, hub_news):
    client.force_login(manager)

    response = client.get(reverse("wagtailadmin_explore", args=[hub_page.pk]))

    assert response.status_code == 200
    assert "Actualités" in response.content.decode()


def _hub_page_form_data(page, **changes):
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


def test_a_manager_edits_and_publishes_the_hub_page(client, manager, hub_page):
    client.force_login(manager)
    assert client.get(_edit_url(hub_page)).status_code == 200

    response = client.post(
        _edit_url(hub_page), _hub_page_form_data(hub_page, title="Le drive de Lille")
    )

    assert response.status_code == 302, response.context["form"].errors
    hub_page.refresh_from_db()
    assert hub_page.title == "Le drive de Lille"
    assert hub_page.live and not hub_page.has_unpublished_changes


def test_a_manager_adds_a_page_under_the_hub_page(client, manager, hub_page):
    client.force_login(manager)
    url = reverse("wagtailadmin_pages:add", args=["content", "standardpage", hub_page.pk])
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        nested_form_data(
            {
                "title": "Notre charte",
                "slug": "charte",
                "intro": "",
                "image_alt": "",
                "body": streamfield([]),
                "comments": inline_formset([]),
                "action-publish": "action-publish",
            }
        ),
    )

    assert response.status_code == 302, response.context["form"].errors
    charter = StandardPage.objects.child_of(hub_page).get(slug="charte")
    assert charter.live
    assert charter.permissions_for_user(manager).can_edit()


def test_a_producer_member_edits_and_publishes_the_portrait(client, producer_member, portrait):
    client.force_login(producer_member)

    response = client.post(
        _edit_url(portrait),
        nested_form_data(
            {
                "title": "Ferme du Mélantois, maraîchage bio",
                "slug": portrait.slug,
                "intro": "",
                "image_alt": "",
                "place": "Gruson (59)",
                "portrait": rich_text("<p>Trois générations.</p>"),
                "practices": rich_text(""),
                "farm_photos": streamfield([]),
                "comments": inline_formset([]),
                "action-publish": "action-publish",
            }
        ),
    )

    assert response.status_code == 302, response.context["form"].errors
    portrait.refresh_from_db()
    assert portrait.title == "Ferme du Mélantois, maraîchage bio"
    assert portrait.place == "Gruson (59)"
    assert portrait.live and not portrait.has_unpublished_changes


def test_a_producer_member_cannot_add_a_page_anywhere(
    everyone, client, producer_member, portrait, hub_page
):
    client.force_login(producer_member)

    for parent, model in ((portrait, "standardpage"), (hub_page, "standardpage")):
        url = reverse("wagtailadmin_pages:add", args=["content", model, parent.pk])
        assert _denied(client.get(url))


def test_an_editor_cannot_post_to_a_page_of_another_hub(
    everyone, client, other_hub_manager, hub_page
):
    client.force_login(other_hub_manager)
    title = hub_page.title

    response = client.post(_edit_url(hub_page), _hub_page_form_data(hub_page, title="Pris"))

    assert _denied(response)
    hub_page.refresh_from_db()
    assert hub_page.title == title


@pytest.mark.parametrize("bulk", [False, True])
def test_editors_cannot_delete_their_hub_page_or_portrait(
    client, manager, producer_member, hub_page, portrait, bulk
):
    """Wagtail lets whoever edits a page with no children delete it; the hub page and the
    portrait belong to their hub or producer, so the admin refuses (wagtail_hooks)."""
    for user, page in ((manager, hub_page), (producer_member, portrait)):
        client.force_login(user)
        if bulk:
            url = (
                reverse("wagtail_bulk_action", args=["wagtailcore", "page", "delete"])
                + f"?id={page.pk}&next=/cms/"
            )
        else:
            url = reverse("wagtailadmin_pages:delete", args=[page.pk])
        response = client.post(url, follow=True)
        assert type(page).objects.filter(pk=page.pk).exists()
        assert page.get_translations().exists()  # its English copy too
        assert any("ne peut pas être supprimé" in str(m) for m in response.context["messages"])


# 4. The English copy.


def test_the_manager_may_edit_the_english_copy_of_the_hub_page(client, manager, hub_page):
    english = hub_page.get_translation(Locale.objects.get(language_code="en"))
    client.force_login(manager)

    assert english.permissions_for_user(manager).can_edit()
    assert english.permissions_for_user(manager).can_publish()
    assert client.get(_edit_url(english)).status_code == 200
    # An alias follows the French page; the manager turns it into a page of its own.
    response = client.post(reverse("wagtailadmin_pages:convert_alias", args=[english.pk]))
    assert response.status_code == 302
    english.refresh_from_db()
    assert english.alias_of_id is None

    response = client.post(
        _edit_url(english), _hub_page_form_data(english, title="Lille farm drive")
    )

    assert response.status_code == 302, response.context["form"].errors
    english.refresh_from_db()
    hub_page.refresh_from_db()
    assert english.title == "Lille farm drive"
    assert hub_page.title == "Drive fermier de Lille"


def test_a_translation_made_later_is_editable_by_the_hubs_managers(
    everyone, manager, other_hub_manager, hub_news
):
    english = Locale.objects.get(language_code="en")

    translated = hub_news.copy_for_translation(english, copy_parents=True)

    assert translated.locale == english
    assert translated.permissions_for_user(manager).can_edit()
    assert translated.permissions_for_user(manager).can_publish()
    assert not translated.permissions_for_user(other_hub_manager).can_edit()


def test_the_translate_view_gives_the_new_copy_to_the_hubs_managers(
    client, manager, hub_page, hub_news
):
    english = Locale.objects.get(language_code="en")
    client.force_login(manager)
    url = reverse("simple_translation:submit_page_translation", args=[hub_news.pk])
    assert client.get(url).status_code == 200

    response = client.post(url, {"locales": [english.pk]})

    translated = hub_news.get_translation(english)
    assert response.status_code == 302
    assert response.url == _edit_url(translated)
    assert client.get(_edit_url(translated)).status_code == 200


def test_a_hub_page_translated_again_is_granted_to_its_managers(
    client, manager, other_hub_manager, hub, hub_page
):
    """A new HubPage in a language (here: the English copy, deleted then translated in the
    admin) gets the hub's permissions of its own, not only through its parent."""
    english = Locale.objects.get(language_code="en")
    hub_page.get_translation(english).delete()
    client.force_login(manager)

    response = client.post(
        reverse("simple_translation:submit_page_translation", args=[hub_page.pk]),
        {"locales": [english.pk]},
    )

    assert response.status_code == 302
    translated = HubPage.objects.get(hub=hub, locale=english)
    group = EditorGroup.objects.get(hub=hub).group
    assert {"add_page", "change_page", "publish_page"} <= _codenames(group, translated)
    assert translated.permissions_for_user(_fresh(manager)).can_edit()
    assert not translated.permissions_for_user(other_hub_manager).can_edit()


def test_another_hubs_manager_cannot_translate_the_hubs_pages(
    everyone, client, other_hub_manager, hub_page, hub_news
):
    client.force_login(other_hub_manager)

    for page in (hub_page, hub_news):
        url = reverse("simple_translation:submit_page_translation", args=[page.pk])
        response = client.get(url)
        assert _denied(response), response.status_code


# 5. Addresses the application already uses, and pickup points of other hubs.


def _standard_page_form(parent, user, slug):
    form_class = StandardPage.get_edit_handler().get_form_class()
    data = nested_form_data(
        {
            "title": "Une page",
            "slug": slug,
            "intro": "",
            "image_alt": "",
            "body": streamfield([]),
            "comments": inline_formset([]),
        }
    )
    return form_class(data, instance=StandardPage(), parent_page=parent, for_user=user)


@pytest.mark.parametrize(
    "slug",
    [
        "lille",  # the hub's shop
        "orders",  # the households' orders
        "accounts",  # allauth leaves /accounts/ itself to Wagtail, but its pages are below
        "en",  # the English home
    ],
)
def test_a_top_level_page_cannot_take_an_address_the_site_uses(hub, home_page, admin_user, slug):
    form = _standard_page_form(home_page, admin_user, slug)

    assert not form.is_valid()
    assert list(form.errors) == ["slug"]
    assert f"“{slug}”" in form.errors["slug"][0] or f"«\xa0{slug}\xa0»" in form.errors["slug"][0]


def test_the_address_refusal_is_in_french(hub, home_page, admin_user):
    form = _standard_page_form(home_page, admin_user, "lille")

    assert not form.is_valid()
    assert form.errors["slug"] == [
        "L’adresse «\xa0lille\xa0» est déjà utilisée par le site "
        "(une boutique ou une page de l’application). Choisissez-en une autre."
    ]


def test_the_address_check_does_not_depend_on_the_editors_language(hub, home_page, admin_user):
    with translation.override("en"):
        form = _standard_page_form(home_page, admin_user, "lille")
        assert not form.is_valid()


def test_an_english_page_cannot_take_the_english_address_of_a_shop(hub, home_page, admin_user):
    english_home = home_page.get_translation(Locale.objects.get(language_code="en"))

    form = _standard_page_form(english_home, admin_user, "lille")

    assert not form.is_valid()


def test_a_top_level_page_cannot_take_the_english_prefix(hub, home_page, admin_user):
    form = _standard_page_form(home_page, admin_user, "en")

    assert not form.is_valid()


def test_a_top_level_page_may_take_a_free_address(hub, home_page, admin_user):
    form = _standard_page_form(home_page, admin_user, "qui-sommes-nous")

    assert form.is_valid(), form.errors


def test_a_page_under_the_hub_page_may_reuse_a_shop_slug(hub_page, manager):
    # /lille-presentation/lille/ is nobody's address: only top-level slugs clash.
    form = _standard_page_form(hub_page, manager, "lille")

    assert form.is_valid(), form.errors


def test_a_pickup_point_page_must_be_for_a_place_serving_the_hub(hub_page, pickup_point, manager):
    elsewhere = factories.PickupPointFactory(name="Café de Roubaix", slug="cafe-roubaix")
    form_class = PickupPointPage.get_edit_handler().get_form_class()

    def form(point):
        data = nested_form_data(
            {
                "title": point.name,
                "slug": point.slug,
                "intro": "",
                "image_alt": "",
                "pickup_point": point.pk,
                "directions": rich_text(""),
                "hours": "",
                "about": rich_text(""),
                "comments": inline_formset([]),
            }
        )
        return form_class(data, instance=PickupPointPage(), parent_page=hub_page, for_user=manager)

    refused = form(elsewhere)
    assert not refused.is_valid()
    assert "pickup_point" in refused.errors
    assert form(pickup_point).is_valid()


def test_editor_groups_have_no_model_permissions_beyond_the_admin_and_translation(hub_page, hub):
    group = EditorGroup.objects.get(hub=hub).group
    assert set(group.permissions.values_list("codename", flat=True)) == {
        "access_admin",
        "submit_translation",
    }
    assert not Permission.objects.filter(group=group, codename__startswith="delete").exists()


# 6. What editors see in the admin: their own pages' subtrees, in both languages, and the
# pages above them only to walk through (the home page). Every admin view that shows a
# page, for every role, on every kind of page; an unpublished draft under the Lille hub's
# page never shows its title or its author to anyone but the hub's editors.

DRAFT_TITLE = "Brouillon secret de Lille"
DRAFT_AUTHOR = "Nadia Gestion"  # the manager fixture's name


@pytest.fixture
def hub_draft(hub_page, manager, django_capture_on_commit_callbacks):
    """A draft (never published) under the hub's page, written and locked by its manager,
    with its English alias; indexed for search (the index follows the commit)."""
    with django_capture_on_commit_callbacks(execute=True):
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


@pytest.fixture
def admin_world(hub_draft, roubaix_page, portrait, other_portrait, household, home_page):
    """Every role and page of the admin matrix, set up together."""


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


@pytest.mark.parametrize("page_count", [1, 12])
def test_an_editors_explorer_and_page_chooser_run_a_bounded_number_of_queries(
    client, manager, hub_page, page_count, django_assert_max_num_queries
):
    """The access checks cost a few queries per view, whatever the number of pages (the
    chooser's own count of each listed page's children is Wagtail's, 25 pages at most)."""
    for n in range(page_count):
        hub_page.add_child(
            instance=StandardPage(title=f"Page {n}", slug=f"page-{n}", locale=hub_page.locale)
        )
    client.force_login(manager)
    client.get(reverse("wagtailadmin_home"))  # the session and the admin's caches

    # Measured: the explorer 41 queries with 1 page or 12; the chooser 27 and 60.
    with django_assert_max_num_queries(50):
        response = client.get(reverse("wagtailadmin_explore", args=[hub_page.pk]))
    assert response.status_code == 200
    with django_assert_max_num_queries(30 + 3 * page_count):
        response = client.get(reverse("wagtailadmin_choose_page_child", args=[hub_page.pk]))
    assert response.status_code == 200
