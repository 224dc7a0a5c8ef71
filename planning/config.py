"""Typed deployment settings read from environment variables.

Every setting is declared once here, validated at start-up and documented in
docs/settings.md (a test fails when one is missing there). settings.py only maps these
values onto Django's names.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

BASE_DIR = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """A setting has a value the server cannot start with."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "PLANNING_SECRET_KEY",
        "",
        "Django secret key; unset = a random key generated once into $PLANNING_VAR_DIR/secret_key.",
    ),
    Setting("PLANNING_REQUIRE_SECRET", "0", "1 refuses to start without PLANNING_SECRET_KEY."),
    Setting(
        "PLANNING_BEHIND_PROXY",
        "0",
        "1 trusts X-Forwarded-Proto/-For of the reverse proxy (HTTPS detection, client address).",
    ),
    Setting("PLANNING_SECURE_COOKIES", "0", "1 sends session and CSRF cookies over HTTPS only."),
    Setting("PLANNING_SSL_REDIRECT", "0", "1 redirects plain-HTTP requests to HTTPS."),
    Setting("PLANNING_HSTS_SECONDS", "0", "Strict-Transport-Security max-age; 0 = no header."),
    Setting(
        "PLANNING_CSRF_TRUSTED_ORIGINS",
        "",
        "Comma-separated extra origins (https://host) trusted for form posts.",
    ),
    Setting(
        "PLANNING_CORS_ORIGINS",
        "*",
        "Origins whose web pages may read the public map services: *, a comma-separated list, "
        "or empty for none.",
    ),
    Setting(
        "PLANNING_LOGIN_MAX_FAILURES", "10", "Failed sign-ins per account before it is paused."
    ),
    Setting(
        "PLANNING_LOGIN_MAX_FAILURES_PER_IP",
        "30",
        "Failed sign-ins per client address before it is paused.",
    ),
    Setting("PLANNING_LOGIN_LOCKOUT_MINUTES", "15", "Window of the failed sign-in limits."),
    Setting("PLANNING_TOKEN_MAX_AGE_DAYS", "90", "Days an API token is valid; 0 = no expiry."),
    Setting("PLANNING_DEBUG", "0", "1 turns on Django debug pages (never in production)."),
    Setting("PLANNING_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]", "Comma-separated host names."),
    Setting("DATABASE_URL", "", "postgres://user:pass@host:port/db; unset = the local cluster."),
    Setting("PLANNING_STORAGE_SRID", "9214", "EPSG code of the planar storage CRS (VN-2000 TM-3)."),
    Setting(
        "PLANNING_VAR_DIR", "var", "Directory for caches, uploads and logs (relative to repo)."
    ),
    Setting("PLANNING_MAX_UPLOAD_MB", "512", "Largest accepted upload, in megabytes."),
    Setting("PLANNING_MAX_UNZIPPED_MB", "2048", "Largest total size a zip may expand to."),
    Setting(
        "PLANNING_TILE_CACHE_DIR", "", "MapProxy tile cache directory; unset = var/cache/tiles."
    ),
    Setting("PLANNING_WMS_MAX_SIZE", "4096", "Largest WIDTH or HEIGHT accepted by WMS GetMap."),
    Setting("PLANNING_LANGUAGE", "vi", "Default UI language (vi or en)."),
    Setting("PLANNING_TEST_DB_NAME", "", "Database the test suite creates; unset = test_<db>."),
    Setting(
        "PLANNING_EMAIL_BACKEND",
        "django.core.mail.backends.console.EmailBackend",
        "Django e-mail backend for notifications (smtp: django.core.mail.backends.smtp.EmailBackend).",
    ),
    Setting("PLANNING_EMAIL_HOST", "localhost", "SMTP host when the smtp backend is used."),
    Setting("PLANNING_EMAIL_PORT", "25", "SMTP port."),
    Setting("PLANNING_EMAIL_FROM", "planning@localhost", "Sender address of notifications."),
    Setting(
        "PLANNING_QA_AREA_TOLERANCE_M2",
        "1.0",
        "Overlaps, gaps and overhangs smaller than this (m²) are not reported.",
    ),
    Setting(
        "PLANNING_QA_BALANCE_TOLERANCE_PCT",
        "0.5",
        "Allowed difference (%) between the lots' total area and the plan boundary's.",
    ),
    Setting("PLANNING_PUBLIC_URL", "http://127.0.0.1:8000", "Public base URL of the server."),
    Setting("PLANNING_STOREY_HEIGHT_M", "3.6", "Storey height (m) when a building gives storeys."),
    Setting("PLANNING_3D_MAX_TRIANGLES", "500000", "Largest 3D model (triangles) accepted."),
    Setting(
        "PLANNING_3D_MAX_DISTANCE_KM", "50", "Farthest a 3D model may lie from its project (km)."
    ),
    Setting("PLANNING_3D_TILE_FEATURES", "1000", "Buildings per 3D Tiles content file (b3dm)."),
    Setting(
        "PLANNING_3D_SYNC_BUILD_MAX", "20000", "Most 3D features a tileset request builds itself."
    ),
    Setting(
        "PLANNING_RASTER_DIR", "", "Where raster layers (COGs) are stored; unset = var/rasters."
    ),
    Setting(
        "PLANNING_RASTER_MAX_PIXELS",
        "2000000000",
        "Largest raster accepted, in pixels (width x height), checked before reading pixels.",
    ),
    Setting(
        "PLANNING_RASTER_MAX_UNCOMPRESSED_MB",
        "6000",
        "Largest raster accepted once decoded (width x height x bands x bytes per sample), MiB.",
    ),
    Setting(
        "PLANNING_MAX_ATTRIBUTE_CHARS",
        "10000",
        "Longest attribute value (characters) a GIS file or drawing may bring in.",
    ),
    Setting("PLANNING_CAD_ARC_TOLERANCE", "0.01", "CAD arcs/curves: max chord deviation (m)."),
    Setting("PLANNING_CAD_SNAP_TOLERANCE", "0.05", "CAD lot linework: largest gap closed (m)."),
    Setting(
        "PLANNING_JOB_STALLED_SECONDS",
        "60",
        "A running job whose worker sent no heartbeat for this long is marked failed.",
    ),
)
_KNOWN = {s.name: s for s in SETTINGS}


