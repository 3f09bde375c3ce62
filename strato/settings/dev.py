"""Local development: `make run`."""

from .base import *
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
STRATO_URL_SCHEME = env("STRATO_URL_SCHEME", default="http")
STRATO_PUBLIC_PORT = env("STRATO_PUBLIC_PORT", default="8000")
ALLOWED_HOSTS = ["localhost", ".localhost", "127.0.0.1"]
# Mail sent by the app is kept in the dev outbox (dashboard) instead of leaving the machine.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="apps.core.mail.OutboxEmailBackend")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT = None  # served from the app folders by runserver; collectstatic is for production
