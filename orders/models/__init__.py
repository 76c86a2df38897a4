"""Order cycles, offers, orders and payments, one module per part of the week.

Pickup points belong to the ``pickup_points`` app, which builds on this one: we name them
only through string foreign keys, never by importing that app's code.

Every model is importable from ``orders.models``, as the rest of the project names them.
"""

from .allocations import (
    AllocationProgramme,
    AllocationPurse,
    EligibleProduct,
    Enrolment,
    PurseMovement,
)
from .billing import BalanceEntry, BalanceEntryQuerySet, Shortage
from .customers import Customer
from .cycles import (
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
from .households import CalendarFeed, OpeningAlert, OrderingRight
from .invoices import CreditNote, Invoice, InvoiceSequence
from .orders import (
    Basket,
    BasketItem,
    Order,
    OrderEvent,
    OrderLine,
    OrderNumberSequence,
    OrderQuerySet,
)
from .paper_forms import PaperForm, PaperFormBatch, PaperFormLine
from .payments import Payment, PaymentAnomaly, StripeEvent
from .solidarity import PriceTier, SolidarityCycle, SolidarityEntry, SolidaritySettings
from .weekly import WeeklyBasket, WeeklyBasketLine, WeeklyBasketRun, WeeklyBasketSkip
from .worker import CycleDocument, OutgoingEmail, WorkerHeartbeat

__all__ = [
    "AllocationProgramme", "AllocationPurse", "EligibleProduct", "Enrolment", "PurseMovement",
    "BalanceEntry", "BalanceEntryQuerySet", "Basket", "BasketItem", "CalendarFeed",
    "CreditNote", "CycleChange", "CycleDocument", "CyclePickupPoint", "Customer", "HubClosure",
    "Invoice", "InvoiceSequence",
    "KeepsCounters", "Offer", "OpeningAlert", "Order", "OrderCycle", "OrderEvent", "OrderLine",
    "OrderingRight",
    "OrderNumberSequence", "OrderQuerySet", "OutgoingEmail", "PaperForm", "PaperFormBatch",
    "PaperFormLine", "Payment", "PaymentAnomaly",
    "PickupSlot", "PriceTier", "SchedulePickup", "ScheduleSlot", "Shortage",
    "SolidarityCycle", "SolidarityEntry", "SolidaritySettings", "StripeEvent", "Weekday",
    "WeeklyBasket",
    "WeeklyBasketLine", "WeeklyBasketRun", "WeeklyBasketSkip", "WeeklySchedule",
    "WorkerHeartbeat",
]  # fmt: skip
