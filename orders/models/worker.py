"""What the background worker keeps: documents built in the background, the outbox of
e-mails, and the worker's heartbeat."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .cycles import OrderCycle


def _private_storage():
    from django.core.files.storage import storages  # the storages are read when used

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
    # The state of the cycle's orders it was built from (orders.printouts.documents.orders_state):
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


class OutgoingEmail(models.Model):
    """An e-mail (or an SMS: ``channel``) the scheduler owes someone (``orders.outbox``),
    written in the same transaction as the step that owes it, under a unique key: a step
    done twice owes it once. It is claimed ("sending") before it leaves, so it never leaves
    twice. An SMS goes to an E.164 number (``to``) and names the hub it is sent for, which
    counts its SMS per month."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        BUILDING = "building", _("being written")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=40)
    channel = models.CharField(
        max_length=5, choices=Channel.choices, default=Channel.EMAIL, db_default=Channel.EMAIL
    )
    to = models.EmailField()  # an e-mail address, or an E.164 number for an SMS
    hub = models.ForeignKey(
        "hubs.Hub", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
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
        indexes = [
            models.Index(fields=["status", "not_before"]),
            models.Index(fields=["hub", "channel", "sent_at"], name="outbox_hub_channel_sent"),
        ]
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")

    def __str__(self):
        return f"{self.kind} → {self.to} ({self.status})"
