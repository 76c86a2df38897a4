"""modelsearch's SQLite full-text backend, doubling the double quotes typed in a search
(see ``search``). Imported on SQLite only."""

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
