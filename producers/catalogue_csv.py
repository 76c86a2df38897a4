"""A producer's whole catalogue as a CSV file, one row per variant: import and export.

The format is documented for producers in docs/catalogue-csv.md; keep the two in step.

Importing is all or nothing: every bad row is reported with its line number, and nothing
is written unless the whole file is valid. It never deletes nor deactivates what the
file leaves out.

The export records the stock it showed (``stock_at_export``): the import applies the
change the producer made to it, not the figure as such, so units ordered since the
export are not sold twice (the rule of ``services.set_stock``).
"""

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from foodhub import spreadsheets
from foodhub.text import french_sort_key

from .models import (
    MAX_PRICE,
    MAX_QUANTITY,
    MAX_STOCK,
    WEIGHT_UNITS,
    Category,
    Label,
    Producer,
    Product,
    StockMode,
    Unit,
    Variant,
    VatRate,
)
from .services import refresh_search_texts, stock_after_edit
from .templatetags.money import euros

COLUMNS: list[str] = [
    "product",
    "description",
    "category",
    "labels",
    "product_active",
    "variant",
    "unit",
    "quantity",
    "price",
    "vat_rate",
    "stock_mode",
    "stock",
    "sku",
    "variant_active",
    "stock_at_export",
]
# The other columns may be left out: existing values are then kept, new rows get defaults.
REQUIRED_COLUMNS: list[str] = ["product", "category", "variant", "unit", "price"]

LABEL_SEPARATOR = "|"

# Same limits as the variant form, so a file cannot hold what the form would refuse.

UNITS: dict[str, str] = {
    "piece": Unit.PIECE,
    "pièce": Unit.PIECE,
    "pieces": Unit.PIECE,
    "pièces": Unit.PIECE,
    "kg": Unit.KG,
    "g": Unit.G,
    "l": Unit.L,
    "cl": Unit.CL,
    "bunch": Unit.BUNCH,
    "botte": Unit.BUNCH,
    "bottes": Unit.BUNCH,
}
STOCK_MODES: dict[str, str] = {
    "counted": StockMode.COUNTED,
    "stock": StockMode.COUNTED,
    "compté": StockMode.COUNTED,
    "compte": StockMode.COUNTED,
    "on_demand": StockMode.ON_DEMAND,
    "on demand": StockMode.ON_DEMAND,
    "à la demande": StockMode.ON_DEMAND,
    "a la demande": StockMode.ON_DEMAND,
    "illimité": StockMode.ON_DEMAND,
    "illimite": StockMode.ON_DEMAND,
}
VAT_RATES: dict[Decimal, str] = {Decimal(rate): rate for rate in VatRate.values}
BOOLEANS: dict[str, bool] = {
    "": True,
    "oui": True,
    "yes": True,
    "1": True,
    "true": True,
    "vrai": True,
    "non": False,
    "no": False,
    "0": False,
    "false": False,
    "faux": False,
}

# Product-level column -> the key of _Row.product_values it fills.
PRODUCT_FIELDS = {
    "description": "description",
    "category": "category_id",
    "labels": "labels",
    "product_active": "is_active",
}
PRODUCT_SAVED_FIELDS = ["name", "description", "category", "is_active"]  # labels apart
VARIANT_SAVED_FIELDS = [
    "product",
    "name",
    "unit",
    "quantity_per_unit",
    "price",
    "vat_rate",
    "stock_mode",
    "stock_quantity",
    "sku",
    "is_active",
]

# ASCII digits only: Python reads "١٢" and "１２" as 12, people do not write them.
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")


@dataclass(frozen=True)
class RowError:
    line: int  # physical line in the file, the header being line 1; 0 for the whole file
    message: str  # complete and translated, line number included: show it as is
    column: str = field(default="", compare=False)  # the column at fault, when there is one


class CatalogueImportError(Exception):
    """The file was refused; nothing has been written."""

    def __init__(self, errors: list[RowError]):
        self.errors = sorted(errors, key=lambda error: error.line)
        super().__init__("\n".join(error.message for error in self.errors))


