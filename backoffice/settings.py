"""Settings for the back-office.

Every knob comes from the environment (see the table in README.md). With nothing set, the
project runs on its embedded defaults: SQLite, Celery tasks executed in-process, email printed
to the console, DEBUG on. Production sets DJANGO_DEBUG=false, a real DJANGO_SECRET_KEY and
DJANGO_ALLOWED_HOSTS and an EMAIL_URL of a mail server; ImproperlyConfigured is raised when
those are missing or nonsensical.
"""

import re
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=True)

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"  # noqa: S105 - refused when DEBUG is off
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is false.")
if not DEBUG and (
    SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5
):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be a random string of 50+ characters.")

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is false.")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "backoffice.apps.BackofficeConfig",
    "backoffice.apps.SupportAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_countries",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "backoffice.apps.SignInLockoutsConfig",  # axes, with a human name in the admin
    "django_otp",
    "backoffice.apps.AuthenticatorsConfig",  # django_otp.plugins.otp_totp, likewise
    "drf_spectacular_sidecar",
    "recognition",
    "provisioning",
]

MIDDLEWARE = [
    # First: the request id and the latency histogram cover everything below it.
    "backoffice.observability.middleware.RequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks the user verified when the session was signed in with an authenticator code.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as it wants: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Benchmarks mount a bare comparison view beside the product (bench/urls.py).
ROOT_URLCONF = env.str("DJANGO_ROOT_URLCONF", default="backoffice.urls")

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
            ],
        },
    },
]

WSGI_APPLICATION = "backoffice.wsgi.application"

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})
    if env.bool("DATABASE_POOL", default=True):
        # psycopg 3's pool keeps connections open per process; Django requires
        # CONN_MAX_AGE=0 with it.
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN", default=1),
            "max_size": env.int("DATABASE_POOL_MAX", default=10),
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
        }
        DATABASES["default"]["CONN_MAX_AGE"] = 0
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 5)
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers wait for each other instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
# The test run's own database (default: "test_" + the database's name), so that two runs on
# one server never drop each other's.
if env("TEST_DATABASE_NAME", default=""):
    DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "provisioning.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = env.list(
    "DJANGO_PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ],
)
LOGIN_URL = "admin:login"
AUTHENTICATION_BACKENDS = [
    # Counts failed logins and refuses a locked-out email+address before checking the password.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Staff login lockout (DESIGN §10): after AXES_FAILURE_LIMIT wrong passwords for one email from
# one address, that pair is refused for AXES_COOLOFF_MINUTES; after AXES_IP_FAILURE_LIMIT wrong
# passwords from one address, whatever the emails, the address is refused as well. A success
# resets the email's count. Emails are counted in the normal form the login looks them up by.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_IP_FAILURE_LIMIT = env.int("AXES_IP_FAILURE_LIMIT", default=20)
if not 1 <= AXES_FAILURE_LIMIT <= AXES_IP_FAILURE_LIMIT:
    raise ImproperlyConfigured("Need 1 <= AXES_FAILURE_LIMIT <= AXES_IP_FAILURE_LIMIT.")
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# Behind a proxy the address is the one Django sees in REMOTE_ADDR (set it from the proxy).
# The order matters to backoffice.auth.StaffLoginAttempts: per account first, then per address.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "backoffice.auth.StaffLoginAttempts"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "backoffice/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "backoffice.auth.lockout_username"
# Failed attempts are counted in the database; successful logins are not logged again there.
AXES_DISABLE_ACCESS_LOG = True
# Staff second factor (docs/support-queue.md): a staff member with an authenticator (TOTP device)
# signs in with its code; with STAFF_REQUIRE_TOTP, staff without one cannot sign in at all.
STAFF_REQUIRE_TOTP = env.bool("STAFF_REQUIRE_TOTP", default=False)
OTP_TOTP_ISSUER = "CargoMART back-office"
# The device key is shown once, when an administrator adds the device; never again in the admin.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# One date format for people ("4 Dec 2026, 21:28"), in backoffice/formats/en/formats.py: with
# localisation always on, a locale's formats win over DATE_FORMAT & co. in settings, so the
# project's own format module overrides the English locale. The partner API keeps ISO 8601.
FORMAT_MODULE_PATH = ["backoffice.formats"]
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"

# --- Static files (served by whitenoise, no CDN) ----------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("DJANGO_STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Security -------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("DJANGO_BEHIND_TLS_PROXY", False) else None
)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = not DEBUG
X_FRAME_OPTIONS = "DENY"

