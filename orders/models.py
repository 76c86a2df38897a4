"""Order cycles, offers, orders and payments.

Pickup points belong to the ``pickup_points`` app, which builds on this one: we name them
only through string foreign keys, never by importing that app's code.
"""

import secrets
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from foodhub.collation import french
from producers.models import VatRate

ZERO = Decimal("0.00")


class OrderCycle(models.Model):
    """One weekly sale of a hub: it opens, households order, it closes, baskets are handed over.

    Whether a cycle is upcoming, open or closed follows from the clock alone (``phase``):
    nothing has to run at ``closes_at`` for the shop to stop taking orders. ``status`` holds
    only what people decide: a draft is not published yet; a cancelled cycle is over.
    """

    # "cycle" is masculine in French, "commande" feminine: the same English word needs its
    # own French form here ("ouvert", "fermé", "annulé"), hence the context.
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("order cycle", "draft")
        PUBLISHED = "published", pgettext_lazy("order cycle", "published")
        CANCELLED = "cancelled", pgettext_lazy("order cycle", "cancelled")

    class Phase(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("order cycle", "draft")
        UPCOMING = "upcoming", pgettext_lazy("order cycle", "upcoming")
        OPEN = "open", pgettext_lazy("order cycle", "open")
        CLOSED = "closed", pgettext_lazy("order cycle", "closed")
        CANCELLED = "cancelled", pgettext_lazy("order cycle", "cancelled")

    hub = models.ForeignKey(
        "hubs.Hub", on_delete=models.PROTECT, related_name="order_cycles", verbose_name=_("hub")
    )
    name = models.CharField(_("name"), max_length=150)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    message = models.TextField(
        _("message to households"),
        blank=True,
        help_text=_("Shown at the top of the shop: news of the week, what is new."),
    )
    fee_percent = models.DecimalField(
        _("hub fee (% of the goods)"),
        max_digits=5,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
    )
    fee_fixed = models.DecimalField(
        _("hub fee per order (€, incl. VAT)"),
        max_digits=8,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("1000"))],
    )
    fee_vat_rate = models.CharField(
        _("VAT rate of the hub fee"),
        max_length=4,
        choices=VatRate.choices,
        default=VatRate.STANDARD,
    )
    cloned_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="clones"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # What the worker's tick has done (orders.scheduler). Each step is claimed by a
    # conditional UPDATE of these columns, so two workers never do it twice.
    opened_at = models.DateTimeField(_("opening processed at"), null=True, blank=True)
    close_started_at = models.DateTimeField(_("closing started at"), null=True, blank=True)
    # A worker closing the cycle holds it until then; a worker that died lets it go.
    close_lease_until = models.DateTimeField(null=True, blank=True)
    close_step = models.PositiveSmallIntegerField(default=0)
    closed_at = models.DateTimeField(_("closing processed at"), null=True, blank=True)
    # Created by the tick from a hub's weekly schedule, for the week starting that Monday.
    schedule = models.ForeignKey(
        "WeeklySchedule",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cycles",
        verbose_name=_("weekly schedule"),
    )
    schedule_week = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-opens_at", "pk"]
        verbose_name = _("order cycle")
        verbose_name_plural = _("order cycles")
        indexes = [
            models.Index(fields=["hub", "opens_at"]),
            models.Index(fields=["status", "closed_at", "closes_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="cycle_closes_after_opening"
            ),
            models.UniqueConstraint(
                fields=["schedule", "schedule_week"],
                condition=Q(schedule__isnull=False),
                name="one_cycle_per_schedule_week",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("cycles:detail", kwargs={"hub_slug": self.hub.slug, "pk": self.pk})

    def phase(self, now: datetime | None = None) -> str:
        if self.status == self.Status.DRAFT:
            return self.Phase.DRAFT
        if self.status == self.Status.CANCELLED:
            return self.Phase.CANCELLED
        now = now or timezone.now()
        if now < self.opens_at:
            return self.Phase.UPCOMING
        if now < self.closes_at:
            return self.Phase.OPEN
        return self.Phase.CLOSED

    def get_phase_display(self) -> str:
        return self.Phase(self.phase()).label

    def is_open(self, now: datetime | None = None) -> bool:
        """Time is the law: orders are taken only between opens_at and closes_at."""
        return self.phase(now) == self.Phase.OPEN

    @property
    def fee_vat_rate_decimal(self) -> Decimal:
        return Decimal(self.fee_vat_rate)


class CycleChange(models.Model):
    """What a manager changed on a cycle once it was published (closing time above all)."""

    cycle = models.ForeignKey(OrderCycle, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    field = models.CharField(max_length=50)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self):
        return f"{self.cycle}: {self.field} {self.old_value} → {self.new_value}"


class CyclePickupPoint(models.Model):
    """A pickup point served by a cycle, with its pickup day (slots hang below it)."""

    cycle = models.ForeignKey(OrderCycle, on_delete=models.CASCADE, related_name="pickups")
    pickup_point = models.ForeignKey(
        "pickup_points.PickupPoint",
        on_delete=models.PROTECT,
        related_name="cycle_pickups",
        verbose_name=_("pickup point"),
    )
    pickup_date = models.DateField(_("pickup date"))
    # Claimed by the tick when it queues the households' reminders (the day before) and
    # the coordinators' volunteer list (the morning of distribution).
    reminders_sent_at = models.DateTimeField(null=True, blank=True)
    volunteer_list_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pickup_date", french("pickup_point__name")]
        verbose_name = _("pickup point of a cycle")
        verbose_name_plural = _("pickup points of a cycle")
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "pickup_point"], name="unique_cycle_pickup_point"
            )
        ]

    def __str__(self):
        return f"{self.pickup_point} ({self.pickup_date:%d/%m/%Y})"


