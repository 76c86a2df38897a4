"""Wagtail's admin views, showing an editor their own pages only (the rule: ``access``).

The page views come through a page viewset (``FoodhubPageViewSet``, registered for every
page type in ``wagtail_hooks``); the page chooser and the reports, which Wagtail builds
outside viewsets, through ``admin_urls`` at their usual addresses. The views that show one
page already check the editor's permissions on it (edit, history, preview, usage, copy,
move...); these fill the gaps: the pages a view opens as a parent, and the lists.
"""

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import CharField
from django.db.models.functions import Cast
from django.http import Http404
from django.shortcuts import get_list_or_404
from django.urls import reverse
from django_filters import ModelChoiceFilter, ModelMultipleChoiceFilter
from wagtail.admin.modal_workflow import render_modal_workflow
from wagtail.admin.ui.components import MediaContainer
from wagtail.admin.views import chooser
from wagtail.admin.views.pages.bulk_actions.delete import DeleteBulkAction
from wagtail.admin.views.pages.bulk_actions.move import MoveBulkAction
from wagtail.admin.views.pages.bulk_actions.publish import PublishBulkAction
from wagtail.admin.views.pages.bulk_actions.unpublish import UnpublishBulkAction
from wagtail.admin.views.pages.listing import (
    ExplorableIndexView,
    GenericPageFilterSet,
)
from wagtail.admin.views.pages.search import SearchView
from wagtail.admin.views.pages.usage import ContentTypeUseView
from wagtail.admin.views.reports.audit_logging import (
    LogEntriesView,
    SiteHistoryReportFilterSet,
)
from wagtail.admin.views.reports.locked_pages import (
    LockedPagesReportFilterSet,
    LockedPagesView,
)
from wagtail.admin.views.reports.page_types_usage import PageTypesUsageReportView
from wagtail.admin.views.reports.workflows import WorkflowReportFilterSet, WorkflowView
from wagtail.admin.viewsets.pages import PageViewSet
from wagtail.models import Page, PageLogEntry, WorkflowState

from . import access

#: The largest id a database holds (SQLite and PostgreSQL bigint).
MAX_ID = 2**63 - 1


def page_ids(values) -> list[int]:
    """The page numbers among ``values``; anything else (words, huge numbers) is left out."""
    return [
        int(value)
        for value in values
        if value.isascii() and value.isdigit() and int(value) <= MAX_ID
    ]


# The people a filter offers to choose from: those who own, edited, locked or asked to
# publish the editor's own pages, never the editors of other hubs' pages.


def _users(ids):
    User = get_user_model()
    return User.objects.filter(pk__in=ids).order_by(User.USERNAME_FIELD)


def owners_of_own_pages(request):
    return _users(access.own_pages(request.user).values("owner_id"))


def editors_of_own_pages(request):
    return _users(own_log_entries(request).filter(action="wagtail.edit").values("user_id"))


def lockers_of_own_pages(request):
    return _users(access.own_pages(request.user).filter(locked=True).values("locked_by_id"))


def requesters_on_own_pages(request):
    own = access.own_pages(request.user).values_list(
        Cast("id", output_field=CharField()), flat=True
    )
    states = WorkflowState.objects.filter(
        base_content_type=ContentType.objects.get_for_model(Page), object_id__in=own
    )
    return _users(states.values("requested_by_id"))


def own_log_entries(request):
    return PageLogEntry.objects.filter(page__in=access.own_pages(request.user).values("pk"))


def _beyond_any_database(value: str) -> bool:
    try:
        return abs(int(value)) > MAX_ID
    except ValueError:
        return False


class ChoicesByNumber:
    """Wagtail's filters choose people, pages and types by number; a number no database
    holds (20 digits) is an unknown choice, as any other, not a server error (Django looks
    it up with ``IN``, which SQLite refuses)."""

    def __init__(self, data=None, *args, **kwargs):
        if data is not None:
            data = data.copy()
            for name, choice in self.base_filters.items():
                if isinstance(choice, (ModelChoiceFilter, ModelMultipleChoiceFilter)):
                    values = data.getlist(name)
                    data.setlist(name, ["0" if _beyond_any_database(v) else v for v in values])
        super().__init__(data, *args, **kwargs)


class PeopleOfOwnPages(ChoicesByNumber):
    """Wagtail's filters, whose choices of people are those of the editor's own pages:
    ``people`` maps a filter's name to the function (of the request) that lists them."""

    people: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, choices in self.people.items():
            self.filters[name].queryset = choices


class OwnGenericPageFilterSet(PeopleOfOwnPages, GenericPageFilterSet):
    """A page list's filters, offering the owners and editors of own pages."""

    people = {"owner": owners_of_own_pages, "edited_by": editors_of_own_pages}


class OwnPagesExplorer(ExplorableIndexView):
    """The explorer: opens own pages and passages only (404 for any other), lists a
    passage's way to the editor's own pages, and searches own pages only."""

    def get(self, request, parent_page_id=None):
        if parent_page_id is not None and not access.may_explore(request.user, parent_page_id):
            raise Http404
        return super().get(request, parent_page_id)

    def get_base_queryset(self):
        pages = super().get_base_queryset()
        if self.is_searching or self.is_filtering:
            pages = pages.filter(pk__in=access.own_pages(self.request.user).values("pk"))
        return pages

    def get_side_panels(self):
        # A passage's status, author and translations are not the editor's business.
        if not access.owns(self.request.user, self.parent_page):
            return MediaContainer()
        return super().get_side_panels()


