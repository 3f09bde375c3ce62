"""Settings shared by every environment. Everything that varies is read from the environment."""

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import environ
import sentry_sdk
from celery.schedules import crontab
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-development-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)

# Tenants live at <slug>.<STRATO_BASE_DOMAIN>; the bare base domain is the public site.
STRATO_BASE_DOMAIN = env("STRATO_BASE_DOMAIN", default="localhost")
STRATO_PUBLIC_PORT = env("STRATO_PUBLIC_PORT", default="")
STRATO_URL_SCHEME = env("STRATO_URL_SCHEME", default="https")
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=[STRATO_BASE_DOMAIN, f".{STRATO_BASE_DOMAIN}"]
)

# --- Applications -------------------------------------------------------------------------------

SHARED_APPS = [
    "django_tenants",
    "apps.core",
    "apps.tenants",
    "apps.accounts",
    "apps.billing",
    "apps.monitoring",
    # Public lookup tables that route GitHub webhooks to the tenants that track a repository.
    "apps.repos.routing",
    # Which tenant owns each sending domain (a domain belongs to one tenant only).
    "apps.campaigns.domain_claims",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "django_htmx",
    "anymail",
    "djstripe",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "apps.campaigns",
    "apps.repos",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_URLCONF = "strato.urls_public"
ROOT_URLCONF = "strato.urls_tenant"
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False
# New tenants are copied from this kept-migrated schema instead of running every migration.
STRATO_TEMPLATE_SCHEMA = "tenant_template"
# Set search_path once per connection and tenant switch, not before every query (which doubles
# the round trips). Safe with direct connections; not with PgBouncer in transaction mode.
TENANT_LIMIT_SET_CALLS = env.bool("TENANT_LIMIT_SET_CALLS", default=True)

AUTH_USER_MODEL = "accounts.User"

MIDDLEWARE = [
    "apps.core.middleware.ApiProblemMiddleware",
    "apps.core.middleware.RequestIdMiddleware",
    "apps.monitoring.middleware.HealthCheckMiddleware",
    "apps.tenants.middleware.CachedTenantMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.accounts.middleware.TenantSessionMiddleware",
    "apps.accounts.middleware.MembershipMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "apps.billing.middleware.PlanLimitMiddleware",
    "apps.core.middleware.ObservabilityContextMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.strato",
                "apps.billing.context_processors.billing",
            ],
        },
    },
]

WSGI_APPLICATION = "strato.wsgi.application"
ASGI_APPLICATION = "strato.asgi.application"

# --- Data ---------------------------------------------------------------------------------------

DATABASES = {
    "default": env.db_url(
        "DATABASE_URL",
        default="postgres://postgres@localhost:5432/strato",
        engine="django_tenants.postgresql_backend",
    )
}
# A percent-encoded host is a Unix socket folder (libpq's URL form); django-environ keeps it
# encoded.
DATABASES["default"]["HOST"] = unquote(DATABASES["default"]["HOST"])
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        # Every key carries the current schema, so one tenant can never read another's entries.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Security -----------------------------------------------------------------------------------

PASSWORD_HASHERS = [
    "apps.accounts.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "apps.accounts.validators.MaximumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Bodies other than uploaded files (JSON, form fields) are capped at 2 MiB (the API answers 413
# `payload_too_large`). Files do not count against it: above FILE_UPLOAD_MAX_MEMORY_SIZE they
# stream to a temporary file on disk, so a CSV import of up to CAMPAIGN_IMPORT_MAX_BYTES never
# sits in memory; the import refuses larger files with 413 `import_too_large`.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = int(2.5 * 1024 * 1024)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'", "'unsafe-inline'"],
        # Scripts only from our own static files (the Swagger UI page included: its start-up
        # script is served from /api/docs/?script): no inline script can run.
        "script-src": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        # Signup on the public host redirects to the new tenant's host.
        "form-action": [
            "'self'",
            f"*.{STRATO_BASE_DOMAIN}:*",
            # Billing forms redirect to Stripe Checkout and the Customer Portal.
            "https://checkout.stripe.com",
            "https://billing.stripe.com",
        ],
    }
}
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"

# Secrets stored in the database are encrypted with the first key; older keys still decrypt.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

# --- Internationalisation and static files ------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT: Path | None = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Email --------------------------------------------------------------------------------------

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Strato <no-reply@strato.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ANYMAIL = {"RESEND_API_KEY": env("RESEND_API_KEY", default="")}

