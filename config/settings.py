"""One env-driven settings module. Every deployment difference is an environment variable."""

import sys
import warnings
from pathlib import Path

import environ
from celery.schedules import crontab
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

INSECURE_DEFAULT_SECRET_KEY = "dev-only-insecure-key-change-me"  # noqa: S105


def _fail(message: str):
    # A one-line message instead of a traceback: operators read this in a terminal or a unit log.
    raise SystemExit(f"configuration error: {message}")


def _bool(name: str, default: bool) -> bool:
    try:
        return env.bool(name, default=default)
    except ValueError:
        _fail(f"{name} must be a boolean (0/1, true/false)")


def _database_from_url(name: str, default: str) -> dict:
    url = env.str(name, default=default)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            config = environ.Env.db_url_config(url)
        except Exception as exc:  # environ raises several types for bad URLs
            _fail(f"{name} is malformed ({exc})")
    if not config.get("ENGINE") or not config.get("NAME"):
        _fail(f"{name} is malformed: expected e.g. postgres://user:pass@host:5432/dbname")
    return config


DEBUG = _bool("DEBUG", True)
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_DEFAULT_SECRET_KEY)
if not DEBUG and SECRET_KEY == INSECURE_DEFAULT_SECRET_KEY:
    _fail("SECRET_KEY must be set to a long random value when DEBUG=0")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "config.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "guardian",
    "treebeard",
    "django_fsm_log",
    "viewflow",
    "viewflow.workflow",
    "accounts",
    "engine",
    "cases",
    "cases.confidential",
    "cases.complaints",
    "workflows",
    "workflows.monitoring",
    "workflows.plans",
    "workflows.review",
    "django_cas_ng",
    "workflows.observations",
    "workflows.statedata",
    "workflows.surveys",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.ChineseFirstLocaleMiddleware",
    "config.middleware.MalformedInputMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.RequestContextMiddleware",
    "accounts.middleware.LoginThrottleMiddleware",
    "engine.pdf.PdfMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "accounts.context_processors.navigation",
                "engine.context_processors.bell",
            ],
            # {% label_suffix %}: the colon after a label, full-width in Chinese
            "builtins": ["engine.templatetags.labels"],
        },
    },
]

