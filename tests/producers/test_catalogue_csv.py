"""The catalogue CSV import and export (producers/catalogue_csv.py)."""

import csv
import io
from decimal import Decimal

import pytest

from producers.catalogue_csv import (
    COLUMNS,
    CatalogueImportError,
    ImportResult,
    RowError,
    export_catalogue,
    import_catalogue,
)
from producers.models import Product, StockMode, Unit, Variant, VatRate
from tests import factories

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def fruits(db):
    return factories.CategoryFactory(name="Fruits", slug="fruits")


@pytest.fixture
def local(db):
    return factories.LabelFactory(name="Local", slug="local")


@pytest.fixture
def apples(producer, fruits, organic):
    """An existing product with one counted variant (with a SKU) and one on demand."""
    product = factories.ProductFactory(
        producer=producer, name="Pommes", category=fruits, description="Croquantes"
    )
    product.labels.add(organic)
    factories.VariantFactory(
        product=product, name="1 kg", price=Decimal("3.50"), sku="POM-1", stock_quantity=10
    )
    factories.VariantFactory(
        product=product,
        name="Sac 3 kg",
        quantity_per_unit=Decimal("3"),
        price=Decimal("9.00"),
        stock_mode=StockMode.ON_DEMAND,
        stock_quantity=0,
        is_active=False,
    )
    return product


def row(**values) -> dict:
    """A valid row for a new product, "Carottes — 1 kg", with the given changes."""
    return {
        "product": "Carottes",
        "description": "",
        "category": "Légumes",
        "labels": "",
        "product_active": "oui",
        "variant": "1 kg",
        "unit": "kg",
        "quantity": "1",
        "price": "2,50",
        "vat_rate": "5,5",
        "stock_mode": "compté",
        "stock": "20",
        "sku": "",
        "variant_active": "oui",
        "stock_at_export": "",
        **values,
    }


def make_csv(*rows, sep=";", bom=False, columns=COLUMNS) -> bytes:
    output = io.StringIO()
    writer = csv.writer(output, delimiter=sep, lineterminator="\n")
    writer.writerow(columns)
    for values in rows:
        writer.writerow([values[column] for column in columns])
    return ("\ufeff" if bom else "").encode() + output.getvalue().encode()


def import_errors(producer, data) -> list[RowError]:
    with pytest.raises(CatalogueImportError) as error:
        import_catalogue(producer=producer, data=data)
    return error.value.errors


# Valid imports -----------------------------------------------------------------------


def test_import_creates_products_and_variants(producer, category, organic, local):
    data = make_csv(
        row(description="Des carottes de sable", labels="ab|Local", sku="CAR-1"),
        row(
            description="Des carottes de sable",
            labels="ab|Local",
            variant="Botte",
            unit="botte",
            quantity="",
            price="1,80",
            vat_rate="5,5 %",
            stock_mode="à la demande",
            stock="",
            variant_active="non",
        ),
        row(
            product="Jus de pomme",
            variant="75 cl",
            unit="cl",
            quantity="75",
            price="3.20",
            vat_rate="10",
            product_active="non",
        ),
    )

    result = import_catalogue(producer=producer, data=data)

    assert result == ImportResult(
        products_created=2, products_updated=0, variants_created=3, variants_updated=0
    )
    carrots = Product.objects.get(producer=producer, name="Carottes")
    assert carrots.description == "Des carottes de sable"
    assert carrots.category == category
    assert set(carrots.labels.all()) == {organic, local}
    assert carrots.is_active is True
    kilo = carrots.variants.get(name="1 kg")
    assert kilo.unit == Unit.KG
    assert kilo.quantity_per_unit == Decimal("1")
    assert kilo.price == Decimal("2.50")
    assert kilo.vat_rate == VatRate.REDUCED
    assert kilo.stock_mode == StockMode.COUNTED
    assert kilo.stock_quantity == 20
    assert kilo.sku == "CAR-1"
    assert kilo.is_active is True
    bunch = carrots.variants.get(name="Botte")
    assert bunch.unit == Unit.BUNCH
    assert bunch.quantity_per_unit == Decimal("1")
    assert bunch.price == Decimal("1.80")
    assert bunch.stock_mode == StockMode.ON_DEMAND
    assert bunch.stock_quantity == 0
    assert bunch.sku == ""
    assert bunch.is_active is False
    juice = Product.objects.get(producer=producer, name="Jus de pomme")
    assert juice.is_active is False
    assert list(juice.labels.all()) == []
    bottle = juice.variants.get()
    assert (bottle.unit, bottle.quantity_per_unit, bottle.price, bottle.vat_rate) == (
        Unit.CL,
        Decimal("75"),
        Decimal("3.20"),
        VatRate.INTERMEDIATE,
    )


def test_reimport_updates_instead_of_duplicating(producer, category):
    import_catalogue(producer=producer, data=make_csv(row(), row(variant="500 g", unit="g")))

    result = import_catalogue(
        producer=producer,
        data=make_csv(row(price="2,90", stock="5"), row(variant="500 g", unit="g")),
    )

    assert result == ImportResult(
        products_created=0, products_updated=0, variants_created=0, variants_updated=1
    )
    assert Product.objects.filter(producer=producer).count() == 1
    assert Variant.objects.filter(product__producer=producer).count() == 2
    kilo = Variant.objects.get(product__producer=producer, name="1 kg")
    assert (kilo.price, kilo.stock_quantity) == (Decimal("2.90"), 5)


