"""The funder's report: what was credited and spent, per month and per household, the
households named only by their pseudonym in the programme ("Household 07")."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from orders.models import AllocationProgramme, AllocationPurse, PurseMovement

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@dataclass
class Row:
    month: date
    credited: Decimal = ZERO
    spent: Decimal = ZERO  # spent on orders, less what came back (an order cancelled)
    household: str = ""


@dataclass
class Report:
    months: list[Row] = field(default_factory=list)
    households: list[Row] = field(default_factory=list)  # per household and month
    households_count: int = 0

    @property
    def credited(self) -> Decimal:
        return sum((row.credited for row in self.months), ZERO)

    @property
    def spent(self) -> Decimal:
        return sum((row.spent for row in self.months), ZERO)

    @property
    def left(self) -> Decimal:
        return self.credited - self.spent


def report(programme: AllocationProgramme) -> Report:
    """In two queries, whatever the number of households and months."""
    rows = (
        PurseMovement.objects.filter(purse__programme=programme)
        .values("month", "purse__number", "kind")
        .annotate(sum=Sum("amount"))
        .order_by("month", "purse__number")
    )
    by_month, by_household = {}, defaultdict(dict)
    for row in rows:
        amount = Decimal(row["sum"] or 0).quantize(CENT)  # SQLite sums as floats
        month = by_month.setdefault(row["month"], Row(row["month"]))
        number = row["purse__number"]
        household = by_household[row["month"]].setdefault(
            number, Row(row["month"], household=_pseudonym(number))
        )
        for target in (month, household):
            if row["kind"] == PurseMovement.Kind.CREDITED:
                target.credited += amount
            else:
                target.spent -= amount
    return Report(
        months=[by_month[month] for month in sorted(by_month)],
        households=[
            by_household[month][number]
            for month in sorted(by_household)
            for number in sorted(by_household[month])
        ],
        households_count=AllocationPurse.objects.filter(programme=programme).count(),
    )


def _pseudonym(number: int) -> str:
    return str(AllocationPurse(number=number).pseudonym)