# --- API ----------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.TenantJWTAuthentication",
        "apps.accounts.authentication.ApiKeyAuthentication",
        "apps.accounts.authentication.TenantSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.core.permissions.IsTenantMember"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["apps.core.api.parsers.StrictJSONParser"],
    "DEFAULT_METADATA_CLASS": "apps.core.api.metadata.EndpointMetadata",
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.CreatedCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.api.errors.problem_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.billing.throttling.PlanRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "principal": env("API_RATE_PER_PRINCIPAL", default="600/min"),
        "auth": env("API_RATE_AUTH_PER_IP", default="20/min"),
    },
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=14)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": env("JWT_SIGNING_KEY", default=SECRET_KEY),
    "USER_ID_FIELD": "public_id",
    "USER_ID_CLAIM": "sub",
    "AUTH_HEADER_TYPES": ("Bearer",),
}

API_KEY_CUSTOM_HEADER = "HTTP_AUTHORIZATION"

SPECTACULAR_SETTINGS = {
    "TITLE": "Strato API",
    "DESCRIPTION": (
        "Strato analyses GitHub repositories to learn a prospect's technology stack and runs "
        "personalised email campaigns. Tenant endpoints live on `https://<tenant>.<base domain>"
        "/api/`; registration lives on the public host. Authenticate with a tenant-bound JWT "
        "(`Authorization: Bearer <access>`) or an API key (`Authorization: Api-Key <key>`). "
        "Errors are `application/problem+json` with a stable `code`. A NUL character "
        "(`\\u0000`) anywhere in a request body is refused with 400 `nul_character`; a throttled "
        "request is 429 `rate_limited` with `Retry-After` in seconds. Any endpoint answers "
        "503 `service_unavailable` with a `Retry-After` header while the database or Redis is "
        "unreachable: retry after that many seconds."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.api.schema.document_throttling_and_not_found",
        "apps.core.api.schema.document_required_roles",
    ],
    "ENUM_NAME_OVERRIDES": {
        "CampaignStatusEnum": "apps.campaigns.models.Campaign.Status",
        "LeadImportStatusEnum": "apps.campaigns.models.LeadImport.Status",
        "AnalysisStatusEnum": "apps.repos.models.Analysis.Status",
    },
}

# --- Celery -------------------------------------------------------------------------------------

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connection around every task unless told to reuse
# it: a new PostgreSQL backend per task costs more than a whole 100-email send batch.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = False
# apps/core/task_base.py: a task delivered more often than this without finishing (its worker
# died each time) is parked as a dead letter; a transient database or broker error is retried
# with backoff up to this many times before the task is parked.
TASK_MAX_DELIVERIES = env.int("TASK_MAX_DELIVERIES", default=5)
TASK_TRANSIENT_MAX_RETRIES = env.int("TASK_TRANSIENT_MAX_RETRIES", default=20)
CELERY_BEAT_SCHEDULE = {
    "tenant-pool-refill": {
        "task": "apps.tenants.tasks.refill_spare_schemas",
        "schedule": 60.0,
    },
    "worker-heartbeat": {
        "task": "apps.monitoring.tasks.record_worker_heartbeat",
        "schedule": 30.0,
    },
    # Jobs for every tenant go through apps.tenants.tasks.for_each_ready_tenant.
    "tenant-task-heartbeat": {
        "task": "apps.tenants.tasks.for_each_ready_tenant",
        "schedule": 300.0,
        "args": ("apps.monitoring.tasks.record_tenant_task_heartbeat",),
    },
    "campaigns-start-due": {
        "task": "apps.tenants.tasks.for_each_ready_tenant",
        "schedule": 30.0,
        "args": ("apps.campaigns.tasks.start_due_campaigns",),
    },
    "campaigns-sweep": {
        "task": "apps.tenants.tasks.for_each_ready_tenant",
        "schedule": 300.0,
        "args": ("apps.campaigns.tasks.sweep_campaigns",),
    },
    "campaigns-sending-domains-refresh": {
        "task": "apps.tenants.tasks.for_each_ready_tenant",
        "schedule": 600.0,
        "args": ("apps.campaigns.tasks.refresh_sending_domains",),
    },
    "repos-sweep-analyses": {
        "task": "apps.tenants.tasks.for_each_ready_tenant",
        "schedule": 60.0,
        "args": ("apps.repos.tasks.sweep_analyses",),
    },
    "campaigns-import-files-purge": {
        "task": "apps.tenants.tasks.for_each_ready_tenant",
        "schedule": 3600.0,
        "args": ("apps.campaigns.tasks.purge_import_files",),
    },
    "campaigns-tracking-flush": {
        "task": "apps.campaigns.tasks.flush_tracking_events",
        "schedule": 5.0,
    },
}