def _raw(name: str) -> str:
    return os.environ.get(name, _KNOWN[name].default)


def _int(name: str, minimum: int, maximum: int) -> int:
    value = _raw(name)
    try:
        number = int(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {value!r}") from exc
    if not minimum <= number <= maximum:
        raise ConfigError(f"{name} must be between {minimum} and {maximum}, got {number}")
    return number


def _float(name: str, minimum: float, maximum: float) -> float:
    value = _raw(name)
    try:
        number = float(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {value!r}") from exc
    if not minimum <= number <= maximum:
        raise ConfigError(f"{name} must be between {minimum} and {maximum}, got {number}")
    return number


def _bool(name: str) -> bool:
    value = _raw(name).strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name} must be 0 or 1, got {value!r}")


@dataclass(frozen=True)
class DatabaseConfig:
    name: str
    user: str
    password: str
    host: str
    port: str

    def as_django(self) -> dict[str, object]:
        return {
            "ENGINE": "django.contrib.gis.db.backends.postgis",
            "NAME": self.name,
            "USER": self.user,
            "PASSWORD": self.password,
            "HOST": self.host,
            "PORT": self.port,
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "TEST": {"NAME": os.environ.get("PLANNING_TEST_DB_NAME") or f"test_{self.name}"},
        }


def parse_database_url(url: str) -> DatabaseConfig:
    """Parse postgres://user:pass@host:port/db?host=/socket/dir&port=N."""
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql", "postgis"}:
        raise ConfigError(f"DATABASE_URL must start with postgres://, got {parsed.scheme!r}")
    query = parse_qs(parsed.query)
    name = unquote(parsed.path.lstrip("/"))
    if not name:
        raise ConfigError("DATABASE_URL names no database")
    return DatabaseConfig(
        name=name,
        user=unquote(parsed.username or ""),
        password=unquote(parsed.password or ""),
        host=query.get("host", [parsed.hostname or ""])[0],
        port=query.get("port", [str(parsed.port or "")])[0],
    )


# The key of the first releases, public in the repository's history: never accepted.
KNOWN_INSECURE_KEY = "insecure-local-development-key-change-me"
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name


def _generated_secret(var_dir: Path) -> str:
    """The key kept in var_dir/secret_key (mode 0600), created on first use.

    Created under a temporary name and linked into place, so processes starting together
    agree on one key and none reads a half-written file."""
    path = var_dir / SECRET_KEY_FILE
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=var_dir, prefix=".secret_key.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(64) + "\n")
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process won the race: use its key
        finally:
            os.unlink(temporary)
    return path.read_text().strip()


def _secret_key(var_dir: Path) -> str:
    secret = _raw("PLANNING_SECRET_KEY")
    if not secret:
        if _bool("PLANNING_REQUIRE_SECRET"):
            raise ConfigError("PLANNING_SECRET_KEY must be set (PLANNING_REQUIRE_SECRET=1)")
        try:
            secret = _generated_secret(var_dir)
        except OSError as exc:
            raise ConfigError(
                f"cannot keep a generated secret key in {var_dir}: {exc}; set PLANNING_SECRET_KEY"
            ) from exc
        if not secret:
            raise ConfigError(f"{var_dir / SECRET_KEY_FILE} is empty: delete it or set the key")
    if secret == KNOWN_INSECURE_KEY:
        raise ConfigError("PLANNING_SECRET_KEY is the publicly known development key")
    return secret


def _origins(name: str) -> list[str]:
    origins = [o.strip().rstrip("/") for o in _raw(name).split(",") if o.strip()]
    for origin in origins:
        if not origin.startswith(("https://", "http://")):
            raise ConfigError(f"{name}: {origin!r} must start with https:// or http://")
    return origins


def cors_origins() -> tuple[str, ...]:
    """PLANNING_CORS_ORIGINS: ("*",) lets every origin read the public map services, a list
    only those origins, () none (planning/cors.py)."""
    if _raw("PLANNING_CORS_ORIGINS").strip() == "*":
        return ("*",)
    origins = _origins("PLANNING_CORS_ORIGINS")
    for origin in origins:
        parsed = urlparse(origin)
        extra = parsed.path or parsed.params or parsed.query or parsed.fragment
        if not parsed.netloc or extra or "@" in parsed.netloc or "*" in origin:
            # A browser sends scheme://host[:port] only: anything else would never match.
            raise ConfigError(
                f"PLANNING_CORS_ORIGINS: {origin!r} must be an origin such as "
                "https://portal.example.gov.vn (no path), or the whole value *"
            )
    return tuple(origin.lower() for origin in origins)


def _public_url() -> str:
    """PLANNING_PUBLIC_URL: an absolute http(s) URL; its origin is trusted for form posts."""
    url = _raw("PLANNING_PUBLIC_URL").strip().rstrip("/")
    parsed = urlparse(url)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise ConfigError(
            f"PLANNING_PUBLIC_URL must be an absolute URL such as https://quyhoach.example.gov.vn,"
            f" got {url!r}"
        )
    return url


def _email_backend() -> str:
    """PLANNING_EMAIL_BACKEND: a dotted path whose module exists (a typo would otherwise
    surface only when the first review notification is sent, as a 500)."""
    path = _raw("PLANNING_EMAIL_BACKEND").strip()
    module, _, name = path.rpartition(".")
    try:
        found = bool(module and name) and importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise ConfigError(
            "PLANNING_EMAIL_BACKEND must name an e-mail backend class such as "
            f"django.core.mail.backends.smtp.EmailBackend, got {path!r}"
        )
    return path


def _allowed_hosts() -> list[str]:
    hosts = [h.strip() for h in _raw("PLANNING_ALLOWED_HOSTS").split(",") if h.strip()]
    if not hosts:
        # Django would answer every request with 400 Bad Request.
        raise ConfigError("PLANNING_ALLOWED_HOSTS is empty: name the host(s) the server answers to")
    return hosts


def _origin_of(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.netloc}"


def _database() -> DatabaseConfig:
    url = _raw("DATABASE_URL")
    if not url:
        # scripts/pg.sh writes the URL of the project-local cluster here when it starts it.
        local = BASE_DIR / "var" / "database_url"
        url = local.read_text().strip() if local.exists() else "postgres://postgres@/planning"
    return parse_database_url(url)


@dataclass(frozen=True)
class Config:
    secret_key: str
    debug: bool
    allowed_hosts: list[str]
    database: DatabaseConfig
    storage_srid: int
    var_dir: Path
    max_upload_bytes: int
    max_unzipped_bytes: int
    tile_cache_dir: Path
    wms_max_size: int
    language: str
    public_url: str
    email_backend: str
    email_host: str
    email_port: int
    email_from: str
    qa_area_tolerance_m2: float
    qa_balance_tolerance_pct: float
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HttpsConfig:
    """Running behind an HTTPS reverse proxy (docs/deployment.md); all off for `make run`."""

    behind_proxy: bool
    secure_cookies: bool
    ssl_redirect: bool
    hsts_seconds: int
    csrf_trusted_origins: list[str]


def load_https(public_url: str) -> HttpsConfig:
    return HttpsConfig(
        behind_proxy=_bool("PLANNING_BEHIND_PROXY"),
        secure_cookies=_bool("PLANNING_SECURE_COOKIES"),
        ssl_redirect=_bool("PLANNING_SSL_REDIRECT"),
        hsts_seconds=_int("PLANNING_HSTS_SECONDS", 0, 10 * 365 * 86400),
        # The public URL is our own origin: always trusted.
        csrf_trusted_origins=[_origin_of(public_url), *_origins("PLANNING_CSRF_TRUSTED_ORIGINS")],
    )


@dataclass(frozen=True)
class CredentialLimits:
    """Failed sign-in limits and API token lifetime (planning/login_limits.py)."""

    max_failures_per_user: int
    max_failures_per_ip: int
    window_seconds: int
    token_max_age_days: int


def load_credential_limits() -> CredentialLimits:
    return CredentialLimits(
        max_failures_per_user=_int("PLANNING_LOGIN_MAX_FAILURES", 1, 10_000),
        max_failures_per_ip=_int("PLANNING_LOGIN_MAX_FAILURES_PER_IP", 1, 100_000),
        window_seconds=_int("PLANNING_LOGIN_LOCKOUT_MINUTES", 1, 24 * 60) * 60,
        token_max_age_days=_int("PLANNING_TOKEN_MAX_AGE_DAYS", 0, 100 * 365),
    )


def load() -> Config:
    debug = _bool("PLANNING_DEBUG")
    var_dir = _in_repository(_raw("PLANNING_VAR_DIR"))
    secret = _secret_key(var_dir)
    language = _raw("PLANNING_LANGUAGE")
    if language not in {"vi", "en"}:
        raise ConfigError(f"PLANNING_LANGUAGE must be vi or en, got {language!r}")
    tile_cache = _raw("PLANNING_TILE_CACHE_DIR")
    return Config(
        secret_key=secret,
        debug=debug,
        allowed_hosts=_allowed_hosts(),
        database=_database(),
        storage_srid=_int("PLANNING_STORAGE_SRID", 1024, 999999),
        var_dir=var_dir,
        max_upload_bytes=_int("PLANNING_MAX_UPLOAD_MB", 1, 100_000) * 1024 * 1024,
        max_unzipped_bytes=_int("PLANNING_MAX_UNZIPPED_MB", 1, 1_000_000) * 1024 * 1024,
        tile_cache_dir=_in_repository(tile_cache) if tile_cache else var_dir / "cache" / "tiles",
        wms_max_size=_int("PLANNING_WMS_MAX_SIZE", 256, 16384),
        language=language,
        public_url=_public_url(),
        email_backend=_email_backend(),
        email_host=_raw("PLANNING_EMAIL_HOST"),
        email_port=_int("PLANNING_EMAIL_PORT", 1, 65535),
        email_from=_raw("PLANNING_EMAIL_FROM"),
        qa_area_tolerance_m2=_float("PLANNING_QA_AREA_TOLERANCE_M2", 0.0, 1e6),
        qa_balance_tolerance_pct=_float("PLANNING_QA_BALANCE_TOLERANCE_PCT", 0.0, 100.0),
    )


def raster_dir(var_dir: Path) -> Path:
    """PLANNING_RASTER_DIR, or var/rasters."""
    value = _raw("PLANNING_RASTER_DIR")
    return _in_repository(value) if value else var_dir / "rasters"


def _in_repository(value: str) -> Path:
    """A configured folder; a relative one is taken from the repository, as for every
    setting, never from the working directory (gunicorn and the worker may differ)."""
    path = Path(value)
    return path if path.is_absolute() else BASE_DIR / path


def raster_max_pixels() -> int:
    """PLANNING_RASTER_MAX_PIXELS, checked."""
    return _int("PLANNING_RASTER_MAX_PIXELS", 1, 10**12)


def raster_max_uncompressed_bytes() -> int:
    """PLANNING_RASTER_MAX_UNCOMPRESSED_MB, checked, in bytes."""
    return _int("PLANNING_RASTER_MAX_UNCOMPRESSED_MB", 1, 10**8) * 1024 * 1024


def max_attribute_chars() -> int:
    """PLANNING_MAX_ATTRIBUTE_CHARS, checked: a lot code or a note, not a book."""
    return _int("PLANNING_MAX_ATTRIBUTE_CHARS", 100, 1_000_000)


@dataclass(frozen=True)
class ThreeDConfig:
    """Settings of the threed app (3D geometry and 3D Tiles), validated at start-up."""

    storey_height_m: float
    max_triangles: int
    max_distance_km: float
    tile_features: int
    sync_build_max: int


def load_threed() -> ThreeDConfig:
    return ThreeDConfig(
        storey_height_m=_float("PLANNING_STOREY_HEIGHT_M", 1.0, 20.0),
        max_triangles=_int("PLANNING_3D_MAX_TRIANGLES", 12, 100_000_000),
        max_distance_km=_float("PLANNING_3D_MAX_DISTANCE_KM", 0.1, 2000.0),
        tile_features=_int("PLANNING_3D_TILE_FEATURES", 1, 100_000),
        sync_build_max=_int("PLANNING_3D_SYNC_BUILD_MAX", 0, 10_000_000),
    )


@dataclass(frozen=True)
class CadConfig:
    """Settings of CAD conversion and background jobs (docs/cad.md), checked at start-up."""

    arc_tolerance: float
    snap_tolerance: float
    job_stalled_seconds: float


def load_cad() -> CadConfig:
    return CadConfig(
        arc_tolerance=_float("PLANNING_CAD_ARC_TOLERANCE", 0.0001, 10.0),
        snap_tolerance=_float("PLANNING_CAD_SNAP_TOLERANCE", 0.0, 10.0),
        job_stalled_seconds=_float("PLANNING_JOB_STALLED_SECONDS", 5.0, 86400.0),
    )
