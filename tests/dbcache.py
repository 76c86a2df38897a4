"""A migrated test database built once and copied for each test process.

Migrating a new database (about 100 of Wagtail's migrations plus the project's) costs each
pytest process tens of seconds. Instead, the database is migrated once into a template,
named by a key (``template_key``): a hash of every migration file of every installed app,
of the code ``post_migrate`` runs, of the settings that shape the schema and of this file.
A changed migration (an upgraded package's too) makes a new key, hence a new template; a
fresh clone has none and builds it. Then each process (each xdist worker) starts from a
copy:

- SQLite: the template is a file in the temporary directory (``foodhub-tests/``), read into
  each process's in-memory test database through SQLite's backup API;
- PostgreSQL: the template is a database ``test_<name>_tpl_<key>``, and each worker's
  database is ``CREATE DATABASE ... TEMPLATE`` of it.

Building and copying happen under a lock (a file lock per key, a PostgreSQL advisory lock
per database name), so that workers starting together build the template once and nobody
copies a template while it is being built or dropped. ``--create-db`` rebuilds it, once per
run (the workers of one run share the run's id). Templates of other keys (another branch's
migrations) are kept while they are in use: one not used for ``KEEP_UNUSED`` is removed,
and at most ``KEEP`` of them are kept per place. ``FOODHUB_TEST_DB=migrate`` (or ``--reuse-db`` /
``--no-migrations``) goes back to pytest-django's own set-up.
"""

import fcntl
import hashlib
import inspect
import os
import sqlite3
import sys
import tempfile
import time
import weakref
from contextlib import contextmanager, suppress
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from django.db.models.signals import post_migrate
from django.test.utils import teardown_databases as django_teardown_databases

BASE_DIR = Path(settings.BASE_DIR).resolve()
CACHE_DIR = Path(tempfile.gettempdir()) / "foodhub-tests"
KEEP = 4  # other keys' templates kept per place (directory, or database name on a server)
KEEP_UNUSED = 2 * 24 * 3600  # seconds
# Settings that change what migrate writes (the pages' languages, the user model...).
SCHEMA_SETTINGS = (
    "INSTALLED_APPS",
    "MIGRATION_MODULES",
    "AUTH_USER_MODEL",
    "DEFAULT_AUTO_FIELD",
    "LANGUAGE_CODE",
    "LANGUAGES",
    "WAGTAIL_I18N_ENABLED",
    "WAGTAIL_CONTENT_LANGUAGES",
    "WAGTAIL_SITE_NAME",
    "CACHES",
)


def _migration_files():
    for app_config in apps.get_app_configs():
        module_name, _ = MigrationLoader.migrations_module(app_config.label)
        if module_name is None:
            continue
        try:
            module = __import__(module_name, fromlist=["_"])
        except ImportError:
            continue
        for directory in getattr(module, "__path__", []):
            yield from sorted(Path(directory).rglob("*.py"))


def _post_migrate_files():
    """The code run after migrate: a project app's whole package (its receivers call
    into it), a third-party receiver's own module (the package's version shows in its
    migrations)."""
    files = set()
    for _key, receiver, *_ in post_migrate.receivers:
        if isinstance(receiver, weakref.ReferenceType):
            receiver = receiver()
        function = inspect.unwrap(getattr(receiver, "__func__", receiver))
        try:
            source = inspect.getsourcefile(function)
        except TypeError:
            source = None
        if not source:
            continue
        path = Path(source).resolve()
        if BASE_DIR in path.parents and ".venv" not in path.parts:
            files.update(path.parent.rglob("*.py"))
        else:
            files.add(path)
    return sorted(files)


def template_key(connection) -> str:
    digest = hashlib.sha256()
    digest.update(f"{sys.version_info[:2]} django {django.__version__}\n".encode())
    digest.update(f"{connection.vendor} {connection.settings_dict['ENGINE']}\n".encode())
    for name in SCHEMA_SETTINGS:
        digest.update(f"{name}={getattr(settings, name, None)!r}\n".encode())
    for path in [*_migration_files(), *_post_migrate_files(), Path(__file__)]:
        # The path's tail, not where the checkout lives: checkouts share templates.
        digest.update("/".join(path.parts[-3:]).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _migrate_into(connection, test_name: str) -> None:
    """Migrate a new database named ``test_name`` (created by Django, as for a test run)."""
    test_settings = connection.settings_dict["TEST"]
    previous = test_settings.get("NAME")
    test_settings["NAME"] = test_name
    try:
        connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False, keepdb=False
        )
    finally:
        test_settings["NAME"] = previous
    connection.close()


