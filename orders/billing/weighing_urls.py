"""The weighing pages: a cycle's for its hub's managers, a producer's for its members.

A line's address is its page's address followed by the line's id (the page builds it so,
once for a thousand lines)."""

from django.urls import path

from . import weighing_views

app_name = "weighing"

urlpatterns = [
    path(
        "hubs/<slug:hub_slug>/cycles/<id:cycle_pk>/weighing/",
        weighing_views.hub_weighing,
        name="hub",
    ),
    path(
        "hubs/<slug:hub_slug>/cycles/<id:cycle_pk>/weighing/<id:line_pk>/",
        weighing_views.hub_weigh_line,
        name="hub_line",
    ),
    path(
        "producers/<slug:producer_slug>/weighing/<id:cycle_pk>/",
        weighing_views.producer_weighing,
        name="producer",
    ),
    path(
        "producers/<slug:producer_slug>/weighing/<id:cycle_pk>/<id:line_pk>/",
        weighing_views.producer_weigh_line,
        name="producer_line",
    ),
]
