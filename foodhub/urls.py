"""Addresses. Pages for people carry their language: French at /..., English at /en/...

The admin sites, the health check and media have no language prefix. The order at the
end matters: application pages first, then each hub's shop at /<hub-slug>/ (only for
hubs that exist), then Wagtail's public pages.
"""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from foodhub.content import views as content_views
from foodhub.hubs import views as hub_views
from orders.sms import views as sms_views
from orders.worker.health import health

# <id:pk> (an id the database can hold, ASCII digits, else a 404) and <hub:hub_slug> are
# registered when the apps are ready (foodhub.hubs.apps).

urlpatterns = [
    path("admin/", admin.site.urls),
    # Before Wagtail's: its page chooser and reports, showing editors their own pages.
    path("cms/", include("foodhub.content.admin_urls")),
    path("cms/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/setlang/", content_views.set_language, name="set_language"),
    path("health/", health, name="health"),
    # The SMS provider's webhook (replies such as STOP): no language, no session.
    path("sms/twilio/", sms_views.twilio_inbound, name="sms_twilio"),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += i18n_patterns(
    path("", content_views.home, name="home"),
    path("accounts/", include("foodhub.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("spaces/", hub_views.spaces, name="spaces"),
    path("invitations/<str:token>/", hub_views.accept_invitation, name="invitation"),
    path("producers/<slug:producer_slug>/team/", hub_views.producer_team, name="producer_team"),
    path("producers/", include("orders.printouts.urls")),
    path("producers/", include("orders.producer_week.urls")),
    path("producers/", include("producers.urls")),
    path("hubs/", include("foodhub.hubs.urls")),
    path("hubs/<slug:hub_slug>/cycles/", include("orders.planning.cycle_urls")),
    path("hubs/<slug:hub_slug>/balances/", include("orders.billing.urls")),
    path("hubs/<slug:hub_slug>/paper-forms/", include("orders.paper_forms.urls")),
    path("hubs/<slug:hub_slug>/sms/", sms_views.per_month, name="sms_per_month"),
    # The link in each SMS: short (no trailing slash), no log-in.
    path("sms/stop/<str:token>", sms_views.stop, name="sms_stop"),
    path("hubs/<slug:hub_slug>/food-aid/", include("orders.allocations.urls")),
    path("", include("orders.billing.weighing_urls")),
    path("", include("orders.billing.shortage_urls")),
    path("", include("orders.billing.household_urls")),
    path("", include("orders.billing.invoices_urls")),
    path("", include("orders.solidarity.urls")),
    path("orders/", include("orders.urls")),
    path("help/", include("orders.relays.urls")),
    path("", include("pickup_points.urls")),
    path("", include("orders.money.payment_urls")),
    # /<hub-slug>/: the hub's shop, for existing hubs only (see HubSlugConverter).
    path("", include("orders.checkout.shop_urls")),
    # Everything else: the public pages.
    path("", include(wagtail_urls)),
    prefix_default_language=False,
)
