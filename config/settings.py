"""Settings for Chuangcheng: one module, driven by environment variables.

Every variable read here is documented in `.env.example`. Safe local defaults
(SQLite, in-process jobs) let the app run with Python alone; production sets
DATABASE_URL, REDIS_URL, SECRET_KEY and friends.
"""

import os
import tempfile
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name, default=""):
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY and (DEBUG or env_bool("ALLOW_INSECURE_KEY", False)):
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"
# Otherwise an unset key stays empty: commands that sign nothing (makemigrations, check) still
# run, but Django refuses the first request or session that needs the key, and
# `check --deploy` reports it. Production sets SECRET_KEY (see .env.example).

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_filters",
    "django_htmx",
    "template_partials",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "campaign",
    "accounts",
    "tasks",
    "fieldwork",
    "inspections",
    "reports",
]

MIDDLEWARE = [
    # Outermost: notes whether the request's action committed, for the error pages.
    "campaign.middleware.ErrorPagesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # First after the security headers: the client address and user agent every audit entry reads.
    "campaign.middleware.RequestContextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "campaign.middleware.IdleSessionMiddleware",
    "campaign.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # request.htmx, for every middleware after it.
    "django_htmx.middleware.HtmxMiddleware",
    # Outside the sign-in checks: their redirects of an htmx request move the whole page.
    "campaign.middleware.HtmxRedirectMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Second factor, forced password change and 2FA enrolment before any other page.
    "accounts.middleware.AccountGateMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "campaign.middleware.CurrentCampaignMiddleware",
    # Last, so its 413 page has the person and campaign; it still runs before any view
    # (or CSRF check) reads the body.
    "campaign.uploads.RequestSizeLimitMiddleware",
]

ROOT_URLCONF = "config.urls"
# Form widgets take Bootstrap classes from templates/django/forms/widgets/attrs.html.
FORM_RENDERER = "campaign.widgets.FormRenderer"
WSGI_APPLICATION = "config.wsgi.application"

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
                "campaign.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    }
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # No JIT: a page's queries are short, but one whose estimated cost passes
        # jit_above_cost (a scope the planner overestimates) spent 50-120 ms compiling.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
        # Prepared statements on (psycopg's default threshold; Django turns them off): only
        # `campaign.statements` asks for them, Django's own cursors bind in the client and
        # never prepare.
        options.setdefault("prepare_threshold", 5)
