"""Who edits which public pages in the Wagtail admin (/cms/).

A hub's managers edit their hub's page and what is below it, in every language; a
producer's members edit its portrait only; nobody edits another hub's or producer's pages;
a household never gets into the admin. All of it set up through Wagtail groups and page
permissions when a hub or producer is created (``editors``, ``receivers``).
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import translation
from wagtail.models import (
    Collection,
    GroupCollectionPermission,
    GroupPagePermission,
    Locale,
    Page,
)
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from foodhub.content import editors
from foodhub.content.models import (
    EditorGroup,
    HubPage,
    PickupPointPage,
    ProducerIndexPage,
    ProducerPage,
    StandardPage,
)
from tests import factories
from tests.content.admin_pages import add_news, codenames, edit_url, hub_page_form_data


def _in(user, editor_group):
    return editor_group.group.user_set.filter(pk=user.pk).exists()


def _fresh(user):
    return type(user).objects.get(pk=user.pk)


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
        assert {"add_page", "change_page", "publish_page"} <= codenames(editor_group.group, copy)
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
        assert codenames(editor_group.group, copy) == {"change_page", "publish_page"}
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


# 3. Real admin requests (every role against every page: test_editor_matrix.py).


@pytest.fixture
def hub_news(hub_page):
    return add_news(hub_page)


def test_a_manager_sees_the_hubs_pages_in_the_explorer(client, manager, hub_page, hub_news):
    client.force_login(manager)

    response = client.get(reverse("wagtailadmin_explore", args=[hub_page.pk]))

    assert response.status_code == 200
    assert "Actualités" in response.content.decode()


def test_a_manager_edits_and_publishes_the_hub_page(client, manager, hub_page):
    client.force_login(manager)
    assert client.get(edit_url(hub_page)).status_code == 200

    response = client.post(
        edit_url(hub_page), hub_page_form_data(hub_page, title="Le drive de Lille")
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
        edit_url(portrait),
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
    assert client.get(edit_url(english)).status_code == 200
    # An alias follows the French page; the manager turns it into a page of its own.
    response = client.post(reverse("wagtailadmin_pages:convert_alias", args=[english.pk]))
    assert response.status_code == 302
    english.refresh_from_db()
    assert english.alias_of_id is None

    response = client.post(edit_url(english), hub_page_form_data(english, title="Lille farm drive"))

    assert response.status_code == 302, response.context["form"].errors
    english.refresh_from_db()
    hub_page.refresh_from_db()
    assert english.title == "Lille farm drive"
    assert hub_page.title == "Drive fermier de Lille"


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
    assert response.url == edit_url(translated)
    assert client.get(edit_url(translated)).status_code == 200


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
    assert {"add_page", "change_page", "publish_page"} <= codenames(group, translated)
    assert translated.permissions_for_user(_fresh(manager)).can_edit()
    assert not translated.permissions_for_user(other_hub_manager).can_edit()


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


# 6. What the access checks of the admin's lists cost (what they let each role see:
# test_editor_matrix.py).


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