class OwnPagesSearch(SearchView):
    permission_policy = access.own_pages_policy


class OwnPagesOfType(ContentTypeUseView):
    permission_policy = access.own_pages_policy


class FoodhubPageViewSet(PageViewSet):
    """Wagtail's views for every page type, with the explorer, the search and the pages of
    a type showing an editor their own pages."""

    model = Page
    filterset_class = OwnGenericPageFilterSet
    index_view_class = OwnPagesExplorer
    search_view_class = OwnPagesSearch
    content_type_use_view_class = OwnPagesOfType


class PageChooserBrowse(chooser.BrowseView):
    """The page chooser (links, destinations of a copy or a move): opens own pages and
    passages only; its lists are filtered by the ``construct_page_chooser_queryset`` hook."""

    def get(self, request, parent_page_id=None):
        user = request.user
        if parent_page_id is not None and not access.may_explore(user, parent_page_id):
            raise Http404
        target_pages = request.GET.getlist("target_pages[]")
        if target_pages:
            query = request.GET.copy()
            query.setlist("target_pages[]", [str(pk) for pk in page_ids(target_pages)])
            request.GET = query
        page_type = request.GET.get("page_type")
        if parent_page_id is None and page_type and not access.sees_every_page(user):
            # Wagtail starts at the first common ancestor of every page of the type.
            try:
                desired = chooser.page_models_from_string(page_type)
            except (ValueError, LookupError):
                raise Http404 from None
            pages = access.explorable_pages(user).type(*desired)
            if pages.exists():
                parent_page_id = pages.first_common_ancestor().pk
            else:
                parent_page_id = Page.get_first_root_node().pk
        return super().get(request, parent_page_id)


class PageChooserChosen(chooser.ChosenMultipleView):
    """The pages chosen in the chooser's multiple mode: the editor's explorable ones."""

    def get(self, request):
        pages = (
            access.explorable_pages(request.user)
            .filter(pk__in=page_ids(request.GET.getlist("id")))
            .specific()
        )
        result = [
            {
                "id": page.pk,
                "parentId": page.get_parent().pk,
                "adminTitle": page.get_admin_display_title(),
                "editUrl": reverse("wagtailadmin_pages:edit", args=(page.pk,)),
                "url": page.url,
            }
            for page in pages
        ]
        return render_modal_workflow(
            request, None, None, None, json_data={"step": "page_chosen", "result": result}
        )


class OwnSiteHistoryFilterSet(ChoicesByNumber, SiteHistoryReportFilterSet):
    def get_users_queryset(self):
        return own_log_entries(self.request).get_users()


class SiteHistory(LogEntriesView):
    """The site's history: the pages' entries are the editor's own pages' only."""

    filterset_class = OwnSiteHistoryFilterSet

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        user = self.request.user
        if queryset.model is PageLogEntry and not access.sees_every_page(user):
            queryset = queryset.filter(page__in=access.own_pages(user).values("pk"))
        return queryset


class OwnLockedPagesFilterSet(PeopleOfOwnPages, LockedPagesReportFilterSet):
    people = {"locked_by": lockers_of_own_pages}


class LockedPages(LockedPagesView):
    filterset_class = OwnLockedPagesFilterSet


class OwnWorkflowFilterSet(PeopleOfOwnPages, WorkflowReportFilterSet):
    people = {"requested_by": requesters_on_own_pages}


class Workflows(WorkflowView):
    filterset_class = OwnWorkflowFilterSet


class PageTypesUsage(PageTypesUsageReportView):
    """Counts and last edited pages of the whole site: for the platform's administrators."""

    def dispatch(self, request, *args, **kwargs):
        if not access.sees_every_page(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class OwnPagesBulkAction:
    """Wagtail's bulk actions on pages (their confirmation lists every page asked for, even
    those one may not act on), for the editor's own pages only: any other page is left
    out, a 404 when none is left; numbers that are not pages are ignored."""

    def get_actionable_objects(self):
        user = self.request.user
        requested = self.request.GET.getlist("id")
        if "all" in requested:
            parent = self.request.GET.get("childOf")
            if parent is not None and not (
                page_ids([parent]) and access.may_explore(user, int(parent))
            ):
                raise Http404
            requested = list(self.get_all_objects_in_listing_query(parent))
        else:
            requested = page_ids(requested)
        objects, items_with_no_access = [], []
        for page in get_list_or_404(access.own_pages(user), pk__in=requested):
            (objects if self.check_perm(page) else items_with_no_access).append(page)
        return objects, {"items_with_no_access": items_with_no_access}


class DeletePages(OwnPagesBulkAction, DeleteBulkAction):
    pass


class MovePages(OwnPagesBulkAction, MoveBulkAction):
    pass


class PublishPages(OwnPagesBulkAction, PublishBulkAction):
    pass


class UnpublishPages(OwnPagesBulkAction, UnpublishBulkAction):
    pass


BULK_ACTIONS = [DeletePages, MovePages, PublishPages, UnpublishPages]
