"""Card payments: the pay page of an order (by its secret link) and Stripe's webhook."""

from django.urls import path

from . import payment_views

app_name = "payments"

urlpatterns = [
    path("stripe/webhook/", payment_views.stripe_webhook, name="stripe_webhook"),
    path("orders/o/<str:token>/pay/", payment_views.pay, name="pay"),
    path("orders/o/<str:token>/paid/", payment_views.paid, name="paid"),
]