class KeepsCounters(models.Model):
    """A model with counters that only ``orders.stock`` changes, by ``F()`` updates under a
    row lock (``COUNTERS``). A plain ``save()`` of an instance read earlier writes every
    field but those, so it never puts back a stale count (an admin page, a form)."""

    COUNTERS: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self._state.adding:
            if self.pk is not None:  # a new row with a chosen id: never an UPDATE
                kwargs.setdefault("force_insert", True)
        elif (
            self.pk is not None
            and kwargs.get("update_fields") is None
            and not kwargs.get("force_insert")
        ):
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.COUNTERS
            ]
        super().save(*args, **kwargs)


class PickupSlot(KeepsCounters):
    """A time window at a pickup point on the pickup day, for at most ``capacity`` households.

    Times are wall-clock times in Europe/Paris on the pickup date, so that cloning a cycle
    a few weeks later keeps "17:00" across a daylight-saving change.
    """

    cycle_pickup = models.ForeignKey(
        CyclePickupPoint, on_delete=models.CASCADE, related_name="slots"
    )
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("to"))
    capacity = models.PositiveIntegerField(
        _("capacity (households)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(10_000)],
    )
    # Live orders in the slot, kept by ``orders.stock.book_slot``/``release_slot`` in the
    # transaction that changes them, like an offer's ``allocated``. It may exceed a
    # capacity a manager lowered later: the slot is then full, nobody is turned out.
    booked = models.PositiveIntegerField(_("households booked"), default=0, editable=False)
    COUNTERS = ("booked",)

    class Meta:
        ordering = ["cycle_pickup", "starts_at", "pk"]
        verbose_name = _("pickup slot")
        verbose_name_plural = _("pickup slots")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="slot_ends_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.starts_at:%H:%M}–{self.ends_at:%H:%M}"

    def has_room_for(self, order=None) -> bool:
        """Whether one more household fits (an order already in this slot keeps its place)."""
        mine = 1 if order is not None and order.slot_id == self.pk and order.is_live else 0
        return self.booked - mine < self.capacity

    def starts(self) -> datetime:
        return _local(self.cycle_pickup.pickup_date, self.starts_at)

    def ends(self) -> datetime:
        return _local(self.cycle_pickup.pickup_date, self.ends_at)


def _local(day, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at), timezone.get_default_timezone())


