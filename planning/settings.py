"""Django settings: maps the typed values of planning.config onto Django's names."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from planning import config
from planning.log_files import logging_config
from planning.mapnik_env import import_mapnik

import_mapnik()  # before anything else imports it: see planning.mapnik_env

CONFIG = config.load()
BASE_DIR = config.BASE_DIR

SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug

# HTTPS behind a reverse proxy (docs/deployment.md); every switch is off for `make run`.
_HTTPS = config.load_https(CONFIG.public_url)
if _HTTPS.behind_proxy:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
PLANNING_BEHIND_PROXY = _HTTPS.behind_proxy
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _HTTPS.secure_cookies
SECURE_SSL_REDIRECT = _HTTPS.ssl_redirect
SECURE_REDIRECT_EXEMPT = [r"^health$"]  # monitors and load balancers poll it over plain HTTP
SECURE_HSTS_SECONDS = _HTTPS.hsts_seconds
CSRF_TRUSTED_ORIGINS = _HTTPS.csrf_trusted_origins
# Web pages of these origins may read the public map services (planning/cors.py).
PLANNING_CORS_ORIGINS = config.cors_origins()
ALLOWED_HOSTS = CONFIG.allowed_hosts
if DEBUG or ALLOWED_HOSTS == ["*"]:
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "procrastinate.contrib.django",
    "planning.apps.PlanningConfig",
    "importers.apps.ImportersConfig",
    "tiles.apps.TilesConfig",
    "webmap.apps.WebmapConfig",
    "rasters.apps.RastersConfig",
    "threed.apps.ThreedConfig",
]

MIDDLEWARE = [
    # Outermost: a HEAD answer loses its body only once every header is final (planning/head.py).
    "planning.head.HeadWithoutBodyMiddleware",
    # Before the HTTPS redirect, which a cross-origin fetch follows only with CORS headers.
    "planning.cors.PublicServicesCorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside everything below: sees their final responses (planning/middleware.py).
    "planning.middleware.PrivateResponsesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A view's lost database connection becomes a 503 with Retry-After, not a bare 500.
    "webmap.views_errors.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "planning.urls"
WSGI_APPLICATION = "planning.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": CONFIG.database.as_django()}
# Shared by every server process (failed sign-in counters, DRF throttles); the table is
# created by `migrate` (planning/apps.py) and by the test database set-up.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "planning_cache",
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Passwords set through forms (admin, password change); the demo accounts are created
# programmatically and are not checked (docs/deployment.md: remove them in production).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Every password check (login form, admin, API token, HTTP Basic) goes through this backend,
# which refuses accounts and addresses with too many recent failures (planning/login_limits.py).
AUTHENTICATION_BACKENDS = ["planning.auth_backends.LimitedModelBackend"]
_LIMITS = config.load_credential_limits()
PLANNING_LOGIN_MAX_FAILURES = _LIMITS.max_failures_per_user
PLANNING_LOGIN_MAX_FAILURES_PER_IP = _LIMITS.max_failures_per_ip
PLANNING_LOGIN_WINDOW_SECONDS = _LIMITS.window_seconds
PLANNING_TOKEN_MAX_AGE_DAYS = _LIMITS.token_max_age_days
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "webmap:map"
LOGOUT_REDIRECT_URL = "webmap:map"

LANGUAGE_CODE = CONFIG.language
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# English short dates in ISO order (planning/formats/en/formats.py), not the US order.
FORMAT_MODULE_PATH = ["planning.formats"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = CONFIG.var_dir / "static"
MEDIA_ROOT = CONFIG.var_dir / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Uploads larger than FILE_UPLOAD_MAX_MEMORY_SIZE are spooled here, not to the system /tmp
# (often a small tmpfs; uploads reach PLANNING_MAX_UPLOAD_MB). Not var/tmp: its entries are
# swept after a day (planning.jobs). Django needs the directory to exist.
FILE_UPLOAD_TEMP_DIR = CONFIG.var_dir / "upload_tmp"
FILE_UPLOAD_TEMP_DIR.mkdir(parents=True, exist_ok=True)

REST_FRAMEWORK = {
    # The token first: DRF answers a failed or missing authentication with the first class's
    # challenge, so a script hears 401 with `WWW-Authenticate: Token` ("get a new token"),
    # not the 403 of "not allowed" (QA walk). The order does not change who is authenticated.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "planning.api.auth.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        "planning.api.auth.LimitedBasicAuthentication",
    ],
    # Failed requests to /api/token/ per client address; successful ones are not counted
    # (planning.api.token_view.FailedRequestThrottle).
    "DEFAULT_THROTTLE_RATES": {"token": "30/hour"},
    "NUM_PROXIES": 1 if _HTTPS.behind_proxy else None,
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "planning.api.pagination.CheckedLimitOffsetPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "planning.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Planning data server API",
    # Request bodies get their own components, so upload fields are `format: binary` (a
    # client generated from the schema sends the file, not a URL string).
    "COMPONENT_SPLIT_REQUEST": True,
    "DESCRIPTION": "Planning projects, revisions, layers, features and uploads.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Its deploy check builds the whole schema and reports OpenAPI details (unresolved
    # authenticators, guessed serializers) under `manage.py check --deploy`, burying the
    # security checks an operator runs it for; the schema has its own tests.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
    # Every operation's error answers ({detail, code}): planning/api/schema.py.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "planning.api.schema.add_error_responses",
    ],
}

# Domain settings.
PLANNING_STORAGE_SRID = CONFIG.storage_srid
PLANNING_VAR_DIR = CONFIG.var_dir
PLANNING_MAX_UPLOAD_BYTES = CONFIG.max_upload_bytes
PLANNING_MAX_UNZIPPED_BYTES = CONFIG.max_unzipped_bytes
PLANNING_TILE_CACHE_DIR = CONFIG.tile_cache_dir
PLANNING_WMS_MAX_SIZE = CONFIG.wms_max_size
PLANNING_PUBLIC_URL = CONFIG.public_url
PLANNING_QA_AREA_TOLERANCE_M2 = CONFIG.qa_area_tolerance_m2
PLANNING_QA_BALANCE_TOLERANCE_PCT = CONFIG.qa_balance_tolerance_pct
# 3D (threed app, docs/3d.md).
_THREED = config.load_threed()
PLANNING_STOREY_HEIGHT_M = _THREED.storey_height_m
PLANNING_3D_MAX_TRIANGLES = _THREED.max_triangles
PLANNING_3D_MAX_DISTANCE_KM = _THREED.max_distance_km
PLANNING_3D_TILE_FEATURES = _THREED.tile_features
PLANNING_3D_SYNC_BUILD_MAX = _THREED.sync_build_max
PLANNING_RASTER_DIR = config.raster_dir(CONFIG.var_dir)
PLANNING_RASTER_MAX_PIXELS = config.raster_max_pixels()
PLANNING_RASTER_MAX_UNCOMPRESSED_BYTES = config.raster_max_uncompressed_bytes()
# Vector imports (importers.attribute_limit).
PLANNING_MAX_ATTRIBUTE_CHARS = config.max_attribute_chars()
# CAD conversion and background jobs (docs/cad.md).
_CAD = config.load_cad()
PLANNING_CAD_ARC_TOLERANCE = _CAD.arc_tolerance
PLANNING_CAD_SNAP_TOLERANCE = _CAD.snap_tolerance
PLANNING_JOB_STALLED_SECONDS = _CAD.job_stalled_seconds

EMAIL_BACKEND = CONFIG.email_backend
EMAIL_HOST = CONFIG.email_host
EMAIL_PORT = CONFIG.email_port
DEFAULT_FROM_EMAIL = CONFIG.email_from

# Django's own GDAL (Debian 3.6) only parses geometries and our own SRS definitions; user
# files are read by pyogrio's bundled GDAL. See docs/decisions/0002-gdal-copies.md.
# HSTS is sent for this host only (W005) and without preload (W021): the server usually sits
# on a subdomain of a provincial portal whose other hosts it must not bind to HTTPS.
SILENCED_SYSTEM_CHECKS = ["gis.W001", "security.W005", "security.W021"]

# Errors (500s with their tracebacks, failed jobs) also go to var/log/errors.log, rotated by
# size, whatever runs the code and wherever its stderr goes (docs/deployment.md).
LOGGING = logging_config(CONFIG.var_dir / "log")
