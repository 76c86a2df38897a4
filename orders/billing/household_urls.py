"""A household's balance with a hub: its own (logged in), or by an order's secret link."""

from django.urls import path

from . import household_views

app_name = "balance"

urlpatterns = [
    path("orders/balance/<slug:hub_slug>/", household_views.my_balance, name="mine"),
    path("orders/o/<str:token>/balance/", household_views.balance_by_token, name="by_token"),
]
