"""What an editor sees of the pages in the admin (/cms/): their own pages, and the pages
above them that they walk through to reach them.

Wagtail lets an editor *explore* the pages they hold a permission on, with those pages'
ancestors so that they can walk down to them (the root, the home page, "Our producers", in
each language): its "explorable" pages. Its views trust that set unevenly: the explorer and
the page chooser open any page as a parent, with its title, status and author, and some
lists and reports read every page. Foodhub's rule, which the admin views in
``admin_views`` apply through the mechanisms Wagtail offers (a page viewset, the page
chooser's hooks, the reports at their own addresses):

- an editor's *own pages* are the subtrees their groups hold a permission on (a hub page
  and everything below it, a portrait), in every language;
- the ancestors of their own pages are *passages*: the editor may open them in the explorer
  and the page chooser, which then list only the way to their own pages, never the sibling
  subtrees;
- lists, searches, reports and histories show own pages only; every other page is absent
  (a 404 when asked for by its number).

Superusers and staff see every page, as Wagtail shows them.
"""

from django.db.models import QuerySet
from wagtail.models import Page
from wagtail.permission_policies.pages import PagePermissionPolicy
from wagtail.permissions import policy_registry

#: The actions that give an editor a page (Wagtail's own list for the explorer).
EDITING_ACTIONS = frozenset({"add", "change", "publish", "lock", "unlock", "bulk_delete"})


def sees_every_page(user) -> bool:
    return user.is_active and (user.is_superuser or user.is_staff)


def _policy() -> PagePermissionPolicy:
    return policy_registry.get_by_type(Page)


def own_pages(user) -> QuerySet:
    """The pages in the subtrees the user's groups hold a permission on."""
    if sees_every_page(user):
        return Page.objects.all()
    if not user.is_active:
        return Page.objects.none()
    return _policy().instances_user_has_any_permission_for(user, EDITING_ACTIONS)


def explorable_pages(user) -> QuerySet:
    """Own pages and their ancestors (Wagtail's explorable pages)."""
    if sees_every_page(user):
        return Page.objects.all()
    if not user.is_active or not _policy().user_has_any_permission(user, EDITING_ACTIONS):
        return Page.objects.none()
    return _policy().explorable_instances(user)


def may_explore(user, page_id) -> bool:
    """True when the user may open the page in the explorer or the page chooser."""
    return explorable_pages(user).filter(pk=page_id).exists()


def owns(user, page) -> bool:
    return own_pages(user).filter(pk=page.pk).exists()


class OwnPagesPolicy(PagePermissionPolicy):
    """Wagtail's page policy for the views that list pages rather than walk the tree
    (search, pages of a type): what the user may explore there is their own pages,
    without the passages."""

    def explorable_instances(self, user):
        return own_pages(user)


own_pages_policy = OwnPagesPolicy()