def test_names_match_whatever_the_case_and_spaces(producer, category, apples):
    sack = apples.variants.get(name="Sac 3 kg")
    data = make_csv(
        row(product="  pommes ", category="fruits", labels="ab", variant="SAC 3  KG", price="8")
    )

    result = import_catalogue(producer=producer, data=data)

    assert result == ImportResult(
        products_created=0, products_updated=1, variants_created=0, variants_updated=1
    )
    sack.refresh_from_db()
    assert sack.price == Decimal("8.00")
    assert sack.name == "SAC 3  KG"  # the file's spelling wins
    assert Product.objects.get(producer=producer).name == "pommes"


def test_variant_is_found_by_sku_first_so_it_can_be_renamed(producer, fruits, apples):
    result = import_catalogue(
        producer=producer,
        data=make_csv(row(product="Pommes", category="Fruits", variant="Kilo", sku="pom-1")),
    )

    assert result.variants_created == 0
    assert result.variants_updated == 1
    renamed = Variant.objects.get(sku__iexact="pom-1")
    assert renamed.name == "Kilo"
    assert renamed.sku == "pom-1"
    assert apples.variants.count() == 2


def test_a_variant_found_by_sku_moves_to_the_product_named_in_its_row(producer, fruits, apples):
    kilo = apples.variants.get(sku="POM-1")

    result = import_catalogue(
        producer=producer,
        data=make_csv(row(product="Pommes bio", category="Fruits", variant="1 kg", sku="POM-1")),
    )

    assert result == ImportResult(
        products_created=1, products_updated=0, variants_created=0, variants_updated=1
    )
    kilo.refresh_from_db()
    assert kilo.product.name == "Pommes bio"
    assert kilo.product.producer == producer
    assert list(apples.variants.values_list("name", flat=True)) == ["Sac 3 kg"]


def test_a_new_sku_is_given_to_the_variant_found_by_name(producer, fruits, apples):
    import_catalogue(
        producer=producer,
        data=make_csv(row(product="Pommes", category="Fruits", variant="Sac 3 kg", sku="POM-3")),
    )

    assert apples.variants.count() == 2
    assert apples.variants.get(name="Sac 3 kg").sku == "POM-3"


def test_import_never_deletes_nor_deactivates_what_the_file_leaves_out(producer, category, apples):
    import_catalogue(producer=producer, data=make_csv(row()))

    assert apples.variants.count() == 2
    assert apples.variants.get(name="1 kg").is_active is True
    assert Product.objects.get(pk=apples.pk).is_active is True


def test_import_does_not_touch_another_producers_variant_with_the_same_sku(
    producer, other_producer, category, fruits
):
    theirs = factories.VariantFactory(
        product__producer=other_producer, product__category=fruits, sku="CAR-1", price="4.00"
    )

    result = import_catalogue(producer=producer, data=make_csv(row(sku="CAR-1", price="2,50")))

    assert result.variants_created == 1
    theirs.refresh_from_db()
    assert theirs.price == Decimal("4.00")
    assert theirs.product.producer == other_producer
    mine = Variant.objects.get(product__producer=producer)
    assert (mine.sku, mine.price) == ("CAR-1", Decimal("2.50"))


def test_labels_are_replaced_and_kept_when_the_column_is_absent(
    producer, fruits, apples, organic, local
):
    import_catalogue(
        producer=producer,
        data=make_csv(row(product="Pommes", category="Fruits", variant="1 kg", labels="local")),
    )
    assert list(apples.labels.all()) == [local]

    columns = [column for column in COLUMNS if column != "labels"]
    import_catalogue(
        producer=producer,
        data=make_csv(row(product="Pommes", category="Fruits", variant="1 kg"), columns=columns),
    )
    assert list(apples.labels.all()) == [local]


def test_only_the_required_columns_create_with_defaults_and_update_keeps_the_rest(
    producer, fruits, apples
):
    columns = ["product", "category", "variant", "unit", "price"]
    result = import_catalogue(
        producer=producer,
        data=make_csv(
            row(product="Pommes", category="Fruits", variant="1 kg", price="4"),
            row(product="Pommes", category="Fruits", variant="Demi", unit="piece"),
            columns=columns,
        ),
    )

    assert result == ImportResult(
        products_created=0, products_updated=0, variants_created=1, variants_updated=1
    )
    kilo = apples.variants.get(name="1 kg")
    assert (kilo.price, kilo.stock_quantity, kilo.sku) == (Decimal("4.00"), 10, "POM-1")
    half = apples.variants.get(name="Demi")
    assert half.quantity_per_unit == Decimal("1")
    assert half.vat_rate == VatRate.REDUCED
    assert half.stock_mode == StockMode.COUNTED
    assert half.stock_quantity == 0
    assert half.is_active is True
    assert Product.objects.get(pk=apples.pk).description == "Croquantes"


