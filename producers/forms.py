from django import forms
from django.db import transaction
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _

from foodhub import inputs

from .models import (
    MAX_PRICE,
    MAX_STOCK,
    WEIGHT_UNITS,
    Category,
    Label,
    Producer,
    Product,
    StockMode,
    Variant,
)
from .selectors import sku_taken
from .services import set_stock


class ProducerProfileForm(inputs.ModelForm):
    """What a producer tells about itself; the slug stays (it is in addresses and files)."""

    class Meta:
        model = Producer
        fields = [
            "name", "description", "address", "postcode", "city", "siret", "email", "phone",
            "website", "photo",
        ]  # fmt: skip
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "photo": forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        }

    def clean_siret(self):
        return self.cleaned_data["siret"].replace(" ", "")


class ProductForm(inputs.ModelForm):
    class Meta:
        model = Product
        fields = ["name", "description", "category", "labels", "photo", "is_active"]
        widgets = {
            "labels": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 4}),
            "photo": forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        }

    def __init__(self, *args, producer: Producer, **kwargs):
        super().__init__(*args, **kwargs)
        self.producer = producer
        self.fields["category"].queryset = Category.objects.all()
        self.fields["labels"].queryset = Label.objects.all()
        self.fields["category"].empty_label = _("Choose a category")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        others = Product.objects.filter(producer=self.producer, name__iexact=name)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("You already have a product with this name."))
        return name


class StockEditMixin:
    """Saves the stock as a change to the figure the page showed (``stock_shown``, hidden),
    so units households order while a producer edits are not sold twice
    (``services.set_stock``). After ``save()``, ``ordered_meanwhile`` tells how many.

    The page also carries the variant's version (``stock_version``, its last save): a form
    sent twice, or from a page older than another save, changes everything but the stock,
    and ``stock_conflict`` is set so that the producer checks it.
    """

    ordered_meanwhile = 0
    stock_conflict = False

    def add_stock_shown(self):
        saved = self.instance.pk is not None
        self.fields["stock_shown"] = inputs.IntegerField(
            widget=forms.HiddenInput,
            required=False,
            min_value=0,
            max_value=MAX_STOCK,
            initial=self.instance.stock_quantity if saved else None,
        )
        self.fields["stock_version"] = forms.CharField(
            widget=forms.HiddenInput,
            required=False,
            max_length=40,
            initial=self.instance.updated_at.isoformat() if saved else "",
        )

    def save(self, commit=True):
        variant = super().save(commit=False)
        if not commit or variant._state.adding:
            if commit:
                variant.save()
            return variant
        typed = variant.stock_quantity
        shown = self.cleaned_data.get("stock_shown")
        if "stock_mode" in self.changed_data:
            shown = None  # counted again from now: the figure typed is the stock
        version = self.cleaned_data.get("stock_version") or None
        with transaction.atomic():
            saved_at = (
                Variant.objects.select_for_update()
                .values_list("updated_at", flat=True)
                .get(pk=variant.pk)
            )
            self.stock_conflict = version is not None and version != saved_at.isoformat()
            variant.save(
                update_fields=[
                    field.name
                    for field in variant._meta.concrete_fields
                    if not field.primary_key and field.name != "stock_quantity"
                ]
            )
            if self.stock_conflict:
                variant.refresh_from_db(fields=["stock_quantity"])
            else:
                self.ordered_meanwhile = set_stock(variant=variant, typed=typed, shown=shown)
        return variant


def _checked_price(price):
    if price is not None and price >= MAX_PRICE:
        raise forms.ValidationError(_("This price looks wrong: check it."))
    return price


