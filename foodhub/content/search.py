"""Wagtail's search backend (the admin's search boxes, the page chooser, the photos), on
the database, reading the words typed as words.

On SQLite, modelsearch writes each word between double quotes into SQLite's full-text
query without doubling a double quote inside it, so a search for ``"a`` or
``=HYPERLINK("x")`` was a syntax error, a server error in every admin search box. There
the double quotes people type are doubled (``search_sqlite``), as SQLite reads a double
quote inside a word. PostgreSQL is searched by modelsearch as it is.

``WAGTAILSEARCH_BACKENDS`` names this module.
"""

from django.db import connection
from modelsearch.backends import database


def SearchBackend(params):  # noqa: N802 (the name search backends are looked up by)
    backend = database.SearchBackend(params)
    if connection.vendor == "sqlite" and database.USE_SQLITE_FTS:
        # Only importable on SQLite (its module declares SQLite's index tables), as
        # modelsearch itself imports it.
        from . import search_sqlite  # SQLite only, see above

        return search_sqlite.SQLiteSearchBackend(params)
    return backend
