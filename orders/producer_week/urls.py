"""A producer's week, under the producer's address: /producers/<slug>/this-week/."""

from django.urls import path

from . import views

urlpatterns = [
    path("<slug:producer_slug>/this-week/", views.this_week, name="producer_this_week"),
]
