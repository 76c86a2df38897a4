"""The shared readers of what comes in (``foodhub/inputs.py``): ids, numbers, amounts,
choices of objects, ``next`` addresses; and every form of the project uses them."""

import ast
import importlib
import inspect
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from django import forms
from django.conf import settings
from django.test import RequestFactory
from django.urls import Resolver404, resolve, reverse

from foodhub import inputs
from producers.models import Label, Variant
from tests import bad_input

ROOT = Path(settings.BASE_DIR)
APPS = ["foodhub", "orders", "pickup_points", "producers"]


# Ids


@pytest.mark.parametrize("value", ["1", "42", "0042", str(inputs.MAX_ID), 7])
def test_an_id_is_ascii_digits_within_the_databases_range(value):
    assert inputs.parse_id(value) == int(value)


@pytest.mark.parametrize(
    "value",
    [*bad_input.HUGE_IDS, *bad_input.UNICODE_DIGITS, *bad_input.WITH_NUL, "0", "-1", "+1", " 1",
     "1 ", "1.0", "", None, True, 2**63, -5, "0x1F", "1_000"],
)  # fmt: skip
def test_anything_else_is_no_id(value):
    assert inputs.parse_id(value) is None


def _view_of(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


def test_addresses_take_ids_the_database_can_hold_only():
    assert resolve("/producers/ferme/products/12/").kwargs["pk"] == 12
    for value in ["²", "١٢", "１２", "9" * 20, str(2**63), "0", "-1"]:
        # Not the product page (the public pages' catch-all may take it, then 404).
        assert _view_of(f"/producers/ferme/products/{quote(value)}/") != "producers:product_edit"


def test_no_address_of_the_project_takes_djangos_int_converter():
    """``<int:...>`` passes 20-digit numbers to the views: the project's addresses use
    ``<id:...>``."""
    offenders = [
        str(path.relative_to(ROOT))
        for app in APPS
        for path in (ROOT / app).rglob("*urls.py")
        if "<int:" in path.read_text()
    ]
    assert offenders == []


# Numbers and amounts


class AmountForm(forms.Form):
    price = inputs.DecimalField(max_digits=8, decimal_places=2, localize=True, required=False)
    weight = inputs.DecimalField(
        min_value=Decimal("0"), max_value=Decimal("100"), decimal_places=3, required=False
    )
    count = inputs.IntegerField(required=False)


@pytest.mark.parametrize("value", bad_input.NOT_NUMBERS + bad_input.UNICODE_DIGITS)
@pytest.mark.parametrize("name", ["price", "weight", "count"])
def test_what_is_not_an_ordinary_number_is_refused_with_a_message(name, value):
    form = AmountForm({name: value}, initial={name: Decimal("3.50")})
    assert form.has_changed()  # comparing sNaN raised decimal.InvalidOperation
    assert not form.is_valid()
    assert form.errors[name]


@pytest.mark.parametrize("value", ["3,50", "3.50", "0,5", " 12 ", "-1", "+2"])
def test_amounts_are_read_in_french(value):
    form = AmountForm({"price": value})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["price"] == Decimal(value.strip().replace(",", "."))


def test_amounts_keep_to_the_digits_the_model_holds():
    form = AmountForm({"price": "1234567,89"})
    assert not form.is_valid()
    assert "8 chiffres" in form.errors["price"][0]


@pytest.mark.parametrize("value", ["12", "-3", "0", " 7 "])
def test_whole_numbers(value):
    form = AmountForm({"count": value})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["count"] == int(value)


def test_a_whole_number_stays_within_what_the_database_holds():
    form = AmountForm({"count": str(2**31)})
    assert not form.is_valid()
    assert 'max="' not in str(form["count"])  # the database's limit is not shown


# Choices of objects


class LabelsForm(forms.Form):
    label = inputs.ModelChoiceField(queryset=Label.objects.all(), required=False)
    labels = inputs.ModelMultipleChoiceField(queryset=Label.objects.all(), required=False)


@pytest.mark.django_db
@pytest.mark.parametrize("value", bad_input.HUGE_IDS + bad_input.UNICODE_DIGITS + ["0", "-1"])
def test_choices_of_objects_refuse_ids_no_database_holds(organic, value):
    """A 20-digit id in ``pk__in`` was a server error on SQLite (OverflowError)."""
    form = LabelsForm({"labels": [str(organic.pk), value], "label": value})
    assert not form.is_valid()
    assert set(form.errors) == {"label", "labels"}


@pytest.mark.django_db
def test_choices_of_objects_still_take_their_ids(organic):
    form = LabelsForm({"labels": [str(organic.pk)], "label": str(organic.pk)})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["label"] == organic
    assert list(form.cleaned_data["labels"]) == [organic]


@pytest.mark.django_db
@pytest.mark.parametrize("value", bad_input.WITH_NUL)
def test_choices_of_objects_refuse_nul_characters(value):
    form = LabelsForm({"labels": [value], "label": value})
    assert not form.is_valid()
    assert set(form.errors) == {"label", "labels"}


# Every form of the project


def _form_modules():
    for app in APPS:
        for path in (ROOT / app).rglob("*forms.py"):
            yield (
                importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts)),
                path,
            )