def test_empty_stock_without_stock_mode_column_is_fine_for_an_on_demand_variant(
    producer, fruits, apples
):
    columns = ["product", "category", "variant", "unit", "price", "stock"]
    import_catalogue(
        producer=producer,
        data=make_csv(
            row(product="Pommes", category="Fruits", variant="Sac 3 kg", stock=""),
            columns=columns,
        ),
    )

    assert apples.variants.get(name="Sac 3 kg").stock_quantity == 0


# Encodings, separators, numbers --------------------------------------------------------


@pytest.mark.parametrize("bom", [True, False])
def test_utf8_with_or_without_bom(producer, category, bom):
    data = make_csv(row(product="Œufs frais", variant="Boîte de 6"), bom=bom)
    assert data.startswith(b"\xef\xbb\xbf") is bom

    import_catalogue(producer=producer, data=data)

    assert Variant.objects.get().product.name == "Œufs frais"


def test_comma_separator_needs_quoted_decimal_commas(producer, category):
    data = make_csv(row(price="2,50", quantity="0,5"), row(variant="2 kg", price="4.80"), sep=",")
    assert b'"2,50"' in data

    import_catalogue(producer=producer, data=data)

    half = Variant.objects.get(name="1 kg")
    assert (half.price, half.quantity_per_unit) == (Decimal("2.50"), Decimal("0.5"))
    assert Variant.objects.get(name="2 kg").price == Decimal("4.80")


def test_semicolon_separator_with_a_header_typed_by_hand(producer, category):
    data = (
        b"Product ; Category ; Variant ; Unit ; Price ; Quantity\r\n"
        b"Carottes;legumes;Vrac;KG;3,5;0,5\r\n"
    )

    import_catalogue(producer=producer, data=data)

    variant = Variant.objects.get()
    assert (variant.unit, variant.price, variant.quantity_per_unit) == (
        Unit.KG,
        Decimal("3.50"),
        Decimal("0.5"),
    )


def test_excel_sep_hint_line_is_understood_and_counted(producer, category):
    data = b"sep=,\nproduct,category,variant,unit,price\nCarottes,legumes,Vrac,kg,0\n"

    assert import_errors(producer, data) == [
        RowError(3, "Line 3: “price” must be more than 0, not “0”.")
    ]


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        ("3,50", Decimal("3.50")),
        ("3.50", Decimal("3.50")),
        ("3,5", Decimal("3.50")),
        ("3", Decimal("3.00")),
        ("1 234,50", Decimal("1234.50")),
        ("3,50 €", Decimal("3.50")),
        ("3,500", Decimal("3.50")),
    ],
)
def test_prices_accept_decimal_commas_and_points(producer, category, price, expected):
    import_catalogue(producer=producer, data=make_csv(row(price=price)))

    assert Variant.objects.get().price == expected


@pytest.mark.parametrize(
    ("column", "value", "field", "expected"),
    [
        ("unit", "piece", "unit", Unit.PIECE),
        ("unit", "Pièce", "unit", Unit.PIECE),
        ("unit", "bunch", "unit", Unit.BUNCH),
        ("unit", "BOTTE", "unit", Unit.BUNCH),
        ("unit", "g", "unit", Unit.G),
        ("unit", "L", "unit", Unit.L),
        ("unit", "cl", "unit", Unit.CL),
        ("quantity", "0,5", "quantity_per_unit", Decimal("0.5")),
        ("quantity", "0.250", "quantity_per_unit", Decimal("0.25")),
        ("vat_rate", "5.5", "vat_rate", VatRate.REDUCED),
        ("vat_rate", "5,5 %", "vat_rate", VatRate.REDUCED),
        ("vat_rate", "10", "vat_rate", VatRate.INTERMEDIATE),
        ("vat_rate", "10,0", "vat_rate", VatRate.INTERMEDIATE),
        ("vat_rate", "20 %", "vat_rate", VatRate.STANDARD),
        ("vat_rate", "", "vat_rate", VatRate.REDUCED),
        ("stock_mode", "counted", "stock_mode", StockMode.COUNTED),
        ("stock_mode", "stock", "stock_mode", StockMode.COUNTED),
        ("stock_mode", "on_demand", "stock_mode", StockMode.ON_DEMAND),
        ("stock_mode", "À la demande", "stock_mode", StockMode.ON_DEMAND),
        ("stock_mode", "illimité", "stock_mode", StockMode.ON_DEMAND),
        ("stock", "0", "stock_quantity", 0),
        ("stock", "12,0", "stock_quantity", 12),
        ("variant_active", "", "is_active", True),
        ("variant_active", "Oui", "is_active", True),
        ("variant_active", "yes", "is_active", True),
        ("variant_active", "1", "is_active", True),
        ("variant_active", "true", "is_active", True),
        ("variant_active", "VRAI", "is_active", True),
        ("variant_active", "non", "is_active", False),
        ("variant_active", "no", "is_active", False),
        ("variant_active", "0", "is_active", False),
        ("variant_active", "false", "is_active", False),
        ("variant_active", "faux", "is_active", False),
    ],
)
def test_accepted_values(producer, category, column, value, field, expected):
    import_catalogue(producer=producer, data=make_csv(row(**{column: value})))

    assert getattr(Variant.objects.get(), field) == expected


