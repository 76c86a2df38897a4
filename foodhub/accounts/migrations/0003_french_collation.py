"""The French collation of ``foodhub.collation`` on PostgreSQL (an ICU collation; SQLite
gets it on each connection). Every app's default orderings by name depend on this."""

from django.db import migrations

NAME = "foodhub_french"
ICU_LOCALE = "fr-u-ks-level2"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE COLLATION IF NOT EXISTS {NAME} (provider = icu, locale = '{ICU_LOCALE}')"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP COLLATION IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_user_language")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
