"""The shortages and corrections pages of a closed cycle (its hub's managers)."""

from django.urls import path

from . import shortage_views

app_name = "shortages"

BASE = "hubs/<slug:hub_slug>/cycles/<id:cycle_pk>/shortages/"

urlpatterns = [
    path(BASE, shortage_views.cycle_shortages, name="cycle"),
    path(f"{BASE}products/<id:offer_pk>/", shortage_views.offer_shortage, name="offer"),
    path(f"{BASE}<id:shortage_pk>/", shortage_views.shortage_preview, name="preview"),
    path(f"{BASE}lines/<id:line_pk>/", shortage_views.line_correction, name="correct"),
]