# Refused files -------------------------------------------------------------------------


def assert_nothing_written(producer, apples):
    assert Product.objects.filter(producer=producer).count() == 1
    assert Variant.objects.filter(product__producer=producer).count() == 2
    kilo = apples.variants.get(name="1 kg")
    assert (kilo.price, kilo.stock_quantity) == (Decimal("3.50"), 10)


def good_rows_around(bad: dict) -> bytes:
    """Lines 2 and 3 are good (one updates the existing "Pommes — 1 kg"), 4 is bad."""
    return make_csv(
        row(product="Pommes", category="Fruits", labels="ab", variant="1 kg", price="4,00"),
        row(),
        row(**{"product": "Poireaux", "variant": "Botte", **bad}),
        row(variant="2 kg", price="4,50"),
    )


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            {"unit": "boite"},
            "Line 4: unknown unit “boite”. Use one of: piece, kg, g, l, cl, bunch.",
        ),
        ({"unit": ""}, "Line 4: “unit” is empty; it is required."),
        ({"vat_rate": "7"}, "Line 4: unknown VAT rate “7”. Use 5.5, 10 or 20."),
        ({"vat_rate": "0,055"}, "Line 4: unknown VAT rate “0,055”. Use 5.5, 10 or 20."),
        (
            {"stock_mode": "parfois"},
            "Line 4: unknown stock mode “parfois”. Use “counted” or “on_demand”.",
        ),
        (
            {"category": "Poissons"},
            "Line 4: unknown category “Poissons”. Known categories: Fruits, Légumes.",
        ),
        ({"category": ""}, "Line 4: “category” is empty; it is required."),
        (
            {"labels": "ab|demeter"},
            "Line 4: unknown label “demeter”. Known labels: Agriculture biologique (AB).",
        ),
        ({"price": ""}, "Line 4: “price” is empty; it is required."),
        ({"price": "0"}, "Line 4: “price” must be more than 0, not “0”."),
        ({"price": "-1,50"}, "Line 4: “price” must be more than 0, not “-1,50”."),
        ({"price": "gratuit"}, "Line 4: “gratuit” in column “price” is not a number."),
        ({"price": "1.234,50"}, "Line 4: “1.234,50” in column “price” is not a number."),
        ({"price": "3,505"}, "Line 4: “price” has at most 2 decimals, not “3,505”."),
        ({"price": "100000"}, "Line 4: “100000” is too high for “price”."),
        ({"quantity": "0"}, "Line 4: “quantity” must be more than 0, not “0”."),
        ({"quantity": "-2"}, "Line 4: “quantity” must be more than 0, not “-2”."),
        ({"quantity": "un peu"}, "Line 4: “un peu” in column “quantity” is not a number."),
        ({"quantity": "0,0005"}, "Line 4: “quantity” has at most 3 decimals, not “0,0005”."),
        ({"stock": "-1"}, "Line 4: “stock” must be a whole number, 0 or more, not “-1”."),
        ({"stock": "2,5"}, "Line 4: “stock” must be a whole number, 0 or more, not “2,5”."),
        (
            {"stock": "beaucoup"},
            "Line 4: “stock” must be a whole number, 0 or more, not “beaucoup”.",
        ),
        ({"stock": "1000001"}, "Line 4: “1000001” is too high for “stock”."),
        ({"stock": ""}, "Line 4: “stock” is empty; it is required when the stock is counted."),
        (
            {"variant_active": "peut-être"},
            "Line 4: “peut-être” in column “variant_active” is not yes or no.",
        ),
        (
            {"product_active": "bof"},
            "Line 4: “bof” in column “product_active” is not yes or no.",
        ),
        ({"product": ""}, "Line 4: “product” is empty; it is required."),
        ({"variant": ""}, "Line 4: “variant” is empty; it is required."),
        (
            {"product": "P" * 151},
            "Line 4: “product” is too long (151 characters, 150 at most).",
        ),
        (
            {"variant": "V" * 101},
            "Line 4: “variant” is too long (101 characters, 100 at most).",
        ),
        ({"sku": "S" * 51}, "Line 4: “sku” is too long (51 characters, 50 at most)."),
    ],
)
def test_a_bad_row_is_reported_with_its_line_and_nothing_is_written(
    producer, fruits, category, apples, bad, message
):
    assert import_errors(producer, good_rows_around(bad)) == [RowError(4, message)]
    assert_nothing_written(producer, apples)


def test_a_row_with_the_wrong_number_of_fields_is_refused(producer, fruits, category, apples):
    data = make_csv(row(), row(variant="2 kg")) + b"Poireaux;;Legumes;;oui;Botte;botte;1\n"

    assert import_errors(producer, data) == [
        RowError(
            4,
            "Line 4: expected 15 fields, found 8. Check the separators and the quotes.",
        )
    ]
    assert_nothing_written(producer, apples)


def test_duplicate_sku_in_the_file_is_refused(producer, fruits, category, apples):
    data = make_csv(row(sku="CAR-1"), row(variant="2 kg", sku="car-1"))

    assert import_errors(producer, data) == [
        RowError(3, "Line 3: the SKU “car-1” is already used on line 2.")
    ]
    assert_nothing_written(producer, apples)


