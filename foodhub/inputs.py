"""What comes in from outside, read in one place: ids, numbers, amounts, choices of
objects and ``next`` addresses. A tampered or mistyped value gets a message (a form error,
a 404), never a server error.

- ``parse_id`` and the ``id`` URL converter: ASCII digits, within the database's range.
- ``IntegerField``, ``DecimalField``, ``ModelChoiceField``, ``ModelMultipleChoiceField``:
  Django's, refusing what Django lets through to the database or to a comparison (Unicode
  digits, ``sNaN``, ids no database holds).
- ``DateField``, ``DateTimeField``: Django's, within the years a hub plans for (a date
  at year 1 or 9999 overflows the moment it is turned into UTC or moved by a week).
- ``EmailField`` and ``check_email_address``: an address the mail can be sent to (Django
  accepts control characters in the domain, such as U+202E, that no mail can carry).
- ``formfield``: the ``formfield_callback`` that gives a model's fields these form fields;
  ``ModelForm`` uses it, and ``fields_for_model(..., formfield_callback=formfield)`` too.
- ``safe_next`` and ``redirect_next``: where to go after a POST, only ever a local address.
"""

import re
import unicodedata
from decimal import Decimal
from urllib.parse import unquote

from django import forms
from django.core.exceptions import ValidationError
from django.core.mail.message import sanitize_address
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.http import HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils import formats
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

# Ids: BigAutoField on SQLite and PostgreSQL (a signed 64-bit integer).
MAX_ID = 2**63 - 1
# What an integer field holds on every database we run on (PostgreSQL's "integer").
MIN_INTEGER, MAX_INTEGER = -(2**31), 2**31 - 1

_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,18}")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def parse_id(value) -> int | None:
    """``value`` as a database id (ASCII digits, 1 to MAX_ID), else None.

    ``str.isdigit()`` is no test: it accepts "²", which ``int()`` refuses, and ``int()``
    accepts "١٢" and "１２"; a 20-digit id overflows SQLite.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else None
    text = value if isinstance(value, str) else ""
    if not (0 < len(text) <= 19 and text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


class IdConverter:
    """``<id:pk>`` in addresses: ASCII digits within the database's range, else no match
    (a 404), so a view never receives an id the database cannot hold."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError(value)
        return number

    def to_url(self, value) -> str:
        return str(value)


# Form fields


def _number_text(field, value, pattern) -> str:
    """The text typed in a number ``field``, once it matches ``pattern`` (else the field's
    "invalid" error); a localized field reads the separators of the active language."""
    text = str(value).strip()
    if field.localize:
        text = formats.sanitize_separators(text)
    if not pattern.fullmatch(text):
        raise ValidationError(field.error_messages["invalid"], code="invalid")
    return text


class IntegerField(forms.IntegerField):
    """A whole number typed with ASCII digits (Django also reads "١٢", "1_000" and numbers
    of any length), within what the database holds unless the field says less."""

    def __init__(self, *, min_value=None, max_value=None, **kwargs):
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)
        # The database's own limits, without showing them in the page (min/max attributes).
        if min_value is None:
            self.validators.append(MinValueValidator(MIN_INTEGER))
        if max_value is None:
            self.validators.append(MaxValueValidator(MAX_INTEGER))

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return int(_number_text(self, value, _WHOLE_NUMBER))


class DecimalField(forms.DecimalField):
    """A number with ASCII digits and at most one decimal separator.

    Django's field reads ``NaN``, ``sNaN``, ``Infinity``, ``1e400`` and ``1_000`` as numbers
    and only refuses some of them after comparing them, and a signalling NaN makes any
    comparison raise (``decimal.InvalidOperation``: a server error, e.g. in
    ``has_changed``). Here they are refused where the text is read; the number of digits
    is then checked against the model's ``max_digits`` and ``decimal_places``.
    """

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            if not value.is_finite():
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            return value
        return Decimal(_number_text(self, value, _DECIMAL))


# Dates: what a food hub plans, keeps and reports on. Django reads any year from 1 to 9999,
# and such a date breaks later (turned into UTC, shifted by a week, a year's calendar).
FIRST_YEAR, LAST_YEAR = 2000, 2099


class _Years:
    """Refuses a date outside FIRST_YEAR..LAST_YEAR where it is read."""

    def to_python(self, value):
        result = super().to_python(value)
        if result is not None and not FIRST_YEAR <= result.year <= LAST_YEAR:
            raise ValidationError(
                _("Enter a date between %(first)s and %(last)s."),
                code="out_of_range",
                params={"first": FIRST_YEAR, "last": LAST_YEAR},
            )
        return result


