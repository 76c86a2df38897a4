from django.contrib import admin

from .models import (
    Customer,
    Offer,
    Order,
    OrderCycle,
    OrderEvent,
    OrderLine,
    Payment,
    PaymentAnomaly,
    StripeEvent,
)


class OfferInline(admin.TabularInline):
    model = Offer
    extra = 0
    raw_id_fields = ["variant"]
    readonly_fields = ["allocated"]


@admin.register(OrderCycle)
class OrderCycleAdmin(admin.ModelAdmin):
    list_display = ["name", "hub", "opens_at", "closes_at", "status"]
    list_filter = ["hub", "status"]
    search_fields = ["name"]
    inlines = [OfferInline]


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in OrderLine._meta.fields]


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "at", "by", "detail"]


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    can_delete = False
    readonly_fields = ["method", "kind", "amount", "status", "stripe_payment_intent", "created_at"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Orders are never deleted here: they are cancelled through the hub's pages."""

    list_display = ["number", "full_name", "email", "cycle", "status", "total"]
    list_filter = ["status", "payment_method", "cycle__hub"]
    search_fields = ["number", "email", "full_name"]
    # Status, slot and amounts change through the hub's pages (orders.checkout.services), which keep
    # stock and slot bookings right; here they are only shown.
    readonly_fields = [
        "cycle", "cycle_pickup", "slot", "status", "payment_method", "goods_total",
        "fee_total", "total", "access_token", "placed_at", "cancelled_at", "collected_at",
        "collected_by", "customer",
    ]  # fmt: skip
    raw_id_fields = ["user"]
    inlines = [OrderLineInline, PaymentInline, OrderEventInline]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    """Made by the orders (orders.customers); never deleted: orders and, later, balances
    and invoices name them."""

    list_display = ["full_name", "email", "hub", "user", "created_at"]
    list_filter = ["hub"]
    search_fields = ["full_name", "email", "phone"]
    readonly_fields = ["hub", "user", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "type", "received_at"]
    search_fields = ["event_id"]


@admin.register(PaymentAnomaly)
class PaymentAnomalyAdmin(admin.ModelAdmin):
    """Stripe events not applied because they did not match their order (read only)."""

    list_display = ["created_at", "hub", "order", "problem", "expected", "received", "event_id"]
    list_filter = ["problem"]
    search_fields = ["event_id", "stripe_object", "order__number"]
    readonly_fields = [field.name for field in PaymentAnomaly._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
