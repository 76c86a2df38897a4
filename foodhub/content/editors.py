"""Who edits which public pages, set up with Wagtail's groups and page permissions.

Each hub gets a group whose members (its managers) may add, edit and publish its hub page
and everything below it; each producer gets a group whose members may edit and publish
its portrait only. Permissions are granted on the page in every language tree, and each
group uploads and chooses images in its own collection.

Called when a hub or producer is created or someone joins or leaves it (``receivers``),
and by ``manage.py set_up_public_pages`` for an existing installation. Everything here
can run twice.
"""

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from wagtail.models import (
    Collection,
    GroupCollectionPermission,
    GroupPagePermission,
    Locale,
    Page,
    Site,
)

from foodhub.hubs.models import Hub, HubMembership
from producers.models import Producer, ProducerMembership

from .models import EditorGroup, HomePage, HubPage, ProducerIndexPage, ProducerPage

HUB_PAGE_PERMISSIONS = ("add_page", "change_page", "publish_page", "lock_page", "unlock_page")
PORTRAIT_PERMISSIONS = ("change_page", "publish_page")
IMAGE_PERMISSIONS = ("add_image", "change_image", "choose_image")
ADMIN_PERMISSIONS = (
    ("wagtailadmin", "access_admin"),
    ("simple_translation", "submit_translation"),
)


def publish(page: Page) -> Page:
    page.save_revision().publish()
    return page


def add_aliases(page: Page) -> None:
    """Give the page an alias in every other language, so every tree has it."""
    for locale in Locale.objects.exclude(pk=page.locale_id):
        if not page.has_translation(locale):
            page.copy_for_translation(locale, copy_parents=True, alias=True)


@transaction.atomic
def ensure_site() -> HomePage:
    """The languages, the home page and the default site: created when missing."""
    locales = {
        code: Locale.objects.get_or_create(language_code=code)[0]
        for code, _name in settings.WAGTAIL_CONTENT_LANGUAGES
    }
    default = locales[settings.LANGUAGE_CODE]
    root = Page.get_first_root_node()
    if root is None:
        root = Page.add_root(instance=Page(title="Root", slug="root", locale=default))
    home = HomePage.objects.filter(depth=2, locale=default).first()
    if home is None:
        with translation.override(settings.LANGUAGE_CODE):
            home = root.add_child(
                instance=HomePage(title=_("Welcome"), slug="accueil", locale=default)
            )
        publish(home)
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost",
            port=80,
            site_name=settings.SITE_NAME,
            root_page=home,
            is_default_site=True,
        )
    elif not HomePage.objects.filter(pk=site.root_page_id).exists():
        # Wagtail's own welcome page, or a page deleted: never a home an operator chose.
        site.root_page = home
        site.save()
    add_aliases(home)
    return home


def producer_index() -> ProducerIndexPage:
    home = ensure_site()
    index = ProducerIndexPage.objects.child_of(home).first()
    if index is None:
        with translation.override(settings.LANGUAGE_CODE):
            index = home.add_child(
                instance=ProducerIndexPage(
                    title=_("Our producers"), slug="producteurs", locale=home.locale
                )
            )
        publish(index)
        add_aliases(index)
    return index


def _free_slug(parent: Page, wanted: str) -> str:
    slug, n = wanted, 1
    while not Page._slug_is_available(slug, parent):
        n += 1
        slug = f"{wanted}-{n}"
    return slug


def _permissions(app_label: str, codenames) -> list[Permission]:
    return list(
        Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
    )


def _free_group_name(wanted: str) -> str:
    name, n = wanted, 1
    while Group.objects.filter(name=name).exists():
        n += 1
        name = f"{wanted} ({n})"
    return name