# --- Email ----------------------------------------------------------------------------------
# EMAIL_URL takes smtp://user:pass@host:port (smtp+tls://, smtp+ssl://) or consolemail://.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
# Emails carry one-time links (completion, portal login): printed to a console or written to
# files they would end up in logs, so production refuses to start with either (DESIGN §10).
if not DEBUG and EMAIL_BACKEND in {  # noqa: F821 - set by the line above
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
}:
    raise ImproperlyConfigured(
        "EMAIL_URL must name a mail server (smtp://…) when DJANGO_DEBUG is false: the console "
        "and file backends would put one-time links in logs."
    )
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="CargoMART Support <support@example.com>"
)

# --- Celery and the outbox ------------------------------------------------------------------
# No broker configured: tasks run in-process, right after the transaction that queued them
# (the in-memory transport only keeps Celery from looking for a broker on localhost).
CELERY_TASK_ALWAYS_EAGER = not env.str("CELERY_BROKER_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or "memory://"
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Requests never publish (the outbox relay in the workers does, see below); the relay and beat
# must not hang on a broker that is down either: publishing gives up quickly, the relay puts
# the rows back and retries, and the outbox sweep delivers what was lost.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": 2,
    "socket_connect_timeout": 2,
    "max_retries": 0,
    "visibility_timeout": 3600,
}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {
        "task": "provisioning.tasks.outbox_sweep",
        "schedule": timedelta(seconds=env.int("OUTBOX_SWEEP_SECONDS", default=60)),
    },
    # Emails the one reminder of a completion link that is 3 days old and unused.
    "completion-reminders": {
        "task": "provisioning.tasks.completion_reminders",
        "schedule": timedelta(seconds=env.int("COMPLETION_REMINDER_SWEEP_SECONDS", default=900)),
    },
    "link-requests-purge": {
        "task": "provisioning.tasks.link_requests_purge",
        "schedule": timedelta(seconds=env.int("LINK_REQUESTS_PURGE_SECONDS", default=3600)),
    },
    # Runs the CASS directory files uploaded in the admin (provisioning/cass/runs.py).
    "cass-imports": {
        "task": "provisioning.tasks.cass_imports_sweep",
        "schedule": timedelta(seconds=env.int("CASS_IMPORT_SWEEP_SECONDS", default=5)),
    },
    # Numbers the feed's events that their after-commit numbering missed (event_sequence.py).
    "partner-events-sequence": {
        "task": "provisioning.tasks.partner_events_sequence",
        "schedule": timedelta(seconds=env.int("EVENT_SEQUENCE_SWEEP_SECONDS", default=30)),
    },
    "api-housekeeping": {
        "task": "provisioning.tasks.api_housekeeping",
        "schedule": timedelta(seconds=env.int("API_HOUSEKEEPING_SECONDS", default=3600)),
    },
}
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=30)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=10)
OUTBOX_SWEEP_GRACE_SECONDS = env.int("OUTBOX_SWEEP_GRACE_SECONDS", default=30)
# The outbox relay (provisioning/delivery/relay.py) runs in every `celery worker` unless
# OUTBOX_RELAY is
# false there: it queues the delivery of committed outbox rows, woken by PostgreSQL's NOTIFY,
# and looks anyway every OUTBOX_RELAY_POLL_SECONDS (its only way on SQLite).
OUTBOX_RELAY = env.bool("OUTBOX_RELAY", default=True)
OUTBOX_RELAY_POLL_SECONDS = env.float("OUTBOX_RELAY_POLL_SECONDS", default=5.0)
if not OUTBOX_RELAY_POLL_SECONDS > 0:
    raise ImproperlyConfigured("OUTBOX_RELAY_POLL_SECONDS must be a number of seconds above 0.")

