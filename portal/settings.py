"""Bucketwise settings: every value comes from the environment (django-environ).

With no setting given the portal runs in its *embedded default*: SQLite, the django-q2
ORM broker and local Terraform state, all under ``var/``. Setting ``DATABASE_URL``
(PostgreSQL) and ``REDIS_URL`` switches to the *scale-out* layout, where several web and
worker machines share one database and one broker. ``.env.example`` lists every setting.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from core.backstage_identity import checked_algorithms

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Runtime state (SQLite, cache, Terraform state and workspaces); relative paths are
# taken from the project root.
VAR_DIR = BASE_DIR / env.str("BUCKETWISE_VAR_DIR", default="var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

# --- Security -------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off. Set SECRET_KEY in the environment "
            "(or DEBUG=true for local development only)."
        )
    SECRET_KEY = "insecure-development-key-only-for-debug"  # DEBUG only

# The audit chain's HMAC key (docs/decisions/audit-keyed-chain.md): never in the database.
# AUDIT_CHAIN_KEY signs new entries under the id AUDIT_CHAIN_KEY_ID; earlier keys stay in
# AUDIT_CHAIN_RETIRED_KEYS ("id:secret,id:secret") so the entries they signed still verify.
AUDIT_CHAIN_KEY = env.str("AUDIT_CHAIN_KEY", default="")
AUDIT_CHAIN_KEY_ID = env.str("AUDIT_CHAIN_KEY_ID", default="k1")
AUDIT_CHAIN_RETIRED_KEYS = {}
for _retired in env.list("AUDIT_CHAIN_RETIRED_KEYS", default=[]):
    _key_id, _, _secret = _retired.partition(":")
    if not _key_id or not _secret:
        raise ImproperlyConfigured("AUDIT_CHAIN_RETIRED_KEYS is a comma-separated list of id:secret pairs.")
    AUDIT_CHAIN_RETIRED_KEYS[_key_id] = _secret
if not AUDIT_CHAIN_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "AUDIT_CHAIN_KEY is required when DEBUG is off (at least 32 characters, kept outside the "
            "database). Set it in the environment (or DEBUG=true for local development only)."
        )
    AUDIT_CHAIN_KEY = "insecure-development-audit-chain-key-only-for-debug"  # DEBUG only
    AUDIT_CHAIN_KEY_ID = "dev-insecure"
if len(AUDIT_CHAIN_KEY) < 32:
    raise ImproperlyConfigured("AUDIT_CHAIN_KEY must be at least 32 characters long.")
if AUDIT_CHAIN_KEY_ID in AUDIT_CHAIN_RETIRED_KEYS:
    raise ImproperlyConfigured(
        f"AUDIT_CHAIN_KEY_ID {AUDIT_CHAIN_KEY_ID!r} is also listed in AUDIT_CHAIN_RETIRED_KEYS: "
        "give a new key a new id."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SECURE_COOKIES = env.bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front of the portal append the client's address to X-Forwarded-For: the client
# is the entry the outermost one appended (core.client_address; 0 = REMOTE_ADDR is the client).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1 if BEHIND_TLS_PROXY else 0)
# HSTS whenever the portal is served over HTTPS (behind a TLS proxy, or with secure cookies, which
# only work over HTTPS): browsers then refuse plain HTTP to it for a year.
HTTPS = env.bool("HTTPS", default=BEHIND_TLS_PROXY or SECURE_COOKIES)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)

# Content-Security-Policy (django-csp): the portal serves every script, style, font and image itself
# and has no inline script or style, so nothing else is allowed (docs/decisions/portal-web-hardening.md).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],  # the API docs' stylesheet draws its icons as data: URIs
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Login throttling (django-axes; docs/decisions/portal-web-hardening.md). Within AXES_COOLOFF_HOURS,
# signing in is locked (also with the right password) after AXES_FAILURE_LIMIT failures for one user
# name from one address, LOGIN_ADDRESS_FAILURE_LIMIT from one address over all user names (password
# spraying), LOGIN_ACCOUNT_FAILURE_LIMIT for one user name over all addresses (0 = rule off).
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "core.login_lockout.LoginLockoutHandler"  # adds the address and account limits
AXES_CLIENT_IP_CALLABLE = "core.client_address.client_address"
# Without a trusted proxy count behind the TLS proxy every client has the proxy's address: an address
# limit would lock everyone.
LOGIN_ADDRESS_FAILURE_LIMIT = env.int(
    "LOGIN_ADDRESS_FAILURE_LIMIT", default=0 if BEHIND_TLS_PROXY and not TRUSTED_PROXY_COUNT else 20
)
LOGIN_ACCOUNT_FAILURE_LIMIT = env.int("LOGIN_ACCOUNT_FAILURE_LIMIT", default=50)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # refused attempts are not counted again
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out credentials before checking them
    "core.auth_backend.PermissionsBackend",  # permissions only: one query instead of ModelBackend's two
    "django.contrib.auth.backends.ModelBackend",
]

# --- Applications ---------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # the API docs page's assets, served by the app (no CDN)
    "django_q",
    "axes",
    "portal",
    "core",
    "requests_app",
    "runner",
    "replication",
    "compliance",
]

MIDDLEWARE = [
    "portal.request_id.RequestIdMiddleware",
    "portal.null_characters.RefuseNullCharactersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "portal.request_id.LoginRequiredExceptPublicMiddleware",
    "portal.database_unavailable.DatabaseUnavailableMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a lockout into its page
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.navigation",
            ],
        },
    },
]

# --- Database, cache, broker ----------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'bucketwise.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, workers) share the file: wait for locks instead of failing,
    # and take the write lock at BEGIN so concurrent writers queue rather than deadlock.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so that worker processes started by tests share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-bucketwise.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "bucketwise",
        }
    }
else:
    # A cache shared by every process on this machine: the web process reads the
    # worker cluster's heartbeat from it, and API throttling counts across processes.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

Q_CLUSTER = {
    "name": env.str("Q_CLUSTER_NAME", default="bucketwise"),
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TASK_TIMEOUT", default=3600),
    # retry must exceed timeout, or a long apply is handed to a second worker.
    "retry": env.int("Q_TASK_TIMEOUT", default=3600) + 300,
    "max_attempts": 1,
    "catch_up": False,
    "save_limit": 1000,
    "ack_failures": True,
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = env.float("Q_ORM_POLL_SECONDS", default=0.5)

# --- AWS and Terraform ----------------------------------------------------------------
# One setting points boto3 and Terraform at a local AWS (moto) in development.
AWS_ENDPOINT_URL = env.str("AWS_ENDPOINT_URL", default="")
AWS_REGION = env.str("AWS_REGION", default="us-east-1")
BUCKET_PREFIX = env.str("BUCKET_PREFIX", default="goldenpath")
APPROVALS_REQUIRED = {
    environment: env.int(f"APPROVALS_REQUIRED_{environment.upper()}", default=1)
    for environment in ("dev", "test", "staging", "prod")
}
# One AWS role per environment (optional): runs of that environment's requests assume it, in the
# provider and in the state backend, so a dev run holds no credentials that reach prod.
AWS_ROLE_ARNS = {
    environment: env.str(f"AWS_ROLE_ARN_{environment.upper()}", default="")
    for environment in ("dev", "test", "staging", "prod")
}
TERRAFORM_BINARY = env.str("TERRAFORM_BINARY", default="")
TERRAFORM_STATE_DIR = Path(env.str("TERRAFORM_STATE_DIR", default=str(VAR_DIR / "terraform-state")))
TERRAFORM_WORK_DIR = Path(env.str("TERRAFORM_WORK_DIR", default=str(VAR_DIR / "runs")))
TERRAFORM_STATE_BUCKET = env.str("TERRAFORM_STATE_BUCKET", default="")
TERRAFORM_STATE_REGION = env.str("TERRAFORM_STATE_REGION", default=AWS_REGION)
TERRAFORM_LOCK_TABLE = env.str("TERRAFORM_LOCK_TABLE", default="")

# --- Links and Backstage ---------------------------------------------------------------
# The portal's public address, for links written outside a web request (exports, Backstage).
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="")
# The Backstage System every exported bucket belongs to.
BACKSTAGE_SYSTEM = env.str("BACKSTAGE_SYSTEM", default="s3-platform")
# The Backstage backend whose users file requests (core/backstage_identity.py): user tokens must be
# issued by <url>/api/auth and signed with a key from its JWKS. Empty: Backstage users cannot be proven.
BACKSTAGE_BASE_URL = env.str("BACKSTAGE_BASE_URL", default="")
# Signature algorithms accepted on Backstage tokens (public-key only; Backstage issues ES256).
BACKSTAGE_TOKEN_ALGORITHMS = checked_algorithms(env.list("BACKSTAGE_TOKEN_ALGORITHMS", default=["ES256"]))
# Backstage User entities of this namespace map to portal users of the same name.
BACKSTAGE_USER_NAMESPACE = env.str("BACKSTAGE_USER_NAMESPACE", default="default")
# How long Backstage's published keys are cached, and how long fetching them may take.
BACKSTAGE_JWKS_CACHE_SECONDS = env.int("BACKSTAGE_JWKS_CACHE_SECONDS", default=300)
BACKSTAGE_JWKS_TIMEOUT_SECONDS = env.float("BACKSTAGE_JWKS_TIMEOUT_SECONDS", default=5)

# --- Local AWS for development (moto server), started by `make run` -------------------
LOCAL_AWS_PORT = env.int("LOCAL_AWS_PORT", default=5005)

# --- Auth, i18n, static ---------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"  # for `collectstatic`; WhiteNoise also serves from the apps
STATIC_ROOT.mkdir(exist_ok=True)
# WhiteNoise serves the apps' static files straight from the apps (no collectstatic step,
# no CDN), in development, tests and production alike.
WHITENOISE_USE_FINDERS = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Service-account tokens first (401 with a Bearer challenge), then browser sessions.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Every API view declares its access rule per method (token scope AND Django permission);
    # a view or method without one is refused (core.api.permissions).
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.DeclaredAccess"],
    # No OPTIONS metadata: OPTIONS answers 405 (nothing about the API is served outside its rules).
    "DEFAULT_METADATA_CLASS": None,
    # JSON nested deeper than portal.json_input.MAX_JSON_DEPTH is a 400 like any bad JSON.
    "DEFAULT_PARSER_CLASSES": [
        "portal.json_input.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Token clients only, counted per token in the shared cache (API_TOKEN_THROTTLE_RATE).
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttling.TokenRateThrottle"],
    # A body over DATA_UPLOAD_MAX_MEMORY_SIZE is a JSON 413, not Django's HTML 400.
    "EXCEPTION_HANDLER": "core.api.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Bucketwise API",
    "DESCRIPTION": "Self-service S3 bucket requests, approvals, catalog and audit trail.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The interactive page's assets come from drf-spectacular-sidecar, served by the app (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Logging: one JSON line per event, with the request id ----------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "portal.json_logging.RequestIdLogFilter"}},
    "formatters": {"json": {"()": "portal.json_logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django-q": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # django-axes announces itself at every start (each manage.py command); its login failures stay.
        "axes.apps": {"level": "WARNING"},
    },
}

# --- Demo data --------------------------------------------------------------------------
# Demo users exist only in the embedded default with DEBUG on: never in production.
DEMO_USERS_ALLOWED = DEBUG and not env.str("DATABASE_URL", default="")

# --- Requests portal and API ------------------------------------------------------------
# Requests per token client, e.g. 120/min; counted in the shared cache across processes.
API_TOKEN_THROTTLE_RATE = env.str("API_TOKEN_THROTTLE_RATE", default="120/min")
# The longest an API token may live, in days (new tokens default to 90, or this if shorter).
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)
if API_TOKEN_MAX_DAYS < 1:
    raise ImproperlyConfigured("API_TOKEN_MAX_DAYS must be at least 1.")
# Rows per page in the portal's lists.
PORTAL_PAGE_SIZE = env.int("PORTAL_PAGE_SIZE", default=25)

# --- Replication health ---
# SNS topics whose deliveries /hooks/sns/replication/ accepts (the failure notifier's topic,
# Terraform output failure_topic_arn, and S3 replication-event topics). Empty = refuse all.
SNS_ALLOWED_TOPIC_ARNS = env.list("SNS_ALLOWED_TOPIC_ARNS", default=[])
# Larger bodies are refused with 413 (SNS messages are at most 256 KiB plus the envelope).
SNS_MAX_BODY_BYTES = env.int("SNS_MAX_BODY_BYTES", default=320 * 1024)
# Deliveries whose SNS Timestamp is older are refused (replay bound; covers SNS's retries).
SNS_MAX_MESSAGE_AGE_SECONDS = env.int("SNS_MAX_MESSAGE_AGE_SECONDS", default=3600)
# Processed SNS messages (raw envelopes) are deleted once their SNS Timestamp is this many days old;
# what was built from them stays. 0 keeps them forever. Longer than the age bound (system check), so a
# redelivery of a deleted message is refused as stale (docs/decisions/retention-plans-and-sns-messages.md).
SNS_MESSAGE_RETENTION_DAYS = env.int("SNS_MESSAGE_RETENTION_DAYS", default=30)
# Development only (a system check refuses it otherwise): signing certificates come from the
# local AWS (moto), which signs its SNS deliveries with a certificate AWS never issued.
SNS_CERTIFICATES_FROM_LOCAL_AWS = env.bool("SNS_CERTIFICATES_FROM_LOCAL_AWS", default=False)
# Where the replica of a bucket whose purpose needs replication (backups) lives.
REPLICATION_REPLICA_REGION = env.str("REPLICATION_REPLICA_REGION", default="us-west-2")
# `make run`'s local replication emulator: shares of copies delayed, dropped or corrupted.
LOCAL_REPLICATION_FAULTS = {
    "delay": env.float("LOCAL_REPLICATION_DELAY_SHARE", default=0.0),
    "drop": env.float("LOCAL_REPLICATION_DROP_SHARE", default=0.0),
    "corrupt": env.float("LOCAL_REPLICATION_CORRUPT_SHARE", default=0.0),
}
LOCAL_REPLICATION_DELAY_SECONDS = env.float("LOCAL_REPLICATION_DELAY_SECONDS", default=5.0)
# A certificate URL whose fetch failed is refused without fetching again for this long.
SNS_CERTIFICATE_FAILURE_CACHE_SECONDS = env.int("SNS_CERTIFICATE_FAILURE_CACHE_SECONDS", default=300)
# A source address refused this many times within the window gets 429 at once until the window ends.
SNS_REFUSALS_PER_SOURCE = env.int("SNS_REFUSALS_PER_SOURCE", default=20)
SNS_REFUSAL_WINDOW_SECONDS = env.int("SNS_REFUSAL_WINDOW_SECONDS", default=300)

# --- Runner ---------------------------------------------------------------------------
# The Terraform stack every apply run uses (tests point it at terraform/testing/s3-request-fake).
TERRAFORM_STACK_DIR = BASE_DIR / env.str("TERRAFORM_STACK_DIR", default="terraform/stacks/s3-request")
# Provider plugins downloaded once and shared by every run's workspace.
TERRAFORM_PLUGIN_CACHE_DIR = Path(
    env.str("TERRAFORM_PLUGIN_CACHE_DIR", default=str(VAR_DIR / "terraform-plugin-cache"))
)
# A filesystem mirror of provider packages (the directory holding registry.terraform.io/...): runs install
# providers from it and never from the registry. Empty = the registry (through the plugin cache).
TERRAFORM_PROVIDER_MIRROR = env.str("TERRAFORM_PROVIDER_MIRROR", default="")
# Seconds each Terraform step may take; their sum must stay below Q_TASK_TIMEOUT (checked at startup).
RUNNER_STEP_TIMEOUTS = {
    "version": env.int("RUNNER_VERSION_TIMEOUT_SECONDS", default=60),
    "init": env.int("RUNNER_INIT_TIMEOUT_SECONDS", default=300),
    "plan": env.int("RUNNER_PLAN_TIMEOUT_SECONDS", default=600),
    "show": env.int("RUNNER_SHOW_TIMEOUT_SECONDS", default=120),
    "apply": env.int("RUNNER_APPLY_TIMEOUT_SECONDS", default=1800),
    "output": env.int("RUNNER_OUTPUT_TIMEOUT_SECONDS", default=120),
}
# After SIGINT (cancel, timeout) Terraform gets this long to stop gracefully before SIGKILL.
RUNNER_CANCEL_GRACE_SECONDS = env.float("RUNNER_CANCEL_GRACE_SECONDS", default=30)
# How often a worker writes its heartbeat and the log so far, and looks for a cancel request.
RUNNER_HEARTBEAT_SECONDS = env.float("RUNNER_HEARTBEAT_SECONDS", default=2)
# A running run without a heartbeat for this long belongs to a dead worker: the sweeper fails it.
RUNNER_HEARTBEAT_STALE_SECONDS = env.int("RUNNER_HEARTBEAT_STALE_SECONDS", default=60)
# A queued run no worker started this long after its handover is handed over again.
RUNNER_HANDOVER_GRACE_SECONDS = env.int("RUNNER_HANDOVER_GRACE_SECONDS", default=120)
# A queued run handed to the task queue this many times without a worker starting it fails
# ("could not be started: ..."), instead of being handed over forever.
RUN_MAX_HANDOVERS = env.int("RUN_MAX_HANDOVERS", default=3)
# Largest log kept per run (characters): the beginning and the latest output.
RUNNER_LOG_MAX_CHARS = env.int("RUNNER_LOG_MAX_CHARS", default=200_000)
# Connect and read timeout of each AWS call abandoning a request makes while the person waits (reading
# the state, listing the account's buckets); each call is tried at most runner.aws.CHECK_ATTEMPTS times.
ABANDON_AWS_TIMEOUT_SECONDS = env.float("ABANDON_AWS_TIMEOUT_SECONDS", default=5)
# Terraform gets an allow-listed environment (runner/environment.py: PATH, HOME, TF_*, AWS_*, proxy
# and CA settings), never the worker's secrets; further variable names it may see, comma-separated.
TERRAFORM_ENV_PASSTHROUGH = env.list("TERRAFORM_ENV_PASSTHROUGH", default=[])
# Keep run workspaces after the run (debugging); by default they are removed.
RUNNER_KEEP_WORKSPACES = env.bool("RUNNER_KEEP_WORKSPACES", default=False)

# --- Compliance (live read-back of active buckets, docs/decisions/compliance-read-back.md) ---
# Minutes between scheduled checks of every active bucket (0: no schedule).
COMPLIANCE_CHECK_MINUTES = env.int("COMPLIANCE_CHECK_MINUTES", default=60)
# Buckets per check task: shared AWS reads (account, KMS aliases, alarms) happen once per batch.
COMPLIANCE_BATCH_SIZE = env.int("COMPLIANCE_BATCH_SIZE", default=50)
# Connect/read timeout of each AWS call of the read-back (an endpoint that is down makes "unknown").
COMPLIANCE_AWS_TIMEOUT_SECONDS = env.float("COMPLIANCE_AWS_TIMEOUT_SECONDS", default=10)
# Read a bucket back right after each successful apply (the run is verified only when clean).
COMPLIANCE_VERIFY_AFTER_APPLY = env.bool("COMPLIANCE_VERIFY_AFTER_APPLY", default=True)

# --- Audit checkpoints (docs/audit.md) ----------------------------------------------------
# Checkpoints of the audit chain are written as objects to this bucket, which must have S3 Object
# Lock enabled; each object is locked in COMPLIANCE mode for the retention below. `make run`
# creates the bucket in the local AWS.
AUDIT_CHECKPOINT_BUCKET = env.str("AUDIT_CHECKPOINT_BUCKET", default="bucketwise-audit-checkpoints")
AUDIT_CHECKPOINT_PREFIX = env.str("AUDIT_CHECKPOINT_PREFIX", default="audit-checkpoints/")
AUDIT_CHECKPOINT_REGION = env.str("AUDIT_CHECKPOINT_REGION", default="") or AWS_REGION
AUDIT_CHECKPOINT_RETENTION_DAYS = env.int("AUDIT_CHECKPOINT_RETENTION_DAYS", default=2557)
# A checkpoint is written this often (django-q schedule, synced on every migrate) and at every export.
AUDIT_CHECKPOINT_INTERVAL_MINUTES = env.int("AUDIT_CHECKPOINT_INTERVAL_MINUTES", default=15)
# The audit page shows a verification at most this old (seconds; 0: verify on every view). The API
# and `verify_audit` always verify afresh.
AUDIT_PAGE_VERIFY_SECONDS = env.int("AUDIT_PAGE_VERIFY_SECONDS", default=60)
