"""Shared set-up for the benchmarks: Django on a scratch database, never a real one."""

import os
import statistics
import tempfile
import time

_DB_DIR = tempfile.mkdtemp(prefix="foodhub-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.bench.settings")
# Never the database of DATABASE_URL (it may be a real one): a scratch SQLite file, or the
# scratch database a bench created and named in BENCH_DATABASE_URL.
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", f"sqlite:///{_DB_DIR}/bench.sqlite3"
)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402


def migrate():
    call_command("migrate", verbosity=0, interactive=False)


def report(name: str, value: float, unit: str) -> None:
    print(f"BENCH {name} {value:.1f} {unit}", flush=True)


def median_seconds(fn, *, runs: int) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)
