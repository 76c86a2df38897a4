from django.urls import path

from . import dfc_views, views

app_name = "producers"

urlpatterns = [
    path("<slug:producer_slug>/", views.catalogue, name="catalogue"),
    path("<slug:producer_slug>/profile/", views.producer_profile, name="profile"),
    path("<slug:producer_slug>/products/new/", views.product_create, name="product_create"),
    path("<slug:producer_slug>/products/<id:pk>/", views.product_edit, name="product_edit"),
    path(
        "<slug:producer_slug>/products/<id:pk>/duplicate/",
        views.product_duplicate,
        name="product_duplicate",
    ),
    path(
        "<slug:producer_slug>/products/<id:pk>/active/",
        views.product_set_active,
        name="product_set_active",
    ),
    path(
        "<slug:producer_slug>/variants/<id:pk>/remove/",
        views.variant_remove,
        name="variant_remove",
    ),
    path("<slug:producer_slug>/stock/", views.quick_editor, name="quick_editor"),
    path("<slug:producer_slug>/stock/<id:pk>/", views.quick_update, name="quick_update"),
    path("<slug:producer_slug>/import/", views.catalogue_import, name="import"),
    path("<slug:producer_slug>/export.csv", views.catalogue_export, name="export"),
    path(
        "<slug:producer_slug>/dfc/catalog.jsonld",
        dfc_views.catalogue_jsonld,
        name="dfc_catalogue",
    ),
]
