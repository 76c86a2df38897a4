"""The rounding rules of orders/pricing.py, as worked examples and as properties.

Prices include VAT (French retail). A line total is exact; the hub fee and every VAT figure
are rounded half-up to the cent; VAT counts once per rate, on the sum at that rate.
"""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orders.pricing import (
    CENT,
    ZERO,
    LineInput,
    VatRow,
    from_cents,
    money,
    price_line,
    price_order,
    to_cents,
    vat_included,
)

D = Decimal
REDUCED, INTERMEDIATE, STANDARD = D("5.5"), D("10.0"), D("20.0")


def line(price: str, rate: Decimal, quantity: int) -> LineInput:
    return LineInput(unit_price=D(price), vat_rate=rate, quantity=quantity)


def rows_by_rate(amounts) -> dict[Decimal, VatRow]:
    return {row.rate: row for row in amounts.vat_rows}


# Rule 1 and 6: a line.


def test_a_line_total_is_price_times_quantity_without_rounding():
    amounts = price_line(line("2.40", REDUCED, 3))
    assert amounts.total == D("7.20")


def test_a_line_shows_the_vat_it_contains_and_the_producers_share():
    # 7.20 × 5.5 / 105.5 = 0.37535… → 0.38
    amounts = price_line(line("2.40", REDUCED, 3), fee_percent=D("5"))
    assert amounts.vat == D("0.38")
    assert amounts.producer_share == D("6.82")
    assert amounts.producer_share + amounts.vat == amounts.total
    # 5 % of 7.20, for information only.
    assert amounts.fee_share == D("0.36")


@pytest.mark.parametrize(
    ("gross", "rate", "vat"),
    [
        ("11.80", REDUCED, "0.62"),  # 11.80 × 5.5 / 105.5 = 0.6151…
        ("9.00", INTERMEDIATE, "0.82"),  # 9.00 / 11 = 0.8181…
        ("12.00", STANDARD, "2.00"),  # 12.00 / 6 = 2
        ("1.00", REDUCED, "0.05"),  # 0.0521…
        ("0.01", STANDARD, "0.00"),  # 0.0016…
    ],
)
def test_vat_contained_in_a_price_at_each_french_rate(gross, rate, vat):
    assert vat_included(D(gross), rate) == D(vat)


# Half-up, not the banker's rounding of Decimal's default context.


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [("0.005", "0.01"), ("0.015", "0.02"), ("0.025", "0.03"), ("2.675", "2.68"), ("2.665", "2.67")],
)
def test_money_rounds_half_up_to_the_cent(amount, rounded):
    assert money(D(amount)) == D(rounded)


def test_vat_rounds_half_up_when_exactly_half_a_cent():
    # 0.03 / 6 = 0.005 and 0.15 / 6 = 0.025: half-even would give 0.00 and 0.02.
    assert vat_included(D("0.03"), STANDARD) == D("0.01")
    assert vat_included(D("0.15"), STANDARD) == D("0.03")


def test_percentage_fee_rounds_half_up():
    # 5 % of 10.50 = 0.525 → 0.53 (half-even would say 0.52).
    amounts = price_order([line("10.50", REDUCED, 1)], fee_percent=D("5"))
    assert amounts.fee_percent_part == D("0.53")
    assert amounts.fee_total == D("0.53")
    assert amounts.total == D("11.03")


# Rules 2–5: an order.


def test_worked_order_with_three_rates_and_a_hub_fee():
    """Carrots at 5.5 %, jam at 10 %, cider at 20 %; a 5 % + 0.50 € fee at 20 %.

    goods  7.20 + 9.00 + 12.00 = 28.20
    fee    5 % of 28.20 = 1.41, + 0.50 fixed = 1.91 (VAT incl. at 20 %)
    total  30.11
    VAT    5.5 %: 7.20 → 0.38; 10 %: 9.00 → 0.82; 20 %: 12.00 + 1.91 = 13.91 → 2.32
    """
    amounts = price_order(
        [line("2.40", REDUCED, 3), line("4.50", INTERMEDIATE, 2), line("12.00", STANDARD, 1)],
        fee_percent=D("5"),
        fee_fixed=D("0.50"),
        fee_vat_rate=STANDARD,
    )
    assert amounts.goods_total == D("28.20")
    assert amounts.fee_percent_part == D("1.41")
    assert amounts.fee_fixed == D("0.50")
    assert amounts.fee_total == D("1.91")
    assert amounts.fee_vat == D("0.32")  # 1.91 / 6 = 0.3183…
    assert amounts.total == D("30.11")
    rows = rows_by_rate(amounts)
    assert sorted(rows) == [REDUCED, INTERMEDIATE, STANDARD]
    assert (rows[REDUCED].base, rows[REDUCED].vat) == (D("7.20"), D("0.38"))
    assert (rows[INTERMEDIATE].base, rows[INTERMEDIATE].vat) == (D("9.00"), D("0.82"))
    assert (rows[STANDARD].base, rows[STANDARD].vat) == (D("13.91"), D("2.32"))
    assert rows[STANDARD].net == D("11.59")
    assert amounts.vat_total == D("3.52")
    assert sum(row.base for row in amounts.vat_rows) == amounts.total
    # The producers get the lines less their VAT: 6.82 + 8.18 + 10.00.
    assert amounts.producers_total == D("25.00")


