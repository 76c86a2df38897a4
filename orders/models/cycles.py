"""The week's shape: order cycles, their pickup points and slots, what is on offer at
which price and stock, and the weekly schedules that create cycles."""

from datetime import datetime
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
from orders import clock
from producers.models import VatRate

from ..pricing import ZERO


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
    # What the worker's tick has done (orders.worker.scheduler). Each step is claimed by a
    # conditional UPDATE of these columns, so two workers never do it twice.
    opened_at = models.DateTimeField(_("opening processed at"), null=True, blank=True)
    close_started_at = models.DateTimeField(_("closing started at"), null=True, blank=True)
    # A worker closing the cycle holds it until then; a worker that died lets it go.
    close_lease_until = models.DateTimeField(null=True, blank=True)
    close_step = models.PositiveSmallIntegerField(default=0)
    closed_at = models.DateTimeField(_("closing processed at"), null=True, blank=True)
    # After the close, weights, shortages and corrections change what each household gets;
    # once the hub says they are final (or on the pickup day), each order is invoiced, and a
    # change from then on goes through a credit note (orders.billing).
    adjustments_final_at = models.DateTimeField(_("adjustments final at"), null=True, blank=True)
    # The worker issuing the invoices holds the cycle until then (renewed between chunks);
    # once every order is invoiced with its PDF, ``invoices_issued_at`` says so.
    invoices_lease_until = models.DateTimeField(null=True, blank=True)
    invoices_issued_at = models.DateTimeField(_("invoices issued at"), null=True, blank=True)
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
    # Where and when the producers bring what was ordered (their page "this week", their
    # e-mails and pick lists); set by the managers (``orders.planning.deliveries``).
    delivery_place = models.CharField(
        _("where producers deliver"),
        max_length=255,
        blank=True,
        help_text=_("Address and directions. Empty: the hub's address."),
    )
    delivery_at = models.DateTimeField(_("when producers deliver"), null=True, blank=True)

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
        return clock.at(self.cycle_pickup.pickup_date, self.starts_at)

    def ends(self) -> datetime:
        return clock.at(self.cycle_pickup.pickup_date, self.ends_at)


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
    # A variant sold by weight is offered at a price per kg (its catalogue's by default);
    # ``price`` is then the estimate of one unit at that price (``save`` keeps it).
    price_per_kg = models.DecimalField(
        _("price per kg incl. VAT (€)"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
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
                condition=Q(price_per_kg__isnull=True) | Q(price_per_kg__gt=0),
                name="offer_price_per_kg_positive",
            ),
            models.CheckConstraint(
                condition=Q(stock_cap__isnull=True) | Q(allocated__lte=models.F("stock_cap")),
                name="offer_never_over_cap",
            ),
        ]

    def __str__(self):
        return str(self.variant)

    def save(self, *args, **kwargs):
        if self.price_per_kg is not None:
            self.price = self.variant.estimated_price(self.price_per_kg)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "price"}
        super().save(*args, **kwargs)

    @classmethod
    def at_catalogue_price(cls, *, cycle, variant, stock_cap=None) -> "Offer":
        """A new offer of ``variant`` at its catalogue price (per kg if sold by weight)."""
        per_kg = variant.price_per_kg if variant.sold_by_weight else None
        return cls(
            cycle=cycle,
            variant=variant,
            price=variant.price if per_kg is None else variant.estimated_price(per_kg),
            price_per_kg=per_kg,
            stock_cap=stock_cap,
        )

    @property
    def is_by_weight(self) -> bool:
        return self.price_per_kg is not None

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
