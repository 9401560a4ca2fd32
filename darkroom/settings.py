"""Django settings for Darkroom.

Product facts come from the profile (``darkroom/profile.py``); secrets and
infrastructure from the environment through ``darkroom/env.py``. Each part
(database, queue, storage) is chosen by configuration alone: with nothing set,
the embedded default runs (SQLite, Huey on SQLite, a private folder).
"""

from __future__ import annotations

import secrets
from email.utils import formataddr

import dj_database_url
import django_stubs_ext

from darkroom import env, paths, profile
from darkroom.accounts.config import allauth_settings

# Lets admin classes and querysets be subscripted (ModelAdmin[Photo]) at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = paths.BASE_DIR
VAR_DIR = paths.var_dir()
VAR_DIR.mkdir(parents=True, exist_ok=True)
# The local engine's model files (`darkroom models fetch`, docs/models.md).
MODELS_DIR = paths.models_dir()

PROFILE = profile.active()

DEBUG = env.boolean("DEBUG", False)
# Behind TLS (a reverse proxy): secure cookies, HSTS and an HTTPS redirect.
HTTPS = env.boolean("DARKROOM_HTTPS", False)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in var/."""
    configured = env.string("SECRET_KEY")
    if configured:
        return configured
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.touch(mode=0o600)
        key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
    return key_file.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.csv("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.csv("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",  # allauth.usersessions' page uses it
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Before allauth: its pages render inside Darkroom's layout
    # (darkroom/web/templates/allauth/layouts/base.html overrides allauth's).
    "darkroom.web",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.mfa",
    "allauth.usersessions",
    "huey.contrib.djhuey",
    "darkroom.accounts",
    "anymail",  # the Amazon SES tracking webhook (notify.email.webhooks); it adds no models
    "darkroom.notify",
    "darkroom.photos",
    "darkroom.studio",
    "darkroom.billing",
    "darkroom.privacy",
    "darkroom.api",
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
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "darkroom.accounts.middleware.refused_form_status",
]

ROOT_URLCONF = "darkroom.urls"
WSGI_APPLICATION = "darkroom.wsgi.application"

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
                "darkroom.web.context.brand",
                "darkroom.web.context.policy_notice",
                "darkroom.notify.context.unread",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env.url(
            "DATABASE_URL",
            f"sqlite:///{VAR_DIR / 'darkroom.sqlite3'}",
            schemes=("sqlite", "postgres", "postgresql"),
        )
        or "",
        conn_max_age=env.integer("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; IMMEDIATE takes the
    # write lock at BEGIN, so two writers queue up instead of failing with
    # "database is locked" when a read lock cannot be upgraded.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file (not :memory:) so a worker process started by a test sees it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Queue ----------------------------------------------------------------
REDIS_URL = env.url("REDIS_URL", None, schemes=("redis", "rediss", "unix"))
QUEUE_NAME = env.string("DARKROOM_QUEUE_NAME", "darkroom") or "darkroom"
HUEY: dict[str, object]
if REDIS_URL:
    HUEY = {"huey_class": "huey.RedisHuey", "name": QUEUE_NAME, "url": REDIS_URL}
else:
    HUEY = {"huey_class": "huey.SqliteHuey", "name": QUEUE_NAME, "filename": str(VAR_DIR / "queue.sqlite3")}
HUEY.update(
    {
        "immediate": False,
        "results": False,
        "utc": True,
        "consumer": {
            "workers": env.integer("DARKROOM_WORKERS", 2, minimum=1),
            "worker_type": "thread",
            # Huey backs off to polling every 10 s when idle; a person waiting
            # on a job page should not wait that long for it to start. One
            # poll a second costs an idle SQLite or Redis nothing worth noting.
            "initial_delay": 0.1,
            "backoff": 1.15,
            "max_delay": 1.0,
            # SIGTERM (systemd, containers, `darkroom serve` on Ctrl-C) lets
            # running jobs finish; a job cut off anyway is re-queued by the sweep.
            "graceful_signal": "TERM",
            "shutdown_timeout": env.integer("DARKROOM_WORKER_SHUTDOWN_SECONDS", 30, minimum=1),
        },
    }
)

# A running job renews its lease; a job whose lease ran out belongs to a dead
# worker and is re-queued by the sweep (Huey itself never redelivers).
JOB_LEASE_SECONDS = env.integer("DARKROOM_JOB_LEASE_SECONDS", 60, minimum=2)
JOB_MAX_ATTEMPTS = env.integer("DARKROOM_JOB_MAX_ATTEMPTS", 3, minimum=1)
# A queued job whose task message was lost (a worker killed between taking the
# message and claiming the row, a crash between commit and enqueue, a queue an
# operator flushed) is enqueued again after this long. Extra messages are
# harmless (the claim is conditional), but each sweep adds one per waiting
# job, so not too often.
JOB_REQUEUE_QUEUED_SECONDS = env.integer("DARKROOM_JOB_REQUEUE_QUEUED_SECONDS", 600, minimum=5)

# --- Storage --------------------------------------------------------------
MEDIA_ROOT = VAR_DIR / "media"
AWS_BUCKET = env.string("AWS_STORAGE_BUCKET_NAME")
_private_storage: dict[str, object]
if AWS_BUCKET:
    _private_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_BUCKET,
            "endpoint_url": env.string("AWS_S3_ENDPOINT_URL"),
            "region_name": env.string("AWS_S3_REGION_NAME", "auto"),
            "access_key": env.string("AWS_ACCESS_KEY_ID"),
            "secret_key": env.string("AWS_SECRET_ACCESS_KEY"),
            # R2 and most S3-compatible servers want path-style and SigV4.
            "addressing_style": "path",
            "signature_version": "s3v4",
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": PROFILE.photos.signed_url_seconds,
            "file_overwrite": False,
        },
    }
else:
    _private_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # No base_url: these files are never served directly, only through
        # the signed-URL view after an owner check.
        "OPTIONS": {"location": str(MEDIA_ROOT), "directory_permissions_mode": 0o700, "file_permissions_mode": 0o600},
    }
STORAGES = {
    "default": _private_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True

# Uploads above this stream to a temporary file instead of memory; the
# profile's byte limit is enforced while the body streams in (photos/uploads.py).
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 20
FILE_UPLOAD_HANDLERS = [
    "darkroom.photos.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
CSRF_FAILURE_VIEW = "darkroom.photos.views.csrf_failure"

# --- Billing --------------------------------------------------------------
# With no secret key, purchases go through Darkroom's own test gateway (no card
# network); with one, through Stripe Checkout. Prices come from the profile.
STRIPE_SECRET_KEY = env.string("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env.string("STRIPE_WEBHOOK_SECRET")
STRIPE_PUBLISHABLE_KEY = env.string("STRIPE_PUBLISHABLE_KEY")
if STRIPE_SECRET_KEY and not STRIPE_SECRET_KEY.startswith(("sk_", "rk_")):
    raise env.EnvError("STRIPE_SECRET_KEY must be a secret (sk_…) or restricted (rk_…) key, never a publishable one")
if bool(STRIPE_SECRET_KEY) != bool(STRIPE_WEBHOOK_SECRET):
    # Without the webhook secret no payment would ever be confirmed; without the
    # key the webhook could not re-fetch what it is told. Half a setup is refused.
    raise env.EnvError("set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET together (or neither, for the test gateway)")

# --- AI providers ---------------------------------------------------------
# Each provider runs only with its key; without any, every chain runs on the
# local engine. The *_BASE_URL variables point a client at a proxy (or, in
# the tests, at a local fake of the vendor's API).
OPENAI_API_KEY = env.string("OPENAI_API_KEY")
OPENAI_BASE_URL = env.string("OPENAI_BASE_URL")
ANTHROPIC_API_KEY = env.string("ANTHROPIC_API_KEY")
ANTHROPIC_BASE_URL = env.string("ANTHROPIC_BASE_URL")
REPLICATE_API_TOKEN = env.string("REPLICATE_API_TOKEN")
REPLICATE_BASE_URL = env.string("REPLICATE_BASE_URL")
# Replicate's webhooks need an address Replicate can reach and the account's
# signing secret (whsec_…); without both, predictions are only polled.
PUBLIC_URL = env.url("PUBLIC_URL", None, schemes=("https", "http"))
REPLICATE_WEBHOOK_SECRET = env.string("REPLICATE_WEBHOOK_SECRET")
if REPLICATE_WEBHOOK_SECRET and not REPLICATE_WEBHOOK_SECRET.startswith("whsec_"):
    raise env.EnvError("REPLICATE_WEBHOOK_SECRET is the signing secret Replicate shows (whsec_…)")
REPLICATE_POLL_SECONDS = env.number("REPLICATE_POLL_SECONDS", 2.0, minimum=0.1)
KLING_ACCESS_KEY = env.string("KLING_ACCESS_KEY")
KLING_SECRET_KEY = env.string("KLING_SECRET_KEY")
KLING_BASE_URL = env.string("KLING_BASE_URL")
if bool(KLING_ACCESS_KEY) != bool(KLING_SECRET_KEY):
    raise env.EnvError("set KLING_ACCESS_KEY and KLING_SECRET_KEY together (Kling signs each request with both)")

# --- Accounts -------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
_HASHERS = {
    "argon2": "django.contrib.auth.hashers.Argon2PasswordHasher",
    "bcrypt": "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
}
PASSWORD_HASHERS = [_HASHERS[PROFILE.accounts.password_hasher]] + [
    hasher for name, hasher in _HASHERS.items() if name != PROFILE.accounts.password_hasher
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Which ways in (email + password, phone + SMS code, Google) follow the profile;
# darkroom/accounts/config.py derives allauth's settings from it.
GOOGLE_CLIENT_ID = env.string("GOOGLE_CLIENT_ID")
GOOGLE_CLIENT_SECRET = env.string("GOOGLE_CLIENT_SECRET")
if bool(GOOGLE_CLIENT_ID) != bool(GOOGLE_CLIENT_SECRET):
    raise env.EnvError("set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET together (or neither: no Google sign-in)")
_accounts = allauth_settings(PROFILE, google_client_id=GOOGLE_CLIENT_ID, google_secret=GOOGLE_CLIENT_SECRET)
ACCOUNT_LOGIN_METHODS = _accounts["ACCOUNT_LOGIN_METHODS"]
ACCOUNT_SIGNUP_FIELDS = _accounts["ACCOUNT_SIGNUP_FIELDS"]
ACCOUNT_LOGIN_BY_CODE_ENABLED = _accounts["ACCOUNT_LOGIN_BY_CODE_ENABLED"]
ACCOUNT_EMAIL_VERIFICATION = _accounts["ACCOUNT_EMAIL_VERIFICATION"]
SOCIALACCOUNT_PROVIDERS = _accounts["SOCIALACCOUNT_PROVIDERS"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SIGNUP_FORM_CLASS = "darkroom.accounts.forms.AgeConfirmationForm"
ACCOUNT_ADAPTER = "darkroom.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "darkroom.accounts.signin_forms.LoginForm",
    "confirm_login_code": "darkroom.accounts.signin_forms.ConfirmLoginCodeForm",
    "verify_phone": "darkroom.accounts.signin_forms.VerifyPhoneForm",
}
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False  # this session stays; every other one ends (session auth hash)
ACCOUNT_CHANGE_EMAIL = True  # a new address replaces the old only once verified
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True  # only in the browser that signed up (allauth checks the session)
# One-time codes: 6 digits from a CSPRNG, 10 minutes, 3 wrong tries, kept only as
# an HMAC (darkroom/accounts/codes.py). Email verification and password reset
# use signed links, never codes: codes.py would not see those.
ALLAUTH_USER_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_PHONE_VERIFICATION_TIMEOUT = 10 * 60
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 10 * 60
ACCOUNT_PHONE_VERIFICATION_MAX_ATTEMPTS = 3
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
# The 6th failed sign-in for one account within 5 minutes is refused (429);
# counted per login key, so an unknown email is treated like a known one.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/300s/key"}
SOCIALACCOUNT_ADAPTER = "darkroom.accounts.adapter.SocialAccountAdapter"
# Always through the sign-up form: the age gate and the policy consent apply to Google too.
SOCIALACCOUNT_AUTO_SIGNUP = False
# A Google address equal to an existing account's is never linked silently:
# the owner signs in first and connects Google from the account page.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_STORE_TOKENS = False  # Google is used to sign in, never called later
SOCIALACCOUNT_ONLY = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_ADAPTER = "darkroom.accounts.mfa.MFAAdapter"  # TOTP keys encrypted at rest
MFA_TOTP_ISSUER = PROFILE.brand.name
# Sessions are listed (and ended) without tracking each page view: tracking
# writes to the database on every signed-in request (bench/upload.py).
USERSESSIONS_TRACK_ACTIVITY = False
LOGIN_REDIRECT_URL = "/photos/"
LOGIN_URL = "/accounts/login/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"

# --- Email ----------------------------------------------------------------
# With nothing set, mail goes to the outbox (the operator pages, and /dev/email/
# with DEBUG); nothing leaves the machine. Production: Amazon SES through
# django-anymail, EMAIL_BACKEND=anymail.backends.amazon_ses.EmailBackend
# (docs/notifications.md). Notices go from the queue (darkroom/notify/).
EMAIL_BACKEND = env.string("EMAIL_BACKEND", "darkroom.notify.email.outbox.EmailBackend")
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", formataddr((PROFILE.brand.name, PROFILE.operator.contact_email)))
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ANYMAIL: dict[str, object] = {
    # One attempt per send: a throttled or failed send is retried from the queue with
    # backoff (notify.delivery), not by botocore sleeping inside a worker thread.
    "AMAZON_SES_CLIENT_PARAMS": {
        key: value
        for key, value in {
            "region_name": env.string("AMAZON_SES_REGION"),
            "aws_access_key_id": env.string("AMAZON_SES_ACCESS_KEY_ID"),
            "aws_secret_access_key": env.string("AMAZON_SES_SECRET_ACCESS_KEY"),
            "endpoint_url": env.string("AMAZON_SES_ENDPOINT_URL"),  # only to point boto3 at a stand-in
            "config": {"connect_timeout": 5, "read_timeout": 10, "retries": {"total_max_attempts": 1}},
        }.items()
        if value
    },
    # The SES configuration set whose event destination is the SNS topic of bounces and complaints.
    "AMAZON_SES_CONFIGURATION_SET_NAME": env.string("AMAZON_SES_CONFIGURATION_SET"),
    # "user:password" that SNS sends as HTTP basic auth to the tracking webhook; without it the webhook is off.
    "WEBHOOK_SECRET": env.string("ANYMAIL_WEBHOOK_SECRET"),
}
if ANYMAIL["WEBHOOK_SECRET"] and ":" not in str(ANYMAIL["WEBHOOK_SECRET"]):
    raise env.EnvError("ANYMAIL_WEBHOOK_SECRET must be user:password (the basic auth in the SNS subscription's URL)")
# SNS topics whose messages the tracking webhook takes (comma-separated ARNs); empty: any topic
# whose message carries a valid Amazon signature and the basic auth above.
AMAZON_SES_SNS_TOPIC_ARNS = env.csv("AMAZON_SES_SNS_TOPIC_ARNS", [])
if EMAIL_BACKEND == "anymail.backends.amazon_ses.EmailBackend" and not env.string("AMAZON_SES_REGION"):
    raise env.EnvError("the Amazon SES back-end needs AMAZON_SES_REGION (the region the sending identity is in)")

# --- Cache ----------------------------------------------------------------
# Rate limits (sign-in failures, SMS per number / IP / hour) live here, so they
# must hold across gunicorn workers and machines: Redis when there is one, else
# a table in the database (`darkroom migrate` creates it).
CACHES: dict[str, dict[str, object]]
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "darkroom_cache"}}
CACHES["default"]["KEY_PREFIX"] = env.string("DARKROOM_CACHE_PREFIX", "darkroom") or "darkroom"

# --- SMS ------------------------------------------------------------------
# With no vendor configured, texts go to the outbox (the admin, and /dev/sms/
# with DEBUG); nothing leaves the machine. darkroom/notify/sms/.
SMS_BACKEND = env.string("SMS_BACKEND", "outbox") or "outbox"
if SMS_BACKEND not in ("outbox", "alibaba", "twilio"):
    raise env.EnvError(f"SMS_BACKEND must be outbox, alibaba or twilio (got {SMS_BACKEND!r})")
ALIBABA_ACCESS_KEY_ID = env.string("ALIBABA_ACCESS_KEY_ID")
ALIBABA_ACCESS_KEY_SECRET = env.string("ALIBABA_ACCESS_KEY_SECRET")
ALIBABA_SMS_SIGN_NAME = env.string("ALIBABA_SMS_SIGN_NAME")
ALIBABA_SMS_TEMPLATE_CODE = env.string("ALIBABA_SMS_TEMPLATE_CODE")
# Singapore is Alibaba Cloud International's SMS endpoint.
ALIBABA_SMS_ENDPOINT = env.string("ALIBABA_SMS_ENDPOINT", "dysmsapi.ap-southeast-1.aliyuncs.com")
# Notices by SMS (a job finished) need an approved template each: "job_finished:SMS_1,job_failed:SMS_2".
ALIBABA_SMS_NOTICE_TEMPLATES: dict[str, str] = {
    kind.strip(): code.strip()
    for kind, _, code in (item.partition(":") for item in env.csv("ALIBABA_SMS_NOTICE_TEMPLATES", []))
    if code
}
TWILIO_ACCOUNT_SID = env.string("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env.string("TWILIO_AUTH_TOKEN")
TWILIO_FROM = env.string("TWILIO_FROM") or ""  # a number (+1…) or a Messaging Service SID (MG…)
TWILIO_API_BASE = env.string("TWILIO_API_BASE")  # only to point the SDK at a stand-in
_sms_needs = {
    "alibaba": [
        "ALIBABA_ACCESS_KEY_ID",
        "ALIBABA_ACCESS_KEY_SECRET",
        "ALIBABA_SMS_SIGN_NAME",
        "ALIBABA_SMS_TEMPLATE_CODE",
    ],
    "twilio": ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM"],
}
_sms_missing = [name for name in _sms_needs.get(SMS_BACKEND, []) if not globals()[name]]
if _sms_missing:
    raise env.EnvError(f"SMS_BACKEND={SMS_BACKEND} needs {', '.join(_sms_missing)}")

# --- Security -------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env.boolean("DARKROOM_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = ["security.W021"] if not env.boolean("DARKROOM_HSTS_PRELOAD", False) else []

# Flash messages ride in the session: no extra cookie beyond session and CSRF.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.string("LOG_LEVEL", "INFO")},
    # A handler of its own stops run_huey from adding a second one (lines twice).
    "loggers": {
        "huey": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Twilio's client logs each request at INFO; keep vendor traffic out of the logs.
        "twilio": {"level": "WARNING"},
    },
}
