"""The distribution list of a pickup point for a cycle (PDF and CSV)."""

from dataclasses import dataclass
from decimal import Decimal

from orders.printouts.documents import Header, csv_bytes, header, render_pdf

from . import selectors


@dataclass
class DistributionList:
    point: object
    cycle: object
    pickup: object  # the cycle's pickup at this point (date, slots), or None
    rows: list  # selectors.Household, by name
    total_due: Decimal
    total_paid: Decimal
    units: int
    header: Header


def distribution_list(point, cycle) -> DistributionList:
    rows = selectors.households(point, cycle)
    return DistributionList(
        point=point,
        cycle=cycle,
        pickup=cycle.pickups.filter(pickup_point=point).prefetch_related("slots").first(),
        rows=rows,
        total_due=sum((row.due for row in rows), Decimal("0.00")),
        total_paid=sum((row.paid for row in rows), Decimal("0.00")),
        units=sum(row.units for row in rows),
        header=header(cycle, point=point),
    )


def distribution_list_pdf(point, cycle, *, doc: DistributionList | None = None) -> bytes:
    doc = doc or distribution_list(point, cycle)
    return render_pdf("documents/distribution_list.html", {"doc": doc})


def distribution_list_csv(point, cycle, *, doc: DistributionList | None = None) -> bytes:
    doc = doc or distribution_list(point, cycle)
    return csv_bytes(
        ["order", "household", "slot", "items", "total", "paid", "due", "collected", "note"],
        (
            [row.order.number, row.order.full_name, str(row.order.slot), row.units,
             row.order.total, row.paid, row.due, row.order.collected_at,
             row.order.note]
            for row in doc.rows
        ),
    )  # fmt: skip