def test_vat_is_rounded_once_per_rate_not_per_line():
    # Each 0.10 line contains 0.0052 of VAT (0.01 rounded, so 0.03 line by line); the
    # three together, 0.30, contain 0.0156 → 0.02: the per-rate figure is the one that counts.
    amounts = price_order([line("0.10", REDUCED, 1)] * 3)
    assert [item.vat for item in amounts.lines] == [D("0.01")] * 3
    (row,) = amounts.vat_rows
    assert (row.base, row.vat) == (D("0.30"), D("0.02"))
    assert amounts.vat_total == D("0.02")


def test_hub_fee_at_the_goods_rate_joins_that_rates_row():
    amounts = price_order([line("10.00", REDUCED, 1)], fee_fixed=D("1.00"), fee_vat_rate=REDUCED)
    (row,) = amounts.vat_rows
    assert row.base == D("11.00")
    assert row.vat == D("0.57")  # 11.00 × 5.5 / 105.5 = 0.5734…
    assert amounts.fee_vat == D("0.05")  # 1.00 × 5.5 / 105.5 = 0.0521…


def test_fixed_fee_alone_is_charged_once_per_order():
    amounts = price_order([line("2.40", REDUCED, 1), line("3.00", REDUCED, 2)], fee_fixed=D("1.00"))
    assert amounts.goods_total == D("8.40")
    assert amounts.fee_percent_part == ZERO
    assert amounts.fee_total == D("1.00")
    assert amounts.total == D("9.40")
    assert rows_by_rate(amounts)[STANDARD].base == D("1.00")


def test_an_empty_order_costs_nothing_not_even_the_fixed_fee():
    amounts = price_order([], fee_percent=D("5"), fee_fixed=D("0.50"))
    assert amounts.total == ZERO
    assert amounts.fee_total == ZERO
    assert amounts.vat_rows == []


def test_no_fee_means_no_fee_row():
    amounts = price_order([line("2.40", REDUCED, 1)], fee_vat_rate=STANDARD)
    assert [row.rate for row in amounts.vat_rows] == [REDUCED]


def test_vat_row_rates_print_as_plain_numbers():
    amounts = price_order(
        [line("1.00", INTERMEDIATE, 1), line("1.00", STANDARD, 1)], fee_vat_rate=STANDARD
    )
    assert [f"{row.rate}" for row in amounts.vat_rows] in (["10", "20"], ["10.0", "20.0"])


def test_stripe_cents_round_trip():
    assert to_cents(D("12.345")) == 1235
    assert to_cents(D("30.11")) == 3011
    assert from_cents(1999) == D("19.99")
    assert from_cents(to_cents(D("0.07"))) == D("0.07")


# Properties: for any order, the parts add up and every amount is to the cent.

cents = st.integers(min_value=1, max_value=99_999_99).map(lambda n: D(n).scaleb(-2))
rates = st.sampled_from([REDUCED, INTERMEDIATE, STANDARD])
lines = st.lists(
    st.builds(LineInput, unit_price=cents, vat_rate=rates, quantity=st.integers(1, 999)),
    max_size=12,
)
percents = st.integers(min_value=0, max_value=100_00).map(lambda n: D(n).scaleb(-2))
fixed_fees = st.integers(min_value=0, max_value=1000_00).map(lambda n: D(n).scaleb(-2))


def is_cents(amount: Decimal) -> bool:
    return isinstance(amount, Decimal) and amount == amount.quantize(CENT)


@given(lines=lines, fee_percent=percents, fee_fixed=fixed_fees, fee_vat_rate=rates)
def test_order_amounts_add_up_to_the_cent(lines, fee_percent, fee_fixed, fee_vat_rate):
    amounts = price_order(
        lines, fee_percent=fee_percent, fee_fixed=fee_fixed, fee_vat_rate=fee_vat_rate
    )
    assert amounts.total == amounts.goods_total + amounts.fee_total
    assert amounts.fee_total == amounts.fee_percent_part + amounts.fee_fixed
    assert amounts.goods_total == sum((item.total for item in amounts.lines), ZERO)
    assert sum((row.base for row in amounts.vat_rows), ZERO) == amounts.total
    assert len({row.rate for row in amounts.vat_rows}) == len(amounts.vat_rows)
    for row in amounts.vat_rows:
        assert ZERO <= row.vat <= row.base
        assert all(map(is_cents, (row.base, row.vat, row.net)))
    for item, given_line in zip(amounts.lines, lines, strict=True):
        assert item.total == given_line.unit_price * given_line.quantity
        assert item.producer_share + item.vat == item.total
        assert all(map(is_cents, (item.total, item.vat, item.producer_share, item.fee_share)))
    assert all(
        map(
            is_cents,
            (
                amounts.goods_total,
                amounts.fee_percent_part,
                amounts.fee_total,
                amounts.total,
                amounts.vat_total,
                amounts.fee_vat,
                amounts.producers_total,
            ),
        )
    )
    # VAT rounded per rate is within half a cent per rate of the exact VAT.
    exact = sum((row.base * row.rate / (100 + row.rate) for row in amounts.vat_rows), D("0"))
    assert abs(amounts.vat_total - exact) <= D("0.005") * len(amounts.vat_rows)