# --- Backups (apps/tenants/backups.py) ----------------------------------------------------------

# A folder, or s3://bucket/prefix for an S3-compatible bucket (credentials below, or boto3's own).
BACKUP_LOCATION = env("BACKUP_LOCATION", default=str(BASE_DIR / ".data" / "backups"))
BACKUP_S3_ENDPOINT_URL = env("BACKUP_S3_ENDPOINT_URL", default="")
BACKUP_S3_REGION = env("BACKUP_S3_REGION", default="")
BACKUP_S3_ACCESS_KEY_ID = env("BACKUP_S3_ACCESS_KEY_ID", default="")
BACKUP_S3_SECRET_ACCESS_KEY = env("BACKUP_S3_SECRET_ACCESS_KEY", default="")
BACKUP_KEEP_LAST = env.int("BACKUP_KEEP_LAST", default=14)
BACKUP_MAX_AGE_DAYS = env.int("BACKUP_MAX_AGE_DAYS", default=30)
BACKUP_PG_BIN_DIR = env("BACKUP_PG_BIN_DIR", default="")
BACKUP_SCHEDULE = env("BACKUP_SCHEDULE", default="15 3 * * *")  # cron syntax, UTC; empty: off
CELERY_IMPORTS = ("apps.tenants.backup_tasks",)
if BACKUP_SCHEDULE:
    CELERY_BEAT_SCHEDULE["database-backup"] = {
        "task": "apps.tenants.backup_tasks.backup_database_scheduled",
        "schedule": crontab.from_string(BACKUP_SCHEDULE),
    }

# --- Billing (Stripe through dj-stripe) ---------------------------------------------------------

# Without a secret key the billing page explains how to configure Stripe and staff set plans in
# the admin; nothing calls Stripe.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLIC_KEY = env("STRIPE_PUBLIC_KEY", default="")
STRIPE_LIVE_MODE = env.bool("STRIPE_LIVE_MODE", default=False)
# Pinned: every request and every webhook endpoint speaks this version (dj-stripe 2.11's own).
STRIPE_API_VERSION = "2026-05-27.dahlia"
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=10.0)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
DJSTRIPE_SUBSCRIBER_MODEL = "tenants.Tenant"
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
BILLING_TRIAL_DAYS = env.int("BILLING_TRIAL_DAYS", default=14)
BILLING_GRACE_DAYS = env.int("BILLING_GRACE_DAYS", default=7)

# --- Observability ------------------------------------------------------------------------------

LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = env("LOG_FORMAT", default="text")  # "json" in production
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "apps.core.logging.ContextFilter"},
        "redact_secrets": {"()": "apps.core.logging.RedactSecretsFilter"},
    },
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(tenant)s] %(message)s"
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(tenant)s "
            "%(user_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context", "redact_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # runserver's access log, through our handler so link secrets are redacted.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

SENTRY_DSN = env("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", default="development")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)

# Health checks: below this much free disk or available memory the check fails.
HEALTH_MIN_FREE_DISK_MB = env.int("HEALTH_MIN_FREE_DISK_MB", default=500)
HEALTH_MIN_FREE_MEMORY_MB = env.int("HEALTH_MIN_FREE_MEMORY_MB", default=200)

# --- GitHub (apps.repos) -------------------------------------------------------------------------