def test_duplicate_variant_in_the_file_is_refused(producer, fruits, category, apples):
    data = make_csv(row(), row(variant=" 1 KG", price="3"))

    assert import_errors(producer, data) == [
        RowError(3, "Line 3: “Carottes — 1 KG” is already on line 2.")
    ]
    assert_nothing_written(producer, apples)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("description", "Autre texte"),
        ("category", "Fruits"),
        ("labels", "ab"),
        ("product_active", "non"),
    ],
)
def test_rows_of_one_product_that_disagree_are_refused_on_the_later_row(
    producer, fruits, category, organic, apples, column, value
):
    data = make_csv(row(), row(variant="2 kg"), row(variant="5 kg", **{column: value}))

    assert import_errors(producer, data) == [
        RowError(
            4,
            f"Line 4: “{column}” of “Carottes” differs from line 2; "
            "the rows of one product must agree.",
        )
    ]
    assert_nothing_written(producer, apples)


def test_renaming_a_variant_onto_another_ones_name_is_refused(producer, fruits, apples):
    data = make_csv(row(product="Pommes", category="Fruits", variant="Sac 3 kg", sku="POM-1"))

    assert import_errors(producer, data) == [
        RowError(
            2,
            "Line 2: your catalogue already has another variant “Pommes — Sac 3 kg”; "
            "rename one of them.",
        )
    ]
    assert_nothing_written(producer, apples)


def test_swapping_two_variants_names_by_their_skus_is_allowed(producer, fruits, apples):
    apples.variants.filter(name="Sac 3 kg").update(sku="POM-3")
    data = make_csv(
        row(product="Pommes", category="Fruits", variant="Sac 3 kg", sku="POM-1"),
        row(product="Pommes", category="Fruits", variant="1 kg", sku="POM-3"),
    )

    import_catalogue(producer=producer, data=data)

    assert apples.variants.get(sku="POM-1").name == "Sac 3 kg"
    assert apples.variants.get(sku="POM-3").name == "1 kg"


def test_every_bad_row_is_reported_with_physical_line_numbers(producer, fruits, category, apples):
    data = make_csv(
        row(description="Sur deux\nlignes", price="0"),  # lines 2-3
        row(description="Sur deux\nlignes", variant="2 kg"),  # lines 4-5
        row(product="Poireaux", unit="boite", vat_rate="7"),  # line 6
        row(product="Radis"),  # line 7, good
        row(product="Navets", stock="-3"),  # line 8
    )

    assert import_errors(producer, data) == [
        RowError(2, "Line 2: “price” must be more than 0, not “0”."),
        RowError(6, "Line 6: unknown unit “boite”. Use one of: piece, kg, g, l, cl, bunch."),
        RowError(6, "Line 6: unknown VAT rate “7”. Use 5.5, 10 or 20."),
        RowError(8, "Line 8: “stock” must be a whole number, 0 or more, not “-3”."),
    ]
    assert_nothing_written(producer, apples)


def test_blank_lines_are_skipped_but_counted(producer, category):
    data = (
        make_csv(row())
        + b"\n;;;;;;;;;;;;;\n"
        + make_csv(row(variant="2 kg", price="x"))[len(";".join(COLUMNS)) + 1 :]
    )

    assert import_errors(producer, data) == [
        RowError(5, "Line 5: “x” in column “price” is not a number.")
    ]


def test_missing_header_columns_are_listed(producer, category):
    data = b"product;category;variant;quantity\nCarottes;Legumes;1 kg;1\n"

    assert import_errors(producer, data) == [
        RowError(
            1,
            "Line 1: missing columns: unit, price. "
            "Required columns: product, category, variant, unit, price.",
        )
    ]
    assert not Product.objects.exists()


def test_unknown_and_repeated_header_columns_are_refused(producer, category):
    data = b"product;category;variant;unit;price;stok;price\n"

    assert import_errors(producer, data) == [
        RowError(
            1,
            "Line 1: unknown column “stok”. Known columns: " + ", ".join(COLUMNS) + ".",
        ),
        RowError(1, "Line 1: the column “price” appears twice."),
    ]


def test_non_utf8_file_is_refused_with_a_clear_message(producer, category, apples):
    data = make_csv(
        row(category="legumes", stock_mode="counted"), row(product="Pâtes", variant="500 g")
    )
    data = data.decode().encode("cp1252")

    assert import_errors(producer, data) == [
        RowError(
            3,
            "Line 3: the file is not UTF-8 text. Save it as “CSV UTF-8” and import it again.",
        )
    ]
    assert_nothing_written(producer, apples)


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n\n", b";;;\n"])
def test_empty_file_is_refused(producer, data):
    assert import_errors(producer, data) == [RowError(0, "The file is empty.")]


def test_header_without_rows_is_refused(producer):
    assert import_errors(producer, make_csv()) == [
        RowError(0, "The file has a header but no rows.")
    ]