DATABASES = {"default": _database_from_url("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A worker keeps its connection between requests: opening one costs a PostgreSQL backend and
# its cold catalogue caches on every request (measured: the home page 52 -> 89 req/s over
# gunicorn); the health check replaces a connection the server dropped before it is used.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = _bool("CONN_HEALTH_CHECKS", True)
SILENCED_SYSTEM_CHECKS: list[str] = []
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # SQLite cannot hold unique constraints that treat NULLs as equal; PostgreSQL (production
    # and CI) does, so the warning only concerns the quick-start database.
    SILENCED_SYSTEM_CHECKS.append("models.W047")
    # A writer waits for the lock instead of failing at once ("database is locked").
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
FORM_RENDERER = "config.forms.Renderer"

AUTHENTICATION_BACKENDS = [
    "accounts.throttle.ThrottledModelBackend",
    "accounts.sso.CollegeCASBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Single sign-on through the college's CAS server (统一身份认证, CAS 2.0/3.0, django-cas-ng).
# Off while CAS_SERVER_URL is empty. The CAS user (or the attribute CAS_USERNAME_ATTRIBUTE names)
# is the person's staff or student number, matched on User.staff_no, never on a display name.
CAS_SERVER_URL = env.str("CAS_SERVER_URL", default="")
CAS_VERSION = env.str("CAS_VERSION", default="3")
CAS_USERNAME_ATTRIBUTE = env.str("CAS_USERNAME_ATTRIBUTE", default="cas:user")
CAS_LOCAL_NAME_FIELD = "staff_no"
# An unknown number gets a page saying so; with this on, an account without roles is made.
CAS_CREATE_USER = _bool("CAS_CREATE_USER", False)
CAS_LOGOUT_COMPLETELY = True
CAS_CHECK_NEXT = True
CAS_RETRY_LOGIN = False
CAS_REDIRECT_URL = "/"
CAS_LOGIN_MSG = None
CAS_LOGGED_MSG = None
CAS_VERIFY_SSL_CERTIFICATE = _bool("CAS_VERIFY_SSL_CERTIFICATE", True)
CAS_ROOT_PROXIED_AS = env.str("CAS_ROOT_PROXIED_AS", default="")
CAS_LOGOUT_NEXT_PAGE = "/accounts/login/"
# Who may still log in with a local password once SSO is on: "all", or "admins" (system
# administrators and superusers, the break-glass accounts).
LOCAL_LOGIN = env.str("LOCAL_LOGIN", default="all")
if LOCAL_LOGIN not in ("all", "admins"):
    _fail("LOCAL_LOGIN must be 'all' or 'admins'")
# A CAS 3 server inside this application at /cas/ (django-cas-server, checking this database's
# passwords), to try SSO without the college's server and for the tests. Never in production.
CAS_LOCAL_SERVER = _bool("CAS_LOCAL_SERVER", DEBUG)
if CAS_LOCAL_SERVER:
    INSTALLED_APPS.append("cas_server")
    # Its shipped migrations lag its models (Django 5.2 sees changes in them); the demo server's
    # tables come from one migration of our own, made from the installed models.
    MIGRATION_MODULES = {"cas_server": "config.cas_server_migrations"}
    CAS_SHOW_POWERED = False
    # No look-ups on PyPI from a college intranet.
    CAS_NEW_VERSION_HTML_WARNING = False
    CAS_NEW_VERSION_EMAIL_WARNING = False
    CAS_INFO_MESSAGES_ORDER: list[str] = []

# Client addresses (accounts/client_ip.py): how many proxies of our own stand in front of the
# application. 0: REMOTE_ADDR is the client and X-Forwarded-For is ignored (anyone can write it).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Login throttling (accounts/throttle.py), per (username, client address): the first
# LOGIN_FREE_FAILURES failures cost nothing; each further one makes the next attempt wait
# LOGIN_DELAY_SECONDS, doubling per failure up to LOGIN_MAX_DELAY_SECONDS. Failures older than
# LOGIN_FAILURE_MEMORY_HOURS are forgotten; a successful login forgets them at once.
LOGIN_FREE_FAILURES = env.int("LOGIN_FREE_FAILURES", default=4)
LOGIN_DELAY_SECONDS = env.int("LOGIN_DELAY_SECONDS", default=30)
LOGIN_MAX_DELAY_SECONDS = env.int("LOGIN_MAX_DELAY_SECONDS", default=1800)
LOGIN_FAILURE_MEMORY_HOURS = env.float("LOGIN_FAILURE_MEMORY_HOURS", default=24)

ANONYMOUS_USER_NAME = None  # guardian: anonymous visitors hold no object permissions
GUARDIAN_RAISE_403 = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "config.storage.StaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": REDIS_URL}}
    # Every page reads the session: from Redis (shared by every node), the database only when
    # Redis has lost it; written to both.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # A table (created by accounts' migrations) rather than per-process memory: whatever is
    # cached is the same for every worker.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "zg_cache",
        }
    }

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 3, "visibility_timeout": 3600}
CELERY_TIMEZONE = TIME_ZONE
# Queues by kind of work, so a long annual report or import never delays a notification: run a
# worker per queue (or per group of queues) in production; a worker started without -Q consumes
# them all (development, CI). A task not listed here goes to "default".
CELERY_QUEUES_BY_KIND = {
    "notifications": [
        "engine.deliver_pending",
        "engine.send_outside",
        "engine.sweep_outbox",
        "engine.send_digests",
    ],
    "documents": [
        "plans.run_export",
        "workflows.review.tasks.build_document",
        "workflows.monitoring.tasks.build_cycle_report",
    ],
    "imports": ["engine.run_import", "workflows.monitoring.tasks.open_period_cycles"],
    "evaluation": [
        "workflows.monitoring.tasks.evaluate_indicator_period",
        "workflows.monitoring.tasks.evaluate_period",
        "workflows.monitoring.tasks.evaluate_open_periods",
    ],
}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name)
    for name in [*CELERY_QUEUES_BY_KIND, CELERY_TASK_DEFAULT_QUEUE]
]
CELERY_TASK_ROUTES = {
    task: {"queue": queue} for queue, names in CELERY_QUEUES_BY_KIND.items() for task in names
}
CELERY_BEAT_SCHEDULE: dict = {}
CELERY_BEAT_SCHEDULE["monitoring-evaluate-open-periods"] = {
    "task": "workflows.monitoring.tasks.evaluate_open_periods",
    "schedule": env.int("MONITORING_EVALUATE_EVERY_SECONDS", default=3600),
}
CELERY_BEAT_SCHEDULE["monitoring-sync-review-findings"] = {
    "task": "workflows.monitoring.tasks.sync_review_findings",
    "schedule": 3600.0,
}

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = _bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="zhengai@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ADMINS = [("admin", a) for a in env.list("ADMIN_EMAILS", default=[])]