else:
    # SQLite tuned for concurrent use: WAL lets readers run beside a writer, the
    # busy timeout waits for a lock instead of failing, and IMMEDIATE transactions
    # take the write lock up front so read-then-write requests cannot deadlock
    # into "database is locked".
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA busy_timeout=20000;"
                    "PRAGMA foreign_keys=ON;"
                ),
            },
            # Tests use a file too, not memory: the browser tests' live server answers from
            # its own thread, and an in-memory database is one connection both threads share
            # ("cannot commit transaction - SQL statements in progress" when they overlap).
            "TEST": {
                "NAME": str(Path(tempfile.gettempdir()) / f"chuangcheng-test-{os.getpid()}.sqlite3")
            },
        }
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A kept connection that the server dropped (restart, failover, idle kill) is replaced
# before a request uses it, instead of failing that request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and Celery broker --------------------------------------------
REDIS_URL = env_str("REDIS_URL")
# Short timeouts so that a Redis outage degrades a page instead of hanging it.
REDIS_TIMEOUT_SECONDS = env_int("REDIS_TIMEOUT_SECONDS", 2)
# The cache answers within this or is skipped: its one user, the citizen-report rate limiter
# (campaign/ratelimit.py), counts in the database while Redis is down or hung.
REDIS_CACHE_TIMEOUT_SECONDS = float(env_str("REDIS_CACHE_TIMEOUT_SECONDS", "0.5"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "chuangcheng",
            "OPTIONS": {
                "socket_connect_timeout": REDIS_CACHE_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_CACHE_TIMEOUT_SECONDS,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
# Without Redis, jobs run in the request's process (config/celery.py logs it once).
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The longest a job may run (each job's own `time_limit` is at most this).
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 600)
# A child killed by OOM, SIGKILL or the hard time limit gives its message back (acks_late
# alone would acknowledge it): the job runs again, and jobs are idempotent.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT_SECONDS
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": REDIS_TIMEOUT_SECONDS,
    "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
    "max_retries": 1,
    # Redis redelivers a message not acknowledged within this time: longer than the longest
    # job (or a running job would start twice), short enough that a crashed worker's jobs
    # come back within minutes rather than an hour.
    "visibility_timeout": CELERY_TASK_TIME_LIMIT + 120,
}
# Publishing from a web request retries briefly, then fails loudly.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}
CELERY_WORKER_MAX_TASKS_PER_CHILD = env_int("CELERY_WORKER_MAX_TASKS_PER_CHILD", 50)
# An outbox handler that runs outside a transaction (PDFs, bulletin e-mail) holds its row
# this long; after a crash the relay takes the row again once the lease has run out.
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 600)
# Exports of more rows than this are made by a worker (the exports queue) instead of the request.
EXPORT_INLINE_MAX_ROWS = env_int("EXPORT_INLINE_MAX_ROWS", 5000)
# How long the download link of an export made by a worker works; its file is deleted after.
EXPORT_LINK_HOURS = env_int("EXPORT_LINK_HOURS", 24)

# --- Authentication, sessions, lockout -----------------------------------------
AUTH_USER_MODEL = "campaign.Person"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sessions end after this many idle minutes: a page view renews the session when it was last
# renewed a minute ago or more (campaign.middleware.IdleSessionMiddleware).
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Sign-in throttling (campaign.models.LoginAttempt): failures per username at one address,
# per address across usernames (password spraying), and per username across addresses. The
# last rule only delays (USERNAME_BACKOFF minutes after the latest failure) and never applies
# at an address the person signed in from before, so an attacker cannot lock a victim out.
LOGIN_LOCKOUT_ATTEMPTS = env_int("LOGIN_LOCKOUT_ATTEMPTS", 5)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 30)
LOGIN_ADDRESS_LOCKOUT_ATTEMPTS = env_int("LOGIN_ADDRESS_LOCKOUT_ATTEMPTS", 20)
LOGIN_USERNAME_LOCKOUT_ATTEMPTS = env_int("LOGIN_USERNAME_LOCKOUT_ATTEMPTS", 10)
LOGIN_USERNAME_BACKOFF_MINUTES = env_int("LOGIN_USERNAME_BACKOFF_MINUTES", 5)
# Open311 reads (GET) per client address per hour: open data, but no scraping at full speed.
OPEN311_GETS_PER_HOUR = env_int("OPEN311_GETS_PER_HOUR", 600)
# How many reverse proxies in front of the app append to X-Forwarded-For (0: none, use the
# socket's address). The client is read that many entries from the right; the entries on the
# left are whatever the client sent and are never trusted.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if env_bool("USE_X_FORWARDED_FOR") else 0)
# Two-factor sign-in (TOTP): the issuer name phones show beside the code.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "创城")
# One-time activation links for accounts made by imports expire after this many days.
ACTIVATION_DAYS = env_int("ACTIVATION_DAYS", 14)
# The audit log is kept at least 180 days (等保 2.0); the clean-up job removes older entries.
AUDIT_RETENTION_DAYS = max(env_int("AUDIT_RETENTION_DAYS", 180), 180)

# --- Internationalisation ------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our corrections to Django's locale formats (date inputs in ISO).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
CELERY_TIMEZONE = TIME_ZONE

