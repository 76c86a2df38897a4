"""Foodhub settings: one file, driven by environment variables.

Defaults give a working development checkout with no set-up (SQLite, console e-mail,
embedded Huey queue). Production sets SECRET_KEY, DEBUG=false, ALLOWED_HOSTS,
DATABASE_URL, the e-mail variables and, optionally, the Stripe keys and REDIS_URL.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env("SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://localhost:8000").rstrip("/")
SITE_NAME = env("SITE_NAME", "Foodhub")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "django_htmx",
    "huey.contrib.djhuey",
    "django_tasks",
    # Wagtail: the public pages (foodhub.content), edited by each hub and producer.
    "wagtail.contrib.simple_translation",
    "wagtail.locales",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.images",
    "wagtail.documents",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "wagtail.sites",
    "modelcluster",
    "taggit",
    "foodhub.accounts",
    "foodhub.hubs",
    "producers",
    "orders",
    "pickup_points",
    "foodhub.content",
    "foodhub.demo",  # load_demo_data, load_demo_pages
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "foodhub.middleware.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After HtmxMiddleware: htmx requests that cannot be served lead to a proper page.
    "foodhub.htmx.HtmxPageMiddleware",
]

ROOT_URLCONF = "foodhub.urls"
WSGI_APPLICATION = "foodhub.wsgi.application"
ASGI_APPLICATION = "foodhub.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "foodhub.context_processors.site",
            ],
        },
    },
]

# Database: SQLite file by default, PostgreSQL (or anything) through DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers wait for each other instead of failing with "database is locked";
    # IMMEDIATE makes every transaction take the write lock up front. In WAL mode readers
    # never wait for the writer, and with synchronous=NORMAL a commit costs no disk flush
    # (it survives a process killed, a power cut may lose the last ones, never corrupt the
    # file): the outbox commits once per e-mail sent.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-allauth: e-mail is the identifier; log-in by e-mail code for people without a password.
ACCOUNT_LOGIN_METHODS = {"email"}
# The password is optional: people who do not want one log in with a code sent by e-mail.
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1", "password2"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_SIGNUP_FORM_CLASS = "foodhub.accounts.forms.SignupForm"
ACCOUNT_ADAPTER = "foodhub.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "signup": "foodhub.accounts.signup.SignupForm",
    "request_login_code": "foodhub.accounts.signup.RequestLoginCodeForm",
}
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", "optional" if DEBUG else "mandatory")
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if not DEBUG else "http"
# allauth's rate limits stay on (its defaults include "login_failed"); stated here so it shows.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
}
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "spaces"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"

# Internationalisation: French first, English too.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
# Addresses carry the language: French at /..., English at /en/... (see foodhub/urls.py).
USE_I18N = True
USE_TZ = True

# Wagtail: page content in French (the default) and English, each page translatable.
WAGTAIL_SITE_NAME = SITE_NAME
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAILADMIN_LOGIN_URL = "account_login"
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
# A page created in French gets an English alias at once (French text until translated),
# so an English visitor never falls into a missing page.
WAGTAILSIMPLETRANSLATION_SYNC_PAGE_TREE = True
WAGTAILIMAGES_MAX_UPLOAD_SIZE = env_int("PHOTO_MAX_BYTES", 5 * 1024 * 1024)
WAGTAILIMAGES_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]
# The database, reading quotes typed in a search box as text (see the module).
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "foodhub.content.search"}}
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
WAGTAIL_ENABLE_UPDATE_CHECK = False

# Static and media files.
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
# Printed documents carry households' names: kept out of MEDIA_ROOT (which the web server
# may serve) and downloaded only through views that check who is asking.
PRIVATE_ROOT = Path(env("PRIVATE_ROOT", str(BASE_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 10_485_760
# Photos: accepted formats and the largest accepted file.
PHOTO_MAX_BYTES = env_int("PHOTO_MAX_BYTES", 5 * 1024 * 1024)

# E-mail: console in development, SMTP when EMAIL_HOST is set.
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <noreply@localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
EMAIL_HOST = env("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# SMS (orders.sms): printed in the console in development; sent through Twilio when its
# account is set; SMS_BACKEND names another backend (tests use the in-memory one).
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN")
# The sender: a Twilio number in E.164 or an alphanumeric sender ID, or a messaging service.
TWILIO_FROM = env("TWILIO_FROM")
TWILIO_MESSAGING_SERVICE_SID = env("TWILIO_MESSAGING_SERVICE_SID")
SMS_TIMEOUT = env_int("SMS_TIMEOUT", 10)
SMS_BACKEND = env(
    "SMS_BACKEND",
    "orders.sms.backends.twilio.SmsBackend"
    if TWILIO_ACCOUNT_SID
    else "orders.sms.backends.console.SmsBackend",
)

# Stripe: without keys, card payment is simply not offered.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
# Each call to Stripe gives up after this many seconds, and is tried again at most this many
# times (idempotency keys make a retry safe): a slow Stripe never holds a page for long.
STRIPE_TIMEOUT = env_int("STRIPE_TIMEOUT", 5)
STRIPE_MAX_NETWORK_RETRIES = env_int("STRIPE_MAX_NETWORK_RETRIES", 1)

# Background work: Huey, embedded SQLite queue by default, Redis with REDIS_URL.
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "foodhub",
        "url": REDIS_URL,
        "immediate": False,
        "consumer": {"workers": env_int("HUEY_WORKERS", 2), "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "foodhub",
        "filename": env("HUEY_SQLITE_PATH", str(BASE_DIR / "huey.sqlite3")),
        "immediate": False,
        "consumer": {"workers": env_int("HUEY_WORKERS", 2), "worker_type": "thread"},
    }

# Django's tasks API (Wagtail's background work) goes through the same Huey queue.
TASKS = {"default": {"BACKEND": "foodhub.tasks_backend.HueyBackend"}}

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Security: strict by default outside DEBUG (manage.py check --deploy is clean).
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "[{asctime}] {levelname} {name}: {message}", "style": "{"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # Configured here so that run_huey does not add a second handler of its own.
    "loggers": {
        "huey": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # WeasyPrint logs every rendering step at INFO; its warnings still show.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
