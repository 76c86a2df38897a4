"""How an order's amounts are computed: the rounding rules, written down once.

All prices are in euros, VAT included (French retail). Every amount is a ``Decimal``.

1. A line's total is its unit price × its quantity. Quantities are whole numbers of the
   variant (a "2 kg bag"), so a line total is exact to the cent: no rounding.
2. The goods total is the sum of the line totals.
3. The hub fee is ``fee_percent`` % of the goods total, rounded half-up to the cent, plus
   ``fee_fixed`` once per order. It includes VAT at the cycle's fee VAT rate.
4. The order total is the goods total plus the hub fee.
5. VAT is shown per rate, as on a French invoice: the amounts (goods and fee) at each rate
   are added up, then the VAT contained in that sum, ``sum × rate / (100 + rate)``, is
   rounded half-up to the cent, once per rate. The bases per rate add up to the total.
6. For transparency each line also shows its own split: the VAT it contains (rounded per
   line, so the line figures may differ by a cent from the per-rate figure of rule 5, which
   is the one that counts), the producer's share (line total less its VAT) and its share
   of the percentage fee (rounded per line, for information only).
7. A product sold by weight is ordered by the unit at an estimate: the unit price is the
   price per kg × the unit's estimated weight, rounded half-up to the cent (never under a
   cent), and rules 1 to 6 apply to that estimate. Once weighed, the line costs its weight
   (kg, to the gram) × the price per kg, rounded half-up to the cent (``weighed_price``);
   the difference is settled through the household's balance, not by changing the order.
8. Solidarity prices (``orders.solidarity``): a household may pay a percentage of the
   price (its tier: 70 %, 100 %, 130 % by default). Its unit price is the price × the
   percentage, rounded half-up to the cent (``tier_price``; the price per kg likewise), and
   rules 1, 2, 5 and 7 apply to that price: it is what the household is charged and
   invoiced. The producer's share stays that of the full price (rule 6), and the hub fee's
   percentage part is taken on the goods at full price (rule 3), so neither the producers
   nor the hub gain or lose by a tier: the whole difference (the line at its tier price less
   the line at full price) goes to or comes from the hub's solidarity fund.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
RATE_PLACES = Decimal("0.1")


def money(amount: Decimal) -> Decimal:
    """Round half-up to the cent (rule 3 and 5)."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def vat_included(gross: Decimal, rate: Decimal) -> Decimal:
    """The VAT contained in an amount that includes VAT at ``rate`` %."""
    rate = Decimal(rate)
    return money(Decimal(gross) * rate / (HUNDRED + rate))


def weighed_price(weight: Decimal, price_per_kg: Decimal) -> Decimal:
    """What ``weight`` kg cost at ``price_per_kg`` (rule 7)."""
    return money(Decimal(weight) * Decimal(price_per_kg))


def tier_price(price: Decimal, percent: int) -> Decimal:
    """A unit price (or a price per kg) at a solidarity tier of ``percent`` % (rule 8)."""
    if percent == 100:
        return Decimal(price)
    return money(Decimal(price) * Decimal(percent) / HUNDRED)


def to_cents(amount: Decimal) -> int:
    """Integer cents, for Stripe only."""
    return int(money(amount) * 100)


def from_cents(cents: int) -> Decimal:
    return money(Decimal(cents) / 100)


@dataclass(frozen=True)
class LineInput:
    unit_price: Decimal  # the full price (the producer's share is taken on it)
    vat_rate: Decimal
    quantity: int
    percent: int = 100  # the household's solidarity tier (rule 8)


@dataclass(frozen=True)
class LineAmounts:
    unit_price: Decimal  # what the household pays for one (at its tier)
    vat_rate: Decimal
    quantity: int
    total: Decimal  # what the household pays for the line (at its tier)
    vat: Decimal
    producer_share: Decimal
    fee_share: Decimal
    percent: int = 100
    full_total: Decimal = ZERO  # the line at full price

    @property
    def solidarity(self) -> Decimal:
        """What the line gives to the solidarity fund (negative: what it receives)."""
        return self.total - self.full_total


