"""The shop lives under the hub's own address: /<hub-slug>/..."""

from django.urls import path

from . import shop_views

urlpatterns = [
    path("<slug:hub_slug>/", shop_views.shop, name="hub_public"),
    path("<slug:hub_slug>/basket/", shop_views.basket_page, name="basket"),
    path("<slug:hub_slug>/basket/<str:offer_id>/", shop_views.basket_set, name="basket_set"),
    path("<slug:hub_slug>/checkout/", shop_views.checkout, name="checkout"),
]
