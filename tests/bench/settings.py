"""Bench settings: the test settings, but background work is queued as in production.

Checkout queues the confirmation e-mail for the worker (a SqliteHuey file, the default
deployment) instead of rendering and sending it inline as the tests' immediate Huey does.
"""

import os
import tempfile

from tests.settings import *  # noqa: F403

# One private folder for a bench and the fresh processes it starts (inherited through the
# environment), so a document built by one can be read by the other.
STORAGES = {
    **STORAGES,  # noqa: F405
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": os.environ.setdefault(
                "BENCH_PRIVATE_ROOT", tempfile.mkdtemp(prefix="foodhub-bench-private-")
            )
        },
    },
}

HUEY = {
    **HUEY,  # noqa: F405
    "huey_class": "huey.SqliteHuey",
    "filename": f"{tempfile.mkdtemp(prefix='foodhub-bench-huey-')}/huey.sqlite3",
    "immediate": False,
}
