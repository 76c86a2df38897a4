"""A household's weekly baskets, under /orders/weekly/ (spliced into ``orders.urls``
before the order pages, whose ``<number>/`` would otherwise take "weekly")."""

from django.urls import path

from . import weekly_views as views

urlpatterns = [
    path("weekly/", views.basket_list, name="weekly_list"),
    path("weekly/new/", views.basket_start, name="weekly_start"),
    path("weekly/new/<slug:hub_slug>/", views.basket_create, name="weekly_create"),
    path("weekly/from/<str:number>/", views.basket_from_order, name="weekly_from_order"),
    path("weekly/<id:pk>/", views.basket_detail, name="weekly_detail"),
    path("weekly/<id:pk>/edit/", views.basket_edit, name="weekly_edit"),
    path("weekly/<id:pk>/skip/", views.basket_skip, name="weekly_skip"),
    path("weekly/<id:pk>/pause/", views.basket_pause, name="weekly_pause"),
    path("weekly/<id:pk>/resume/", views.basket_resume, name="weekly_resume"),
    path("weekly/<id:pk>/cancel/", views.basket_cancel, name="weekly_cancel"),
    path("weekly/<id:pk>/card/", views.basket_card, name="weekly_card"),
]
