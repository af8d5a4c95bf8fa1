"""Django settings for renkei.

All state lives in the data directory ``RENKEI_DATA_DIR`` (default ``./var``): the SQLite database, uploads,
the matching index and the generated secret key. ``DATABASE_URL`` switches the database to PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("RENKEI_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    if key := os.environ.get("RENKEI_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("RENKEI_DEBUG")
ALLOWED_HOSTS = [
    h for h in os.environ.get("RENKEI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,[::1]").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("RENKEI_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",  # serves the API docs' swagger-ui from our own static files (no CDN)
    "renkei.core",
    "renkei.network",
    "renkei.companies",
    "renkei.cases",
    "renkei.catalog",
    "renkei.matching",
    "django_tasks",
    "django_tasks_db",
    "renkei.api",
    "renkei.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "renkei.urls"
WSGI_APPLICATION = "renkei.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "renkei.web.context_processors.navigation",
            ],
        },
    }
]

_SQLITE_PATH = DATA_DIR / "renkei.sqlite3"
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": _SQLITE_PATH,
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ja"
# Japanese only for now: with English listed, Django's own messages would follow an English browser and
# mix languages on a Japanese screen. English comes back when the templates are translated.
LANGUAGES = [("ja", "日本語")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise serves from the finders; an existing root keeps it quiet
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "uploads"
MEDIA_URL = "/media/"

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

EMAIL_BACKEND = os.environ.get("RENKEI_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("RENKEI_FROM_EMAIL", "renkei@localhost")

# Uploads: imports are files people made in Excel; anything above this is refused before it is read.
RENKEI_IMPORT_MAX_BYTES = int(os.environ.get("RENKEI_IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# The public consultation form: submissions per client address per hour.
RENKEI_PUBLIC_INTAKE_PER_HOUR = int(os.environ.get("RENKEI_PUBLIC_INTAKE_PER_HOUR", "5"))
# The public search (web and API) without a login: searches per client address per minute (0 = no limit).
RENKEI_PUBLIC_SEARCH_PER_MINUTE = int(os.environ.get("RENKEI_PUBLIC_SEARCH_PER_MINUTE", "60"))
# Business days for SLA clocks: 土日・祝日 and this year-end closure are closed ("" = none); more in CalendarDay.
RENKEI_YEAR_END_CLOSURE = os.environ.get("RENKEI_YEAR_END_CLOSURE", "12-29/01-03")
# Links in e-mails point here.
RENKEI_BASE_URL = os.environ.get("RENKEI_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Attachments to a case: refused above this size.
RENKEI_ATTACHMENT_MAX_BYTES = int(os.environ.get("RENKEI_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))

# Background work (mail, SLA refresh): django-tasks. "immediate" runs a task in-process right after commit (the
# embedded default and the tests); "database" queues it in the database for `renkei worker` (production).
_TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[os.environ.get("RENKEI_TASK_BACKEND", "immediate")]}}
# How the matching index follows writes: "task" (a job for `renkei worker`; the default with the database task
# backend), "thread" (a background thread; the default with the immediate backend) or "manual" (`renkei index
# rebuild` only). Empty = the default for the task backend.
RENKEI_INDEX_UPDATES = os.environ.get("RENKEI_INDEX_UPDATES", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("RENKEI_LOG_LEVEL", "WARNING")},
}
