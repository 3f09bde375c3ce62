"""Test settings: real PostgreSQL and Redis (started by scripts/services.py), fast hashing."""

from .base import *
from .base import REST_FRAMEWORK, env

DEBUG = False
STRATO_URL_SCHEME = "http"
STRATO_PUBLIC_PORT = ""
ALLOWED_HOSTS = ["localhost", ".localhost", "testserver", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATABASES["default"]["CONN_MAX_AGE"] = 0
TENANT_SPARE_POOL_SIZE = env.int("TENANT_SPARE_POOL_SIZE", default=0)
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"principal": "10000/min", "auth": "10000/min"},
}
LOGGING["root"]["level"] = "WARNING"
STATIC_ROOT = None
