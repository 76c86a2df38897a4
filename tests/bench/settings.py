"""Bench settings: the test settings, but background work is queued as in production.

Checkout queues the confirmation e-mail for the worker (a SqliteHuey file, the default
deployment) instead of rendering and sending it inline as the tests' immediate Huey does.
"""

import tempfile

from tests.settings import *  # noqa: F403

HUEY = {
    **HUEY,  # noqa: F405
    "huey_class": "huey.SqliteHuey",
    "filename": f"{tempfile.mkdtemp(prefix='foodhub-bench-huey-')}/huey.sqlite3",
    "immediate": False,
}
