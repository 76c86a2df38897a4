"""A hub's paper order forms, for its relays and managers: /hubs/<slug>/paper-forms/.

A form's keying screen is under its number (``1234-5``), which its QR code holds."""

from django.urls import path

from . import views

app_name = "paper_forms"

urlpatterns = [
    path("", views.index, name="index"),
    path("print/", views.print_forms, name="print"),
    path("find/", views.find_form, name="find"),
    path("printed/<id:pk>/", views.batch_download, name="batch"),
    path("<str:code>/", views.key_form, name="key"),
]
