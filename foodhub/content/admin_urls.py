"""Admin addresses whose Wagtail views are replaced by ``admin_views`` (same addresses,
included before Wagtail's own in ``foodhub.urls``, which still name them): the page chooser
and the reports, which Wagtail builds outside its viewsets."""

from django.urls import path
from wagtail.admin.auth import require_admin_access
from wagtail.utils.urlpatterns import decorate_urlpatterns

from . import admin_views

urlpatterns = [
    path("choose-page/", admin_views.PageChooserBrowse.as_view()),
    path("choose-page/<id:parent_page_id>/", admin_views.PageChooserBrowse.as_view()),
    path("choose-page/chosen-multiple/", admin_views.PageChooserChosen.as_view()),
    path("reports/locked/", admin_views.LockedPages.as_view()),
    path("reports/locked/results/", admin_views.LockedPages.as_view(results_only=True)),
    path("reports/workflow/", admin_views.Workflows.as_view()),
    path("reports/workflow/results/", admin_views.Workflows.as_view(results_only=True)),
    path("reports/site-history/", admin_views.SiteHistory.as_view()),
    path("reports/site-history/results/", admin_views.SiteHistory.as_view(results_only=True)),
    path("reports/page-types-usage/", admin_views.PageTypesUsage.as_view()),
    path(
        "reports/page-types-usage/results/",
        admin_views.PageTypesUsage.as_view(results_only=True),
    ),
]

urlpatterns = decorate_urlpatterns(urlpatterns, require_admin_access)
