"""A household's own data: all of it to download, and the account to delete.

Deleting an account keeps its orders for the hubs' accounts (a sale stays a sale), but
anonymised: no name, address, phone or note is left, and the orders no longer point to
anyone. Orders of cycles still open are cancelled first (their stock goes back), weekly
baskets stop, and the e-mails, calendar address and opening alerts go with the account.
"""

import json
import secrets
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from foodhub.hubs.models import Hub
from orders.checkout import services
from orders.models import (
    BalanceEntry,
    Customer,
    Order,
    OrderCycle,
    OrderEvent,
    OrderingRight,
    WeeklyBasket,
)
from orders.printouts.documents import csv_bytes
from orders.stock import OrderError


class AccountError(OrderError):
    """The account cannot be deleted (yet); the message says why."""


# Download


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value))


def _orders(user):
    return (
        Order.objects.filter(user=user)
        .select_related("cycle__hub", "cycle_pickup__pickup_point", "slot")
        .select_related("invoice", "placed_by")
        .prefetch_related(
            "lines",
            "payments",
            "credit_notes",
            Prefetch("events", OrderEvent.objects.select_related("by")),
        )
        .order_by("placed_at", "pk")
    )


def export(user) -> dict:
    """Everything Foodhub keeps about the household, in plain JSON types."""
    orders = [
        {
            "number": order.number,
            "hub": order.cycle.hub.name,
            "cycle": order.cycle.name,
            "status": order.status,
            "placed_at": order.placed_at,
            # Who ordered for the household, and who did each change.
            "placed_by": order.placed_by and (order.placed_by.full_name or order.placed_by.email),
            "history": [
                {
                    "date": event.at,
                    "what": event.kind,
                    "by": event.by and (event.by.full_name or event.by.email),
                    "detail": event.detail,
                }
                for event in order.events.all()
            ],
            "cancelled_at": order.cancelled_at,
            "collected_at": order.collected_at,
            "name": order.full_name,
            "email": order.email,
            "phone": order.phone,
            "note": order.note,
            "language": order.language,
            "pickup_point": order.cycle_pickup.pickup_point.name,
            "pickup_date": order.cycle_pickup.pickup_date,
            "slot": f"{order.slot.starts_at:%H:%M}–{order.slot.ends_at:%H:%M}",
            "payment_method": order.payment_method,
            "goods_total": order.goods_total,
            "fee_total": order.fee_total,
            "total": order.total,
            "price_tier": order.price_tier,
            "lines": [
                {
                    "producer": line.producer_name,
                    "product": line.product_name,
                    "variant": line.variant_name,
                    "quantity": line.quantity,
                    # What the household pays, at its solidarity price.
                    "unit_price": line.charged_unit_price,
                    "price_percent": line.price_percent,
                    "vat_rate": line.vat_rate,
                    "total": line.charged_total,
                    "quantity_delivered": line.final_quantity,
                    "weight_kg": line.actual_weight,
                    "final_total": line.final_total,
                }
                for line in order.lines.all()
            ],
            "invoice": getattr(order, "invoice", None) and order.invoice.number,
            "credit_notes": [note.number for note in order.credit_notes.all()],
            "payments": [
                {
                    "kind": payment.kind,
                    "method": payment.method,
                    "amount": payment.amount,
                    "status": payment.status,
                    "date": payment.created_at,
                }
                for payment in order.payments.all()
            ],
        }
        for order in _orders(user)
    ]
    baskets = [
        {
            "hub": basket.hub.name,
            "pickup_point": basket.pickup_point.name,
            "preferred_slot": basket.slot_starts_at.strftime("%H:%M")
            if basket.slot_starts_at
            else None,
            "status": basket.status,
            "paused_until": basket.paused_until,
            "payment_method": basket.payment_method,
            "card": basket.card_label,
            "created_at": basket.created_at,
            "lines": [
                {"product": str(line.variant), "quantity": line.quantity}
                for line in basket.lines.all()
            ],
            "skipped_weeks": [skip.week for skip in basket.skips.all()],
        }
        for basket in WeeklyBasket.objects.filter(user=user)
        .select_related("hub", "pickup_point")
        .prefetch_related("lines__variant__product", "skips")
        .order_by("pk")
    ]
    return {
        "exported_at": timezone.now(),
        "account": {
            "email": user.email,
            "name": user.full_name,
            "phone": user.phone,
            "language": user.language,
            "joined": user.date_joined,
            "last_login": user.last_login,
        },
        "customer_of": [
            {
                "hub": customer.hub.name,
                "name": customer.full_name,
                "email": customer.email,
                "phone": customer.phone,
                "since": customer.created_at,
                "balance": customer.balance,
                "people_who_may_order_for_me": [
                    {
                        "name": right.user.full_name or right.user.email,
                        "how": right.origin,
                        "consent": right.consent,
                        "since": right.created_at,
                        "withdrawn_at": right.withdrawn_at,
                    }
                    for right in customer.ordering_rights.all()
                ],
                "balance_entries": [
                    {
                        "date": entry.created_at,
                        "kind": entry.kind,
                        "amount": entry.amount,
                        "order": entry.order.number if entry.order else None,
                        "reason": entry.reason,
                    }
                    for entry in customer.balance_entries.all()
                ],
                # Credit topped up by card, credit refunded to a card.
                "card_payments": [
                    {
                        "kind": payment.kind,
                        "amount": payment.amount,
                        "status": payment.status,
                        "date": payment.created_at,
                    }
                    for payment in customer.payments.all()
                ],
            }  # fmt: skip
            for customer in user.customers.select_related("hub")
            .prefetch_related(
                Prefetch("balance_entries", BalanceEntry.objects.select_related("order")),
                Prefetch("ordering_rights", OrderingRight.objects.select_related("user")),
                "payments",
            )
            .order_by("pk")
        ],  # fmt: skip
        "orders": orders,
        "weekly_baskets": baskets,
        "shop_opening_emails": list(
            Hub.objects.filter(opening_alerts__user=user).values_list("name", flat=True)
        ),
        "calendar_feed": hasattr(user, "calendar_feed"),
    }


