"""The hub manager's order-cycle pages, under /hubs/<hub-slug>/cycles/."""

from django.urls import path

from . import cycle_views as views
from . import document_views as documents
from . import schedule_views as schedules
from . import weekly_views

app_name = "cycles"

urlpatterns = [
    path("", views.cycle_list, name="list"),
    path("new/", views.cycle_create, name="create"),
    path("<int:pk>/", views.cycle_detail, name="detail"),
    path("schedules/", schedules.schedule_list, name="schedule_list"),
    path("schedules/new/", schedules.schedule_create, name="schedule_create"),
    path("schedules/<int:pk>/edit/", schedules.schedule_edit, name="schedule_edit"),
    path("schedules/<int:pk>/pickups/", schedules.schedule_pickups, name="schedule_pickups"),
    path("schedules/closures/new/", schedules.closure_create, name="closure_create"),
    path("schedules/closures/<int:pk>/delete/", schedules.closure_delete, name="closure_delete"),
    path("<int:pk>/edit/", views.cycle_edit, name="edit"),
    path("<int:pk>/offers/", views.cycle_offers, name="offers"),
    path("<int:pk>/offers/prices/", views.offers_update, name="offers_update"),
    path("<int:pk>/offers/<int:offer_pk>/remove/", views.offer_remove, name="offer_remove"),
    path("<int:pk>/pickups/", views.cycle_pickups, name="pickups"),
    path("<int:pk>/publish/", views.cycle_publish, name="publish"),
    path("<int:pk>/clone/", views.cycle_clone, name="clone"),
    path("<int:pk>/close/", views.cycle_close_now, name="close_now"),
    path("<int:pk>/cancel/", views.cycle_cancel, name="cancel"),
    path("<int:pk>/orders/<int:order_pk>/payment/", views.record_payment, name="record_payment"),
    path("<int:pk>/weekly-baskets/", weekly_views.cycle_baskets, name="weekly_baskets"),
    path("<int:pk>/documents/", documents.cycle_documents, name="documents"),
    path("<int:pk>/documents/packing/", documents.packing_sheets, name="packing_sheets"),
    path("<int:pk>/documents/labels/", documents.crate_labels, name="crate_labels"),
    path("<int:pk>/reports/<slug:name>.csv", documents.cycle_report, name="report"),
    path(
        "<int:pk>/documents/build/<str:kind>/", documents.document_request, name="document_request"
    ),
    path(
        "<int:pk>/documents/<int:document_pk>/download/",
        documents.document_download,
        name="document_download",
    ),
    path(
        "<int:pk>/documents/pick/<slug:producer_slug>/",
        documents.manager_pick_list,
        name="pick_list",
    ),
]
