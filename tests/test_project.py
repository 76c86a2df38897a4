"""The set-up contract: settings, migrations, deploy checks."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


def test_locale_and_time_settings():
    assert settings.LANGUAGE_CODE == "fr"
    assert [code for code, _ in settings.LANGUAGES] == ["fr", "en"]
    assert settings.TIME_ZONE == "Europe/Paris"
    assert settings.USE_TZ is True


def test_migrations_are_committed(db):
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def _manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_variables(tmp_path):
    env = {
        # The test process sets variables for itself (async-unsafe ORM, no SSL redirect)
        # that production never has.
        **{
            k: v
            for k, v in os.environ.items()
            if k
            not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "SECURE_SSL_REDIRECT"}
        },
        "DJANGO_SETTINGS_MODULE": "foodhub.settings",
        "DEBUG": "false",
        "SECRET_KEY": "a-long-random-production-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "foodhub.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    }
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


# Reading a setting imports foodhub/settings.py and no app, in a tenth of the time that
# django.setup() takes; setting the apps up leaves the settings read here as they are.
READ_SETTINGS = "from django.conf import settings; print({})"


def _settings_value(expression: str, **env_overrides) -> str:
    """Evaluate ``expression`` against foodhub/settings.py in a fresh process."""
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}},
        "DJANGO_SETTINGS_MODULE": "foodhub.settings",
        **env_overrides,
    }
    result = subprocess.run(
        [sys.executable, "-c", READ_SETTINGS.format(expression)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_database_url_selects_postgresql():
    engine = _settings_value(
        "settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME']",
        DATABASE_URL="postgres://u:p@db.example.org:5432/foodhub",
    )
    assert engine == "django.db.backends.postgresql foodhub"


def test_email_verification_is_mandatory_outside_debug():
    expression = "settings.ACCOUNT_EMAIL_VERIFICATION"
    assert _settings_value(expression, DEBUG="false") == "mandatory"
    assert _settings_value(expression, DEBUG="true") == "optional"


def test_settings_default_to_a_sqlite_file_without_database_url():
    values = _settings_value("settings.DATABASES['default']['ENGINE'], settings.HUEY['huey_class']")
    assert values.split() == ["django.db.backends.sqlite3", "huey.SqliteHuey"]


def test_redis_url_switches_huey_to_redis():
    huey = _settings_value("settings.HUEY['huey_class']", REDIS_URL="redis://127.0.0.1:6399/0")
    assert huey == "huey.RedisHuey"


@pytest.mark.django_db
def test_a_too_old_sqlite_is_reported_by_the_system_checks(monkeypatch):
    import sqlite3

    from django.db import connection

    from orders.checks import sqlite_is_recent_enough

    if connection.vendor != "sqlite":
        pytest.skip("the check is about SQLite")
    assert sqlite_is_recent_enough(None, databases=["default"]) == []
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 31, 1))
    [error] = sqlite_is_recent_enough(None, databases=["default"])
    assert error.id == "orders.E001"
