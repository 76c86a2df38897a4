"""System checks of what the orders code needs from the database."""

from django.core import checks
from django.db import connections

# UPDATE ... FROM (orders.stock) needs 3.33; UPDATE ... RETURNING (order numbers) 3.35.
SQLITE_MINIMUM = (3, 35)


@checks.register(checks.Tags.database)
def sqlite_is_recent_enough(app_configs, databases=None, **kwargs):
    errors = []
    for alias in databases or []:
        connection = connections[alias]
        if connection.vendor != "sqlite":
            continue
        import sqlite3  # only where a database is SQLite

        if sqlite3.sqlite_version_info < SQLITE_MINIMUM:
            errors.append(
                checks.Error(
                    f"SQLite {sqlite3.sqlite_version} is too old for the checkout; "
                    f"it needs {'.'.join(map(str, SQLITE_MINIMUM))} or later.",
                    hint="Use a newer Python/SQLite, or PostgreSQL through DATABASE_URL.",
                    id="orders.E001",
                )
            )
    return errors