# REST API root; tests and self-hosted GitHub Enterprise point it elsewhere.
GITHUB_API_URL = env("GITHUB_API_URL", default="https://api.github.com")
GITHUB_TIMEOUT_SECONDS = env.float("GITHUB_TIMEOUT_SECONDS", default=15.0)
GITHUB_MAX_RETRIES = env.int("GITHUB_MAX_RETRIES", default=3)
GITHUB_RETRY_BACKOFF_SECONDS = env.float("GITHUB_RETRY_BACKOFF_SECONDS", default=1.0)
# A rate-limit reset closer than this is waited for in place; a later one reschedules the task.
GITHUB_RATE_LIMIT_MAX_WAIT_SECONDS = env.int("GITHUB_RATE_LIMIT_MAX_WAIT_SECONDS", default=60)
# The sweep_analyses beat job queues again an analysis queued longer than this (its task was
# lost), and fails one running longer than this (its worker died past every redelivery).
ANALYSIS_QUEUED_TIMEOUT_SECONDS = env.int("ANALYSIS_QUEUED_TIMEOUT_SECONDS", default=600)
ANALYSIS_RUNNING_TIMEOUT_SECONDS = env.int("ANALYSIS_RUNNING_TIMEOUT_SECONDS", default=3600)
# Push webhook secrets: the current one, and during a rotation the previous one until it expires.
GITHUB_WEBHOOK_SECRET = env("GITHUB_WEBHOOK_SECRET", default="")
GITHUB_WEBHOOK_PREVIOUS_SECRET = env("GITHUB_WEBHOOK_PREVIOUS_SECRET", default="")
GITHUB_WEBHOOK_PREVIOUS_SECRET_EXPIRES_AT = env(
    "GITHUB_WEBHOOK_PREVIOUS_SECRET_EXPIRES_AT", default=""
)
# GitHub App: id, PEM private key (literal "\n" sequences allowed) and slug for the install link.
GITHUB_APP_ID = env("GITHUB_APP_ID", default="")
GITHUB_APP_PRIVATE_KEY = env("GITHUB_APP_PRIVATE_KEY", default="").replace("\\n", "\n")
GITHUB_APP_SLUG = env("GITHUB_APP_SLUG", default="")
# The App's OAuth client: linking an installation exchanges the `code` GitHub hands to the Setup
# URL for a user token, and links only installations that token's user administers.
GITHUB_APP_CLIENT_ID = env("GITHUB_APP_CLIENT_ID", default="")
GITHUB_APP_CLIENT_SECRET = env("GITHUB_APP_CLIENT_SECRET", default="")
# How long the signed `state` of an install link stays valid (GitHub's own `code` lives 10 min).
GITHUB_LINK_STATE_MAX_AGE_SECONDS = env.int("GITHUB_LINK_STATE_MAX_AGE_SECONDS", default=1800)
# Limits for one repository tarball.
REPO_ARCHIVE_MAX_BYTES = env.int("REPO_ARCHIVE_MAX_BYTES", default=200 * 1024 * 1024)
REPO_ARCHIVE_MAX_UNPACKED_BYTES = env.int(
    "REPO_ARCHIVE_MAX_UNPACKED_BYTES", default=1024 * 1024 * 1024
)
REPO_ARCHIVE_MAX_FILES = env.int("REPO_ARCHIVE_MAX_FILES", default=100_000)
REPO_ARCHIVE_MAX_RATIO = env.int("REPO_ARCHIVE_MAX_RATIO", default=200)
# A lead with a GitHub account gets its most recently pushed public repositories analysed, at
# most this many; one analysed (or requested) within the last days given is not analysed again.
LEAD_REPOSITORIES_MAX = env.int("LEAD_REPOSITORIES_MAX", default=5)
LEAD_REPOSITORIES_FRESH_DAYS = env.int("LEAD_REPOSITORIES_FRESH_DAYS", default=7)

# --- Product ------------------------------------------------------------------------------------