@dataclass
class ImportResult:
    # "updated" counts only what really changed: re-importing an export gives zeros.
    products_created: int = 0
    products_updated: int = 0
    variants_created: int = 0
    variants_updated: int = 0
    # Lines whose stock had changed since the export, and what was done about it.
    stock_notes: list[RowError] = field(default_factory=list)

    def summary(self) -> str:
        return _(
            "Catalogue imported. Products: %(pc)s created, %(pu)s updated. "
            "Variants: %(vc)s created, %(vu)s updated."
        ) % {
            "pc": self.products_created,
            "pu": self.products_updated,
            "vc": self.variants_created,
            "vu": self.variants_updated,
        }


@dataclass
class _Row:
    line: int
    product_name: str
    variant_name: str
    sku: str | None  # None when the file has no sku column
    product_values: dict = field(default_factory=dict)  # product field -> value
    variant_values: dict = field(default_factory=dict)  # variant field -> value
    stock_shown: int | None = None  # the stock the export showed, when the file says
    product_ok: bool = True
    ok: bool = True

    @property
    def product_key(self) -> str:
        return _key(self.product_name)

    @property
    def variant_key(self) -> tuple[str, str]:
        return (_key(self.product_name), _key(self.variant_name))


class _Invalid(Exception):
    """One cell is wrong; carries the complete message."""


def _key(name: str) -> str:
    """Names match case-insensitively, whatever the spaces around and between words."""
    return " ".join(name.split()).casefold()


def _sku_key(sku: str) -> str:
    return sku.casefold()  # the variant form also compares references case-insensitively


# Import ------------------------------------------------------------------------------


def import_catalogue(*, producer: Producer, data: bytes) -> ImportResult:
    """Create or update the producer's products and variants from CSV bytes.

    1. Decode (UTF-8, with or without BOM), detect the separator, check the header.
    2. Parse every row on its own, collecting every error with its line number.
    3. Check the rows against each other: duplicate SKU or variant, product rows that
       disagree.
    4. With the producer and its variants locked, match rows to the existing variants
       (by SKU, then by product and variant names), work out each stock from the one of
       now (``stock_at_export``), validate the model fields and, when no row is bad,
       write everything with bulk queries.

    Raises CatalogueImportError listing every problem; nothing is written then.
    """
    text = _decode(data)
    header, records = _read(text)
    categories = _index_by_name_and_slug(Category.objects.all())
    labels = _index_by_name_and_slug(Label.objects.all())

    errors: list[RowError] = []
    rows: list[_Row] = []
    for line, cells in records:
        if len(cells) != len(header):
            errors.append(
                RowError(
                    line,
                    _(
                        "Line %(line)s: expected %(expected)s fields, found %(count)s. "
                        "Check the separators and the quotes."
                    )
                    % {"line": line, "expected": len(header), "count": len(cells)},
                )
            )
            continue
        values = {column: _cell(cell) for column, cell in zip(header, cells, strict=True) if column}
        nul = [column for column, value in values.items() if "\x00" in value]
        for column in nul:
            errors.append(RowError(line, _has_nul(line, column), column))
        if nul:
            continue
        rows.append(_parse_row(line, values, categories, labels, errors))
    if not rows and not errors:
        raise CatalogueImportError([RowError(0, _("The file has a header but no rows."))])
    _check_rows_agree(rows, errors)

    with transaction.atomic():
        # Two imports for one producer at the same time would both create new products.
        # NO KEY UPDATE: an order line being written for this producer takes a KEY SHARE
        # lock on its row, while holding its variants' locks, which the import wants next;
        # FOR UPDATE would make the two wait for each other (a deadlock).
        list(
            Producer.objects.select_for_update(no_key=True).filter(pk=producer.pk).values_list("pk")
        )
        result = _apply(producer, rows, errors)
        # Bulk writes send no signals: the shop's search texts are written here.
        refresh_search_texts(Variant.objects.filter(product__producer=producer))
        return result


def _cell(raw: str) -> str:
    """A cell as the producer meant it: without the spaces around, nor the apostrophe the
    export puts before text a spreadsheet would run as a formula."""
    return spreadsheets.uninert(raw.strip()).strip()


