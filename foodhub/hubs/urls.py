from django.urls import path

from . import views

app_name = "hubs"

urlpatterns = [
    path("<slug:hub_slug>/", views.hub_dashboard, name="dashboard"),
    path("<slug:hub_slug>/settings/", views.hub_settings, name="settings"),
    path("<slug:hub_slug>/invite/", views.invite_hub_manager, name="invite_manager"),
    path("<slug:hub_slug>/relays/invite/", views.invite_relay, name="invite_relay"),
    path("<slug:hub_slug>/relays/<id:relay_id>/remove/", views.remove_relay, name="remove_relay"),
    path("<slug:hub_slug>/producers/new/", views.add_producer, name="add_producer"),
]