def _use(connection, name: str) -> None:
    connection.close()
    settings.DATABASES[connection.alias]["NAME"] = name
    connection.settings_dict["NAME"] = name


def _stale(last_used: list[tuple[float, object]]) -> list:
    """Of (last use, template) pairs, the templates to remove: unused for KEEP_UNUSED, or
    beyond the KEEP most recently used."""
    recent_first = sorted(last_used, key=lambda pair: pair[0], reverse=True)
    now = time.time()
    return [
        template
        for rank, (used, template) in enumerate(recent_first)
        if rank >= KEEP or now - used > KEEP_UNUSED
    ]


# SQLite: a file per key, guarded by a file lock per key.


@contextmanager
def _file_lock(path: Path, blocking: bool = True):
    """Yield True with the lock held, or False when ``blocking`` is off and it is taken."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _sqlite_build(connection, key: str, template: Path) -> None:
    original = connection.settings_dict["NAME"]
    for leftover in CACHE_DIR.glob(f"sqlite-{key}.*.building.sqlite3*"):
        leftover.unlink(missing_ok=True)  # an interrupted build's (we hold the lock)
    building = CACHE_DIR / f"sqlite-{key}.{os.getpid()}.building.sqlite3"
    try:
        _migrate_into(connection, str(building))
        partial = CACHE_DIR / f"sqlite-{key}.partial"
        partial.unlink(missing_ok=True)
        source, target = sqlite3.connect(building), sqlite3.connect(partial)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")  # one file, read by every worker
        finally:
            source.close()
            target.close()
        os.replace(partial, template)
    finally:
        for leftover in CACHE_DIR.glob(f"sqlite-{key}.{os.getpid()}.building.sqlite3*"):
            leftover.unlink(missing_ok=True)
        _use(connection, original)


def _sqlite_forget_stale(key: str) -> None:
    """Remove other keys' templates that nobody used lately (each under its own lock)."""
    others = [
        (path.stat().st_mtime, path)
        for path in CACHE_DIR.glob("sqlite-*.sqlite3")
        if "building" not in path.name and path.name != f"sqlite-{key}.sqlite3"
    ]
    for path in _stale(others):
        other_key = path.name.removeprefix("sqlite-").removesuffix(".sqlite3")
        with _file_lock(CACHE_DIR / f"sqlite-{other_key}.lock", blocking=False) as locked:
            if locked:
                path.unlink(missing_ok=True)
                (CACHE_DIR / f"sqlite-{other_key}.run").unlink(missing_ok=True)


def _sqlite(connection, key: str, rebuild: bool, run_id: str) -> None:
    template = CACHE_DIR / f"sqlite-{key}.sqlite3"
    built_by = CACHE_DIR / f"sqlite-{key}.run"  # the run that built it
    test_name = connection.creation._get_test_db_name()
    with _file_lock(CACHE_DIR / f"sqlite-{key}.lock"):
        fresh = built_by.exists() and built_by.read_text() == run_id
        if not template.exists() or (rebuild and not fresh):
            _sqlite_build(connection, key, template)
            built_by.write_text(run_id)
        os.utime(template)  # last used: see _sqlite_forget_stale
        _sqlite_copy(template, connection, test_name)
    _sqlite_forget_stale(key)

    def again():
        with _file_lock(CACHE_DIR / f"sqlite-{key}.lock"):
            _sqlite_copy(template, connection, test_name)

    _restorers[connection.alias] = again


def _sqlite_copy(template: Path, connection, test_name: str) -> None:
    _use(connection, test_name)
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{template}?mode=ro", uri=True)
    try:
        source.backup(connection.connection)
    finally:
        source.close()


# PostgreSQL: a database per key, guarded by an advisory lock per database name.

COMMENT = "foodhub test template: run {run_id}, used {used:.0f}"


def _pg_templates(cursor, base: str) -> dict:
    """{template name: (its run id, last used)} for this database name."""
    cursor.execute(
        "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database"
        " WHERE datname LIKE %s",
        [base.replace("_", "\\_") + "\\_tpl\\_%"],
    )
    found = {}
    for name, comment in cursor.fetchall():
        run_id, used = "", 0.0
        if comment and comment.startswith("foodhub test template: run "):
            head, _, tail = comment.removeprefix("foodhub test template: run ").rpartition(
                ", used "
            )
            run_id, used = head, float(tail or 0)
        found[name] = (run_id, used)
    return found


