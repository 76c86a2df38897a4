"""Wagtail's search backend (the admin's search boxes, the page chooser, the photos), on
the database, reading the words typed as words.

On SQLite, modelsearch writes each word between double quotes into SQLite's full-text
query without doubling a double quote inside it, so a search for ``"a`` or
``=HYPERLINK("x")`` was a syntax error, a server error in every admin search box. Here
the double quotes people type are doubled, as SQLite reads a double quote inside a word.
The other databases are searched by modelsearch as they are.

``WAGTAILSEARCH_BACKENDS`` names this module.
"""

from modelsearch.backends import database
from modelsearch.backends.database.sqlite import sqlite
from modelsearch.query import Phrase, PlainText


def _quoted(text: str) -> str:
    return text.replace('"', '""')


class _WordsAsTyped:
    def build_search_query_content(self, query, config=None):
        if isinstance(query, PlainText):
            query = PlainText(_quoted(query.query_string), query.operator, query.boost)
        elif isinstance(query, Phrase):
            query = Phrase(_quoted(query.query_string))
        return super().build_search_query_content(query, config=config)


class SQLiteQueryCompiler(_WordsAsTyped, sqlite.SQLiteSearchQueryCompiler):
    pass


class SQLiteAutocompleteQueryCompiler(_WordsAsTyped, sqlite.SQLiteAutocompleteQueryCompiler):
    pass


class SQLiteSearchBackend(sqlite.SQLiteSearchBackend):
    query_compiler_class = SQLiteQueryCompiler
    autocomplete_query_compiler_class = SQLiteAutocompleteQueryCompiler


def SearchBackend(params):  # noqa: N802 (the name search backends are looked up by)
    backend = database.SearchBackend(params)
    if type(backend) is sqlite.SQLiteSearchBackend:
        return SQLiteSearchBackend(params)
    return backend