# Security: the HTTPS-terminating proxy sets the transport flags; everything else is on here.
SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = _bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = _bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env.bool("BEHIND_HTTPS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Personal API tokens (accounts/api_tokens.py): how many live tokens a person may hold, and how
# often a token's "last used" is written.
API_TOKENS_PER_USER = env.int("API_TOKENS_PER_USER", default=10)
API_TOKEN_USE_RESOLUTION_SECONDS = env.int("API_TOKEN_USE_RESOLUTION_SECONDS", default=60)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
        "accounts.api_tokens.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["config.permissions.SignedInWithCapability"],
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.ObjectJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "config.schema.ErrorDocumentingAutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "VIEW_NAME_FUNCTION": "config.api.view_name",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "诊改 Engine API",
    "DESCRIPTION": "Diagnosis & improvement workflows and quality-incident cases.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed sidecar package: college intranets are often offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status"; each schema enum gets its own name.
    "ENUM_NAME_OVERRIDES": {
        "ConfidentialReportStatusEnum": "cases.confidential.models.Status",
        "ConfidentialReportSubjectEnum": "cases.confidential.models.Subject",
        "LevelEnum": "workflows.levels.Level",
        "WarningLevelEnum": "workflows.monitoring.models.WarningLevel",
        "CaseKindEnum": "cases.models.Case.Kind",
        "ObservationKindEnum": "workflows.observations.models.ObservationKind",
        "CaseStatusEnum": "cases.models.Status",
        "NoticeKindEnum": "cases.models.Notice.Kind",
        "NoticeStatusEnum": "cases.models.Notice.Status",
        "OrgUnitKindEnum": "accounts.models.OrgUnit.Kind",
    },
}

