"""Test settings: fast hashing, in-memory e-mail, Huey immediate, plain static storage."""

import os
import tempfile

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# Live-server browser tests run Django's sync ORM from Playwright's event loop thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from foodhub.settings import *  # noqa: E402,F403

DEBUG = False
SECRET_KEY = "tests-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "orders.sms.backends.locmem.SmsBackend"  # orders.sms.backends.locmem.outbox
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": tempfile.mkdtemp(prefix="foodhub-test-private-")},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = tempfile.mkdtemp(prefix="foodhub-test-media-")
STATIC_ROOT = tempfile.mkdtemp(prefix="foodhub-test-static-")
HUEY = {**HUEY, "immediate": True}  # noqa: F405
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
LANGUAGE_CODE = "fr"
