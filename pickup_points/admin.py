from django.contrib import admin

from .models import ClientAction, PickupPoint, SharingRequest


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


@admin.register(ClientAction)
class ClientActionAdmin(admin.ModelAdmin):
    """What phones sent on distribution day: a record, never edited (the change it made
    lives on the order, its payments and its events)."""

    list_display = ["received_at", "kind", "order", "by", "outcome", "message"]
    list_filter = ["kind", "outcome"]
    search_fields = ["uuid", "order__number"]
    raw_id_fields = ["order", "by", "payment"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