# Roster import and other uploads.
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
# Zip-based uploads (Office files, workbooks) are judged by their directory before anything is
# inflated: at most this many parts, this many bytes unpacked in all, and no part over 1 MB
# inflating more than this ratio (zip bombs reach 1000:1; Office XML stays below 50:1).
UPLOAD_ZIP_MAX_ENTRIES = env.int("UPLOAD_ZIP_MAX_ENTRIES", default=2000)
UPLOAD_ZIP_MAX_UNCOMPRESSED_BYTES = env.int(
    "UPLOAD_ZIP_MAX_UNCOMPRESSED_BYTES", default=100 * 1024 * 1024
)
UPLOAD_ZIP_MAX_RATIO = env.int("UPLOAD_ZIP_MAX_RATIO", default=100)
# Pictures re-encoded to drop their metadata (uploads and pictures inside Office files).
UPLOAD_IMAGE_MAX_PIXELS = env.int("UPLOAD_IMAGE_MAX_PIXELS", default=60_000_000)
ROSTER_MAX_ROWS = env.int("ROSTER_MAX_ROWS", default=50_000)
PLANS_IMPORT_MAX_ROWS = env.int("PLANS_IMPORT_MAX_ROWS", default=10_000)
# Spreadsheet imports (engine/imports.py): a file declaring more rows than this runs as a
# background job with a progress page; more empty rows than IMPORT_MAX_BLANK_ROWS stop the
# reading with a message; at most IMPORT_MAX_ERRORS_KEPT row errors are kept on the record.
IMPORT_INLINE_MAX_ROWS = env.int("IMPORT_INLINE_MAX_ROWS", default=500)
IMPORT_MAX_BLANK_ROWS = env.int("IMPORT_MAX_BLANK_ROWS", default=10_000)
IMPORT_MAX_ERRORS_KEPT = env.int("IMPORT_MAX_ERRORS_KEPT", default=1000)
IMPORT_FILES_KEEP_DAYS = env.int("IMPORT_FILES_KEEP_DAYS", default=7)  # a failed run's file
PLANS_FILES_KEEP_DAYS = env.int("PLANS_FILES_KEEP_DAYS", default=7)  # previews and export files
CELERY_BEAT_SCHEDULE["plans-clean-old-files"] = {
    "task": "plans.clean_old_files",
    "schedule": 86400.0,
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Self-diagnosis and review (seed 002 §三(二)3, §三(三)2).
REVIEW_DISCLOSURE_DAYS = env.int("REVIEW_DISCLOSURE_DAYS", default=30)
REVIEW_IMPROVEMENT_PERIOD_DAYS = env.int("REVIEW_IMPROVEMENT_PERIOD_DAYS", default=365)
REVIEW_DISCLOSURE_WARN_DAYS = env.int("REVIEW_DISCLOSURE_WARN_DAYS", default=7)
CELERY_BEAT_SCHEDULE["review-disclosure-deadlines"] = {
    "task": "workflows.review.tasks.warn_disclosure_deadlines",
    "schedule": 6 * 3600,
}

# Class observation (听课): photos per observation; the duty windows open daily.
OBSERVATIONS_MAX_PHOTOS = env.int("OBSERVATIONS_MAX_PHOTOS", default=6)
CELERY_BEAT_SCHEDULE["observations-refresh-duties"] = {
    "task": "workflows.observations.tasks.refresh_duties",
    "schedule": 6 * 3600,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"client_errors": {"()": "config.log.ClientErrorsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # A refused request (403, 400) is one line, not a stack trace; 5xx keep theirs.
        "django.request": {"filters": ["client_errors"]},
        # Pillow's debug output lists image metadata (EXIF camera, GPS, artist) of uploads.
        "PIL": {"level": "INFO"},
    },
}

TESTING = "pytest" in sys.modules
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Notifications and deadlines (engine/).
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=6)
NOTIFY_BACKOFF_SECONDS = env.int("NOTIFY_BACKOFF_SECONDS", default=60)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5)
# Work notifications to each person (engine/chat.py): DingTalk's corporate app (AppKey,
# AppSecret, AgentId) and WeCom's application (CorpID, the app's Secret, AgentId). A platform
# without its three values is off.
CHAT_PLATFORMS = {
    "dingtalk": {
        "key": env.str("DINGTALK_APP_KEY", default=""),
        "secret": env.str("DINGTALK_APP_SECRET", default=""),
        "agent_id": env.str("DINGTALK_AGENT_ID", default=""),
        "api_base": env.str("DINGTALK_API_BASE", default="https://oapi.dingtalk.com"),
    },
    "wecom": {
        "key": env.str("WECOM_CORP_ID", default=""),
        "secret": env.str("WECOM_CORP_SECRET", default=""),
        "agent_id": env.str("WECOM_AGENT_ID", default=""),
        "api_base": env.str("WECOM_API_BASE", default="https://qyapi.weixin.qq.com"),
    },
}
# How long a worker waits for another to fetch an app's token, and how long before the
# platform's expiry a cached token is dropped.
CHAT_TOKEN_WAIT_SECONDS = env.int("CHAT_TOKEN_WAIT_SECONDS", default=10)
CHAT_TOKEN_MARGIN_SECONDS = env.int("CHAT_TOKEN_MARGIN_SECONDS", default=300)
# The largest Word template an office may upload (engine/doc_templates.py).
DOCUMENT_TEMPLATE_MAX_BYTES = env.int("DOCUMENT_TEMPLATE_MAX_BYTES", default=5 * 1024 * 1024)
# PDF copies of Word documents (engine/pdf.py): LibreOffice's soffice, found on the PATH unless
# named here; without it the pages offer the .docx only.
SOFFICE = env.str("SOFFICE", default="")
PDF_TIMEOUT = env.int("PDF_TIMEOUT", default=120)

