"""Households' pages: my orders, an order by its secret link, change and cancel; the
calendar of pickups, the "the shop is open" e-mail and the SMS chosen."""

from django.urls import path

from orders.checkout import views
from orders.households import my_data_views, notification_views
from orders.printouts import document_views
from orders.relays import views as relay_views
from orders.weekly_baskets.weekly_urls import urlpatterns as weekly_urlpatterns

app_name = "orders"

urlpatterns = [
    path("", views.my_orders, name="my_orders"),
    path("my-data/", my_data_views.my_data_page, name="my_data"),
    path(
        "my-data/my-data.json", my_data_views.my_data_download, {"fmt": "json"}, name="my_data_json"
    ),
    path("my-data/my-data.csv", my_data_views.my_data_download, {"fmt": "csv"}, name="my_data_csv"),
    path("my-data/delete/", my_data_views.delete_account, name="delete_account"),
    path("o/<str:token>/", views.order_by_token, name="order_by_token"),
    path("o/<str:token>/change/", views.order_change, name="order_change"),
    path("o/<str:token>/cancel/", views.order_cancel, name="order_cancel"),
    path("o/<str:token>/receipt/", document_views.receipt_by_token, name="receipt_by_token"),
    path("who-orders-for-me/", relay_views.who_orders_for_me, name="who_orders_for_me"),
    path("who-orders-for-me/<id:pk>/withdraw/", relay_views.withdraw_right, name="withdraw_right"),
    path("calendar/", notification_views.my_calendar, name="my_calendar"),
    path(
        "calendar/new-address/",
        notification_views.calendar_new_address,
        name="calendar_new_address",
    ),
    path("calendar/<str:token>.ics", notification_views.calendar_feed, name="calendar_feed"),
    path("alerts/<slug:hub_slug>/", notification_views.opening_alert, name="opening_alert"),
    path("sms/", notification_views.my_sms, name="my_sms"),
    path(
        "alerts/unsubscribe/<str:token>/",
        notification_views.opening_alert_unsubscribe,
        name="opening_alert_unsubscribe",
    ),
    *weekly_urlpatterns,
    path("<str:number>/", views.order_detail, name="order_detail"),
    path("<str:number>/receipt/", document_views.receipt, name="receipt"),
]
