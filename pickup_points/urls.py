from django.urls import path

from . import views

app_name = "pickup_points"

urlpatterns = [
    path("points/", views.my_points, name="my_points"),
    path("points/sw.js", views.service_worker, name="service_worker"),
    path("points/manifest.webmanifest", views.manifest, name="manifest"),
    path("points/scan/<str:number>/", views.scan, name="scan"),
    path("points/<slug:point_slug>/", views.team, name="team"),
    path("points/<slug:point_slug>/team/invite/", views.team_invite, name="team_invite"),
    path(
        "points/<slug:point_slug>/team/<id:member_pk>/remove/",
        views.team_remove,
        name="team_remove",
    ),
    # The point's managers answer the hubs that ask to share it.
    path(
        "points/<slug:point_slug>/requests/<id:request_pk>/accept/",
        views.request_answer,
        {"accept": True},
        name="request_accept",
    ),
    path(
        "points/<slug:point_slug>/requests/<id:request_pk>/decline/",
        views.request_answer,
        {"accept": False},
        name="request_decline",
    ),
    path(
        "points/<slug:point_slug>/hubs/<slug:hub_slug>/end/",
        views.point_end_sharing,
        name="end_sharing",
    ),
    path("points/<slug:point_slug>/cycles/<id:cycle_pk>/", views.distribution, name="distribution"),
    path(
        "points/<slug:point_slug>/cycles/<id:cycle_pk>/list/",
        views.distribution_list,
        name="distribution_list",
    ),
    path(
        "points/<slug:point_slug>/cycles/<id:cycle_pk>/offline.json",
        views.distribution_snapshot,
        name="snapshot",
    ),
    path(
        "points/<slug:point_slug>/cycles/<id:cycle_pk>/sync/",
        views.distribution_sync,
        name="sync",
    ),
    path(
        "points/<slug:point_slug>/cycles/<id:cycle_pk>/orders/<id:order_pk>/",
        views.distribution_order,
        name="order",
    ),
    path(
        "points/<slug:point_slug>/cycles/<id:cycle_pk>/orders/<id:order_pk>/collected/",
        views.set_collected,
        name="collected",
    ),
    path(
        "points/<slug:point_slug>/cycles/<id:cycle_pk>/orders/<id:order_pk>/payments/",
        views.record_payment,
        name="payment",
    ),
    path(
        "points/<slug:point_slug>/cycles/<id:cycle_pk>/orders/<id:order_pk>/credit/",
        views.pay_with_credit,
        name="pay_with_credit",
    ),
    path(
        "points/<slug:point_slug>/cycles/<id:cycle_pk>/orders/<id:order_pk>/payments/"
        "<id:payment_pk>/cancel/",
        views.cancel_payment,
        name="payment_cancel",
    ),
    # Hub managers: the hub's pickup points.
    path("hubs/<slug:hub_slug>/points/", views.hub_points, name="hub_points"),
    path("hubs/<slug:hub_slug>/points/new/", views.point_create, name="point_create"),
    path("hubs/<slug:hub_slug>/points/request/", views.point_request, name="point_request"),
    path(
        "hubs/<slug:hub_slug>/points/requests/<id:request_pk>/withdraw/",
        views.request_withdraw,
        name="request_withdraw",
    ),
    path(
        "hubs/<slug:hub_slug>/points/<slug:point_slug>/leave/",
        views.point_leave,
        name="point_leave",
    ),
    path(
        "hubs/<slug:hub_slug>/points/<slug:point_slug>/edit/",
        views.point_edit,
        name="point_edit",
    ),
]