class Offer(KeepsCounters):
    """A variant offered in a cycle, at a price for this cycle and with an optional cap.

    ``allocated`` counts the units held by live orders of this cycle. It changes only in
    ``orders.stock`` (under a row lock), alongside the producer's own stock.
    """

    cycle = models.ForeignKey(OrderCycle, on_delete=models.CASCADE, related_name="offers")
    variant = models.ForeignKey(
        "producers.Variant", on_delete=models.PROTECT, related_name="offers"
    )
    price = models.DecimalField(
        _("price incl. VAT (€)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    stock_cap = models.PositiveIntegerField(
        _("most sold in this cycle"),
        null=True,
        blank=True,
        help_text=_("Leave empty to sell up to the producer's stock."),
    )
    allocated = models.PositiveIntegerField(_("sold in this cycle"), default=0)
    COUNTERS = ("allocated",)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "variant"], name="unique_offer_per_cycle"),
            models.CheckConstraint(condition=Q(price__gt=0), name="offer_price_positive"),
            models.CheckConstraint(
                condition=Q(stock_cap__isnull=True) | Q(allocated__lte=models.F("stock_cap")),
                name="offer_never_over_cap",
            ),
        ]

    def __str__(self):
        return str(self.variant)

    def available(self) -> int | None:
        """Units still for sale, or None when unlimited. Needs ``variant__product`` loaded."""
        variant = self.variant
        if not (variant.is_active and variant.product.is_active):
            return 0
        limits = []
        if self.stock_cap is not None:
            limits.append(max(self.stock_cap - self.allocated, 0))
        if not variant.is_on_demand:
            limits.append(variant.stock_quantity)
        return min(limits) if limits else None


def new_access_token() -> str:
    return secrets.token_urlsafe(24)


class OrderQuerySet(models.QuerySet):
    def live(self):
        """The orders that count: placed or awaiting payment, not cancelled."""
        return self.filter(status__in=Order.LIVE_STATUSES)


class Order(models.Model):
    """A household's order in a cycle. Never deleted: cancelled at most."""

    class Status(models.TextChoices):
        AWAITING_PAYMENT = "awaiting_payment", _("awaiting card payment")
        PLACED = "placed", _("placed")
        CANCELLED = "cancelled", _("cancelled")

    class PaymentMethod(models.TextChoices):
        AT_PICKUP = "at_pickup", _("pay at pickup (cash, cheque or transfer)")
        CARD = "card", _("card, online")

    LIVE_STATUSES = (Status.AWAITING_PAYMENT, Status.PLACED)

    cycle = models.ForeignKey(OrderCycle, on_delete=models.PROTECT, related_name="orders")
    number = models.CharField(_("order number"), max_length=30, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    email = models.EmailField(_("e-mail address"))
    full_name = models.CharField(_("name"), max_length=150)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    cycle_pickup = models.ForeignKey(
        CyclePickupPoint, on_delete=models.PROTECT, related_name="orders"
    )
    slot = models.ForeignKey(PickupSlot, on_delete=models.PROTECT, related_name="orders")
    payment_method = models.CharField(
        _("payment"), max_length=12, choices=PaymentMethod.choices, default=PaymentMethod.AT_PICKUP
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLACED
    )
    note = models.TextField(_("note for the hub"), blank=True, max_length=1000)
    # The language of the page the order was placed on: its later e-mails are written in it.
    language = models.CharField(_("language"), max_length=8, blank=True)
    # Totals computed by orders.pricing from the lines (never sent by the browser).
    goods_total = models.DecimalField(max_digits=10, decimal_places=2, default=ZERO)
    fee_total = models.DecimalField(max_digits=10, decimal_places=2, default=ZERO)
    total = models.DecimalField(_("total"), max_digits=10, decimal_places=2, default=ZERO)
    # The secret in the link of the confirmation e-mail, for guests without an account.
    access_token = models.CharField(max_length=64, unique=True, default=new_access_token)
    placed_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Handed over at the pickup point (ticked by a volunteer; untick to undo).
    collected_at = models.DateTimeField(_("collected at"), null=True, blank=True)
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handed over by"),
    )

    # Placed by the tick from this weekly basket (its saved card is charged at close).
    weekly_basket = models.ForeignKey(
        "WeeklyBasket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("weekly basket"),
    )

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at", "-pk"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            # A household has at most one live order per cycle.
            models.UniqueConstraint(
                fields=["cycle", "email"],
                condition=~Q(status="cancelled"),
                name="one_live_order_per_household_and_cycle",
            ),
        ]
        indexes = [models.Index(fields=["cycle", "status"])]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("orders:order_detail", kwargs={"number": self.number})

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE_STATUSES

    def can_change(self, now: datetime | None = None) -> bool:
        return self.is_live and self.cycle.is_open(now)


