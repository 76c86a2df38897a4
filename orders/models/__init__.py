"""Order cycles, offers, orders and payments, one module per part of the week.

Pickup points belong to the ``pickup_points`` app, which builds on this one: we name them
only through string foreign keys, never by importing that app's code.

Every model is importable from ``orders.models``, as migrations and the rest of the
project name them. The functions below are named by migrations as ``orders.models.<name>``
(field defaults and storage): they are defined here, before the modules that use them, so
that path stays true.
"""

import secrets
from decimal import Decimal

ZERO = Decimal("0.00")


def new_access_token() -> str:
    return secrets.token_urlsafe(24)


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


def _private_storage():
    from django.core.files.storage import storages

    return storages["private"]


from .cycles import (  # noqa: E402
    CycleChange,
    CyclePickupPoint,
    HubClosure,
    KeepsCounters,
    Offer,
    OrderCycle,
    PickupSlot,
    SchedulePickup,
    ScheduleSlot,
    Weekday,
    WeeklySchedule,
)
from .households import CalendarFeed, OpeningAlert  # noqa: E402
from .orders import (  # noqa: E402
    Basket,
    BasketItem,
    Order,
    OrderEvent,
    OrderLine,
    OrderNumberSequence,
    OrderQuerySet,
)
from .payments import Payment, PaymentAnomaly, StripeEvent  # noqa: E402
from .weekly import WeeklyBasket, WeeklyBasketLine, WeeklyBasketRun, WeeklyBasketSkip  # noqa: E402
from .worker import CycleDocument, OutgoingEmail, WorkerHeartbeat  # noqa: E402

__all__ = [
    "ZERO", "Basket", "BasketItem", "CalendarFeed", "CycleChange", "CycleDocument",
    "CyclePickupPoint", "HubClosure", "KeepsCounters", "Offer", "OpeningAlert", "Order",
    "OrderCycle", "OrderEvent", "OrderLine", "OrderNumberSequence", "OrderQuerySet",
    "OutgoingEmail", "Payment", "PaymentAnomaly", "PickupSlot", "SchedulePickup",
    "ScheduleSlot", "StripeEvent", "Weekday", "WeeklyBasket", "WeeklyBasketLine",
    "WeeklyBasketRun", "WeeklyBasketSkip", "WeeklySchedule", "WorkerHeartbeat",
    "new_access_token", "new_feed_token",
]  # fmt: skip
