from datetime import timedelta
from urllib.parse import quote_plus

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from foodhub.collation import french

SHARING_REQUEST_VALIDITY = timedelta(days=14)


class PickupPoint(models.Model):
    """A place where households collect their orders, usually run by a tiers-lieu.

    Its managers are its coordinators and the managers of the hub that runs it
    (``owner_hub``, the hub that created it): they edit it and run its team, whose
    coordinators invite the volunteers of distribution day. Other hubs may use it too
    (``hubs``) once its managers accepted their request (``SharingRequest``); those hubs
    see what their distributions need, never the access information (door code...),
    which is shown only to its team, its managers and households with an order there.
    """

    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(max_length=80, unique=True)
    tiers_lieu = models.CharField(_("tiers-lieu"), max_length=150, blank=True)
    address = models.CharField(_("address"), max_length=255)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("town"), max_length=100, blank=True)
    access_info = models.TextField(
        _("access information"),
        blank=True,
        help_text=_(
            "Door code, floor... shown only to volunteers and households with an order here."
        ),
    )
    opening_notes = models.TextField(_("opening notes"), blank=True)
    contact_name = models.CharField(_("contact person"), max_length=150, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    owner_hub = models.ForeignKey(
        "hubs.Hub",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_pickup_points",
        verbose_name=_("hub that runs it"),
        help_text=_(
            "Its managers run the point with its coordinators; the other hubs it serves "
            "only share it."
        ),
    )
    # The hubs it serves: the hub that runs it, and those whose request it accepted.
    hubs = models.ManyToManyField(
        "hubs.Hub", related_name="pickup_points", blank=True, verbose_name=_("hubs")
    )

    class Meta:
        ordering = [french("name")]
        verbose_name = _("pickup point")
        verbose_name_plural = _("pickup points")

    def __str__(self):
        return self.name

    @property
    def full_address(self) -> str:
        town = " ".join(part for part in (self.postcode, self.city) if part)
        return ", ".join(part for part in (self.address, town) if part)

    @property
    def map_url(self) -> str:
        """The place on OpenStreetMap: its pin when known, else a search for the address."""
        if self.latitude is not None and self.longitude is not None:
            lat, lon = self.latitude, self.longitude
            return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"
        return f"https://www.openstreetmap.org/search?query={quote_plus(self.full_address)}"


class PickupPointMembership(models.Model):
    """Someone on a pickup point's team: a coordinator (invites and manages volunteers) or a
    volunteer (runs distribution day)."""

    class Role(models.TextChoices):
        COORDINATOR = "coordinator", _("coordinator")
        VOLUNTEER = "volunteer", _("volunteer")

    pickup_point = models.ForeignKey(
        PickupPoint, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pickup_memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.VOLUNTEER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["role", french("user__full_name"), "pk"]
        verbose_name = _("pickup point team member")
        verbose_name_plural = _("pickup point team members")
        constraints = [
            models.UniqueConstraint(fields=["pickup_point", "user"], name="unique_point_member")
        ]

    def __str__(self):
        return f"{self.user} @ {self.pickup_point} ({self.get_role_display()})"


def default_sharing_request_expiry():
    return timezone.now() + SHARING_REQUEST_VALIDITY


class SharingRequestQuerySet(models.QuerySet):
    def waiting(self):
        """Requests still waiting for an answer (not expired)."""
        return self.filter(status=SharingRequest.Status.PENDING, expires_at__gt=timezone.now())


class SharingRequest(models.Model):
    """A hub asking to serve a pickup point it does not run.

    The point's coordinators, or the managers of the hub that runs it, accept or decline
    it; only acceptance makes the point serve the hub. A request waits at most
    ``SHARING_REQUEST_VALIDITY``, may be withdrawn by the asking hub, and is answered once.
    An accepted request is marked ended when either side ends the sharing.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for an answer")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        WITHDRAWN = "withdrawn", _("withdrawn")
        EXPIRED = "expired", _("expired")
        ENDED = "ended", _("ended")

    pickup_point = models.ForeignKey(
        PickupPoint,
        on_delete=models.CASCADE,
        related_name="sharing_requests",
        verbose_name=_("pickup point"),
    )
    hub = models.ForeignKey(
        "hubs.Hub",
        on_delete=models.CASCADE,
        related_name="pickup_point_requests",
        verbose_name=_("hub asking"),
    )
    message = models.TextField(_("message"), blank=True, max_length=1000)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=default_sharing_request_expiry)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = SharingRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("request to share a pickup point")
        verbose_name_plural = _("requests to share a pickup point")
        constraints = [
            # Asking twice makes one request.
            models.UniqueConstraint(
                fields=["pickup_point", "hub"],
                condition=Q(status="pending"),
                name="one_pending_sharing_request",
            )
        ]

    def __str__(self):
        return f"{self.hub} → {self.pickup_point} ({self.get_status_display()})"

    @property
    def is_waiting(self) -> bool:
        return self.status == self.Status.PENDING and timezone.now() < self.expires_at


class ClientAction(models.Model):
    """A change a volunteer made on their phone at distribution day, perhaps offline, and
    sent later (``pickup_points.offline``).

    The phone names each change with an id of its own (a UUID) before sending it. The
    change is applied once, in the transaction that writes this row; sending the same id
    again (a retry after a lost answer, another tab, another account on the same phone)
    answers what the first time answered and changes nothing.
    """

    class Kind(models.TextChoices):
        COLLECTED = "collected", _("collected")
        UNCOLLECTED = "uncollected", _("not collected")
        PAYMENT = "payment", _("payment")
        CREDIT = "credit", _("paid with credit")

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("applied")
        REFUSED = "refused", _("refused")

    uuid = models.UUIDField(unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # What the phone sent (method, amount, what it showed...), as sent.
    payload = models.JSONField(default=dict)
    made_at = models.DateTimeField(null=True, blank=True)  # the phone's clock
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    message = models.TextField(blank=True)
    payment = models.ForeignKey(
        "orders.Payment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The order's "collected" time once a tick was applied: what a later "not collected"
    # made on the same phone undoes.
    collected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["received_at", "pk"]
        verbose_name = _("change sent from a phone")
        verbose_name_plural = _("changes sent from phones")

    def __str__(self):
        return f"{self.kind} {self.order_id} ({self.outcome})"