PLAIN_DJANGO = (
    forms.DateField,
    forms.DateTimeField,
    forms.EmailField,
    forms.DecimalField,
    forms.IntegerField,
    forms.ModelChoiceField,
    forms.ModelMultipleChoiceField,
)


def test_every_model_form_reads_numbers_amounts_and_choices_with_the_shared_fields():
    """A model form made of the project's ModelForm (or passing ``inputs.formfield``) gets
    the shared fields; a new form made from Django's directly fails here."""
    offenders = []
    for module, _path in _form_modules():
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, forms.BaseForm) or cls.__module__ != module.__name__:
                continue
            for field_name, field in cls.base_fields.items():
                if type(field).__module__.startswith("django.") and isinstance(field, PLAIN_DJANGO):
                    offenders.append(f"{module.__name__}.{name}.{field_name}")
    assert offenders == []


def test_no_form_builds_djangos_number_or_choice_fields_itself():
    """Fields added in ``__init__`` are not in ``base_fields``: the source is read too."""
    names = {cls.__name__ for cls in PLAIN_DJANGO} | {"ModelForm"}
    offenders = []
    for _module, path in _form_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in names
                and isinstance(node.value, ast.Name)
                and node.value.id == "forms"
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} forms.{node.attr}")
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", "") == "fields_for_model"
                and not any(k.arg == "formfield_callback" for k in node.keywords)
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} fields_for_model")
    assert offenders == []


@pytest.mark.parametrize("field", [inputs.DateField(), inputs.DateTimeField()])
@pytest.mark.parametrize("value", bad_input.BAD_DATES + ["1999-12-31", "2100-01-01"])
def test_dates_outside_the_years_a_hub_plans_for_are_refused_with_a_message(field, value):
    with pytest.raises(forms.ValidationError) as refused:
        field.clean(value)
    assert refused.value.code == "out_of_range"
    assert "2000" in refused.value.messages[0] and "2099" in refused.value.messages[0]


@pytest.mark.parametrize("value", ["2000-01-01", "2026-12-07", "2099-12-31"])
def test_dates_within_those_years_are_read(value):
    assert inputs.DateField().clean(value).isoformat() == value
    assert inputs.DateTimeField().clean(value).date().isoformat() == value


def test_model_forms_get_the_shared_fields():
    class VariantForm(inputs.ModelForm):
        class Meta:
            model = Variant
            fields = ["price", "stock_quantity", "product"]

    fields = VariantForm.base_fields
    assert type(fields["price"]) is inputs.DecimalField
    assert fields["price"].max_digits == 8
    assert type(fields["stock_quantity"]) is inputs.IntegerField
    assert type(fields["product"]) is inputs.ModelChoiceField


# Where to go next


@pytest.fixture
def request_():
    return RequestFactory().post("/", HTTP_HOST="drive.example.org")


@pytest.mark.parametrize("value", bad_input.BAD_NEXT + ["", None, "/\u202eevil", "/a\tb"])
def test_a_next_address_that_is_not_local_is_ignored(request_, value):
    assert inputs.safe_next(request_, value) is None


@pytest.mark.parametrize("value", ["/", "/orders/", "/lille/?page=2&q=pommes", "/en/lille/"])
def test_a_local_next_address_is_kept(request_, value):
    assert inputs.safe_next(request_, value) == value


def test_redirect_next_falls_back(request_):
    request_.POST = request_.POST.copy()
    request_.POST["next"] = "abc"
    assert inputs.redirect_next(request_, "home").url == reverse("home")
    request_.POST["next"] = "/orders/?x=1"
    assert inputs.redirect_next(request_, "home").url == "/orders/?x=1"