class OrderLine(models.Model):
    """What was bought, with the price, VAT and names as they were when ordered."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="lines")
    # Protects ordered variants from deletion (the catalogue deactivates them instead).
    variant = models.ForeignKey(
        "producers.Variant", on_delete=models.PROTECT, related_name="order_lines"
    )
    producer = models.ForeignKey(
        "producers.Producer", on_delete=models.PROTECT, related_name="order_lines"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    producer_name = models.CharField(max_length=150)
    product_name = models.CharField(max_length=150)
    variant_name = models.CharField(max_length=100)
    unit_price = models.DecimalField(max_digits=8, decimal_places=2)
    vat_rate = models.DecimalField(max_digits=4, decimal_places=2)
    total = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = [french("producer_name"), french("product_name"), french("variant_name"), "pk"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.UniqueConstraint(fields=["order", "offer"], name="one_line_per_offer"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.product_name} — {self.variant_name}"


class OrderEvent(models.Model):
    """The order's history: who did what, when (placed, changed, cancelled, paid...)."""

    class Kind(models.TextChoices):
        PLACED = "placed", _("placed")
        CHANGED = "changed", _("changed")
        CANCELLED = "cancelled", _("cancelled")
        PAYMENT = "payment", _("payment")
        PAYMENT_CANCELLED = "payment_cancelled", _("payment cancelled")
        REFUND = "refund", _("refund")
        COLLECTED = "collected", _("collected")
        UNCOLLECTED = "uncollected", _("collection undone")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.order} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class OrderNumberSequence(models.Model):
    """The last order number given by a hub in a year ("LIL-2026-000123")."""

    hub = models.ForeignKey("hubs.Hub", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hub", "year"], name="unique_order_sequence")
        ]

    def __str__(self):
        return f"{self.hub_id}/{self.year}: {self.last}"


class Payment(models.Model):
    """Money received for an order, or given back (a refund has ``kind=refund``)."""

    class Method(models.TextChoices):
        CASH = "cash", _("cash")
        CHEQUE = "cheque", _("cheque")
        TRANSFER = "transfer", _("bank transfer")
        CARD = "card", _("card")

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("payment")
        REFUND = "refund", _("refund")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", pgettext_lazy("payment", "cancelled")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PAYMENT)
    amount = models.DecimalField(
        _("amount (€)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    stripe_payment_intent = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_refund = models.CharField(max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self):
        return f"{self.order} {self.kind} {self.amount} {self.status}"

    @property
    def signed_amount(self) -> Decimal:
        return self.amount if self.kind == self.Kind.PAYMENT else -self.amount


class StripeEvent(models.Model):
    """Every Stripe webhook event handled, by id: a replayed event is a no-op."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.type} {self.event_id}"


class PaymentAnomaly(models.Model):
    """A Stripe event that did not match the order (or weekly basket) it names, and so was
    not applied: made on another Stripe account than the hub's, in another currency, or of
    another amount than the one expected. Kept for the hub's managers, who check it on
    Stripe's dashboard (``orders.payments``)."""

    class Problem(models.TextChoices):
        ACCOUNT = "account", _("made on another Stripe account")
        CURRENCY = "currency", _("in another currency")
        AMOUNT = "amount", _("of another amount")

    hub = models.ForeignKey("hubs.Hub", on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, null=True, blank=True, related_name="payment_anomalies"
    )
    # The event's id ("evt_..."), or what the closing read from Stripe ("close:pi_...").
    event_id = models.CharField(max_length=255, unique=True)
    event_type = models.CharField(max_length=100)
    stripe_object = models.CharField(max_length=255)
    problem = models.CharField(max_length=10, choices=Problem.choices)
    expected = models.CharField(max_length=100)
    received = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["hub", "created_at"])]
        verbose_name = _("payment anomaly")
        verbose_name_plural = _("payment anomalies")

    def __str__(self):
        return f"{self.event_id} {self.problem}: {self.expected} ≠ {self.received}"

    def _shown(self, value: str) -> str:
        if self.problem == self.Problem.ACCOUNT and not value:
            return _("the platform's own account")
        return value

    @property
    def expected_shown(self) -> str:
        return self._shown(self.expected)

    @property
    def received_shown(self) -> str:
        return self._shown(self.received)