# The digest of open work (engine/digest.py): sent at DIGEST_HOUR local time; weekly ones on
# DIGEST_WEEKDAY (1 = Monday).
DIGEST_HOUR = env.int("DIGEST_HOUR", default=7)
DIGEST_WEEKDAY = env.int("DIGEST_WEEKDAY", default=1)
# At most one delivery message waits in the queue for the commits of this many seconds (the
# message claims every row written meanwhile); a lost one is published again after it.
ENGINE_OUTBOX_NUDGE_SECONDS = env.int("ENGINE_OUTBOX_NUDGE_SECONDS", default=10)
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULE.update(
    {
        "engine-sweep-outbox": {"task": "engine.sweep_outbox", "schedule": 60.0},
        "engine-escalation-sweep": {"task": "engine.escalation_sweep", "schedule": 300.0},
    }
)

# Anonymous intake (cases/confidential/intake.py): rates are "count/period" (s, m, h, d).
INTAKE_RATE_FILE = env.str("INTAKE_RATE_FILE", default="5/h")  # submissions per client
INTAKE_RATE_TRACK = env.str("INTAKE_RATE_TRACK", default="30/h")  # code look-ups per client
INTAKE_RATE_CODE = env.str("INTAKE_RATE_CODE", default="20/h")  # look-ups and additions per code
INTAKE_MAX_FILES = env.int("INTAKE_MAX_FILES", default=5)
INTAKE_MAX_TEXT = env.int("INTAKE_MAX_TEXT", default=5000)
INTAKE_CHALLENGE_MAX_AGE = env.int("INTAKE_CHALLENGE_MAX_AGE", default=2 * 3600)
# Error reports of the intake pages leave out uploaded file names and the signed-in user.
DEFAULT_EXCEPTION_REPORTER = "cases.confidential.errors.ConfidentialExceptionReporter"

# Monitoring: working days a unit has to acknowledge a warning (an indicator may set its own);
# dotted paths of extra callables run when a warning of an indicator that opens cases is raised.
MONITORING_WARNING_RESPONSE_DAYS = env.int("MONITORING_WARNING_RESPONSE_DAYS", default=3)
MONITORING_WARNING_HOOKS: list[str] = []
MONITORING_IMPORT_MAX_ROWS = env.int("MONITORING_IMPORT_MAX_ROWS", default=500_000)
# A week period stays open (evaluated by the scheduled sweep) this many days after it ends.
MONITORING_WEEK_OPEN_DAYS = env.int("MONITORING_WEEK_OPEN_DAYS", default=14)
# How many readings one bulk approve/return may decide (a page's worth of the approvals list).
MONITORING_BULK_DECIDE_MAX = env.int("MONITORING_BULK_DECIDE_MAX", default=100)
# Surveys: a group's results show only with this many answers or more (each survey may raise it).
SURVEYS_MIN_RESPONSES = env.int("SURVEYS_MIN_RESPONSES", default=5)
# A cycle that has not changed stage for this many working days is flagged as stuck.
MONITORING_CYCLE_STUCK_WORKING_DAYS = env.int("MONITORING_CYCLE_STUCK_WORKING_DAYS", default=20)
# Cycle stage changes write their state log themselves, in bulk (workflows/monitoring/stages.py):
# the per-transition signal would insert one row per cycle on the batched warning path.
DJANGO_FSM_LOG_IGNORED_MODELS = ["workflows.monitoring.models.Cycle"]
# the history row of a step goes with the step's next statement (engine.write_batch)
DJANGO_FSM_LOG_STORAGE_METHOD = "engine.task_writes.StateLogBackend"
# A unit that gets this many warnings in one evaluation run tells its leaders once (a digest
# linking to the unit's warnings) instead of once per warning; the subjects still hear each one.
MONITORING_WARNING_DIGEST_AT = env.int("MONITORING_WARNING_DIGEST_AT", default=10)

