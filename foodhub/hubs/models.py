import secrets
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as NumberError
from stdnum.fr import siret as siret_number
from stdnum.fr import tva as vat_number

from foodhub.collation import french
from producers.validators import PHOTO_EXTENSIONS, validate_photo

INVITATION_VALIDITY = timedelta(days=14)

# Hub slugs live at the root of the site (/<hub-slug>/), so they must not shadow a page.
RESERVED_SLUGS = {
    "admin", "accounts", "spaces", "producers", "hubs", "invitations", "static", "media",
    "i18n", "health", "api", "shop", "cms", "documents", "orders", "stripe", "points",
    "help",
}  # fmt: skip


def is_reserved_at_root(slug: str) -> bool:
    """True when ``/<slug>/`` cannot be a hub's shop or a top-level page: the first part
    of an application address ("orders"), a language ("en" is the English site), or a
    slug Django reads as another language ("/en-vrac/" is taken for English, and what is
    there in French is never found)."""
    language = translation.get_language_from_path(f"/{slug}/")
    return (
        slug in RESERVED_SLUGS
        or slug in dict(settings.LANGUAGES)
        or language not in (None, settings.LANGUAGE_CODE)
    )


def validate_hub_slug(value: str):
    """Refuse a short name the site already answers at (see ``is_reserved_at_root``), or
    a public page's right under the home page (the shop would hide it)."""
    if is_reserved_at_root(value):
        raise ValidationError(_("This short name is reserved; choose another one."))
    if apps.is_installed("wagtail"):
        # The public pages sit above this app: named, not imported (see DESIGN.md).
        pages = apps.get_model("wagtailcore", "Page").objects.filter(depth=3, slug=value)
        if pages.exists():
            raise ValidationError(
                _("A page of the public site already has this address; choose another one.")
            )


def validate_siret(value: str):
    """A SIRET (14 digits, spaces allowed) whose check digit is right."""
    try:
        siret_number.validate(value)
    except NumberError:
        raise ValidationError(
            _("This is not a valid SIRET number: 14 digits, such as 732 829 320 00074.")
        ) from None


def validate_vat_number(value: str):
    """A French VAT number ("FR" + 2 check characters + the SIREN) that checks out."""
    try:
        vat_number.validate(value)
    except NumberError:
        raise ValidationError(
            _("This is not a valid French VAT number, such as FR44732829320.")
        ) from None


