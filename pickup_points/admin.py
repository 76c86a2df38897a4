from django.contrib import admin

from .models import PickupPoint


@admin.register(PickupPoint)
class PickupPointAdmin(admin.ModelAdmin):
    list_display = ["name", "tiers_lieu", "city"]
    search_fields = ["name", "tiers_lieu", "city"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["hubs"]