def test_import_runs_a_bounded_number_of_queries(
    producer, category, apples, django_assert_max_num_queries
):
    rows = [row(product=f"Produit {n // 3}", variant=f"{n % 3 + 1} kg") for n in range(600)]
    rows.append(row(product="Pommes", category="Légumes", variant="1 kg", price="5"))

    with django_assert_max_num_queries(30):
        result = import_catalogue(producer=producer, data=make_csv(*rows))

    assert result == ImportResult(
        products_created=200, products_updated=1, variants_created=600, variants_updated=1
    )


# Export -------------------------------------------------------------------------------


def test_export_writes_the_header_and_one_row_per_variant(producer, fruits, apples, local):
    apples.labels.add(local)
    factories.VariantFactory(
        product__producer=producer,
        product__name="Jus de pomme",
        product__category=fruits,
        name="75 cl",
        unit=Unit.CL,
        quantity_per_unit=Decimal("0.750"),
        price=Decimal("3.2"),
        vat_rate=VatRate.INTERMEDIATE,
    )
    factories.VariantFactory(product__name="Pommes d'ailleurs")  # another producer's

    lines = export_catalogue(producer=producer, language="fr").split("\r\n")

    assert lines[0] == ";".join(COLUMNS)
    assert len(lines) == 5 and lines[4] == ""  # header, three variants, final newline
    rows = list(csv.reader(lines[1:4], delimiter=";"))
    assert [(r[0], r[5]) for r in rows] == [
        ("Jus de pomme", "75 cl"),
        ("Pommes", "1 kg"),
        ("Pommes", "Sac 3 kg"),
    ]
    assert dict(zip(COLUMNS, rows[0], strict=True)) == {
        "product": "Jus de pomme",
        "description": "",
        "category": "Fruits",
        "labels": "",
        "product_active": "yes",
        "variant": "75 cl",
        "unit": "cl",
        "quantity": "0,75",
        "price": "3,20",
        "vat_rate": "10",
        "stock_mode": "counted",
        "stock": "10",
        "sku": "",
        "variant_active": "yes",
        "stock_at_export": "10",
    }
    assert dict(zip(COLUMNS, rows[2], strict=True)) == {
        "product": "Pommes",
        "description": "Croquantes",
        "category": "Fruits",
        "labels": "Agriculture biologique (AB)|Local",
        "product_active": "yes",
        "variant": "Sac 3 kg",
        "unit": "kg",
        "quantity": "3",
        "price": "9,00",
        "vat_rate": "5,5",
        "stock_mode": "on_demand",
        "stock": "0",
        "sku": "",
        "variant_active": "no",
        "stock_at_export": "",  # on demand: no stock to keep track of
    }
    assert rows[1][12] == "POM-1"


def test_export_then_import_changes_nothing(producer, fruits, category, apples, local):
    factories.VariantFactory(
        product__producer=producer,
        product__name="Miel; de printemps",
        product__description='Récolté "à la main"\r\nsur deux lignes',
        product__category=category,
        product__is_active=False,
        name="Pot 250 g",
        unit=Unit.G,
        quantity_per_unit=Decimal("250"),
        price=Decimal("6.5"),
        vat_rate=VatRate.STANDARD,
        sku="MIEL-250",
    )
    Product.objects.get(name__startswith="Miel").labels.add(local)
    before = {
        v.pk: (v.product_id, v.name, v.unit, v.quantity_per_unit, v.price, v.vat_rate,
               v.stock_mode, v.stock_quantity, v.sku, v.is_active, v.updated_at)
        for v in Variant.objects.all()
    }  # fmt: skip
    exported = export_catalogue(producer=producer)

    result = import_catalogue(producer=producer, data=("\ufeff" + exported).encode())

    assert result == ImportResult(
        products_created=0, products_updated=0, variants_created=0, variants_updated=0
    )
    after = {
        v.pk: (v.product_id, v.name, v.unit, v.quantity_per_unit, v.price, v.vat_rate,
               v.stock_mode, v.stock_quantity, v.sku, v.is_active, v.updated_at)
        for v in Variant.objects.all()
    }  # fmt: skip
    assert after == before
    assert Product.objects.count() == 2
    assert export_catalogue(producer=producer) == exported


def test_export_of_an_empty_catalogue_is_just_the_header(producer):
    assert export_catalogue(producer=producer, language="fr") == ";".join(COLUMNS) + "\r\n"
    assert export_catalogue(producer=producer, language="en") == ",".join(COLUMNS) + "\r\n"


# One CSV convention (foodhub.spreadsheets) -------------------------------------------