class DateField(_Years, forms.DateField):
    """Django's, within FIRST_YEAR..LAST_YEAR."""


class DateTimeField(_Years, forms.DateTimeField):
    """Django's, within FIRST_YEAR..LAST_YEAR."""


def check_email_address(value: str) -> None:
    """Refuses an address Django's validator lets through but no e-mail can be sent to: a
    control or invisible formatting character anywhere (U+202E turns text around), or a
    domain that has no ASCII form (IDNA)."""
    invalid = ValidationError(_("Enter a valid e-mail address."), code="invalid")
    if any(unicodedata.category(c).startswith("C") for c in value):
        raise invalid
    try:
        sanitize_address(value, "utf-8")
    except (ValueError, UnicodeError):
        raise invalid from None


class EmailField(forms.EmailField):
    """Django's, refusing what ``check_email_address`` refuses."""

    default_validators = [*forms.EmailField.default_validators, check_email_address]


class _IdChoices:
    """Keys of the objects to choose are checked before the database sees them."""

    def _key_field(self):
        meta = self.queryset.model._meta
        return meta.get_field(self.to_field_name) if self.to_field_name else meta.pk

    def _check_key(self, value, message: str, params=None):
        self.validate_no_null_characters(value)
        if isinstance(value, self.queryset.model):
            return
        if isinstance(self._key_field(), models.IntegerField) and parse_id(str(value)) is None:
            raise ValidationError(self.error_messages[message], code=message, params=params)


class ModelChoiceField(_IdChoices, forms.ModelChoiceField):
    """Django's, refusing an id that is not ASCII digits within the database's range
    (Django reads "１２" as 12 and passes 20 digits to the database)."""

    def to_python(self, value):
        if value not in self.empty_values:
            self._check_key(value, "invalid_choice")
        return super().to_python(value)


class ModelMultipleChoiceField(_IdChoices, forms.ModelMultipleChoiceField):
    """Django's, refusing ids that are not ASCII digits within the database's range (a
    20-digit id in ``pk__in`` is a server error on SQLite)."""

    def _check_values(self, value):
        try:
            values = frozenset(value)
        except TypeError:
            raise ValidationError(
                self.error_messages["invalid_list"], code="invalid_list"
            ) from None
        for key in values:
            self._check_key(key, "invalid_pk_value", params={"pk": key})
        return super()._check_values(value)


# The form field above that reads each kind of model field: the first that matches (a
# DateTimeField is a DateField too). A model field with choices gets Django's choice field
# whatever the form class.
FORM_FIELDS = [
    (models.DecimalField, DecimalField),
    (models.ForeignKey, ModelChoiceField),
    (models.ManyToManyField, ModelMultipleChoiceField),
    (models.IntegerField, IntegerField),
    (models.DateTimeField, DateTimeField),
    (models.DateField, DateField),
    (models.EmailField, EmailField),
]


def formfield(model_field, **kwargs):
    """``formfield_callback`` of the project's model forms: each model field gets the form
    field above that reads it (numbers, amounts, dates, e-mail addresses, choices of
    objects); web addresses typed without their scheme ("ferme.fr") mean https."""
    for model_class, form_class in FORM_FIELDS:
        if isinstance(model_field, model_class):
            kwargs.setdefault("form_class", form_class)
            break
    if isinstance(model_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return model_field.formfield(**kwargs)


class ModelForm(forms.ModelForm):
    """The project's model forms: their fields made by ``formfield`` (unless a form's Meta
    names its own ``formfield_callback``)."""

    def __init_subclass__(cls, **kwargs):
        meta = cls.__dict__.get("Meta")
        if meta is not None and not hasattr(meta, "formfield_callback"):
            meta.formfield_callback = formfield
        super().__init_subclass__(**kwargs)


# Where to go next


def safe_next(request, value) -> str | None:
    """``value`` if it is an address on this site, written as a path ("/orders/"), else
    None: not a view name ("abc" would be read as one by ``redirect()``), nor another
    site ("//evil.example", "/\\evil.example", "https:..."), nor control characters."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or any(unicodedata.category(c).startswith("C") for c in unquote(value)):
        return None
    if not url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    return value


def redirect_next(request, fallback, *args, **kwargs) -> HttpResponseRedirect:
    """Back to the request's ``next`` (POST, else GET) when it is a safe local address,
    else to ``fallback`` (a URL name with its arguments, an object or an address)."""
    target = safe_next(request, request.POST.get("next", request.GET.get("next")))
    return HttpResponseRedirect(target or resolve_url(fallback, *args, **kwargs))