def _has_nul(line, column) -> str:
    # The NUL character is no text: PostgreSQL refuses it, SQLite would keep it.
    return _(
        "Line %(line)s: “%(column)s” holds a NUL character, which is not text. "
        "Remove it and import the file again."
    ) % {"line": line, "column": column}


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise CatalogueImportError(
            [
                RowError(
                    line,
                    _(
                        "Line %(line)s: the file is not UTF-8 text. "
                        "Save it as “CSV UTF-8” and import it again."
                    )
                    % {"line": line},
                )
            ]
        ) from None
    if not text.strip():
        raise CatalogueImportError([RowError(0, _("The file is empty."))])
    return text


def _read(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Return the header (column names, "" for blank header cells) and the non-blank
    records, each with the physical line it starts on."""
    reader_input = io.StringIO(text, newline="")
    offset = 0
    if re.match(r"sep=.\r?\n", text):
        # Excel's own hint line ("sep=;"), which it also writes itself.
        delimiter = text[4]
        reader_input.readline()
        offset = 1
    else:
        first_line = text.lstrip("\r\n").splitlines()[0]
        delimiter = max([";", ",", "\t"], key=first_line.count)  # ";" wins a tie
    reader = csv.reader(reader_input, delimiter=delimiter)
    records = []
    header = None
    try:
        while True:
            start = offset + reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = [cell.strip().casefold() for cell in cells]
                header_line = start
            else:
                records.append((start, cells))
    except csv.Error as error:
        raise CatalogueImportError(
            [
                RowError(
                    start,
                    _("Line %(line)s: this is not valid CSV (%(error)s).")
                    % {"line": start, "error": error},
                )
            ]
        ) from None
    if header is None:
        raise CatalogueImportError([RowError(0, _("The file is empty."))])
    _check_header(header, header_line)
    return header, records


def _check_header(header: list[str], line: int) -> None:
    errors = []
    seen = set()
    for column in header:
        if not column:
            continue  # spreadsheets often add empty columns at the end
        if "\x00" in column:
            raise CatalogueImportError([RowError(line, _has_nul(line, column.replace("\x00", "")))])
        if column not in COLUMNS:
            errors.append(
                _("Line %(line)s: unknown column “%(column)s”. Known columns: %(columns)s.")
                % {"line": line, "column": column, "columns": ", ".join(COLUMNS)}
            )
        elif column in seen:
            errors.append(
                _("Line %(line)s: the column “%(column)s” appears twice.")
                % {"line": line, "column": column}
            )
        seen.add(column)
    missing = [column for column in REQUIRED_COLUMNS if column not in seen]
    if missing:
        errors.append(
            _("Line %(line)s: missing columns: %(missing)s. Required columns: %(required)s.")
            % {
                "line": line,
                "missing": ", ".join(missing),
                "required": ", ".join(REQUIRED_COLUMNS),
            }
        )
    if errors:
        raise CatalogueImportError([RowError(line, message) for message in errors])


def _index_by_name_and_slug(objects) -> dict:
    index = {}
    for obj in objects:
        index.setdefault(_key(obj.name), obj)
        index.setdefault(_key(obj.slug), obj)
    return index


def _parse_row(line: int, values: dict[str, str], categories, labels, errors) -> _Row:
    """Turn one record into a _Row, appending an error for every bad cell."""
    row = _Row(
        line=line,
        product_name=values["product"],
        variant_name=values["variant"],
        sku=values.get("sku"),
    )

    def check(column, parse, target, field_name):
        if column not in values:
            return
        try:
            target[field_name] = parse(values[column])
        except _Invalid as invalid:
            errors.append(RowError(line, str(invalid), column))
            row.ok = False
            if target is row.product_values:
                row.product_ok = False

    def missing(column):
        return _Invalid(
            _("Line %(line)s: “%(column)s” is empty; it is required.")
            % {"line": line, "column": column}
        )

    def required(column, max_length):
        value = values[column]
        if not value:
            raise missing(column)
        if len(value) > max_length:
            raise _Invalid(_too_long(line, column, value, max_length))
        return value

    def parse_category(value):
        if not value:
            raise missing("category")
        category = categories.get(_key(value))
        if category is None:
            raise _Invalid(
                _("Line %(line)s: unknown category “%(value)s”. Known categories: %(choices)s.")
                % {"line": line, "value": value, "choices": _names(categories)}
            )
        return category.pk

    def parse_labels(value):
        found = set()
        for part in value.split(LABEL_SEPARATOR):
            part = part.strip()
            if not part:
                continue
            label = labels.get(_key(part))
            if label is None:
                raise _Invalid(
                    _("Line %(line)s: unknown label “%(value)s”. Known labels: %(choices)s.")
                    % {"line": line, "value": part, "choices": _names(labels)}
                )
            found.add(label.pk)
        return frozenset(found)

    def parse_bool(column):
        def parse(value):
            try:
                return BOOLEANS[value.casefold()]
            except KeyError:
                raise _Invalid(
                    _("Line %(line)s: “%(value)s” in column “%(column)s” is not yes or no.")
                    % {"line": line, "value": value, "column": column}
                ) from None

        return parse

    def parse_unit(value):
        if not value:
            raise missing("unit")
        try:
            return UNITS[value.casefold()]
        except KeyError:
            raise _Invalid(
                _("Line %(line)s: unknown unit “%(value)s”. Use one of: %(choices)s.")
                % {"line": line, "value": value, "choices": ", ".join(Unit.values)}
            ) from None

    def parse_quantity(value):
        if not value:
            return Decimal("1")
        return _parse_amount(line, "quantity", value, places=3, maximum=MAX_QUANTITY)

    def parse_price(value):
        if not value:
            raise missing("price")
        return _parse_amount(line, "price", value, places=2, maximum=MAX_PRICE)

    def parse_vat_rate(value):
        if not value:
            return VatRate.REDUCED
        number = _parse_decimal(value.removesuffix("%"))
        if number is None or number not in VAT_RATES:
            raise _Invalid(
                _("Line %(line)s: unknown VAT rate “%(value)s”. Use 5.5, 10 or 20.")
                % {"line": line, "value": value}
            )
        return VAT_RATES[number]

    def parse_stock_mode(value):
        if not value:
            return StockMode.COUNTED
        try:
            return STOCK_MODES[" ".join(value.split()).casefold()]
        except KeyError:
            raise _Invalid(
                _("Line %(line)s: unknown stock mode “%(value)s”. Use “counted” or “on_demand”.")
                % {"line": line, "value": value}
            ) from None

    def parse_stock(column):
        def parse(value):
            if not value:
                return None  # stock: checked below, once the stock mode is known
            number = _parse_decimal(value)
            if number is None or number < 0 or number != number.to_integral_value():
                raise _Invalid(
                    _(
                        "Line %(line)s: “%(column)s” must be a whole number, 0 or more, "
                        "not “%(value)s”."
                    )
                    % {"line": line, "value": value, "column": column}
                )
            if number > MAX_STOCK:
                raise _Invalid(_too_high(line, column, value))
            return int(number)

        return parse

    def parse_sku(value):
        if len(value) > _max_length(Variant, "sku"):
            raise _Invalid(_too_long(line, "sku", value, _max_length(Variant, "sku")))
        return value

    for column, model in (("product", Product), ("variant", Variant)):
        try:
            required(column, _max_length(model, "name"))
        except _Invalid as invalid:
            errors.append(RowError(line, str(invalid), column))
            row.ok = row.product_ok = False
    product_values, variant_values = row.product_values, row.variant_values
    check("description", str, product_values, "description")
    check("category", parse_category, product_values, "category_id")
    check("labels", parse_labels, product_values, "labels")
    check("product_active", parse_bool("product_active"), product_values, "is_active")
    check("unit", parse_unit, variant_values, "unit")
    check("quantity", parse_quantity, variant_values, "quantity_per_unit")
    check("price", parse_price, variant_values, "price")
    check("vat_rate", parse_vat_rate, variant_values, "vat_rate")
    check("stock_mode", parse_stock_mode, variant_values, "stock_mode")
    check("stock", parse_stock("stock"), variant_values, "stock_quantity")
    check("sku", parse_sku, variant_values, "sku")
    check("variant_active", parse_bool("variant_active"), variant_values, "is_active")
    shown: dict = {}
    check("stock_at_export", parse_stock("stock_at_export"), shown, "stock")
    row.stock_shown = shown.get("stock")

    # An empty stock is fine for on-demand variants only. Without a stock_mode column,
    # _set_variant decides once it knows the variant's current mode.
    if variant_values.get("stock_quantity", 0) is None and "stock_mode" in variant_values:
        if variant_values["stock_mode"] == StockMode.ON_DEMAND:
            variant_values["stock_quantity"] = 0
        else:
            errors.append(RowError(line, _empty_stock(line), "stock"))
            row.ok = False
    return row


def _empty_stock(line) -> str:
    return _("Line %(line)s: “stock” is empty; it is required when the stock is counted.") % {
        "line": line
    }


def _parse_decimal(raw: str) -> Decimal | None:
    """Read "3,50", "3.50", "1 234,5" or "3,50 €"; None when it is not a plain number."""
    value = raw.strip().removesuffix("€")
    for space in (" ", "\u00a0", "\u202f"):
        value = value.replace(space, "")
    if "," in value:
        if "." in value:
            return None
        value = value.replace(",", ".")
    if not _NUMBER.fullmatch(value):
        return None
    try:
        return Decimal(value)
    except ArithmeticError:
        return None


def _parse_amount(line, column, value, *, places, maximum) -> Decimal:
    number = _parse_decimal(value)
    if number is None:
        raise _Invalid(
            _("Line %(line)s: “%(value)s” in column “%(column)s” is not a number.")
            % {"line": line, "value": value, "column": column}
        )
    if number <= 0:
        raise _Invalid(
            _("Line %(line)s: “%(column)s” must be more than 0, not “%(value)s”.")
            % {"line": line, "value": value, "column": column}
        )
    if number >= maximum:  # before quantize(), which cannot hold 30 digits
        raise _Invalid(_too_high(line, column, value))
    quantized = number.quantize(Decimal(1).scaleb(-places))
    if number != quantized:
        raise _Invalid(
            _("Line %(line)s: “%(column)s” has at most %(places)s decimals, not “%(value)s”.")
            % {"line": line, "value": value, "column": column, "places": places}
        )
    return quantized  # "3,500" is 3.50: the model refuses more decimal places than it has


def _too_long(line, column, value, max_length) -> str:
    return _(
        "Line %(line)s: “%(column)s” is too long (%(length)s characters, %(max)s at most)."
    ) % {
        "line": line,
        "column": column,
        "length": len(value),
        "max": max_length,
    }


def _too_high(line, column, value) -> str:
    return _("Line %(line)s: “%(value)s” is too high for “%(column)s”.") % {
        "line": line,
        "value": value,
        "column": column,
    }


def _max_length(model, field_name) -> int:
    return model._meta.get_field(field_name).max_length


def _names(index: dict) -> str:
    names = sorted({obj.name for obj in index.values()}, key=french_sort_key)
    return ", ".join(names) or "—"


def _check_rows_agree(rows: list[_Row], errors: list[RowError]) -> None:
    """Report duplicate SKUs and variants, and products whose rows disagree."""
    sku_lines: dict[str, int] = {}
    variant_lines: dict[tuple[str, str], int] = {}
    first_product_rows: dict[str, _Row] = {}
    for row in rows:
        if row.sku:
            first = sku_lines.setdefault(_sku_key(row.sku), row.line)
            if first != row.line:
                errors.append(
                    RowError(
                        row.line,
                        _("Line %(line)s: the SKU “%(value)s” is already used on line %(first)s.")
                        % {"line": row.line, "value": row.sku, "first": first},
                        "sku",
                    )
                )
                row.ok = False
        if row.product_name and row.variant_name:
            first = variant_lines.setdefault(row.variant_key, row.line)
            if first != row.line:
                errors.append(
                    RowError(
                        row.line,
                        _(
                            "Line %(line)s: “%(product)s — %(variant)s” is already "
                            "on line %(first)s."
                        )
                        % {
                            "line": row.line,
                            "product": row.product_name,
                            "variant": row.variant_name,
                            "first": first,
                        },
                        "variant",
                    )
                )
                row.ok = False
        if not row.product_ok:
            continue
        first_row = first_product_rows.setdefault(row.product_key, row)
        for column, field_name in PRODUCT_FIELDS.items():
            if row.product_values.get(field_name) != first_row.product_values.get(field_name):
                errors.append(
                    RowError(
                        row.line,
                        _(
                            "Line %(line)s: “%(column)s” of “%(product)s” differs from line "
                            "%(first)s; the rows of one product must agree."
                        )
                        % {
                            "line": row.line,
                            "column": column,
                            "product": row.product_name,
                            "first": first_row.line,
                        },
                        column,
                    )
                )
                row.ok = False
                break


def _apply(producer: Producer, rows: list[_Row], errors: list[RowError]) -> ImportResult:
    """Match the rows to the catalogue, validate the models and write (step 4)."""
    products = list(Product.objects.filter(producer=producer).order_by("pk"))
    products_by_key: dict[str, Product] = {}
    for product in products:
        products_by_key.setdefault(_key(product.name), product)
    product_keys = {product.pk: _key(product.name) for product in products}
    # Locked (in pk order, as the checkout locks them), so the stock read here is the one
    # the import changes: an order placed meanwhile waits, then sees the new stock.
    variants = list(
        Variant.objects.filter(product__producer=producer)
        .select_for_update(of=("self",), no_key=True)
        .order_by("pk")
    )
    variants_by_sku: dict[str, Variant] = {}
    variants_by_name: dict[tuple[str, str], list[Variant]] = {}
    for variant in variants:
        if variant.sku:
            variants_by_sku.setdefault(_sku_key(variant.sku), variant)
        key = (product_keys[variant.product_id], _key(variant.name))
        variants_by_name.setdefault(key, []).append(variant)
    old_labels: dict[int, frozenset[int]] = {}
    for product_id, label_id in Product.labels.through.objects.filter(
        product__producer=producer
    ).values_list("product_id", "label_id"):
        old_labels[product_id] = old_labels.get(product_id, frozenset()) | {label_id}

    # A SKU found in the catalogue wins; otherwise the names, if no other row took that
    # variant by its SKU (so rows can swap names or SKUs).
    matchable = [row for row in rows if row.product_name and row.variant_name]
    matches: dict[int, Variant] = {}  # row line -> existing variant
    claimed: set[int] = set()
    for row in matchable:
        variant = variants_by_sku.get(_sku_key(row.sku)) if row.sku else None
        if variant is not None and variant.pk not in claimed:
            matches[row.line] = variant
            claimed.add(variant.pk)
    for row in matchable:
        if row.line in matches:
            continue
        for variant in variants_by_name.get(row.variant_key, []):
            if variant.pk not in claimed:
                matches[row.line] = variant
                claimed.add(variant.pk)
                break
    for row in matchable:
        # Renaming a variant (found by its SKU) to the name of another one left out of
        # the file would make two variants that only their SKUs tell apart.
        variant = matches.get(row.line)
        if variant is None:
            continue
        renamed = (product_keys[variant.product_id], _key(variant.name)) != row.variant_key
        others = variants_by_name.get(row.variant_key, [])
        if renamed and any(other.pk not in claimed for other in others):
            errors.append(
                RowError(
                    row.line,
                    _(
                        "Line %(line)s: your catalogue already has another variant "
                        "“%(product)s — %(variant)s”; rename one of them."
                    )
                    % {
                        "line": row.line,
                        "product": row.product_name,
                        "variant": row.variant_name,
                    },
                    "variant",
                )
            )
            row.ok = False

    new_products: list[Product] = []
    changed_products: list[Product] = []
    new_labels: dict[int, frozenset[int]] = {}  # id(product) -> labels, when they change
    seen_products: dict[str, Product] = {}
    new_variants: list[Variant] = []
    changed_variants: list[Variant] = []
    stock_notes: list[RowError] = []
    for row in rows:
        if not row.ok:
            continue
        product = seen_products.get(row.product_key)
        if product is None:
            product = products_by_key.get(row.product_key)
            if product is None:
                product = Product(producer=producer, name=row.product_name)
                new_products.append(product)
            seen_products[row.product_key] = product
            if _set_product(product, row, old_labels, new_labels, errors) and product.pk:
                changed_products.append(product)

        variant = matches.get(row.line)
        if variant is None:
            variant = Variant(product=product)
            new_variants.append(variant)
        if _set_variant(variant, product, row, errors, stock_notes) and variant.pk:
            changed_variants.append(variant)

    if errors:
        raise CatalogueImportError(errors)

    now = timezone.now()
    Product.objects.bulk_create(new_products)
    for product in changed_products:
        product.updated_at = now
    _update_rows(Product, changed_products, [*PRODUCT_SAVED_FIELDS, "updated_at"])
    _save_labels(new_products + changed_products, new_labels)
    for variant in new_variants + changed_variants:
        variant.product = variant.product  # sets product_id for the products just created
        variant.updated_at = now
    Variant.objects.bulk_create(new_variants)
    _update_rows(Variant, changed_variants, [*VARIANT_SAVED_FIELDS, "updated_at"])

    return ImportResult(
        products_created=len(new_products),
        products_updated=len(changed_products),
        variants_created=len(new_variants),
        variants_updated=len(changed_variants),
        stock_notes=stock_notes,
    )


def _set_product(product, row, old_labels, new_labels, errors) -> bool:
    """Copy the row's product columns onto the product; True when something changed."""
    values = dict(row.product_values, name=row.product_name)
    labels = values.pop("labels", None)
    before = {name: getattr(product, name) for name in values}
    for name, value in values.items():
        setattr(product, name, value)
    _validate(product, ["name", "description", "is_active"], row.line, errors)
    changed = product.pk is None or before != values
    if labels is not None and labels != old_labels.get(product.pk, frozenset()):
        new_labels[id(product)] = labels
        changed = True
    return changed


def _set_variant(variant, product, row, errors, stock_notes) -> bool:
    """Copy the row's variant columns onto the variant; True when something changed."""
    values = dict(row.variant_values, name=row.variant_name)
    if values.get("stock_quantity", 0) is None:  # empty stock, no stock_mode column
        if variant.stock_mode != StockMode.ON_DEMAND:
            errors.append(RowError(row.line, _empty_stock(row.line), "stock"))
            return False
        values["stock_quantity"] = 0
    if "stock_quantity" in values:
        values["stock_quantity"] = _stock(variant, row, values, stock_notes)
    before = {name: getattr(variant, name) for name in values}
    before["product"] = variant.product_id
    for name, value in values.items():
        setattr(variant, name, value)
    variant.product = product
    if variant.sold_by_weight and not _sold_by_weight_ok(variant, before, row.line, errors):
        return False
    _validate(
        variant, [name for name in VARIANT_SAVED_FIELDS if name != "product"], row.line, errors
    )
    after = dict(values, product=product.pk or -1)  # -1: a product created by this import
    return before != after


def _sold_by_weight_ok(variant, before: dict, line, errors) -> bool:
    """A variant sold by weight (set in the catalogue; the file has no column for it) keeps
    a unit of weight, and its price is the estimate at its price per kg, worked out again
    when its estimated weight changes; a file asking for another price is refused,
    saying where the price per kg is changed."""
    if variant.unit not in WEIGHT_UNITS:
        errors.append(
            RowError(
                line,
                _("Line %(line)s: this variant is sold by weight: its unit is kg or g.")
                % {"line": line},
                "unit",
            )
        )
        return False
    estimate = variant.estimated_price(variant.price_per_kg)
    if variant.price == before.get("price", variant.price):  # the file's price unchanged
        variant.price = estimate
    if variant.price != estimate:
        message = _(
            "Line %(line)s: this variant is sold by weight at %(per_kg)s per kg, its price is "
            "the estimate %(estimate)s: change its price per kg in the catalogue."
        ) % {"line": line, "per_kg": euros(variant.price_per_kg), "estimate": euros(estimate)}
        errors.append(RowError(line, message, "price"))
        return False
    return True


def _stock(variant, row, values, stock_notes) -> int:
    """The stock to write for the row: the change the producer made to the figure the
    export showed, applied to the stock of now (``services.stock_after_edit``).

    The figure typed is the stock itself for a new variant, a file without
    ``stock_at_export`` (written by hand: a count made now), an on-demand variant, or
    one whose stock mode the row changes (counted again from now), as in the product
    form.
    """
    typed = values["stock_quantity"]
    shown = row.stock_shown
    mode = values.get("stock_mode", variant.stock_mode)
    if (
        shown is None
        or variant.pk is None
        or mode != variant.stock_mode
        or variant.stock_mode == StockMode.ON_DEMAND
    ):
        return typed
    current = variant.stock_quantity
    stock = stock_after_edit(current=current, typed=typed, shown=shown)
    if current != shown and typed != shown:
        note = _(
            "Line %(line)s: the stock went from %(shown)s to %(current)s since the export; "
            "your change (%(typed)s instead of %(shown)s) was made to it: the stock is now "
            "%(stock)s."
        ) % {"line": row.line, "shown": shown, "current": current, "typed": typed, "stock": stock}
        if stock == 0 and current + typed - shown < 0:
            note += " " + _("It cannot go below 0: check it.")
        stock_notes.append(RowError(row.line, note, "stock"))
    return stock


def _validate(instance, field_names, line, errors) -> None:
    """Run the model's own field checks, as a net under the parsing above."""
    exclude = [f.name for f in instance._meta.get_fields() if f.name not in field_names]
    try:
        instance.clean_fields(exclude=exclude)
    except ValidationError as error:
        for field_name, messages in error.message_dict.items():
            verbose_name = instance._meta.get_field(field_name).verbose_name
            for message in messages:
                errors.append(
                    RowError(
                        line,
                        _("Line %(line)s: %(field)s: %(message)s")
                        % {"line": line, "field": verbose_name, "message": message},
                    )
                )


def _update_rows(model, objects, field_names: list[str]) -> None:
    """Save these fields of every object with one UPDATE statement run many times.

    Django's bulk_update builds one CASE WHEN per field over each batch: for 2,000 changed
    variants it takes about 5 seconds on SQLite, this takes a fraction of one.
    """
    if not objects:
        return
    fields = [model._meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    # Only names from the model's _meta go into the SQL; the values are parameters.
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608
    params = [
        [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _save_labels(products: list[Product], new_labels: dict[int, frozenset[int]]) -> None:
    through = Product.labels.through
    products = [product for product in products if id(product) in new_labels]
    ids = [product.pk for product in products]
    for start in range(0, len(ids), 500):
        through.objects.filter(product_id__in=ids[start : start + 500]).delete()
    through.objects.bulk_create(
        through(product_id=product.pk, label_id=label_id)
        for product in products
        for label_id in sorted(new_labels[id(product)])
    )


# Export ------------------------------------------------------------------------------


def export_catalogue(*, producer: Producer, language: str | None = None) -> str:
    """The producer's catalogue as CSV text (``catalogue_table``), without the byte order
    mark (``spreadsheets.csv_bytes`` adds it for a download)."""
    return spreadsheets.csv_text(*catalogue_table(producer=producer), language=language)


def catalogue_table(*, producer: Producer) -> tuple[list[str], list[list]]:
    """The header and the rows of the export, one row per variant, inactive ones included.

    Cells are typed (``foodhub.spreadsheets``): the reader's language sets the separator
    and the decimal mark. ``stock_at_export`` repeats the stock of counted variants, so
    that the import knows what the producer changed.
    """
    products = (
        Product.objects.filter(producer=producer)
        .select_related("category")
        .prefetch_related("labels", "variants")
    )
    rows = []
    for product in sorted(products, key=lambda p: (french_sort_key(p.name), p.pk)):
        labels = LABEL_SEPARATOR.join(
            label.slug if LABEL_SEPARATOR in label.name else label.name
            for label in sorted(product.labels.all(), key=lambda label: french_sort_key(label.name))
        )
        for variant in sorted(
            product.variants.all(), key=lambda v: (french_sort_key(v.name), v.pk)
        ):
            counted = variant.stock_mode == StockMode.COUNTED
            rows.append(
                [
                    product.name,
                    product.description,
                    product.category.name,
                    labels,
                    _format_bool(product.is_active),
                    variant.name,
                    variant.unit,
                    variant.quantity_per_unit.normalize(),  # 0.500 -> 0.5
                    variant.price.quantize(Decimal("0.01")),
                    Decimal(variant.vat_rate).normalize(),
                    variant.stock_mode,
                    variant.stock_quantity,
                    variant.sku,
                    _format_bool(variant.is_active),
                    variant.stock_quantity if counted else None,
                ]
            )
    return list(COLUMNS), rows


def _format_bool(value: bool) -> str:
    return "yes" if value else "no"