# Quality incidents (cases/)
CASES_COLLEGE_BODY_CODE = env.str("CASES_COLLEGE_BODY_CODE", default="zgb")
# Notice number prefixes per issuing unit code (质管督〔2026〕12号); departments default to
# the first two characters of their name + "质督".
CASES_NOTICE_PREFIXES = {"zgb": "质管督"}
# Working days to accept a case before it is classified (the matrix cell applies afterwards).
CASES_DEFAULT_ACCEPTANCE_DAYS = env.int("CASES_DEFAULT_ACCEPTANCE_DAYS", default=3)
# Recurrence: the same unit and category again within this many days.
CASES_RECURRENCE_DAYS = env.int("CASES_RECURRENCE_DAYS", default=365)

# Background jobs in flows (engine/nodes.py): attempts, back-off, re-drive of lost messages.
ENGINE_JOB_MAX_ATTEMPTS = env.int("ENGINE_JOB_MAX_ATTEMPTS", default=5)
ENGINE_JOB_BACKOFF_SECONDS = env.float("ENGINE_JOB_BACKOFF_SECONDS", default=30)
ENGINE_JOB_BACKOFF_MAX_SECONDS = env.float("ENGINE_JOB_BACKOFF_MAX_SECONDS", default=3600)
ENGINE_JOB_REDRIVE_AFTER_SECONDS = env.float("ENGINE_JOB_REDRIVE_AFTER_SECONDS", default=300)
# A request never waits on a dead broker: one failed connect (no kombu retries) pauses publishing
# in this process for a while; the sweeps deliver what was skipped.
ENGINE_BROKER_PAUSE_SECONDS = env.float("ENGINE_BROKER_PAUSE_SECONDS", default=10)
CELERY_BROKER_TRANSPORT_OPTIONS["max_retries"] = 0
# Working hours (e.g. "08:00-17:30"): a deadline counted from a moment after hours starts from
# the next working day. Empty: every moment of a working day counts as that day.
ENGINE_BUSINESS_HOURS = env.str("ENGINE_BUSINESS_HOURS", default="")
CELERY_BEAT_SCHEDULE["engine-digests"] = {
    "task": "engine.send_digests",
    "schedule": crontab(hour=DIGEST_HOUR, minute=0),
}
CELERY_BEAT_SCHEDULE["engine-sweep-jobs"] = {"task": "engine.sweep_jobs", "schedule": 60.0}
CELERY_BEAT_SCHEDULE["engine-sweep-imports"] = {"task": "engine.sweep_imports", "schedule": 60.0}
MIDDLEWARE.append("engine.flows.LockConflictMiddleware")
# Celery closes the worker's database connection around every task unless this is set (a worker
# reconnects every 2×N tasks); with 0 the engine's short outbox tasks spend most of their time
# reconnecting (bench/outbox_throughput.py: 0.25× of a no-op task instead of 0.7×).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=100)

# Working days the accepting body has to answer a supervision request (督办) by default.
CASES_SUPERVISION_DAYS = env.int("CASES_SUPERVISION_DAYS", default=5)
# Working days a complainant has to rate the answer after the feedback: until then the case
# closes only by their rating, so the accepting body cannot close it ahead of a bad mark (the
# college's default; 0: the body may close at once).
CASES_RATING_DAYS = env.int("CASES_RATING_DAYS", default=5)