def _editor_group(*, hub: Hub | None = None, producer: Producer | None = None) -> EditorGroup:
    lookup = {"hub": hub} if hub is not None else {"producer": producer}
    editors = EditorGroup.objects.select_related("group").filter(**lookup).first()
    if editors is not None:
        return editors
    with translation.override(settings.LANGUAGE_CODE):
        if hub is not None:
            name = _("Hub %(slug)s: editors") % {"slug": hub.slug}
        else:
            name = _("Producer %(slug)s: portrait") % {"slug": producer.slug}
        owner = hub or producer
        root = Collection.get_first_root_node() or Collection.add_root(name="Root")
        collection = root.add_child(name=owner.name)
    # Always a new group: one found by its name may be another hub's (its slug changed)
    # or a group made by hand, and its members would become this one's editors.
    group = Group.objects.create(name=_free_group_name(name))
    group.permissions.add(
        *[
            permission
            for app_label, codename in ADMIN_PERMISSIONS
            for permission in _permissions(app_label, [codename])
        ]
    )
    for permission in _permissions("wagtailimages", IMAGE_PERMISSIONS):
        GroupCollectionPermission.objects.get_or_create(
            group=group, collection=collection, permission=permission
        )
    return EditorGroup.objects.create(group=group, collection=collection, **lookup)


def grant_page(page: Page) -> None:
    """Give a hub page (and what is below it) or a portrait to its editors' group."""
    page = page.specific
    if isinstance(page, HubPage):
        editors = EditorGroup.objects.filter(hub_id=page.hub_id).first()
        codenames = HUB_PAGE_PERMISSIONS
    elif isinstance(page, ProducerPage):
        editors = EditorGroup.objects.filter(producer_id=page.producer_id).first()
        codenames = PORTRAIT_PERMISSIONS
    else:
        return
    if editors is None:
        return
    for permission in _permissions("wagtailcore", codenames):
        GroupPagePermission.objects.get_or_create(
            group_id=editors.group_id, page=page, permission=permission
        )


def _set_up_owned_page(parent: Page, page_model, owner, slug: str):
    """The owner's page under ``parent`` (created, published and given aliases in the
    other languages when missing), every language's copy granted to its editors."""
    owner_field = page_model.owner_field
    pages = page_model.objects.filter(**{owner_field: owner})
    page = pages.filter(locale=parent.locale).first()
    if page is None:
        page = parent.add_child(
            instance=page_model(
                title=owner.name,
                slug=_free_slug(parent, slug),
                locale=parent.locale,
                intro=Truncator(owner.description).chars(400),
                **{owner_field: owner},
            )
        )
        publish(page)
        add_aliases(page)
    for translated in pages:
        grant_page(translated)
    return page


@transaction.atomic
def set_up_hub(hub: Hub) -> HubPage:
    """The hub's editors' group, its page (published, in every language) and permissions."""
    editors = _editor_group(hub=hub)
    page = _set_up_owned_page(ensure_site(), HubPage, hub, f"{hub.slug}-presentation")
    managers = HubMembership.objects.filter(hub=hub, role=HubMembership.Role.MANAGER)
    editors.group.user_set.add(*managers.values_list("user_id", flat=True))
    return page


@transaction.atomic
def set_up_producer(producer: Producer) -> ProducerPage:
    """The producer's group, its portrait (published, in every language) and permissions."""
    editors = _editor_group(producer=producer)
    page = _set_up_owned_page(producer_index(), ProducerPage, producer, producer.slug)
    members = ProducerMembership.objects.filter(producer=producer)
    editors.group.user_set.add(*members.values_list("user_id", flat=True))
    return page


def _group_of(hub_id: int | None, producer_id: int | None) -> Group | None:
    lookup = {"hub_id": hub_id} if hub_id is not None else {"producer_id": producer_id}
    editors = EditorGroup.objects.select_related("group").filter(**lookup).first()
    return editors.group if editors is not None else None


def add_editor(*, user_id: int, hub_id: int | None = None, producer_id: int | None = None):
    if group := _group_of(hub_id, producer_id):
        group.user_set.add(user_id)


def remove_editor(*, user_id: int, hub_id: int | None = None, producer_id: int | None = None):
    if group := _group_of(hub_id, producer_id):
        group.user_set.remove(user_id)


def set_up_all() -> tuple[int, int]:
    """Every hub and producer: for an installation that had them before the public site."""
    hubs = producers = 0
    for hub in Hub.objects.order_by("pk"):
        set_up_hub(hub)
        hubs += 1
    for producer in Producer.objects.order_by("pk"):
        set_up_producer(producer)
        producers += 1
    return hubs, producers
