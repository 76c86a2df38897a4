from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import FileExtensionValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from foodhub.collation import french

from .validators import PHOTO_EXTENSIONS, validate_photo, validate_siret

# Sanity limits for what a producer types (a price of 100,000 € is a typo, not a product).
MAX_PRICE = Decimal("100000")
MAX_QUANTITY = Decimal("100000")  # quantity_per_unit has max_digits=8, decimal_places=3
MAX_STOCK = 1_000_000

photo_validators = [FileExtensionValidator(PHOTO_EXTENSIONS), validate_photo]


class Producer(models.Model):
    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("short name (in addresses)"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("town"), max_length=100, blank=True)
    siret = models.CharField(
        _("SIRET number"), max_length=17, blank=True, validators=[validate_siret]
    )
    email = models.EmailField(_("contact e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    website = models.URLField(_("website"), blank=True)
    photo = models.ImageField(
        _("photo"), upload_to="producers/", blank=True, validators=photo_validators
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The catalogue in DFC JSON-LD (producers/dfc.py) is open to anyone when set; otherwise
    # it needs one of the producer's read tokens (DfcReadToken).
    dfc_catalogue_public = models.BooleanField(
        _("public catalogue (DFC)"),
        default=False,
        help_text=_("Anyone may read your catalogue in the Data Food Consortium format."),
    )

    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="ProducerMembership",
        related_name="producers",
        blank=True,
    )

    class Meta:
        ordering = [french("name")]
        verbose_name = _("producer")
        verbose_name_plural = _("producers")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("producers:catalogue", kwargs={"producer_slug": self.slug})


class ProducerMembership(models.Model):
    producer = models.ForeignKey(Producer, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="producer_memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("producer member")
        verbose_name_plural = _("producer members")
        constraints = [
            models.UniqueConstraint(fields=["producer", "user"], name="unique_producer_member")
        ]

    def __str__(self):
        return f"{self.user} @ {self.producer}"


class Category(models.Model):
    """Shop aisle shared by every producer (vegetables, dairy, bread...)."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", french("name")]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name


class Label(models.Model):
    """A quality sign or promise: organic (AB), local, Nature & Progrès..."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)

    class Meta:
        ordering = [french("name")]
        verbose_name = _("label")
        verbose_name_plural = _("labels")

    def __str__(self):
        return self.name


class Product(models.Model):
    producer = models.ForeignKey(Producer, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="products",
        verbose_name=_("category"),
    )
    labels = models.ManyToManyField(
        Label, blank=True, related_name="products", verbose_name=_("labels")
    )
    photo = models.ImageField(
        _("photo"), upload_to="products/", blank=True, validators=photo_validators
    )
    is_active = models.BooleanField(
        _("on sale"),
        default=True,
        help_text=_("Inactive products are kept but never offered."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = [french("name"), "pk"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        indexes = [models.Index(fields=["producer", "name"])]

    def __str__(self):
        return self.name


class Unit(models.TextChoices):
    PIECE = "piece", _("piece")
    KG = "kg", _("kg")
    G = "g", _("g")
    L = "l", _("l")
    CL = "cl", _("cl")
    BUNCH = "bunch", _("bunch")


class VatRate(models.TextChoices):
    # French VAT rates for food and drink: 5.5 % (most food), 10 % (some prepared food),
    # 20 % (alcohol, non-food). Stored as the decimal string so the value is exact.
    REDUCED = "5.5", _("5.5 %")
    INTERMEDIATE = "10.0", _("10 %")
    STANDARD = "20.0", _("20 %")


class StockMode(models.TextChoices):
    COUNTED = "counted", _("counted stock")
    ON_DEMAND = "on_demand", _("on demand (unlimited)")


# The units a variant sold by weight may be counted in (its estimate per unit).
WEIGHT_UNITS = ("kg", "g")

# How many grams or litres one unit holds, to show the price per kg or per litre.
REFERENCE_UNITS = {
    Unit.KG: ("kg", Decimal("1")),
    Unit.G: ("kg", Decimal("0.001")),
    Unit.L: ("l", Decimal("1")),
    Unit.CL: ("l", Decimal("0.01")),
}


class Variant(models.Model):
    """What a household actually buys: "Pommes Jonagold — sac 2 kg"."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="variants")
    name = models.CharField(_("name"), max_length=100, help_text=_('For example "2 kg bag".'))
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.PIECE)
    quantity_per_unit = models.DecimalField(
        _("quantity"),
        max_digits=8,
        decimal_places=3,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.001"))],
        help_text=_("How many units this variant holds (2 for a 2 kg bag)."),
    )
    price = models.DecimalField(
        _("price incl. VAT (€)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    vat_rate = models.CharField(
        _("VAT rate"), max_length=4, choices=VatRate.choices, default=VatRate.REDUCED
    )
    stock_mode = models.CharField(
        _("stock"), max_length=10, choices=StockMode.choices, default=StockMode.COUNTED
    )
    stock_quantity = models.PositiveIntegerField(
        _("quantity in stock"),
        default=0,
        help_text=_("Number of this variant you can sell (ignored when on demand)."),
    )
    # Unique within a producer's catalogue when set (checked by the forms and the import,
    # which use it to match rows to existing variants).
    sku = models.CharField(_("reference (SKU)"), max_length=50, blank=True, db_index=True)
    # Sold by weight: the household orders units ("a chicken of about 1.5 kg", the unit's
    # quantity in kg or g), each line is weighed after the close and costs its real weight
    # at ``price_per_kg``; ``price`` is then the estimate of one unit (``save`` keeps it).
    sold_by_weight = models.BooleanField(
        _("sold by weight"),
        default=False,
        help_text=_(
            "The price is per kg: each unit is weighed after the close and the household "
            "pays its real weight."
        ),
    )
    price_per_kg = models.DecimalField(
        _("price per kg incl. VAT (€)"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    is_active = models.BooleanField(_("on sale"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    # What the shop's search looks in: the product, variant, producer, category and label
    # names, folded (foodhub.text.folded: no accents, case or ligatures), so that "oeufs"
    # finds "Œufs" with a plain ``contains``, the same on SQLite and PostgreSQL. Written by
    # producers.services.refresh_search_texts, never typed.
    search_text = models.TextField(editable=False, blank=True, default="")

    class Meta:
        ordering = [french("product__name"), "quantity_per_unit", "pk"]
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="variant_price_positive"),
            models.CheckConstraint(
                condition=Q(sold_by_weight=False, price_per_kg__isnull=True)
                | Q(
                    sold_by_weight=True,
                    price_per_kg__isnull=False,  # a CHECK lets NULL through a comparison
                    price_per_kg__gt=0,
                    unit__in=WEIGHT_UNITS,
                ),
                name="variant_by_weight_has_a_price_per_kg",
            ),
        ]

    def __str__(self):
        return f"{self.product.name} — {self.name}"

    def save(self, *args, **kwargs):
        if self.sold_by_weight and self.price_per_kg is not None:
            self.price = self.estimated_price(self.price_per_kg)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "price"}
        super().save(*args, **kwargs)

    @property
    def weight_per_unit(self) -> Decimal | None:
        """The estimated weight of one unit in kg, for a variant sold by weight."""
        if not self.sold_by_weight or self.unit not in WEIGHT_UNITS:
            return None
        return self.quantity_per_unit * REFERENCE_UNITS[self.unit][1]

    def estimated_price(self, price_per_kg: Decimal) -> Decimal:
        """What one unit costs at ``price_per_kg`` if it weighs its estimate (never under a
        cent: the shop's prices are positive)."""
        if self.weight_per_unit is None:
            raise ValueError(f"{self} is not sold by weight")
        estimate = (price_per_kg * self.weight_per_unit).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        return max(estimate, Decimal("0.01"))

    @property
    def vat_rate_decimal(self) -> Decimal:
        return Decimal(self.vat_rate)

    @property
    def is_on_demand(self) -> bool:
        return self.stock_mode == StockMode.ON_DEMAND

    def reference_price(self, price: Decimal | None = None) -> tuple[Decimal, str] | None:
        """Price per kg or per litre (at ``price``, the catalogue's by default), or None for
        pieces and bunches."""
        if self.unit not in REFERENCE_UNITS:
            return None
        reference_unit, factor = REFERENCE_UNITS[self.unit]
        amount = self.quantity_per_unit * factor
        if amount <= 0:
            return None
        price = self.price if price is None else price
        return (price / amount).quantize(Decimal("0.01")), reference_unit


class DfcReadToken(models.Model):
    """A key that lets another platform read a producer's DFC catalogue. Only the SHA-256 of
    the key is kept: the key itself is shown once, when it is made."""

    producer = models.ForeignKey(Producer, on_delete=models.CASCADE, related_name="dfc_tokens")
    name = models.CharField(_("name"), max_length=80)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("DFC read key")
        verbose_name_plural = _("DFC read keys")

    def __str__(self):
        return f"{self.producer} — {self.name}"
