"""/hubs/<hub>/food-aid/: the hub managers' food allocation pages."""

from django.urls import path

from . import views

app_name = "allocations"

urlpatterns = [
    path("", views.programmes, name="programmes"),
    path("eligible/", views.eligible, name="eligible"),
    path("<id:pk>/", views.programme, name="programme"),
    path("<id:pk>/credit/", views.credit, name="credit"),
    path("<id:pk>/withdraw/<id:enrolment_pk>/", views.withdraw, name="withdraw"),
    path("<id:pk>/report/", views.report, name="report"),
    path("<id:pk>/report.csv", views.report_csv, name="report_csv"),
]
