"""The machinery of the bad-input sweep (``tests/test_bad_input.py``): the project's
addresses read from its URL configuration, the forms read from a page's HTML and sent as a
browser sends them, and a cheap record of what a request wrote in the database.
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit

from django.urls import URLPattern, URLResolver, get_resolver

# Addresses


@dataclass(frozen=True)
class Route:
    """One address of the project: ``name`` (with its namespaces), ``route`` (Django's
    syntax, language prefix included) and the names of its keyword arguments."""

    name: str
    route: str
    kwargs: tuple[str, ...]
    is_regex: bool
    patterns: tuple[tuple[str, str], ...] = ()  # (argument, its converter's regex)

    def accepts(self, name: str, value: str) -> bool:
        """Whether the address matches with ``value`` as argument ``name`` (otherwise the
        URL resolver answers 404 before any view runs)."""
        return re.fullmatch(dict(self.patterns).get(name, "[^/]+"), value) is not None

    def path(self, values: dict) -> str:
        """The address with each ``<converter:name>`` replaced by ``values[name]``, quoted
        (values that no converter would accept are put in as they are, on purpose)."""

        def fill(match):
            return quote(str(values[match.group(2)]), safe="")

        return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, self.route)


def discover_routes() -> list[Route]:
    """Every address the project answers, walking ``get_resolver()`` (``i18n_patterns``
    included: the French addresses, which have no prefix)."""
    found = []

    def walk(patterns, prefix, namespace, converters):
        for entry in patterns:
            part = str(entry.pattern)
            inner_converters = {
                **converters,
                **{k: c.regex for k, c in getattr(entry.pattern, "converters", {}).items()},
            }
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry.url_patterns, prefix + part, inner, inner_converters)
            elif isinstance(entry, URLPattern):
                name = entry.name or f"<unnamed {prefix + part}>"
                route = prefix + part
                kwargs = tuple(re.findall(r"<(?:\w+:)?(\w+)>", route))
                is_regex = "^" in route or "$" in route or "(?P<" in route
                found.append(
                    Route(
                        f"{namespace}:{name}" if namespace else name,
                        route,
                        kwargs,
                        is_regex,
                        tuple(sorted(inner_converters.items())),
                    )
                )

    walk(get_resolver().url_patterns, "", "", {})
    return found


# Forms


@dataclass
class FormField:
    name: str
    kind: str  # the input's type: text, hidden, number, select, textarea, checkbox...
    values: list[str] = field(default_factory=list)  # what the browser would send
    options: list[str] = field(default_factory=list)  # of a select, checkboxes or radios
    inputmode: str = ""

    @property
    def numeric(self) -> bool:
        """Whether it holds a number or an id (what the whole corpus is for)."""
        if self.kind == "number" or self.inputmode in ("decimal", "numeric"):
            return True
        seen = [v for v in self.values + self.options if v]
        if self.kind == "hidden" and not seen:
            return True
        # Choices of whole numbers are ids (or coerced to int); "5.5" % of VAT is a word.
        choice = self.kind in ("select", "radio", "checkbox")
        number = r"-?[0-9]+" if choice else r"-?[0-9]+([.,][0-9]+)?"
        return bool(seen) and all(re.fullmatch(number, v) for v in seen)


@dataclass
class Form:
    method: str
    action: str  # path and query, resolved against the page's address
    htmx: bool  # posted by htmx too (hx-post on the form or its button)
    multipart: bool = False  # enctype="multipart/form-data"; else sent urlencoded, as browsers do
    fields: list[FormField] = field(default_factory=list)
    # Buttons that send the form elsewhere (formaction): (action, name, value).
    formactions: list[tuple[str, str, str]] = field(default_factory=list)

    def data(self) -> dict[str, list[str]]:
        data: dict[str, list[str]] = {}
        for form_field in self.fields:
            data.setdefault(form_field.name, []).extend(form_field.values)
        return data


class PageParser(HTMLParser):
    """The forms of a page (their fields and what a browser would send untouched), and the
    query parameters of the links that lead to the same page (pagination, formats...)."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self.link_params: dict[str, str] = {}
        self._form: Form | None = None
        self._fields: dict[str, FormField] = {}
        self._select: FormField | None = None
        self._select_first: str | None = None
        self._option: dict | None = None
        self._textarea: FormField | None = None
        self._button_taken = False

    def _field(self, name, kind) -> FormField:
        if name not in self._fields:
            self._fields[name] = FormField(name, kind)
            self._form.fields.append(self._fields[name])
        return self._fields[name]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            target = urlsplit(urljoin(self.page_url, attrs["href"]))
            if target.path == urlsplit(self.page_url).path and target.query:
                for key, value in parse_qsl(target.query, keep_blank_values=True):
                    self.link_params.setdefault(key, value)
        if tag == "form":
            action = urljoin(self.page_url, attrs.get("action") or self.page_url)
            parts = urlsplit(action)
            self._form = Form(
                method=(attrs.get("method") or "get").lower(),
                action=parts.path + (f"?{parts.query}" if parts.query else ""),
                htmx="hx-post" in attrs,
                multipart=(attrs.get("enctype") or "").lower() == "multipart/form-data",
            )
            self._fields = {}
            self._button_taken = False
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "image"):
                self._button(name, attrs.get("value", ""))
            elif kind in ("checkbox", "radio"):
                form_field = self._field(name, kind)
                form_field.options.append(attrs.get("value", "on"))
                if "checked" in attrs:
                    form_field.values.append(attrs.get("value", "on"))
            elif kind not in ("button", "reset"):
                form_field = self._field(name, kind)
                form_field.values.append(attrs.get("value", ""))
                form_field.inputmode = attrs.get("inputmode", "")
        elif tag == "button":
            if "hx-post" in attrs:
                self._form.htmx = True
            if (attrs.get("type") or "submit").lower() != "submit":
                return
            if attrs.get("formaction"):
                parts = urlsplit(urljoin(self.page_url, attrs["formaction"]))
                action = parts.path + (f"?{parts.query}" if parts.query else "")
                self._form.formactions.append((action, name or "", attrs.get("value", "")))
            elif name:
                self._button(name, attrs.get("value", ""))
        elif tag == "select" and name:
            self._select = self._field(name, "select")
            self._select_multiple = "multiple" in attrs
            self._select_first = None
        elif tag == "option" and self._select is not None:
            if self._option is not None:  # the previous <option> was not closed
                self._finish_option()
            self._option = {
                "value": attrs.get("value"),
                "text": "",
                "selected": "selected" in attrs,
            }
        elif tag == "textarea" and name:
            self._textarea = self._field(name, "textarea")
            self._textarea.values.append("")

    def _finish_option(self):
        option, self._option = self._option, None
        value = option["value"] if option["value"] is not None else option["text"].strip()
        self._select.options.append(value)
        if self._select_first is None:
            self._select_first = value
        if option["selected"]:
            self._select.values.append(value)

    def _button(self, name, value):
        # The first submit button is the one pressed (Enter presses it too).
        if not self._button_taken:
            self._button_taken = True
            self._field(name, "button").values.append(value)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.values[-1] += data
        if self._option is not None:
            self._option["text"] += data

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None:
            self._finish_option()
        elif tag == "select" and self._select is not None:
            if self._option is not None:  # an <option> left open
                self._finish_option()
            if not self._select.values and not self._select_multiple and self._select_first:
                self._select.values.append(self._select_first)
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._form = None


