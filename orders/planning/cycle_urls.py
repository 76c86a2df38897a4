"""The hub manager's order-cycle pages, under /hubs/<hub-slug>/cycles/."""

from django.urls import path

from orders.printouts import document_views as documents
from orders.weekly_baskets import weekly_views

from . import cycle_views as views
from . import delivery_views
from . import schedule_views as schedules

app_name = "cycles"

urlpatterns = [
    path("", views.cycle_list, name="list"),
    path("new/", views.cycle_create, name="create"),
    path("<id:pk>/", views.cycle_detail, name="detail"),
    path("schedules/", schedules.schedule_list, name="schedule_list"),
    path("schedules/new/", schedules.schedule_create, name="schedule_create"),
    path("schedules/<id:pk>/edit/", schedules.schedule_edit, name="schedule_edit"),
    path("schedules/<id:pk>/pickups/", schedules.schedule_pickups, name="schedule_pickups"),
    path("schedules/closures/new/", schedules.closure_create, name="closure_create"),
    path("schedules/closures/<id:pk>/delete/", schedules.closure_delete, name="closure_delete"),
    path("<id:pk>/edit/", views.cycle_edit, name="edit"),
    path("<id:pk>/offers/", views.cycle_offers, name="offers"),
    path("<id:pk>/offers/prices/", views.offers_update, name="offers_update"),
    path("<id:pk>/offers/<id:offer_pk>/remove/", views.offer_remove, name="offer_remove"),
    path("<id:pk>/pickups/", views.cycle_pickups, name="pickups"),
    path("<id:pk>/delivery/", delivery_views.cycle_delivery, name="delivery"),
    path("<id:pk>/publish/", views.cycle_publish, name="publish"),
    path("<id:pk>/clone/", views.cycle_clone, name="clone"),
    path("<id:pk>/close/", views.cycle_close_now, name="close_now"),
    path("<id:pk>/cancel/", views.cycle_cancel, name="cancel"),
    path("<id:pk>/orders/<id:order_pk>/payment/", views.record_payment, name="record_payment"),
    path("<id:pk>/weekly-baskets/", weekly_views.cycle_baskets, name="weekly_baskets"),
    path("<id:pk>/documents/", documents.cycle_documents, name="documents"),
    path("<id:pk>/documents/packing/", documents.packing_sheets, name="packing_sheets"),
    path("<id:pk>/documents/labels/", documents.crate_labels, name="crate_labels"),
    path("<id:pk>/reports/<slug:name>.csv", documents.cycle_report, name="report"),
    path(
        "<id:pk>/documents/build/<str:kind>/", documents.document_request, name="document_request"
    ),
    path(
        "<id:pk>/documents/<id:document_pk>/download/",
        documents.document_download,
        name="document_download",
    ),
    path(
        "<id:pk>/documents/pick/<slug:producer_slug>/",
        documents.manager_pick_list,
        name="pick_list",
    ),
]
