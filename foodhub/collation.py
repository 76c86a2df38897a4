"""One French collation for the lists the database sorts, named the same on SQLite and
PostgreSQL, so that Élodie sorts between Denis and Fabien and Œuvre among the O there too,
not after Zoé (SQLite's and PostgreSQL's "C" collations sort by code point).

- PostgreSQL: an ICU collation created by a migration (``accounts``' ``french_collation``);
  level 2 ignores case, and equal names are told apart by their bytes, as
  ``french_sort_key`` does.
- SQLite: the same name registered on every new connection, comparing with
  ``foodhub.text.french_sort_key``, the key of every sort done in Python.

Order a query by a name with ``french("name")``: ``.order_by(french("full_name"), "pk")``;
the models' default orderings use it too.
"""

from functools import lru_cache

from django.db.backends.signals import connection_created
from django.db.models.functions import Collate
from django.dispatch import receiver

from foodhub.text import french_sort_key

FRENCH = "foodhub_french"
ICU_LOCALE = "fr-u-ks-level2"


def french(field: str) -> Collate:
    """The field (a name, a lookup like ``"order__full_name"``) in French alphabetical
    order, for ``order_by`` and ``Meta.ordering``."""
    return Collate(field, FRENCH)


# A sort calls the collation once per comparison, about twice per row, on names that
# repeat (a producer's name on each of its offers): their keys are computed once.
_sort_key = lru_cache(maxsize=65_536)(french_sort_key)


def compare(left: str, right: str) -> int:
    """SQLite's collation function: -1, 0 or 1, as ``french_sort_key`` orders them."""
    if left == right:
        return 0
    left_key, right_key = _sort_key(left), _sort_key(right)
    return (left_key > right_key) - (left_key < right_key)


@receiver(connection_created, dispatch_uid="foodhub.collation.sqlite")
def register_on_sqlite(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_collation(FRENCH, compare)