def _postgresql(connection, key: str, rebuild: bool, run_id: str) -> None:
    test_name = connection.creation._get_test_db_name()
    base = f"test_{connection.settings_dict['NAME']}"[:40]
    template = f"{base}_tpl_{key[:12]}"
    building = f"{template}_build"
    quote = connection.ops.quote_name
    connection.close()
    with connection.creation._nodb_cursor() as cursor:
        # One process at a time, across processes and checkouts sharing the server; a
        # session lock, so a process killed while holding it releases it.
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [base])
        try:
            templates = _pg_templates(cursor, base)
            # An interrupted build's database (its process let go of the lock).
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(building)}")
            if template not in templates or (rebuild and templates[template][0] != run_id):
                _migrate_into(connection, building)
                cursor.execute(f"DROP DATABASE IF EXISTS {quote(template)}")
                cursor.execute(f"ALTER DATABASE {quote(building)} RENAME TO {quote(template)}")
            cursor.execute(
                f"COMMENT ON DATABASE {quote(template)} IS %s",
                [COMMENT.format(run_id=run_id, used=time.time())],
            )
            _pg_copy(cursor, quote(template), quote(test_name))
            others = [
                (used, name)
                for name, (_run, used) in templates.items()
                if name not in (template, building)
            ]
            for old in _stale(others):
                # Someone connected to it (by hand): left for later.
                with suppress(DatabaseError):
                    cursor.execute(f"DROP DATABASE IF EXISTS {quote(old)}")
        finally:
            cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [base])
    _use(connection, test_name)
    connection.ensure_connection()

    def again():
        connection.close()
        with connection.creation._nodb_cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [base])
            try:
                _pg_copy(cursor, quote(template), quote(test_name))
            finally:
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [base])
        connection.ensure_connection()

    _restorers[connection.alias] = again


def _pg_copy(cursor, template: str, test_name: str) -> None:
    # FORCE: a connection left open by a thread (the live server's) does not stop it.
    cursor.execute(f"DROP DATABASE IF EXISTS {test_name} WITH (FORCE)")
    cursor.execute(f"CREATE DATABASE {test_name} TEMPLATE {template}")


# Copying again, for tests that commit what they build (tests/test_bad_input.py).

_restorers: dict = {}  # alias -> copies its test database from the template again


def restorable() -> bool:
    """Whether this process's test databases came from templates (not from migrate)."""
    return bool(_restorers)


def restore() -> None:
    """Each test database as it was when copied from its template, whatever was committed
    since (SQLite: a new copy; PostgreSQL: dropped and created again from the template)."""
    for again in _restorers.values():
        again()
    # What the process remembers of the rows it replaced: content types are cached by id,
    # and a flush (after a transactional test) numbers them anew.
    ContentType.objects.clear_cache()


def teardown_databases(old_config) -> None:
    """Like django.test.utils.teardown_databases; a PostgreSQL database goes even when a
    thread (the live server's) left a connection to it open."""
    for connection, old_name, destroy in old_config:
        if not (destroy and connection.vendor == "postgresql"):
            django_teardown_databases([(connection, old_name, destroy)], verbosity=0)
            continue
        test_name = connection.ops.quote_name(connection.settings_dict["NAME"])
        _use(connection, old_name)
        with connection.creation._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {test_name} WITH (FORCE)")


def setup_databases(aliases, run_id: str, rebuild: bool = False):
    """Like django.test.utils.setup_databases (migrations, no serialization), from the
    template; returns what django.test.utils.teardown_databases takes. ``rebuild``
    rebuilds a template unless this run (``run_id``) built it."""
    old_config = []
    for alias in sorted(aliases):
        connection = connections[alias]
        old_name = connection.settings_dict["NAME"]
        key = template_key(connection)
        if connection.vendor == "sqlite":
            _sqlite(connection, key, rebuild, run_id)
        elif connection.vendor == "postgresql":
            _postgresql(connection, key, rebuild, run_id)
        else:
            raise NotImplementedError(connection.vendor)
        old_config.append((connection, old_name, True))
    return old_config
