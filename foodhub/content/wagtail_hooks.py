"""Admin rules Wagtail's permissions cannot say: a hub's page and a producer's portrait
belong to the hub or producer, so their editors may change, publish or unpublish them,
but only a platform admin deletes them (Wagtail lets whoever may edit a page without
children delete it)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from wagtail import hooks

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