class Hub(models.Model):
    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(
        _("short name (in addresses)"), max_length=80, unique=True, validators=[validate_hub_slug]
    )
    description = models.TextField(_("description"), blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    logo = models.ImageField(
        _("logo"),
        upload_to="hubs/",
        blank=True,
        validators=[FileExtensionValidator(PHOTO_EXTENSIONS), validate_photo],
    )
    # Used for order numbers later on ("LIL-2026-000123").
    order_prefix = models.CharField(
        _("order number prefix"),
        max_length=6,
        default="HUB",
        validators=[
            RegexValidator(
                r"^[A-Z0-9]{2,6}$", _("2 to 6 capital letters or digits, for example LIL.")
            )
        ],
    )
    producers = models.ManyToManyField(
        "producers.Producer",
        related_name="hubs",
        blank=True,
        verbose_name=_("producers"),
        help_text=_("The producers this hub works with."),
    )
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="HubMembership", related_name="managed_hubs", blank=True
    )
    # Card payments (Stripe): offered only when the platform has Stripe keys and the hub
    # turned them on. A hub with its own Stripe account gives its Connect account id.
    accepts_card_payments = models.BooleanField(_("accept card payments"), default=False)
    producers_see_names = models.BooleanField(
        _("producers see the households' names"),
        default=False,
        help_text=_("On their pick lists, so that they can prepare one crate per household."),
    )
    stripe_account_id = models.CharField(
        _("Stripe account (Connect)"),
        max_length=255,
        blank=True,
        help_text=_('The hub\'s own Stripe account id ("acct_..."), when it has one.'),
    )

    class MoneyOwedBack(models.TextChoices):
        KEEP_AS_CREDIT = "keep_as_credit", _("keep it as the household's credit")
        REFUND_TO_CARD = "refund_to_card", _("refund it to the card that paid the order")

    # What happens to money owed back to a household after its order was adjusted (a
    # lighter chicken, a product not delivered): credit for its next orders, or a partial
    # refund to the card that paid the order (orders.billing.refunds).
    money_owed_back = models.CharField(
        _("money owed back after an adjustment"),
        max_length=20,
        choices=MoneyOwedBack.choices,
        default=MoneyOwedBack.KEEP_AS_CREDIT,
        help_text=_(
            "A lighter weight or a product not delivered: an order paid at pickup always "
            "gets credit."
        ),
    )

    # Who sells, as invoices must say it (orders.billing.invoices): written on every
    # invoice when it is issued, then frozen there.
    legal_name = models.CharField(
        _("legal name"),
        max_length=150,
        blank=True,
        help_text=_("The name of the legal entity that sells, as registered."),
    )
    legal_form = models.CharField(
        _("legal form and capital"),
        max_length=150,
        blank=True,
        help_text=_("Optional, for example: SCIC SAS with variable capital."),
    )
    legal_street = models.CharField(_("registered address"), max_length=255, blank=True)
    legal_postcode = models.CharField(
        _("postcode"),
        max_length=5,
        blank=True,
        validators=[RegexValidator(r"^[0-9]{5}$", _("5 digits, for example 59000."))],
    )
    legal_city = models.CharField(_("city"), max_length=100, blank=True)
    siret = models.CharField(
        _("SIRET"),
        max_length=14,
        blank=True,
        validators=[validate_siret],
        help_text=_("14 digits."),
    )
    vat_number = models.CharField(
        _("VAT number"),
        max_length=13,
        blank=True,
        validators=[validate_vat_number],
        help_text=_("Intra-community VAT number, such as FR44732829320."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # What an invoice needs of the hub's legal identity (the legal form is optional).
    LEGAL_IDENTITY = ("legal_name", "legal_street", "legal_postcode", "legal_city", "siret",
                      "vat_number")  # fmt: skip

    class Meta:
        ordering = [french("name")]
        verbose_name = _("hub")
        verbose_name_plural = _("hubs")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("hub_public", kwargs={"hub_slug": self.slug})

    def missing_legal_identity(self) -> list[str]:
        """The names (in the reader's language) of the legal identity fields an invoice
        needs that are empty."""
        return [
            str(self._meta.get_field(name).verbose_name)
            for name in self.LEGAL_IDENTITY
            if not getattr(self, name)
        ]

    @property
    def card_payments_available(self) -> bool:
        return bool(
            self.accepts_card_payments
            and settings.STRIPE_SECRET_KEY
            and settings.STRIPE_PUBLISHABLE_KEY
        )


class HubMembership(models.Model):
    class Role(models.TextChoices):
        MANAGER = "manager", _("manager")

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hub_memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MANAGER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("hub membership")
        verbose_name_plural = _("hub memberships")
        constraints = [models.UniqueConstraint(fields=["hub", "user"], name="unique_hub_member")]

    def __str__(self):
        return f"{self.user} @ {self.hub}"


class Relay(models.Model):
    """A person who orders for households of a hub that cannot do it themselves (a volunteer
    of the tiers-lieu, a social worker on staff).

    Not a hub membership: a membership makes a manager. A relay sees the households it helps
    and their orders (``orders.relays``), nothing else of the hub.
    """

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="relays")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hub_relays"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("relay")
        verbose_name_plural = _("relays")
        constraints = [models.UniqueConstraint(fields=["hub", "user"], name="unique_hub_relay")]

    def __str__(self):
        return f"{self.user} ↝ {self.hub}"


def new_invitation_token() -> str:
    return secrets.token_urlsafe(32)


def default_invitation_expiry():
    return timezone.now() + INVITATION_VALIDITY


class Invitation(models.Model):
    """An e-mailed link that makes its holder a hub manager, a producer member, or a
    member of a pickup point's team (coordinator or volunteer).

    Exactly one of ``hub``, ``producer`` and ``pickup_point`` is set. The link is
    single-use and expires.
    """

    class Kind(models.TextChoices):
        HUB_MANAGER = "hub_manager", _("hub manager")
        HUB_RELAY = "hub_relay", _("relay")
        PRODUCER_MEMBER = "producer_member", _("producer member")
        PICKUP_COORDINATOR = "pickup_coordinator", _("pickup point coordinator")
        PICKUP_VOLUNTEER = "pickup_volunteer", _("pickup point volunteer")

    PICKUP_KINDS = (Kind.PICKUP_COORDINATOR, Kind.PICKUP_VOLUNTEER)

    kind = models.CharField(max_length=20, choices=Kind.choices)
    email = models.EmailField(_("e-mail address"))
    hub = models.ForeignKey(
        Hub, on_delete=models.CASCADE, null=True, blank=True, related_name="invitations"
    )
    producer = models.ForeignKey(
        "producers.Producer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
    )
    pickup_point = models.ForeignKey(
        "pickup_points.PickupPoint",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
    )
    token = models.CharField(max_length=64, unique=True, default=new_invitation_token)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=default_invitation_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        kind__in=["hub_manager", "hub_relay"],
                        hub__isnull=False,
                        producer__isnull=True,
                        pickup_point__isnull=True,
                    )
                    | Q(
                        kind="producer_member",
                        hub__isnull=True,
                        producer__isnull=False,
                        pickup_point__isnull=True,
                    )
                    | Q(
                        kind__in=["pickup_coordinator", "pickup_volunteer"],
                        hub__isnull=True,
                        producer__isnull=True,
                        pickup_point__isnull=False,
                    )
                ),
                name="invitation_has_one_target",
            )
        ]

    def __str__(self):
        return f"{self.email} → {self.target}"

    def get_absolute_url(self):
        return reverse("invitation", kwargs={"token": self.token})

    @property
    def target(self):
        if self.kind in (self.Kind.HUB_MANAGER, self.Kind.HUB_RELAY):
            return self.hub
        if self.kind == self.Kind.PRODUCER_MEMBER:
            return self.producer
        return self.pickup_point

    @property
    def is_accepted(self) -> bool:
        return self.accepted_at is not None

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at
