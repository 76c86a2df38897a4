"""The solidarity prices' pages: the hub managers' and a household's."""

from django.urls import path

from . import views

app_name = "solidarity"

urlpatterns = [
    path("hubs/<slug:hub_slug>/solidarity/", views.manage, name="manage"),
    path("orders/price/<slug:hub_slug>/", views.my_price, name="my_price"),
]