# --- Product --------------------------------------------------------------------------------
# Base of links put in emails (completion form, sign-in page, …). `make run PORT=8001` sets it
# to the address it serves on.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Where forwarders log in: the one-time login link is PORTAL_URL?auth=<token>. By default our
# own /portal/login on SITE_URL.
PORTAL_URL = env.str("PORTAL_URL", default="") or f"{SITE_URL}/portal/login"
# "Email me a new link" on the invalid-link page: asks per hour, per address and per client.
LINK_REQUEST_LIMIT_EMAIL = env.int("LINK_REQUEST_LIMIT_EMAIL", default=3)
LINK_REQUEST_LIMIT_IP = env.int("LINK_REQUEST_LIMIT_IP", default=20)
if LINK_REQUEST_LIMIT_EMAIL < 1 or LINK_REQUEST_LIMIT_IP < 1:
    raise ImproperlyConfigured("LINK_REQUEST_LIMIT_EMAIL and LINK_REQUEST_LIMIT_IP must be >= 1.")

# --- API ------------------------------------------------------------------------------------
# Requests per API key and window, both partner surfaces together: "<n>/<second|minute|hour|day>".
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="600/minute")
if not re.fullmatch(r"\s*[1-9][0-9]*\s*/\s*(second|minute|hour|day)s?\s*", API_RATE_LIMIT):
    raise ImproperlyConfigured("API_RATE_LIMIT must read <requests>/<second|minute|hour|day>.")
# How long an Idempotency-Key's first answer is replayed.
API_IDEMPOTENCY_HOURS = 24

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Forwarder provisioning API",
    "DESCRIPTION": (
        "The partner API of the forwarder back-office: the native REST surface under "
        "`/api/v1/` (Bearer key) and the compatibility surface `/solutions/users` "
        "(`x-api-key`). See docs/partner-api.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's assets are served from this site (drf-spectacular-sidecar), not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["provisioning.partner_api.openapi.endpoints_preprocess"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "provisioning.partner_api.openapi.query_text_postprocess",
    ],
    "ENUM_NAME_OVERRIDES": {
        "UserStatusEnum": "provisioning.models.users.UserStatus",
        "PendingReasonEnum": "provisioning.models.users.PendingReason",
        "EventTypeEnum": "provisioning.models.api.EventType",
    },
}

# --- Operations (docs/operations.md) ---------------------------------------------------------
# /metrics answers `Authorization: Bearer <METRICS_TOKEN>`; with no token it is open while
# DEBUG is on and absent (404) in production.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
if METRICS_TOKEN and len(METRICS_TOKEN) < 16:
    raise ImproperlyConfigured("METRICS_TOKEN must be a random string of 16+ characters.")
# A `celery worker` serves its own task metrics on this port (0: it does not).
WORKER_METRICS_PORT = env.int("WORKER_METRICS_PORT", default=0)
# /readyz gives the broker this long to accept a connection.
READYZ_BROKER_TIMEOUT = env.float("READYZ_BROKER_TIMEOUT", default=2.0)

# --- Logging --------------------------------------------------------------------------------
# LOG_FORMAT=json: one JSON object per line, with the request id (docs/operations.md).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured("LOG_FORMAT must be plain or json.")
# One line per request (method, path, status, time, view, request id); gunicorn's access log
# says the same without the request id.
LOG_REQUESTS = env.bool("LOG_REQUESTS", default=LOG_FORMAT == "json")
# Celery leaves the worker's logging to LOGGING below, so that its lines are JSON too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "backoffice.observability.logs.JsonFormatter"},
    },
    "filters": {
        # The one-time tokens of forwarder links never reach a log line (docs/forwarder-pages.md).
        "one_time_links": {"()": "provisioning.log_filters.RedactOneTimeLinks"},
        "request_id": {"()": "backoffice.observability.logs.RequestIdFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["one_time_links", "request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # runserver logs each request line, query string included.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# The login email is unique whatever its letter case (UniqueConstraint on Lower("email")),
# which is stricter than the field-level unique flag this check looks for.
SILENCED_SYSTEM_CHECKS = ["auth.E003", "auth.W004"]
