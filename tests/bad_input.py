"""Values an attacker (or a tired person, or a spreadsheet) sends where a form expects
something ordinary. Every form, every import and every query parameter that reaches the
code must answer them with a message (a 4xx or a form error) and change nothing: never a
server error.

The corpus is shared: the form sweep (``tests/test_bad_input.py``) posts each value into
each field of every form it finds, and the catalogue import reads each one in every
column. Add a value here when a new kind of input breaks something; every form is then
tried with it.
"""

# Numbers that are not numbers, or not ones anybody means.
NOT_NUMBERS = [
    "NaN",
    "nan",
    "sNaN",
    "-sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "1e400",
    "-1e400",
    "1e-400",
    "9" * 30,
    "-" + "9" * 30,
    "0." + "0" * 30 + "1",
    "1,5,5",
    "12 €",
    "0x1F",
    "1_000",
]

# Integers a database cannot hold (SQLite and PostgreSQL bigint stop at 2**63 - 1).
HUGE_IDS = [
    "9" * 20,
    str(2**63),
    str(2**64 + 1),
    "-" + "9" * 20,
]

# Digits Python reads as digits but people and databases do not.
UNICODE_DIGITS = [
    "²",  # superscript two: str.isdigit() is True, int() refuses it
    "١٢",  # Arabic-Indic twelve: int() accepts it
    "１２",  # full-width twelve: int() accepts it
    "½",
    "Ⅻ",
]

# Text that must not reach the database or a document.
BAD_TEXT = [
    "\x00",
    "abc\x00def",
    "Pommes \U0001f34e",  # an emoji is ordinary text: accepted, not a server error
    "x" * 10_000,
    "   ",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://example.com")',
    "\u202eevil",  # right-to-left override
]

# ``next`` values that are not local addresses.
BAD_NEXT = [
    "abc",
    "orders:my_orders",
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    " /\x00",
    "/%0d%0aSet-Cookie:x=1",
]

# Dates Django reads (years 1 to 9999) that break once turned into UTC or shifted by a week.
BAD_DATES = [
    "0001-01-01",
    "9999-12-31",
]

# Everything at once, for sweeps that try every value in every field.
ALL = NOT_NUMBERS + HUGE_IDS + UNICODE_DIGITS + BAD_TEXT + BAD_NEXT + BAD_DATES

# Values that carry a NUL byte: refused wherever text comes in.
WITH_NUL = [value for value in ALL if "\x00" in value]

# For fields that hold a number or an id (amounts, quantities, hidden ids, choices of
# objects): every value that is not a number, or not one a database holds (one spelling
# of each: "nan", "inf", "-sNaN" and "-1e400" are read as "NaN", "Infinity", "sNaN", "1e400").
SPELLINGS = {"nan", "inf", "-sNaN", "-1e400"}
NUMERIC = [v for v in NOT_NUMBERS if v not in SPELLINGS] + HUGE_IDS + UNICODE_DIGITS + WITH_NUL

# For other fields with a type (dates, times, choices of words): one value of each kind.
SAMPLE = ["abc\x00def", "x" * 10_000, "   ", "\u202eevil", "9" * 30, "١٢", "sNaN"]

# For free text (names, notes, addresses, e-mail...), where digits mean nothing special.
TEXT = ["abc\x00def", "x" * 10_000, "   ", "\u202eevil"]
