"""Producers' pick lists, under the producer's address: /producers/<slug>/pick-lists/.

(A cycle's documents for its managers are under the cycle: ``orders.planning.cycle_urls``;
a household's receipt under its order: ``orders.urls``.)"""

from django.urls import path

from . import document_views

urlpatterns = [
    path(
        "<slug:producer_slug>/pick-lists/",
        document_views.producer_pick_lists,
        name="producer_pick_lists",
    ),
    path(
        "<slug:producer_slug>/pick-lists/<id:cycle_pk>/",
        document_views.producer_pick_list,
        name="producer_pick_list",
    ),
]
