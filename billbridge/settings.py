"""Billbridge settings. Every value that varies by deployment comes from the environment.

BILLBRIDGE_ENV=production turns on the hardened settings that `manage.py check --deploy` asks
for; anything else is a developer or test machine.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"The environment variable {name} must be set.")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from exc


PRODUCTION = env_str("BILLBRIDGE_ENV", "development") == "production"

if PRODUCTION:
    SECRET_KEY = env_str("SECRET_KEY")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters in production.")
else:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-" + "x" * 40)

DEBUG = env_bool("DEBUG", not PRODUCTION)

# The address people and Intuit reach this site at. Intuit's redirect URI and webhook URL are
# derived from it (Settings ▸ Intuit app shows them), and production needs it on HTTPS: Intuit
# refuses http:// redirect URIs outside localhost.
PUBLIC_URL = env_str("BILLBRIDGE_PUBLIC_URL", None if PRODUCTION else "http://127.0.0.1:8000")
PUBLIC_URL = PUBLIC_URL.rstrip("/")
if PRODUCTION and not PUBLIC_URL.startswith("https://"):
    raise ImproperlyConfigured(
        f"BILLBRIDGE_PUBLIC_URL must be an https:// address in production, not {PUBLIC_URL!r}."
    )
_public_host = urlsplit(PUBLIC_URL).hostname or ""
ALLOWED_HOSTS = [
    h.strip()
    for h in env_str("ALLOWED_HOSTS", f"{_public_host},127.0.0.1,localhost").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", PUBLIC_URL).split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "billbridge.core",
    "billbridge.practice",
    "billbridge.clients",
    "billbridge.invoicing",
    "billbridge.time",
    "billbridge.documents",
    "billbridge.quickbooks",
    "billbridge.api",
    "billbridge.operations",
    "billbridge.web",
]

MIDDLEWARE = [
    # First: a malformed Content-Length would make any view that reads the body fail.
    "billbridge.core.http.RefuseMalformedContentLength",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks, so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "billbridge.urls"
WSGI_APPLICATION = "billbridge.wsgi.application"
ASGI_APPLICATION = "billbridge.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "billbridge" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "billbridge.web.context.notice_banner",
            ],
        },
    },
]

VAR_DIR = Path(os.environ.get("BILLBRIDGE_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# SQLite (WAL, set on connect in billbridge.core.apps) is the embedded default; a
# DATABASE_URL such as postgres://user@127.0.0.1:5432/billbridge switches to PostgreSQL.
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "billbridge.sqlite3",
            "OPTIONS": {
                # IMMEDIATE makes a writing transaction take the write lock at BEGIN, so two
                # writers queue on the busy timeout instead of failing mid-transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:billing-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic gathers the files WhiteNoise serves (make serve, make migrate).
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Login throttling: lock the (username, address) pair after repeated failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0)
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Content Security Policy (django-csp): pages load scripts, styles and images from this site
# only, so an injected <script> or inline handler does not run. The admin is left out: its
# templates carry inline styles and scripts we do not control.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # A load balancer probes the app server itself, over plain HTTP: a redirect is no answer.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env_bool("BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The invoice editor posts seven fields a line row and allows 220 rows (the 200 lines an invoice
# may have, and spares); Django's default of 1,000 fields cut a save off at about 140 lines.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# Billing list page size; a page costs a fixed number of queries whatever this is.
BILLING_LIST_PAGE_SIZE = env_int("BILLING_LIST_PAGE_SIZE", 50)

# ---- background work: Django's Tasks API, the database as the queue (manage.py db_worker) ----
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# ---- QuickBooks Online ------------------------------------------------------------------------
# QBO_ENVIRONMENT picks Intuit's production or sandbox hosts, or the local emulator; every URL
# can still be set on its own. The client id, secret and redirect URI are the Intuit app's.
QBO_ENVIRONMENT = env_str("QBO_ENVIRONMENT", "production" if PRODUCTION else "emulator")
_emulator = env_str("QBO_EMULATOR_URL", "http://127.0.0.1:8085").rstrip("/")
_QBO_HOSTS = {
    "emulator": {
        "authorize": f"{_emulator}/connect/oauth2",
        "token": f"{_emulator}/oauth2/v1/tokens/bearer",
        "revoke": f"{_emulator}/v2/oauth2/tokens/revoke",
        "api": f"{_emulator}/v3",
        "app": f"{_emulator}/_emulator/ui",
    },
    "sandbox": {
        "authorize": "https://appcenter.intuit.com/connect/oauth2",
        "token": "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
        "revoke": "https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
        "api": "https://sandbox-quickbooks.api.intuit.com/v3",
        "app": "https://app.sandbox.qbo.intuit.com/app",
    },
    "production": {
        "authorize": "https://appcenter.intuit.com/connect/oauth2",
        "token": "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
        "revoke": "https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
        "api": "https://quickbooks.api.intuit.com/v3",
        "app": "https://app.qbo.intuit.com/app",
    },
}
if QBO_ENVIRONMENT not in _QBO_HOSTS:
    raise ImproperlyConfigured(
        f"QBO_ENVIRONMENT must be one of {', '.join(_QBO_HOSTS)}, not {QBO_ENVIRONMENT!r}."
    )
_qbo_hosts = _QBO_HOSTS[QBO_ENVIRONMENT]
QBO_AUTHORIZE_URL = env_str("QBO_AUTHORIZE_URL", _qbo_hosts["authorize"])
QBO_TOKEN_URL = env_str("QBO_TOKEN_URL", _qbo_hosts["token"])
QBO_REVOKE_URL = env_str("QBO_REVOKE_URL", _qbo_hosts["revoke"])
QBO_API_URL = env_str("QBO_API_URL", _qbo_hosts["api"]).rstrip("/")
# Where a person opens a QBO invoice: {app}/invoice?txnId=<id> at Intuit, the emulator's view here.
QBO_APP_URL = env_str("QBO_APP_URL", _qbo_hosts["app"]).rstrip("/")
_emulated = QBO_ENVIRONMENT == "emulator"
QBO_CLIENT_ID = env_str("QBO_CLIENT_ID", "emulator-client" if _emulated else "")
QBO_CLIENT_SECRET = env_str("QBO_CLIENT_SECRET", "emulator-secret" if _emulated else "")
QBO_REDIRECT_URI = env_str(
    "QBO_REDIRECT_URI", f"{PUBLIC_URL}/settings/integrations/quickbooks/callback"
)
QBO_MINOR_VERSION = env_int("QBO_MINOR_VERSION", 75)
QBO_TIMEOUT_SECONDS = env_int("QBO_TIMEOUT_SECONDS", 30)
# Fernet keys for tokens at rest, newest first (comma-separated). Development gets a fixed key
# so `make run` works out of the box; production must bring its own.
if PRODUCTION:
    _token_keys = env_str("QBO_TOKEN_KEYS")
    if not _token_keys.strip():
        raise ImproperlyConfigured("QBO_TOKEN_KEYS must hold at least one Fernet key.")
else:
    _token_keys = os.environ.get("QBO_TOKEN_KEYS", "ZGV2LW9ubHktaW5zZWN1cmUtdG9rZW4ta2V5LTMyYnk=")
QBO_TOKEN_KEYS = [k.strip() for k in _token_keys.split(",") if k.strip()]
# Intuit's published limits per company (QBO.md §2.12); the limiter keeps under them.
QBO_REQUESTS_PER_MINUTE = env_int("QBO_REQUESTS_PER_MINUTE", 500)
QBO_REQUESTS_PER_SECOND = env_int("QBO_REQUESTS_PER_SECOND", 10)
QBO_BATCH_REQUESTS_PER_MINUTE = env_int("QBO_BATCH_REQUESTS_PER_MINUTE", 40)
QBO_BATCH_SIZE = env_int("QBO_BATCH_SIZE", 30)
QBO_EXPORT_MAX_ATTEMPTS = env_int("QBO_EXPORT_MAX_ATTEMPTS", 8)
# After a send with an unknown outcome, wait this long before looking for it in QBO: whether a
# fresh create shows in QBO's queries at once is undocumented (RELIABILITY.md §1.8).
QBO_LOOKUP_DELAY_SECONDS = env_int("QBO_LOOKUP_DELAY_SECONDS", 30)
QBO_SWEEP_SECONDS = env_int("QBO_SWEEP_SECONDS", 60)
# Paid-status sync: Intuit's webhooks (signed with the app's verifier token) make a company's
# sync come at once; change data capture every QBO_CDC_INTERVAL_SECONDS catches what they miss.
# 15 minutes costs 2,880 metered reads a month per company.
QBO_WEBHOOK_VERIFIER = env_str("QBO_WEBHOOK_VERIFIER", "emulator-verifier" if _emulated else "")
QBO_CDC_INTERVAL_SECONDS = env_int("QBO_CDC_INTERVAL_SECONDS", 900)
QBO_CDC_OVERLAP_SECONDS = env_int("QBO_CDC_OVERLAP_SECONDS", 120)
# Threads per drain of a company's exports: a second one works while the first waits for QBO.
QBO_EXPORT_THREADS = env_int("QBO_EXPORT_THREADS", 2)
# How long a drain holds the rows it claimed without renewing them: its heartbeat renews them
# every quarter of this, so a worker that dies lets its rows go within one lease.
QBO_LEASE_SECONDS = env_int("QBO_LEASE_SECONDS", 60)
# Finished task rows are kept this long for operators to read, then deleted by the sweep; a
# task still RUNNING after QBO_TASK_ABANDONED_SECONDS lost its worker and is marked failed.
TASK_RESULTS_KEEP_SECONDS = env_int("TASK_RESULTS_KEEP_SECONDS", 86400)
QBO_TASK_ABANDONED_SECONDS = env_int("QBO_TASK_ABANDONED_SECONDS", 6 * 3600)

# ---- documents and mail -----------------------------------------------------------------------
# Invoices, notices and their mail go out through this SMTP server. `make run` starts a mail
# catcher on loopback (tools/mail_catcher) and points these at it; production names its own.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 587 if PRODUCTION else 1025)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
# A refusing or silent mail server must not hold a worker for long: the send row says so.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 15)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "billing@billbridge.localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Exports that ended in Error or Needs review are mailed as one digest a day, from this hour
# (TIME_ZONE) on; a connection to reconnect is said at once (quickbooks/notices.py).
NOTICES_DIGEST_HOUR = env_int("NOTICES_DIGEST_HOUR", 7)

# ---- operations --------------------------------------------------------------------------------
# The Prometheus endpoint (/metrics) answers only with this bearer token; without one it is off.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
# /healthz answers 503 when the oldest task due has waited longer than this, or the scheduler's
# last tick is older than this many sweeps.
HEALTH_MAX_QUEUE_LAG_SECONDS = env_int("HEALTH_MAX_QUEUE_LAG_SECONDS", 300)
HEALTH_SCHEDULER_MISSED_TICKS = env_int("HEALTH_SCHEDULER_MISSED_TICKS", 3)
# Where `manage.py backup` writes when no path is given.
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR", VAR_DIR / "backups"))

# One JSON object per line in production, for a log collector; text on a developer's terminal.
LOG_FORMAT = env_str("LOG_FORMAT", "json" if PRODUCTION else "text")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Whatever slips into a message, a token or an OAuth secret is blanked out before it is written.
    "filters": {"redact_secrets": {"()": "billbridge.core.log_redaction.RedactSecrets"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "{asctime}{levelname}{name}{message}",
            "style": "{",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "access": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact_secrets"],
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        },
        # runserver's access log, formatted as Django does: each request line, query and all
        # (the OAuth callback's code and state).
        "access": {
            "class": "logging.StreamHandler",
            "formatter": "access",
            "filters": ["redact_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's defaults give these handlers of their own, without the filter: a console in
        # DEBUG (the root's already writes django.request's records) and the admins' mail (no
        # ADMINS here). Their records go to the root's handler only.
        "django": {"handlers": []},
        "django.server": {"handlers": ["access"], "level": "INFO", "propagate": False},
        "axes": {"level": "WARNING"},
    },
}
