"""Our own account pages, next to allauth's (mounted before them under /accounts/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("me/", views.my_account, name="my_account"),
    path(
        "reauthenticate/code/",
        views.send_reauthentication_code,
        name="send_reauthentication_code",
    ),
]