@pytest.mark.parametrize("language", ["fr", "en"])
def test_export_makes_formulas_inert_and_imports_them_back_as_typed(producer, category, language):
    factories.VariantFactory(
        product__producer=producer, product__name='=HYPERLINK("http://evil.example")',
        product__description="-fraîches du jour", product__category=category,
        name="+1 kg", sku="@CAR", price=Decimal("12.5"), quantity_per_unit=Decimal("0.5"),
    )  # fmt: skip
    exported = export_catalogue(producer=producer, language=language)
    separator, decimal = {"fr": (";", ","), "en": (",", ".")}[language]

    header, row = csv.reader(io.StringIO(exported, newline=""), delimiter=separator)
    assert header == COLUMNS
    cells = dict(zip(header, row, strict=True))
    assert cells["product"] == '\'=HYPERLINK("http://evil.example")'
    assert cells["description"] == "'-fraîches du jour"
    assert (cells["variant"], cells["sku"]) == ("'+1 kg", "'@CAR")
    assert (cells["price"], cells["quantity"]) == (f"12{decimal}50", f"0{decimal}5")

    result = import_catalogue(producer=producer, data=exported.encode())

    assert (result.products_updated, result.variants_updated, result.variants_created) == (0, 0, 0)
    variant = Variant.objects.select_related("product").get()
    assert variant.product.name == '=HYPERLINK("http://evil.example")'
    assert (variant.name, variant.sku) == ("+1 kg", "@CAR")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_export_edited_in_either_language_imports(producer, fruits, apples, language):
    separator = {"fr": ";", "en": ","}[language]
    exported = export_catalogue(producer=producer, language=language)
    edited = exported.replace(
        f"3{'.' if language == 'en' else ','}50", "4" + ("." if language == "en" else ",") + "25"
    )
    assert edited != exported and separator in edited.splitlines()[0]

    import_catalogue(producer=producer, data=("\ufeff" + edited).encode())

    assert apples.variants.get(name="1 kg").price == Decimal("4.25")


def test_an_export_of_an_earlier_version_still_imports(producer, fruits, apples):
    """Exports made before ``stock_at_export``: 14 columns, ";" and decimal commas; the
    stock is then the figure typed (see the stock rules below)."""
    data = (
        "product;description;category;labels;product_active;variant;unit;quantity;price;"
        "vat_rate;stock_mode;stock;sku;variant_active\r\n"
        "Pommes;Croquantes;Fruits;Agriculture biologique (AB);yes;1 kg;kg;1;3,80;5,5;"
        "counted;12;POM-1;yes\r\n"
    ).encode("utf-8-sig")

    result = import_catalogue(producer=producer, data=data)

    assert result.variants_updated == 1 and result.stock_notes == []
    kilo = apples.variants.get(name="1 kg")
    assert (kilo.price, kilo.stock_quantity) == (Decimal("3.80"), 12)


# Stock: the change made to what the export showed ------------------------------------


def exported_row(producer, product="Pommes", variant="1 kg") -> dict:
    """The export's row for this variant, as a spreadsheet would give it back."""
    reader = csv.DictReader(
        io.StringIO(export_catalogue(producer=producer, language="fr")), delimiter=";"
    )
    return next(r for r in reader if (r["product"], r["variant"]) == (product, variant))


def test_stock_typed_over_the_exported_figure_is_applied_to_the_stock_of_now(
    producer, fruits, apples
):
    edited = exported_row(producer)  # stock 10 shown
    kilo = apples.variants.get(name="1 kg")
    Variant.objects.filter(pk=kilo.pk).update(stock_quantity=7)  # 3 ordered since

    result = import_catalogue(producer=producer, data=make_csv({**edited, "stock": "15"}))

    kilo.refresh_from_db()
    assert kilo.stock_quantity == 12  # 10 -> 15 is +5, on the 7 left
    assert result.variants_updated == 1
    assert result.stock_notes == [
        RowError(
            2,
            "Line 2: the stock went from 10 to 7 since the export; your change (15 instead "
            "of 10) was made to it: the stock is now 12.",
        )
    ]
    assert result.stock_notes[0].column == "stock"


def test_untouched_stock_keeps_the_stock_of_now(producer, fruits, apples):
    edited = exported_row(producer)
    kilo = apples.variants.get(name="1 kg")
    Variant.objects.filter(pk=kilo.pk).update(stock_quantity=4)  # 6 ordered since

    result = import_catalogue(producer=producer, data=make_csv({**edited, "price": "3,90"}))

    kilo.refresh_from_db()
    assert (kilo.stock_quantity, kilo.price) == (4, Decimal("3.90"))  # not 10 again
    assert result.stock_notes == []


def test_stock_never_goes_below_zero_and_the_line_says_so(producer, fruits, apples):
    edited = exported_row(producer)  # 10 shown
    kilo = apples.variants.get(name="1 kg")
    Variant.objects.filter(pk=kilo.pk).update(stock_quantity=1)  # 9 ordered since

    result = import_catalogue(producer=producer, data=make_csv({**edited, "stock": "2"}))

    kilo.refresh_from_db()
    assert kilo.stock_quantity == 0
    [note] = result.stock_notes
    assert note.message.endswith("the stock is now 0. It cannot go below 0: check it.")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"stock_at_export": ""}, 15),  # hand-made: the figure typed is a count made now
        ({"stock_mode": "on_demand", "stock": "0"}, 0),  # mode changed: counted again
    ],
)
def test_stock_typed_is_the_stock_without_a_figure_to_compare_with(
    producer, fruits, apples, change, expected
):
    edited = {**exported_row(producer), "stock": "15", **change}
    kilo = apples.variants.get(name="1 kg")
    Variant.objects.filter(pk=kilo.pk).update(stock_quantity=7)

    result = import_catalogue(producer=producer, data=make_csv(edited))

    kilo.refresh_from_db()
    assert kilo.stock_quantity == expected
    assert result.stock_notes == []


