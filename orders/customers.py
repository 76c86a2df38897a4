"""Who a household is for a hub: its ``Customer``, found or made when it orders.

``customer_for`` runs inside the transaction that writes the order: one query when the
household is known, two the first time. Two orders of a new household at the same
moment (two cycles, two tabs) make one customer: the second insert does nothing (``ON
CONFLICT DO NOTHING``, waiting for the first to commit on PostgreSQL) and the row is read
again.
"""

from decimal import Decimal

from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from .models import Customer


def customer_for(*, hub_id: int, email: str, full_name: str, phone: str = "", user=None):
    """The hub's customer for the household ordering with ``email`` (lower-case), logged
    in as ``user`` or not.

    - Logged in: the account's customer; else the guest customer of that address, which
      the account takes over (a guest who signed up keeps its history and balance).
    - A guest: the customer of that address.
    - Otherwise a new customer. If the address is already another account's customer (an
      account that gave it up), the new one is made without it.
    """
    found = _find(hub_id, email, user)
    if found is not None:
        return found
    fields = {"hub_id": hub_id, "user_id": getattr(user, "pk", None), "email": email,
              "full_name": full_name[:150], "phone": phone[:30]}  # fmt: skip
    made = _insert(fields)
    if made is not None:
        return _made(made, fields, user)
    found = _find(hub_id, email, user)
    if found is not None:
        return found
    # The address is another account's customer.
    new = Customer(**(fields | {"email": ""}))
    new.save(force_insert=True)
    return new


def _insert(fields: dict) -> int | None:
    """Insert the customer unless one of the unique constraints holds another row already
    (``ON CONFLICT DO NOTHING``, on both databases): its id, or None. One query."""
    fields = fields | {"balance": Decimal("0.00"), "created_at": timezone.now()}
    table = connection.ops.quote_name(Customer._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(Customer._meta.get_field(name).column) for name in fields
    )
    values = [
        Customer._meta.get_field(name).get_db_prep_save(value, connection)
        for name, value in fields.items()
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(values))}) "  # noqa: S608 - names from the model, values bound
            "ON CONFLICT DO NOTHING RETURNING id",
            values,
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _made(pk: int, fields: dict, user) -> Customer:
    customer = Customer(pk=pk, balance=Decimal("0.00"), **fields)
    customer._state.adding = False
    if user is not None:
        customer.user = user
    return customer


def _find(hub_id: int, email: str, user) -> Customer | None:
    if user is None:
        return Customer.objects.filter(hub_id=hub_id, email=email).first()
    rows = Customer.objects.filter(
        Q(user=user) | Q(user=None, email=email), hub_id=hub_id
    ).order_by(F("user_id").asc(nulls_last=True))  # the account's own first
    for customer in rows:
        if customer.user_id == user.pk:
            return customer
        # A guest's: the account takes it over, unless another order took it first.
        if Customer.objects.filter(pk=customer.pk, user=None).update(user=user):
            customer.user = user
            return customer
        return _find(hub_id, email, user)
    return None
