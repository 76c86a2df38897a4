from django.contrib import admin

from .models import PickupPoint, SharingRequest


@admin.register(PickupPoint)
class PickupPointAdmin(admin.ModelAdmin):
    list_display = ["name", "tiers_lieu", "city", "owner_hub"]
    list_filter = ["owner_hub"]
    search_fields = ["name", "tiers_lieu", "city"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["hubs"]


@admin.register(SharingRequest)
class SharingRequestAdmin(admin.ModelAdmin):
    list_display = ["pickup_point", "hub", "status", "created_at", "decided_at", "ended_at"]
    list_filter = ["status"]
    search_fields = ["pickup_point__name", "hub__name"]
    raw_id_fields = ["pickup_point", "hub", "requested_by", "decided_by", "ended_by"]