def export_json(user) -> bytes:
    return json.dumps(export(user), default=_plain, ensure_ascii=False, indent=2).encode()


def export_csv(user) -> bytes:
    """The household's order lines, one per row, for a spreadsheet."""
    rows = [
        [
            order.placed_at, order.number, order.cycle.hub.name,
            order.cycle_pickup.pickup_point.name, line.producer_name, line.product_name,
            line.variant_name, line.quantity, line.charged_total, order.get_status_display(),
        ]
        for order in _orders(user)
        for line in order.lines.all()
    ]  # fmt: skip
    header = ["date", "order", "hub", "pickup_point", "producer", "product", "variant",
              "quantity", "total", "status"]  # fmt: skip
    return csv_bytes(header, rows)


# Deleting the account


def delete_account(*, user, now: datetime | None = None) -> None:
    """Delete the household's account, keeping its orders anonymised.

    The caller has made the person prove who they are again (their password, or a code
    e-mailed to them: foodhub.accounts.forms.ReauthenticationForm).

    1. Refuse while the person still runs a hub or a producer (someone must take over
       first). Nothing is changed when refused.
    2. Cancel its orders of cycles still open (stock back, card payments refunded).
    3. Anonymise every order and the hubs' customer records, then delete the account:
       its weekly baskets, e-mail addresses, calendar address and opening alerts go
       with it.
    """
    hubs = list(user.hub_memberships.values_list("hub__name", flat=True))
    if hubs:
        raise AccountError(
            _("You manage %(hubs)s: ask another manager to remove you first.")
            % {"hubs": ", ".join(hubs)}
        )
    producers = list(user.producer_memberships.values_list("producer__name", flat=True))
    if producers:
        raise AccountError(
            _("You run the catalogue of %(producers)s: hand it over to someone first.")
            % {"producers": ", ".join(producers)}
        )
    now = now or timezone.now()
    with transaction.atomic():
        open_orders = (
            Order.objects.live()
            .filter(user=user, cycle__status=OrderCycle.Status.PUBLISHED, cycle__closes_at__gt=now)
            .order_by("pk")
        )
        for order in open_orders:
            services.cancel_order(
                order=order, by=None, reason=_("account deleted"), notify=False, now=now
            )
        anonymous = f"deleted-{secrets.token_hex(8)}@invalid.example"
        Order.objects.filter(user=user).update(
            user=None, email=anonymous, full_name=_("Deleted account"), phone="", note=""
        )
        Customer.objects.filter(user=user).update(
            user=None, email="", full_name=_("Deleted account"), phone=""
        )
        user.delete()
