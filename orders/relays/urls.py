"""``/help/``: ordering for the households one helps."""

from django.urls import path

from . import views

app_name = "relays"

urlpatterns = [
    path("", views.helped, name="helped"),
    path("<slug:hub_slug>/new/", views.new_household, name="new_household"),
    path("<slug:hub_slug>/stop/", views.stop_ordering, name="stop"),
    path("households/<id:pk>/", views.household, name="household"),
    path("households/<id:pk>/order/", views.start_ordering, name="start"),
    path("households/<id:pk>/sms/", views.household_sms, name="sms"),
    path("orders/<str:number>/", views.order, name="order"),
    path("orders/<str:number>/change/", views.order_change, name="order_change"),
    path("orders/<str:number>/cancel/", views.order_cancel, name="order_cancel"),
    path("orders/<str:number>/slip/", views.slip, name="slip"),
]