class Basket(models.Model):
    """A household's basket for a cycle, before checkout (it holds no stock).

    Anonymous visitors' baskets are found by a token kept in their session; at log-in the
    basket is merged into the account's. When ``order`` is set, the basket is a working
    copy of that order being changed.
    """

    cycle = models.ForeignKey(OrderCycle, on_delete=models.CASCADE, related_name="baskets")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="baskets",
    )
    token = models.CharField(max_length=64, db_index=True, blank=True)
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "user"],
                condition=Q(user__isnull=False),
                name="one_basket_per_user_and_cycle",
            ),
            models.UniqueConstraint(
                fields=["cycle", "token"],
                condition=Q(user__isnull=True),
                name="one_basket_per_token_and_cycle",
            ),
        ]

    def __str__(self):
        return f"basket {self.pk} ({self.cycle_id})"


class BasketItem(models.Model):
    basket = models.ForeignKey(Basket, on_delete=models.CASCADE, related_name="items")
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["basket", "offer"], name="one_basket_item_per_offer"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="basket_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.offer_id}"


def _private_storage():
    from django.core.files.storage import storages

    return storages["private"]


class CycleDocument(models.Model):
    """A big printed document of a cycle, built in the background in chunks (so a
    download is instant and memory stays bounded), with its progress."""

    class Kind(models.TextChoices):
        PACKING_SHEETS = "packing_sheets", _("packing sheets")
        CRATE_LABELS = "crate_labels", _("crate labels")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("being built")
        DONE = "done", _("ready")
        FAILED = "failed", pgettext_lazy("document", "failed")

    cycle = models.ForeignKey(OrderCycle, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    chunks_done = models.PositiveIntegerField(default=0)
    chunks_total = models.PositiveIntegerField(default=0)
    orders = models.PositiveIntegerField(_("orders"), default=0)
    # The state of the cycle's orders it was built from (orders.documents.orders_state):
    # when they change, the file is out of date.
    source = models.CharField(max_length=80, blank=True)
    file = models.FileField(storage=_private_storage, upload_to="documents/%Y/%m/", blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("cycle document")
        verbose_name_plural = _("cycle documents")

    def __str__(self):
        return f"{self.get_kind_display()} — {self.cycle}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.chunks_done / self.chunks_total) if self.chunks_total else 0


class WorkerHeartbeat(models.Model):
    """When the background worker last ran its one-minute tick (one row per worker name).

    The hub dashboard and ``/health/`` read it to warn when nothing has run for a while."""

    name = models.CharField(max_length=50, unique=True, default="tick")
    beat_at = models.DateTimeField()

    LATE_AFTER = timedelta(minutes=5)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self):
        return f"{self.name}: {self.beat_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def beat(cls, name: str = "tick", now=None) -> None:
        cls.objects.update_or_create(name=name, defaults={"beat_at": now or timezone.now()})

    @classmethod
    def last(cls, name: str = "tick"):
        return cls.objects.filter(name=name).values_list("beat_at", flat=True).first()

    @classmethod
    def is_late(cls, name: str = "tick", now=None) -> bool:
        last = cls.last(name)
        return last is None or (now or timezone.now()) - last > cls.LATE_AFTER


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WeeklySchedule(models.Model):
    """A hub's usual week ("open Friday 18:00, close Tuesday 23:59, pickup Thursday"), from
    which the tick creates the coming order cycles (``orders.schedules``).

    Closing is the first ``closes_weekday`` at ``closes_time`` after the opening; each
    pickup is the first of its weekday on or after the closing day. Times are wall-clock
    times in Europe/Paris.
    """

    class Mode(models.TextChoices):
        DRAFT = "draft", _("as drafts, for a manager to review and publish")
        PUBLISH = "publish", _("published directly")

    hub = models.ForeignKey(
        "hubs.Hub", on_delete=models.CASCADE, related_name="schedules", verbose_name=_("hub")
    )
    name = models.CharField(_("name of the cycles"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)
    opens_weekday = models.PositiveSmallIntegerField(_("opens on"), choices=Weekday.choices)
    opens_time = models.TimeField(_("opens at"))
    closes_weekday = models.PositiveSmallIntegerField(_("closes on"), choices=Weekday.choices)
    closes_time = models.TimeField(_("closes at"))
    mode = models.CharField(
        _("new cycles are created"), max_length=10, choices=Mode.choices, default=Mode.DRAFT
    )
    weeks_ahead = models.PositiveSmallIntegerField(
        _("created ahead (weeks)"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(8)],
    )
    starts_on = models.DateField(_("first week"), null=True, blank=True)
    message = models.TextField(_("message to households"), blank=True)
    fee_percent = models.DecimalField(
        _("hub fee (% of the goods)"), max_digits=5, decimal_places=2, default=ZERO
    )
    fee_fixed = models.DecimalField(
        _("hub fee per order (€, incl. VAT)"), max_digits=8, decimal_places=2, default=ZERO
    )
    fee_vat_rate = models.CharField(
        _("VAT rate of the hub fee"), max_length=4, choices=VatRate.choices,
        default=VatRate.STANDARD,
    )  # fmt: skip
    producers = models.ManyToManyField(
        "producers.Producer", related_name="+", blank=True, verbose_name=_("producers")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["hub", "name", "pk"]
        verbose_name = _("weekly schedule")
        verbose_name_plural = _("weekly schedules")

    def __str__(self):
        return self.name


class SchedulePickup(models.Model):
    """A pickup point of a weekly schedule, on its weekday (its slots hang below it)."""

    schedule = models.ForeignKey(WeeklySchedule, on_delete=models.CASCADE, related_name="pickups")
    pickup_point = models.ForeignKey(
        "pickup_points.PickupPoint",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("pickup point"),
    )
    weekday = models.PositiveSmallIntegerField(_("pickup day"), choices=Weekday.choices)

    class Meta:
        ordering = ["weekday", french("pickup_point__name")]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "pickup_point"], name="unique_schedule_pickup_point"
            )
        ]

    def __str__(self):
        return f"{self.pickup_point} ({self.get_weekday_display()})"