def test_a_file_without_the_column_sets_the_stock_typed(producer, fruits, apples):
    columns = [column for column in COLUMNS if column != "stock_at_export"]
    kilo = apples.variants.get(name="1 kg")
    Variant.objects.filter(pk=kilo.pk).update(stock_quantity=7)

    import_catalogue(
        producer=producer,
        data=make_csv({**exported_row(producer), "stock": "20"}, columns=columns),
    )

    kilo.refresh_from_db()
    assert kilo.stock_quantity == 20


def test_a_new_variant_gets_the_stock_typed(producer, category):
    import_catalogue(producer=producer, data=make_csv(row(stock="8", stock_at_export="3")))

    assert Variant.objects.get().stock_quantity == 8


@pytest.mark.parametrize("value", ["-1", "2,5", "beaucoup", "1000001"])
def test_a_bad_stock_at_export_is_refused(producer, fruits, category, apples, value):
    [error] = import_errors(producer, good_rows_around({"stock_at_export": value}))

    assert (error.line, error.column) == (4, "stock_at_export")
    assert "stock_at_export" in error.message
    assert_nothing_written(producer, apples)


# Bad input (tests/bad_input.py) in every column ---------------------------------------

# Text columns: their longest value, and where the text is stored.
TEXT_COLUMNS = {
    "product": (150, Product, "name"),
    "variant": (100, Variant, "name"),
    "description": (None, Product, "description"),
    "sku": (50, Variant, "sku"),
}
# Blank cells of optional columns mean the default; "12 €" is a number (a trailing € is
# ignored, docs/catalogue-csv.md).
ACCEPTED = {
    "labels": {"   "},
    "product_active": {"   "},
    "variant_active": {"   "},
    "stock_mode": {"   "},
    "quantity": {"   ", "12 €"},
    "vat_rate": {"   "},
    "price": {"12 €"},
    "stock": {"12 €"},
    "stock_at_export": {"   ", "12 €"},
}


def catalogue_state():
    return (
        list(Product.objects.order_by("pk").values_list()),
        list(Variant.objects.order_by("pk").values_list()),
        list(Product.labels.through.objects.order_by("pk").values_list()),
    )


@pytest.mark.parametrize("column", COLUMNS)
def test_every_bad_value_in_every_column_is_refused_or_read_as_meant(
    producer, fruits, category, apples, column
):
    """On SQLite and on PostgreSQL (run the suite with DATABASE_URL): never a server
    error, nothing written when refused, and each error names its line and column."""
    from django.db import transaction

    from tests import bad_input

    before = catalogue_state()
    accepted = set()
    for value in bad_input.ALL:
        data = make_csv(row(), row(**{"product": "Poireaux", "variant": "Botte", column: value}))
        try:
            with transaction.atomic():
                import_catalogue(producer=producer, data=data)
                if column in TEXT_COLUMNS:
                    _limit, model, field_name = TEXT_COLUMNS[column]
                    stored = model.objects.filter(**{field_name: value.strip()})
                    assert stored.exists(), (column, value)
                accepted.add(value)
                transaction.set_rollback(True)
        except CatalogueImportError as error:
            assert catalogue_state() == before, (column, value)
            for row_error in error.errors:
                assert row_error.line == 3 and row_error.message.startswith("Line 3: ")
                assert row_error.column == column, (column, value, row_error)
    if column in TEXT_COLUMNS:
        refused = set(bad_input.ALL) - accepted
        limit = TEXT_COLUMNS[column][0] or 10**9
        required = column in ("product", "variant")
        assert refused == {
            value for value in bad_input.ALL
            if "\x00" in value or len(value) > limit or (required and not value.strip())
        }, (column, refused)  # fmt: skip
    else:
        assert accepted == ACCEPTED.get(column, set()), column
    assert catalogue_state() == before


def test_nul_bytes_are_refused_with_their_line_and_column(producer, category):
    errors = import_errors(
        producer, make_csv(row(description="Bio\x00"), row(variant="2 kg", sku="A\x00"))
    )

    assert [(error.line, error.column) for error in errors] == [(2, "description"), (3, "sku")]
    assert errors[0].message == (
        "Line 2: “description” holds a NUL character, which is not text. "
        "Remove it and import the file again."
    )
    assert not Product.objects.exists()


def test_a_nul_byte_in_the_header_is_refused(producer, category):
    assert import_errors(producer, b"product;categ\x00ory;variant;unit;price\n") == [
        RowError(
            1,
            "Line 1: “category” holds a NUL character, which is not text. "
            "Remove it and import the file again.",
        )
    ]


@pytest.mark.parametrize("value", ["sNaN", "NaN", "Infinity", "1e400", "9" * 30, "１２", "١٢"])
@pytest.mark.parametrize("column", ["price", "quantity", "stock", "vat_rate"])
def test_numbers_decimal_cannot_hold_are_refused(producer, category, column, value):
    [error] = import_errors(producer, make_csv(row(**{column: value})))

    assert (error.line, error.column) == (2, column)
    assert not Product.objects.exists()


def test_the_producers_documentation_lists_every_column():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "catalogue-csv.md").read_text()
    assert [column for column in COLUMNS if f"| `{column}` |" not in doc] == []