# --- Static and media ------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Uploaded evidence and photos are private: served only through permission-checked views.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    # A file lives only if the transaction that wrote it commits (campaign/uploads.py).
    "default": {"BACKEND": "campaign.uploads.TransactionalFileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Upload caps (campaign/uploads.py applies them to every upload field), in megabytes:
# one evidence document; one photo (re-encoded to well under 1 MB); one import workbook.
UPLOAD_MAX_MB = env_int("UPLOAD_MAX_MB", 10)
PHOTO_MAX_MB = env_int("PHOTO_MAX_MB", 10)
WORKBOOK_MAX_MB = env_int("WORKBOOK_MAX_MB", 5)
# Photos with more pixels are refused before decoding (a 14 KB PNG can hold 100+ megapixels).
IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_MEGAPIXELS", 50) * 1_000_000
# A whole request body, refused from its Content-Length before it is read: signed-in people
# (nine photos and documents at once), anonymous ones (a citizen report's three photos).
# nginx's client_max_body_size should equal REQUEST_MAX_MB.
REQUEST_MAX_MB = env_int("REQUEST_MAX_MB", 100)
PUBLIC_REQUEST_MAX_MB = 3 * PHOTO_MAX_MB + 1
# Form fields other than files (Django refuses more with a 400); files above 5 MB spill to disk.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Behind nginx: the internal location that serves MEDIA_ROOT after Django's permission check.
PRIVATE_MEDIA_ACCEL_PREFIX = env_str("PRIVATE_MEDIA_ACCEL_PREFIX")

# --- Campaign rules -------------------------------------------------------------
# How many working days before its deadline a task turns yellow (黄灯).
TASK_WARNING_WORKING_DAYS = env_int("TASK_WARNING_WORKING_DAYS", 3)

# --- E-mail --------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if not env_str("EMAIL_HOST")
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "chuangcheng@localhost")
EMAIL_TIMEOUT = 10
# SMS gateways and group robots (campaign.channels) must answer within this many seconds, or the
# attempt fails and the outbox retries it later; sending never happens inside a request.
CHANNEL_TIMEOUT_SECONDS = env_int("CHANNEL_TIMEOUT_SECONDS", 5)
# The address people open the site at, for links in e-mails.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# --- Security (production hardening switched on by DEBUG=0) -------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG and env_bool("COOKIES_SECURE", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# An expired or foreign form answers a Chinese page saying what to do (campaign/errors.py).
CSRF_FAILURE_VIEW = "campaign.errors.csrf_failure"

# --- Map tiles (fieldwork map) -------------------------------------------------------
# Without a tile server the map draws points on a plain background and requests nothing.
# A URL template with {z}/{x}/{y} (and {s} for subdomains, {k} for the key) turns tiles on.
MAP_TILE_URL = env_str("MAP_TILE_URL")
# "wgs84" (天地图, OpenStreetMap, an intranet server) or "gcj02" (高德, 腾讯): GCJ-02 tiles get
# the points shifted at display time only; stored coordinates stay WGS-84.
MAP_TILE_CRS = env_str("MAP_TILE_CRS", "wgs84").lower()
MAP_TILE_KEY = env_str("MAP_TILE_KEY")  # 天地图 needs a key (tk=…): put {k} in the template
MAP_TILE_SUBDOMAINS = env_str("MAP_TILE_SUBDOMAINS", "")
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION", "")


def _tile_origins(template):
    """The origins tiles come from, for the CSP: t{s}.tianditu.gov.cn → *.tianditu.gov.cn."""
    if not template:
        return []
    from urllib.parse import urlsplit

    parts = urlsplit(template)
    host = parts.netloc
    if "{" in host:
        host = "*." + host.split(".", 1)[1]
    return [f"{parts.scheme}://{host}"]


# --- Content-Security-Policy (django-csp) -------------------------------------------
# Every page: scripts only from our own static files (no inline <script>, no onclick=…;
# behaviour lives in static/js/site.js and each app's static/<app>/*.js), nothing from
# other sites. Styles allow inline `style=` attributes (progress bars, ECharts tooltips);
# that cannot run script. Private files send a stricter policy of their own
# (campaign.uploads.private_file_response), which the middleware leaves in place.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        # Bootstrap's CSS draws checkboxes and selects with data: SVGs; ECharts may export blobs.
        # Map tiles only when a tile server is configured (MAP_TILE_URL).
        "img-src": [SELF, "data:", "blob:", *_tile_origins(MAP_TILE_URL)],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
