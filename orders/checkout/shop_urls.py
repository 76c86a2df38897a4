"""The shop lives under the hub's own address: /<hub-slug>/..."""

from django.urls import path

from . import shop_views

urlpatterns = [
    path("<hub:hub_slug>/", shop_views.shop, name="hub_public"),
    path("<hub:hub_slug>/basket/", shop_views.basket_page, name="basket"),
    path("<hub:hub_slug>/basket/<id:offer_id>/", shop_views.basket_set, name="basket_set"),
    path("<hub:hub_slug>/checkout/", shop_views.checkout, name="checkout"),
]