class ScheduleSlot(models.Model):
    pickup = models.ForeignKey(SchedulePickup, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("to"))
    capacity = models.PositiveIntegerField(
        _("capacity (households)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(10_000)],
    )

    class Meta:
        ordering = ["pickup", "starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="schedule_slot_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


class HubClosure(models.Model):
    """Days a hub is closed (holidays): no cycle is created whose pickup falls in them."""

    hub = models.ForeignKey(
        "hubs.Hub", on_delete=models.CASCADE, related_name="closures", verbose_name=_("hub")
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to (included)"))
    reason = models.CharField(_("reason"), max_length=150, blank=True)

    class Meta:
        ordering = ["starts_on", "pk"]
        verbose_name = _("closed period")
        verbose_name_plural = _("closed periods")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="closure_ends_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.starts_on:%d/%m/%Y}–{self.ends_on:%d/%m/%Y}"


class WeeklyBasket(models.Model):
    """A household's standing order: placed as a normal order each time a cycle of its hub
    opens (``orders.weekly``), with what is available."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        PAUSED = "paused", _("paused")
        CANCELLED = "cancelled", pgettext_lazy("weekly basket", "cancelled")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_baskets"
    )
    hub = models.ForeignKey(
        "hubs.Hub", on_delete=models.CASCADE, related_name="weekly_baskets", verbose_name=_("hub")
    )
    pickup_point = models.ForeignKey(
        "pickup_points.PickupPoint",
        on_delete=models.PROTECT,
        related_name="weekly_baskets",
        verbose_name=_("pickup point"),
    )
    # The slot is chosen anew each week: the one starting at this time, or the nearest.
    slot_starts_at = models.TimeField(_("preferred slot"), null=True, blank=True)
    payment_method = models.CharField(
        _("payment"),
        max_length=12,
        choices=Order.PaymentMethod.choices,
        default=Order.PaymentMethod.AT_PICKUP,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    paused_until = models.DateField(_("paused until"), null=True, blank=True)
    full_name = models.CharField(_("name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    note = models.TextField(_("note for the hub"), blank=True, max_length=1000)
    # A card saved with a SetupIntent, charged off-session when the cycle closes.
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    stripe_payment_method_id = models.CharField(max_length=255, blank=True)
    stripe_setup_intent_id = models.CharField(max_length=255, blank=True)
    card_label = models.CharField(_("card"), max_length=60, blank=True)
    created_from = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("weekly basket")
        verbose_name_plural = _("weekly baskets")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "hub"],
                condition=~Q(status="cancelled"),
                name="one_weekly_basket_per_household_and_hub",
            ),
        ]

    def __str__(self):
        return f"{self.user} @ {self.hub}"


class WeeklyBasketLine(models.Model):
    basket = models.ForeignKey(WeeklyBasket, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "producers.Variant", on_delete=models.CASCADE, related_name="+", verbose_name=_("product")
    )
    quantity = models.PositiveIntegerField(
        _("quantity"), validators=[MinValueValidator(1), MaxValueValidator(999)]
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["basket", "variant"], name="one_line_per_variant"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="weekly_line_quantity_positive"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.variant_id}"


class WeeklyBasketSkip(models.Model):
    """A week the household does not want its basket (the week its cycle opens, Monday)."""

    basket = models.ForeignKey(WeeklyBasket, on_delete=models.CASCADE, related_name="skips")
    week = models.DateField()

    class Meta:
        ordering = ["week"]
        constraints = [
            models.UniqueConstraint(fields=["basket", "week"], name="one_skip_per_week"),
        ]

    def __str__(self):
        return f"{self.basket_id} skips {self.week}"


class WeeklyBasketRun(models.Model):
    """What happened to a weekly basket in one cycle: one row per basket and cycle, taken
    before the order is placed, so a repeated tick never places it twice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("being placed")
        PLACED = "placed", _("placed in full")
        PARTIAL = "partial", _("placed, with items left out")
        NOT_PLACED = "not_placed", _("could not be placed")
        SKIPPED = "skipped", _("skipped")

    basket = models.ForeignKey(WeeklyBasket, on_delete=models.CASCADE, related_name="runs")
    cycle = models.ForeignKey(OrderCycle, on_delete=models.CASCADE, related_name="basket_runs")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What was left out or short: [{"name": ..., "wanted": 3, "placed": 1, "reason": ...}]
    problems = models.JSONField(default=list, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["basket", "cycle"], name="one_run_per_basket_and_cycle"
            ),
        ]

    def __str__(self):
        return f"{self.basket_id} in {self.cycle_id}: {self.status}"


class OpeningAlert(models.Model):
    """A household asked for the "the shop is open" e-mail of a hub."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="opening_alerts"
    )
    hub = models.ForeignKey("hubs.Hub", on_delete=models.CASCADE, related_name="opening_alerts")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "hub"], name="one_opening_alert_per_hub"),
        ]

    def __str__(self):
        return f"{self.user} ← {self.hub}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """The secret address of a household's private iCal feed of its pickups."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"calendar of {self.user}"


class OutgoingEmail(models.Model):
    """An e-mail the scheduler owes someone (``orders.outbox``), written in the same
    transaction as the step that owes it, under a unique key: a step done twice owes it
    once. It is claimed ("sending") before it leaves, so it never leaves twice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        BUILDING = "building", _("being written")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=40)
    to = models.EmailField()
    language = models.CharField(max_length=10, blank=True)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    not_before = models.DateTimeField(default=timezone.now)
    claim = models.CharField(max_length=32, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["status", "not_before"])]
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")

    def __str__(self):
        return f"{self.kind} → {self.to} ({self.status})"