@dataclass(frozen=True)
class PricedRow:
    """A line as shown to people: its name, its producer and its amounts (an estimate
    when it is sold by weight: ``per_kg`` is then its price per kg)."""

    name: str
    producer: str
    amounts: LineAmounts
    per_kg: Decimal | None = None


@dataclass(frozen=True)
class VatRow:
    rate: Decimal
    base: Decimal  # amount including VAT at this rate
    vat: Decimal

    @property
    def net(self) -> Decimal:
        return self.base - self.vat


@dataclass(frozen=True)
class OrderAmounts:
    lines: list[LineAmounts]
    goods_total: Decimal
    fee_percent_part: Decimal
    fee_fixed: Decimal
    fee_total: Decimal
    fee_vat_rate: Decimal
    total: Decimal
    vat_rows: list[VatRow] = field(default_factory=list)
    full_goods_total: Decimal = ZERO  # the goods at full price (rule 8)

    @property
    def solidarity(self) -> Decimal:
        """What the order gives to the solidarity fund (negative: what it receives)."""
        return self.goods_total - self.full_goods_total

    @property
    def percent(self) -> int:
        """The order's solidarity tier (100 when it pays the full price)."""
        return self.lines[0].percent if self.lines else 100

    @property
    def vat_total(self) -> Decimal:
        return sum((row.vat for row in self.vat_rows), ZERO)

    @property
    def fee_vat(self) -> Decimal:
        return vat_included(self.fee_total, self.fee_vat_rate)

    @property
    def producers_total(self) -> Decimal:
        """What goes to the producers, VAT excluded (rule 6, summed)."""
        return sum((line.producer_share for line in self.lines), ZERO)


def price_line(line: LineInput, *, fee_percent: Decimal = ZERO) -> LineAmounts:
    full_total = Decimal(line.unit_price) * line.quantity
    unit_price = tier_price(line.unit_price, line.percent)
    total = unit_price * line.quantity
    return LineAmounts(
        unit_price=unit_price,
        vat_rate=Decimal(line.vat_rate),
        quantity=line.quantity,
        total=total,
        vat=vat_included(total, line.vat_rate),
        producer_share=full_total - vat_included(full_total, line.vat_rate),
        fee_share=money(full_total * Decimal(fee_percent) / HUNDRED),
        percent=line.percent,
        full_total=full_total,
    )


def price_order(
    lines: Iterable[LineInput],
    *,
    fee_percent: Decimal = ZERO,
    fee_fixed: Decimal = ZERO,
    fee_vat_rate: Decimal = Decimal("20.0"),
) -> OrderAmounts:
    """Apply rules 1–6 and 8 to an order's lines and its cycle's fee."""
    priced = [price_line(line, fee_percent=fee_percent) for line in lines]
    goods_total = sum((line.total for line in priced), ZERO)
    full_goods_total = sum((line.full_total for line in priced), ZERO)
    fee_percent_part = money(full_goods_total * Decimal(fee_percent) / HUNDRED)
    fee_fixed = Decimal(fee_fixed) if priced else ZERO
    fee_total = fee_percent_part + fee_fixed

    # Rates are keyed to one decimal place, so "5.5" and "5.50" meet and 20 prints "20.0".
    bases: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for line in priced:
        bases[line.vat_rate.quantize(RATE_PLACES)] += line.total
    if fee_total:
        bases[Decimal(fee_vat_rate).quantize(RATE_PLACES)] += fee_total
    vat_rows = [
        VatRow(rate=rate, base=base, vat=vat_included(base, rate))
        for rate, base in sorted(bases.items())
    ]
    return OrderAmounts(
        lines=priced,
        goods_total=goods_total,
        fee_percent_part=fee_percent_part,
        fee_fixed=fee_fixed,
        fee_total=fee_total,
        fee_vat_rate=Decimal(fee_vat_rate),
        total=goods_total + fee_total,
        vat_rows=vat_rows,
        full_goods_total=full_goods_total,
    )
