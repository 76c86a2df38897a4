from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from foodhub.hubs import views as hub_views
from orders import document_views
from orders.health import health

urlpatterns = [
    path("", hub_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("spaces/", hub_views.spaces, name="spaces"),
    path("health/", health, name="health"),
    path("invitations/<str:token>/", hub_views.accept_invitation, name="invitation"),
    path("producers/<slug:producer_slug>/team/", hub_views.producer_team, name="producer_team"),
    path(
        "producers/<slug:producer_slug>/pick-lists/",
        document_views.producer_pick_lists,
        name="producer_pick_lists",
    ),
    path(
        "producers/<slug:producer_slug>/pick-lists/<int:cycle_pk>/",
        document_views.producer_pick_list,
        name="producer_pick_list",
    ),
    path("producers/", include("producers.urls")),
    path("hubs/", include("foodhub.hubs.urls")),
    path("hubs/<slug:hub_slug>/cycles/", include("orders.cycle_urls")),
    path("orders/", include("orders.urls")),
    path("", include("pickup_points.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include("orders.payment_urls"))]

# Must stay last: /<hub-slug>/ is the hub's public page and shop.
urlpatterns += [path("", include("orders.shop_urls"))]