def form_body(data: dict[str, list[str]], *, multipart: bool) -> dict:
    """The test client's ``post`` arguments that send ``data`` as a browser sends a form:
    urlencoded, unless the form's ``enctype`` is ``multipart/form-data``."""
    if multipart:
        return {"data": data}
    return {
        "data": urlencode(data, doseq=True),
        "content_type": "application/x-www-form-urlencoded",
    }


def parse_page(page_url: str, html: str) -> PageParser:
    """The page's forms (a button with ``formaction`` makes a form of its own, sent to its
    address with that button pressed) and the query parameters of its links."""
    parser = PageParser(page_url)
    parser.feed(html)
    parser.close()
    for form in list(parser.forms):
        for action, name, value in form.formactions:
            fields = [f for f in form.fields if f.kind != "button"]
            if name:
                fields.append(FormField(name, "button", [value]))
            parser.forms.append(Form(form.method, action, form.htmx, form.multipart, fields))
    return parser


# The database


class Writes:
    """Records what a request writes, as the database keeps it (a database execute wrapper,
    ``connection.execute_wrapper(writes)``): the tables of its INSERT, UPDATE and DELETE
    statements, minus those of savepoints rolled back (a view that tried and undid its work
    wrote nothing), and whether a value written held a NUL character.

    Cheaper than counting the rows of every table after each request, and it sees an UPDATE
    of a table without a time stamp too.
    """

    _WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
    _SAVEPOINT = re.compile(r'\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\s+"?(\w+)"?')

    def __init__(self, ignored_tables=()):
        self.ignored = set(ignored_tables)
        self.frames: list[tuple[str, list[str]]] = [("", [])]
        self.nul: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        savepoint = self._SAVEPOINT.match(sql)
        if savepoint:
            self._savepoint(*savepoint.groups())
        else:
            write = self._WRITE.match(sql)
            if write and write.group(1) not in self.ignored:
                self.frames[-1][1].append(write.group(1))
                rows = params if many else [params]
                if any("\x00" in str(v) for row in rows or [] for v in (row or [])):
                    self.nul.append(write.group(1))
        return execute(sql, params, many, context)

    def _savepoint(self, statement, name):
        if statement == "SAVEPOINT":
            self.frames.append((name, []))
            return
        names = [frame_name for frame_name, _tables in self.frames]
        if name not in names:
            return
        at = names.index(name)
        if statement == "ROLLBACK TO SAVEPOINT":
            self.frames[at:] = [(name, [])]
        else:  # RELEASE: what it wrote now belongs to the frame below
            kept = [table for _name, tables in self.frames[at:] for table in tables]
            del self.frames[at:]
            self.frames[-1][1].extend(kept)

    @property
    def tables(self) -> list[str]:
        return sorted({table for _name, tables in self.frames for table in tables})
