"""The migrated template the test databases are copied from (tests/dbcache.py): its key
follows every migration, workers starting together build it once, --create-db rebuilds it
once per run, and other keys' templates do not pile up."""

import os
import threading
import time
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from tests import dbcache


def test_every_migration_django_applies_is_in_the_key():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    hashed = {path.resolve() for path in dbcache._migration_files()}
    files = {
        Path(__import__(migration.__module__, fromlist=["_"]).__file__).resolve()
        for migration in loader.disk_migrations.values()
    }
    assert files, "no migration found"
    assert files <= hashed, sorted(files - hashed)


def test_the_code_run_after_migrate_is_in_the_key():
    hashed = {path.resolve() for path in dbcache._post_migrate_files()}
    project = Path(dbcache.BASE_DIR)
    # foodhub.content's post_migrate receiver (the home page, the site): its whole package.
    assert project / "foodhub" / "content" / "apps.py" in hashed
    assert project / "foodhub" / "content" / "editors.py" in hashed


def test_the_key_changes_when_a_migration_changes_or_is_added(tmp_path, monkeypatch):
    first = tmp_path / "0001_initial.py"
    first.write_text("operations = []\n")
    files = [first]
    monkeypatch.setattr(dbcache, "_migration_files", lambda: list(files))
    key = dbcache.template_key(connection)
    assert dbcache.template_key(connection) == key  # stable

    first.write_text("operations = [1]\n")
    changed = dbcache.template_key(connection)
    second = tmp_path / "0002_more.py"
    second.write_text("operations = []\n")
    files.append(second)
    added = dbcache.template_key(connection)

    assert len({key, changed, added}) == 3


class FakeBuild:
    """Stands for migrating (slow) and copying, counting the builds."""

    def __init__(self):
        self.count = 0

    def build(self, connection, key, template):
        self.count += 1
        time.sleep(0.2)  # long enough for another worker to arrive meanwhile
        template.write_text(f"build {self.count}")

    def copy(self, template, connection, test_name):
        assert template.read_text().startswith("build ")


def _fake_sqlite(tmp_path, monkeypatch):
    fake = FakeBuild()
    monkeypatch.setattr(dbcache, "CACHE_DIR", tmp_path)
    monkeypatch.setattr(dbcache, "_sqlite_build", fake.build)
    monkeypatch.setattr(dbcache, "_sqlite_copy", fake.copy)
    return fake


def _workers(count, **kwargs):
    errors = []

    def work():
        try:
            dbcache._sqlite(connection, "k" * 16, **kwargs)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors


def test_workers_starting_together_build_the_template_once(tmp_path, monkeypatch):
    fake = _fake_sqlite(tmp_path, monkeypatch)

    _workers(3, rebuild=False, run_id="run-1")
    assert fake.count == 1
    _workers(2, rebuild=False, run_id="run-2")  # the next run finds it
    assert fake.count == 1


def test_create_db_rebuilds_the_template_once_per_run(tmp_path, monkeypatch):
    fake = _fake_sqlite(tmp_path, monkeypatch)
    _workers(1, rebuild=False, run_id="run-1")

    _workers(3, rebuild=True, run_id="run-2")
    assert fake.count == 2
    _workers(2, rebuild=True, run_id="run-3")
    assert fake.count == 3


def test_other_keys_templates_go_when_unused_or_too_many(tmp_path, monkeypatch):
    _fake_sqlite(tmp_path, monkeypatch)
    now = time.time()
    ages = {"old": dbcache.KEEP_UNUSED + 60, **{f"recent{n}": n * 60 for n in range(6)}}
    for name, age in ages.items():
        path = tmp_path / f"sqlite-{name}.sqlite3"
        path.write_text("")
        os.utime(path, (now - age, now - age))

    _workers(1, rebuild=False, run_id="run-1")

    left = sorted(path.name for path in tmp_path.glob("sqlite-*.sqlite3"))
    # Ours, and the KEEP most recently used others (the oldest ones and the unused go).
    kept = [f"sqlite-recent{n}.sqlite3" for n in range(dbcache.KEEP)]
    assert left == sorted([f"sqlite-{'k' * 16}.sqlite3", *kept])


@pytest.mark.django_db(transaction=True)
def test_a_database_copied_again_after_a_flush_finds_its_content_types():
    if not dbcache.restorable():
        pytest.skip("the test database was migrated, not copied (FOODHUB_TEST_DB=migrate)")
    call_command("flush", interactive=False, verbosity=0)  # as after a transactional test
    models = apps.get_models()
    for model in models:  # cached as the flush numbered them
        ContentType.objects.get_for_model(model)

    dbcache.restore()

    for model in models:
        cached = ContentType.objects.get_for_model(model)
        assert ContentType.objects.get(pk=cached.pk).model_class() is model, model
