"""Admin rules Wagtail's permissions cannot say.

- A hub's page and a producer's portrait belong to the hub or producer, so their editors
  may change, publish or unpublish them, but only a platform admin deletes them (Wagtail
  lets whoever may edit a page without children delete it).
- Editors see their own pages only (``access``): the page views, the page chooser's lists
  and the dashboard's count of pages follow that rule.
"""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from wagtail import hooks
from wagtail.admin.site_summary import PagesSummaryItem

from . import access
from .admin_views import BULK_ACTIONS, FoodhubPageViewSet
from .models import HubPage, ProducerPage

KEPT = (HubPage, ProducerPage)


def _refuse(request, page):
    messages.error(
        request,
        _(
            "“%(title)s” belongs to its hub or producer and cannot be deleted here: "
            "unpublish it to hide it, or ask the platform's administrators."
        )
        % {"title": page.get_admin_display_title()},
    )
    return redirect("wagtailadmin_explore", page.get_parent().pk)


@hooks.register("before_delete_page")
def keep_hub_pages_and_portraits(request, page):
    if isinstance(page.specific, KEPT) and not request.user.is_superuser:
        return _refuse(request, page)
    return None


@hooks.register("before_bulk_action")
def keep_hub_pages_and_portraits_in_bulk(request, action_type, objects, action_class_instance):
    if action_type != "delete" or request.user.is_superuser:
        return None
    for page in objects:
        if isinstance(getattr(page, "specific", page), KEPT):
            return _refuse(request, page)
    return None


@hooks.register("register_admin_viewset")
def register_page_viewset():
    # Registered after Wagtail's own viewset for every page type, which it replaces.
    return FoodhubPageViewSet()


# Registered after Wagtail's own, which they replace.
for bulk_action in BULK_ACTIONS:
    hooks.register("register_bulk_action", bulk_action)


@hooks.register("construct_page_chooser_queryset")
def choose_among_explorable_pages(pages, request):
    if access.sees_every_page(request.user):
        return pages
    return pages.filter(pk__in=access.explorable_pages(request.user).values("pk"))


@hooks.register("construct_reports_menu")
def hide_site_wide_reports(request, menu_items):
    if not access.sees_every_page(request.user):
        hidden = reverse("wagtailadmin_reports:page_types_usage")
        menu_items[:] = [item for item in menu_items if item.url != hidden]


class OwnPagesSummaryItem(PagesSummaryItem):
    """The dashboard's number of pages: the editor's own."""

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        user = self.request.user
        if not access.sees_every_page(user):
            context["total_pages"] = access.own_pages(user).count()
        return context


@hooks.register("construct_homepage_summary_items")
def count_own_pages(request, items):
    items[:] = [
        OwnPagesSummaryItem(request) if type(item) is PagesSummaryItem else item for item in items
    ]
