"""/hubs/<hub>/balances/: the hub managers' balances pages."""

from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("", views.balance_list, name="list"),
    path("balances.csv", views.balance_export, name="export"),
    path("<id:pk>/", views.balance_detail, name="detail"),
    path("report/", views.period_report, name="period_report"),
    path("report/cycles/<id:cycle_pk>/", views.cycle_report, name="cycle_report"),
    path("<id:pk>/refund/", views.balance_refund, name="refund"),
]
