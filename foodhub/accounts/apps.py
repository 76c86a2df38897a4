from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "foodhub.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # The French collation on every SQLite connection (PostgreSQL: a migration).
        from foodhub import collation  # noqa: F401