# Spare pre-migrated schemas kept ready so signup only renames one.
TENANT_SPARE_POOL_SIZE = env.int("TENANT_SPARE_POOL_SIZE", default=3)
INVITATION_MAX_AGE_DAYS = env.int("INVITATION_MAX_AGE_DAYS", default=7)
LOGIN_MAX_FAILURES = env.int("LOGIN_MAX_FAILURES", default=5)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=900)
# Failed logins (and signups for an existing email) from one client address, across accounts.
LOGIN_MAX_FAILURES_PER_IP = env.int("LOGIN_MAX_FAILURES_PER_IP", default=50)
# A signup waits in Redis for its emailed confirmation link this long.
SIGNUP_CONFIRM_MAX_AGE_SECONDS = env.int("SIGNUP_CONFIRM_MAX_AGE_SECONDS", default=24 * 3600)
# Campaigns: how mail goes out ("auto": Resend's batch API when RESEND_API_KEY is set, else
# EMAIL_BACKEND), Resend's endpoint and account rate limit (requests per second, shared by all
# workers through Redis), batch and expansion sizes, and the sender-reputation thresholds.
CAMPAIGN_TRANSPORT = env("CAMPAIGN_TRANSPORT", default="auto")  # auto | resend | backend
RESEND_API_URL = env("RESEND_API_URL", default="https://api.resend.com")
RESEND_RATE_PER_SECOND = env.float("RESEND_RATE_PER_SECOND", default=2.0)
RESEND_TIMEOUT_SECONDS = env.float("RESEND_TIMEOUT_SECONDS", default=20.0)
RESEND_MAX_WAIT_SECONDS = env.float("RESEND_MAX_WAIT_SECONDS", default=120.0)
RESEND_WEBHOOK_SECRET = env("RESEND_WEBHOOK_SECRET", default="")
# Tenants send only from their own verified domains (apps/campaigns/services/domains.py); this
# one (default: DEFAULT_FROM_EMAIL's) and its subdomains are the platform's and reserved.
PLATFORM_SENDING_DOMAIN = env(
    "PLATFORM_SENDING_DOMAIN", default=DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >")
)
# A sending domain never verified within this many days is removed, so a name an organisation
# cannot prove it controls does not stay blocked for the one that can.
SENDING_DOMAIN_UNVERIFIED_DAYS = env.int("SENDING_DOMAIN_UNVERIFIED_DAYS", default=14)
CAMPAIGN_BATCH_SIZE = min(100, env.int("CAMPAIGN_BATCH_SIZE", default=100))
CAMPAIGN_EXPAND_CHUNK = env.int("CAMPAIGN_EXPAND_CHUNK", default=2000)
# Whether EMAIL_BACKEND's send can share the status update's transaction (exactly once); unset
# means true for the local backends (outbox, locmem) and false for real ESPs.
CAMPAIGN_BACKEND_TRANSACTIONAL = env.bool("CAMPAIGN_BACKEND_TRANSACTIONAL", default=None)
CAMPAIGN_ALLOWANCE_RETRY_SECONDS = env.int("CAMPAIGN_ALLOWANCE_RETRY_SECONDS", default=3600)
CAMPAIGN_STALE_CLAIM_SECONDS = env.int("CAMPAIGN_STALE_CLAIM_SECONDS", default=2 * 3600)
CAMPAIGN_TRACKING_BASE_URL = env("CAMPAIGN_TRACKING_BASE_URL", default="")
CAMPAIGN_CLICK_MIN_SECONDS = env.int("CAMPAIGN_CLICK_MIN_SECONDS", default=10)
CAMPAIGN_SPAM_THRESHOLD = env.float("CAMPAIGN_SPAM_THRESHOLD", default=5.0)
CAMPAIGN_MAX_BOUNCE_RATE = env.float("CAMPAIGN_MAX_BOUNCE_RATE", default=0.05)
CAMPAIGN_MAX_COMPLAINT_RATE = env.float("CAMPAIGN_MAX_COMPLAINT_RATE", default=0.003)
CAMPAIGN_HEALTH_MIN_SENT = env.int("CAMPAIGN_HEALTH_MIN_SENT", default=200)
CAMPAIGN_IMPORT_MAX_BYTES = env.int("CAMPAIGN_IMPORT_MAX_BYTES", default=200 * 1024 * 1024)
# Lead import uploads and their per-row error reports are deleted this many days after the import
# finished (the job's counts and status stay).
CAMPAIGN_IMPORT_RETENTION_DAYS = env.int("CAMPAIGN_IMPORT_RETENTION_DAYS", default=7)
CAMPAIGN_FILES_DIR = env("CAMPAIGN_FILES_DIR", default=str(BASE_DIR / ".data" / "files"))

RESERVED_TENANT_SLUGS = {
    "www",
    "api",
    "admin",
    "app",
    "mail",
    "email",
    "static",
    "media",
    "public",
    "help",
    "support",
    "status",
    "docs",
    "blog",
    "billing",
    "auth",
    "login",
    "signup",
    "track",
    "t",
    "webhooks",
    "health",
    "strato",
    "dashboard",
    "cdn",
    "assets",
    "dev",
    "staging",
    "test",
    "root",
    "system",
    "postgres",
    "template",
    "tenant_template",
}


def _init_sentry() -> None:
    if not SENTRY_DSN:
        return
    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
        send_default_pii=False,
    )


_init_sentry()
