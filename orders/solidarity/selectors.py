"""What the hub's managers see of the solidarity fund: totals per cycle, never a
household's tier."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum

from orders.models import PriceTier, SolidarityEntry

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@dataclass
class CycleFund:
    cycle_id: int
    name: str
    closes_at: object
    contributions: Decimal  # from the supporting price
    support: Decimal  # to the reduced price (a positive amount)
    balance_after: Decimal  # the fund once this cycle is counted
    lower_closed: bool

    @property
    def net(self) -> Decimal:
        return self.contributions - self.support


def _cents(value) -> Decimal:
    # SQLite adds decimals up as floats: back to cents.
    return Decimal(value or 0).quantize(CENT)


def fund_by_cycle(hub) -> list[CycleFund]:
    """The fund of ``hub`` cycle by cycle, the latest first, with its balance after each
    (one query)."""
    rows = (
        SolidarityEntry.objects.filter(hub=hub)
        .values("cycle_id", "cycle__name", "cycle__closes_at", "cycle__solidarity__lower_closed_at")
        .annotate(
            upper=Sum("amount", filter=Q(order__price_tier=PriceTier.UPPER)),
            lower=Sum("amount", filter=Q(order__price_tier=PriceTier.LOWER)),
            other=Sum("amount", filter=Q(order__price_tier=PriceTier.MIDDLE)),
        )
        .order_by("cycle__closes_at", "cycle_id")
    )
    found, balance = [], ZERO
    for row in rows:
        # An order that left the reduced or the supporting price nets to zero.
        contributions = _cents(row["upper"]) + _cents(row["other"])
        support = -_cents(row["lower"])
        balance += contributions - support
        found.append(
            CycleFund(
                cycle_id=row["cycle_id"],
                name=row["cycle__name"],
                closes_at=row["cycle__closes_at"],
                contributions=contributions,
                support=support,
                balance_after=balance,
                lower_closed=row["cycle__solidarity__lower_closed_at"] is not None,
            )
        )
    found.reverse()
    return found