class VariantForm(StockEditMixin, inputs.ModelForm):
    class Meta:
        model = Variant
        fields = [
            "name",
            "unit",
            "quantity_per_unit",
            "price",
            "sold_by_weight",
            "price_per_kg",
            "vat_rate",
            "stock_mode",
            "stock_quantity",
            "sku",
            "is_active",
        ]
        # Localised so that "3,50" is accepted in French.
        localized_fields = ["quantity_per_unit", "price", "price_per_kg"]
        widgets = {
            "quantity_per_unit": forms.TextInput(attrs={"inputmode": "decimal"}),
            "price": forms.TextInput(attrs={"inputmode": "decimal"}),
            "price_per_kg": forms.TextInput(attrs={"inputmode": "decimal"}),
        }
        help_texts = {
            "price": _("Of one unit. Sold by weight: left empty, the estimate is worked out."),
            "price_per_kg": _("Sold by weight only; the quantity is then the estimated weight."),
        }

    def __init__(self, *args, producer: Producer, **kwargs):
        super().__init__(*args, **kwargs)
        self.producer = producer
        self.fields["stock_quantity"].max_value = MAX_STOCK
        self.fields["stock_quantity"].widget.attrs["max"] = MAX_STOCK
        self.fields["price"].required = False  # worked out for a variant sold by weight
        self.add_stock_shown()

    def clean_price(self):
        return _checked_price(self.cleaned_data["price"])

    def clean_price_per_kg(self):
        return _checked_price(self.cleaned_data["price_per_kg"])

    def clean(self):
        """Sold by weight: a price per kg and a unit of weight, and the unit's price is the
        estimate; otherwise a price, and no price per kg."""
        data = super().clean()
        if data.get("sold_by_weight"):
            unit, per_kg = data.get("unit"), data.get("price_per_kg")
            if per_kg is None and "price_per_kg" not in self.errors:
                message = _("Give the price per kg of a product sold by weight.")
                self.add_error("price_per_kg", message)
            if unit and unit not in WEIGHT_UNITS:
                self.add_error(
                    "unit",
                    _("A product sold by weight is counted in kg or g: its estimated weight."),
                )
            quantity = data.get("quantity_per_unit")
            if per_kg is not None and unit in WEIGHT_UNITS and quantity:
                estimate = Variant(unit=unit, quantity_per_unit=quantity, sold_by_weight=True)
                data["price"] = estimate.estimated_price(per_kg)
        else:
            data["price_per_kg"] = None
            if data.get("price") is None and "price" not in self.errors:
                self.add_error("price", _("Give the price of one unit."))
        return data

    def clean_sku(self):
        sku = self.cleaned_data["sku"].strip()
        if sku_taken(self.producer, sku, exclude_pk=self.instance.pk):
            raise forms.ValidationError(_("Another of your variants already uses this reference."))
        return sku


class BaseVariantFormSet(BaseInlineFormSet):
    def __init__(self, *args, producer: Producer, **kwargs):
        self.producer = producer
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "producer": self.producer}

    @property
    def empty_form(self):
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            producer=self.producer,
            renderer=self.renderer,
        )
        self.add_fields(form, None)
        return form

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        seen_names, seen_skus = set(), set()
        for form in self.forms:
            if not form.cleaned_data or self._should_delete_form(form):
                continue
            name = form.cleaned_data["name"].strip().lower()
            if name in seen_names:
                form.add_error("name", _("Two variants of this product have the same name."))
            seen_names.add(name)
            sku = form.cleaned_data.get("sku", "").lower()
            if sku and sku in seen_skus:
                form.add_error("sku", _("Two variants use the same reference."))
            seen_skus.add(sku)


VariantFormSet = inlineformset_factory(
    Product,
    Variant,
    form=VariantForm,
    formset=BaseVariantFormSet,
    extra=1,
    min_num=1,
    validate_min=True,
    max_num=30,
    # A tampered TOTAL_FORMS builds no more forms than a product may have (Django's
    # default lets 1,030 through, each validated and shown again).
    absolute_max=30,
    validate_max=True,
    can_delete=False,
)


class QuickVariantForm(StockEditMixin, inputs.ModelForm):
    """One row of the weekly stock-and-price editor."""

    class Meta:
        model = Variant
        fields = ["price", "stock_quantity", "is_active"]
        localized_fields = ["price"]
        widgets = {"price": forms.TextInput(attrs={"inputmode": "decimal", "size": 7})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stock_quantity"].max_value = MAX_STOCK
        self.fields["stock_quantity"].required = False
        if self.instance.sold_by_weight:  # the price typed is per kg
            self.fields["price"].label = _("Price per kg incl. VAT (€)")
            self.initial["price"] = self.instance.price_per_kg
        self.add_stock_shown()

    def clean_price(self):
        return _checked_price(self.cleaned_data["price"])

    def save(self, commit=True):
        if self.instance.sold_by_weight:
            self.instance.price_per_kg = self.cleaned_data["price"]  # save() works out price
        return super().save(commit)

    def clean_stock_quantity(self):
        stock = self.cleaned_data.get("stock_quantity")
        if stock is None:
            if self.instance.stock_mode == StockMode.ON_DEMAND:
                return self.instance.stock_quantity
            raise forms.ValidationError(_("Enter the quantity in stock."))
        return stock


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    category = inputs.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label=_("All categories"),
    )
    label = inputs.ModelChoiceField(
        label=_("Label"),
        queryset=Label.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label=_("All labels"),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("All")),
            ("active", _("On sale")),
            ("inactive", _("Not on sale")),
            ("out_of_stock", _("Out of stock")),
        ],
    )


class CatalogueImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Separator ; or , — UTF-8 encoding. At most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("This file is too big (at most 5 MB)."))
        return file
